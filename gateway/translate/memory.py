"""The ``memory`` backend: liaison officers' corrections and the glossary, sentence by sentence.

A text is translated segment by segment (:mod:`gateway.translate.segments`): first the whole
text as an officer once corrected it, else each segment from memory (exact, then near-exact,
:mod:`gateway.translate.matching`) or the glossary. When every segment is found the result is
``memory``. Segments memory lacks go to the chained machine backend, if there is one, and the
result is ``machine`` with engine ``memory+<engine>`` (a text memory knows nothing of goes to
the machine whole, and is the machine's alone); without one, the text stays as written.

Every entry belongs to the desk whose officer wrote it, and a copy is translated with what
:mod:`gateway.translate.scope` lets serve it: :meth:`MemoryBackend.scoped` gives the memory as
one copy (its recipient, reviewed or not) may use it. Unscoped, the backend uses the glossary
alone. A second officer of the desk may confirm an entry (:meth:`MemoryBackend.confirm`), which
lets it serve other desks' reviewed copies.

An entry is learnt from the signal whose copy the officer corrected
(:meth:`MemoryBackend.learn`), and the store keeps which, apart from the sealed pair: when every
signal an entry was learnt from has been erased under the retention terms, the entry goes with
the last
(:mod:`gateway.translate.memory_store`). Entries kept before the store recorded this cannot be
tied to any signal, and erasure does not reach them. What the memory lacks goes to the machine
as the text of the copy's signal, so that what a machine keeps of it (eTranslation's jobs) goes
with that signal too.

At rest every remembered pair is sealed (AES-256-GCM, its data key wrapped by the master key, as
every sealed value; rows sealed before keys rotated are under a key derived from the master key
until ``keys rotate-master`` seals them anew. Each is bound to its language pair, row key, desk,
author and confirming officer: a row moved to another desk, or a confirmation written into the
database by hand, does not open) and its row
is keyed by an HMAC of the source's normal form, so the database never holds a sentence in the
clear and is never searched by one. The opened memory of a language pair lives in this process
and is read again after it learns, and when the store's stamp of the pair (how many rows, the
latest revision) says that another process, the CLI releasing a review say, changed it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from gateway.infra.audit import AuditEvent, timestamp
from gateway.infra.vault import MasterKey, SealedBlob, VaultError
from gateway.translate.base import (
    BatchTranslator,
    TranslationBackend,
    close_backend,
    for_signal,
    nothing_to_translate,
    untranslated,
)
from gateway.translate.glossary import glossary_translation
from gateway.translate.matching import DEFAULT_THRESHOLD, Hit, PairMemory, Remembered
from gateway.translate.memory_store import (
    LEGACY_SEAL,
    MemoryRecord,
    MemoryStamp,
    Resealed,
    SealedSegment,
    TranslationMemoryStore,
)
from gateway.translate.scope import usable
from gateway.translate.segments import normalise, split
from gateway.translate.types import MemoryScope, Provenance, TranslatedText

_LOOKUP_PURPOSE: Final = b"euregate/translation-memory/v1/lookup"
_SEAL_PURPOSE: Final = b"euregate/translation-memory/v1/seal"

Pair = tuple[str, str]


@dataclass(frozen=True)
class MemoryEntry:
    """One remembered translation, opened: what an officer of its desk sees of it."""

    id: str
    source_language: str
    target_language: str
    source: str
    target: str
    desk: str
    officer: str | None
    created_at: datetime
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None

    def remembered(self) -> Remembered:
        return Remembered(
            self.source,
            self.target,
            self.officer,
            self.created_at,
            desk=self.desk,
            confirmed_by=self.confirmed_by,
        )

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "source_language": self.source_language,
            "target_language": self.target_language,
            "source": self.source,
            "target": self.target,
            "desk": self.desk,
            "officer": self.officer,
            "created_at": timestamp(self.created_at),
            "confirmed_by": self.confirmed_by,
            "confirmed_at": None if self.confirmed_at is None else timestamp(self.confirmed_at),
        }


class MemorySealer:
    """The keys of the memory: the keyed hash rows are found by, and the seal of each row."""

    def __init__(self, master_key: MasterKey) -> None:
        self._lookup_key = master_key.derive(_LOOKUP_PURPOSE)
        self._sealer = master_key
        self._derived = MasterKey(master_key.derive(_SEAL_PURPOSE))

    def lookup_key(self, text: str, *, source: str, target: str) -> str:
        """The keyed hash a segment is stored under: its normal form, never its text."""
        message = "\x00".join((source, target, normalise(text))).encode()
        return hmac.new(self._lookup_key, message, hashlib.sha256).hexdigest()

    def seal(
        self,
        original: str,
        translation: str,
        *,
        source: str,
        target: str,
        source_key: str,
        desk: str,
        officer: str | None,
        confirmed_by: str | None = None,
    ) -> bytes:
        body = json.dumps({"source": original, "target": translation}, ensure_ascii=False)
        context = _context(_KEYRING, source, target, source_key, desk, officer, confirmed_by)
        return self._sealer.seal(body.encode(), context=context).to_bytes()

    def open(self, record: MemoryRecord) -> MemoryEntry | None:
        """The entry, or None if it does not open as the row says it was sealed (another
        master key, or a row changed by hand: another desk, author or confirmation)."""
        try:
            body = self._open(record)
        except VaultError:
            return None
        members = json.loads(body)
        return MemoryEntry(
            id=record.id,
            source_language=record.source_language,
            target_language=record.target_language,
            source=members["source"],
            target=members["target"],
            desk=record.desk,
            officer=record.officer_id,
            created_at=record.created_at,
            confirmed_by=record.confirmed_by,
            confirmed_at=record.confirmed_at,
        )

    def _open(self, record: MemoryRecord) -> bytes:
        blob = SealedBlob.from_bytes(record.sealed)
        if record.seal_version == LEGACY_SEAL:
            legacy = _legacy_context(
                record.source_language, record.target_language, record.source_key
            )
            return self._derived.open(blob, context=legacy)
        try:
            return self._sealer.open(blob, context=self._bound(_KEYRING, record))
        except VaultError:
            return self._derived.open(blob, context=self._bound(_DERIVED, record))

    @staticmethod
    def _bound(scheme: str, record: MemoryRecord) -> bytes:
        return _context(
            scheme,
            record.source_language,
            record.target_language,
            record.source_key,
            record.desk,
            record.officer_id,
            record.confirmed_by,
        )

    def rewrapped(self, record: MemoryRecord) -> bytes:
        """The row sealed under the master key's current version: its data key re-wrapped, or,
        for a row sealed under the derived key of before, sealed anew under the master key;
        :class:`~gateway.infra.vault.VaultError` if it does not open."""
        blob = SealedBlob.from_bytes(record.sealed)
        if record.seal_version != LEGACY_SEAL:
            try:
                context = self._bound(_KEYRING, record)
                return self._sealer.rewrap(blob, context=context).to_bytes()
            except VaultError:
                pass
        body = self._open(record)
        context = self._bound(_KEYRING, record)
        return self._sealer.seal(body, context=context).to_bytes()

    def confirmed(self, entry: MemoryEntry, record: MemoryRecord, officer: str) -> bytes:
        """``entry`` sealed again as confirmed by ``officer``."""
        return self.seal(
            entry.source,
            entry.target,
            source=record.source_language,
            target=record.target_language,
            source_key=record.source_key,
            desk=record.desk,
            officer=record.officer_id,
            confirmed_by=officer,
        )

    async def reseal_legacy(self, store: TranslationMemoryStore) -> int:
        """Seal entries from before desks bound to their desk and author; how many."""
        resealed = []
        for record in await store.legacy_memory_records():
            entry = self.open(record)
            if entry is None:
                continue
            sealed = self.seal(
                entry.source,
                entry.target,
                source=record.source_language,
                target=record.target_language,
                source_key=record.source_key,
                desk=record.desk,
                officer=record.officer_id,
            )
            resealed.append(Resealed(record.id, record.sealed, sealed))
        return await store.reseal_memory(resealed) if resealed else 0


class MemoryBackend:
    """Translation memory in a :class:`TranslationMemoryStore`, maybe chained to a machine."""

    def __init__(
        self,
        store: TranslationMemoryStore,
        master_key: MasterKey,
        *,
        machine: TranslationBackend | None = None,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        if not 0 < threshold <= 1:
            raise ValueError("the near-match threshold lies in (0, 1]")
        self._store = store
        self._sealer = MemorySealer(master_key)
        self._machine = machine
        self._threshold = threshold
        self._entries: dict[Pair, tuple[MemoryStamp, tuple[Remembered, ...]]] = {}
        self._memories: dict[tuple[Pair, MemoryScope | None], tuple[MemoryStamp, PairMemory]] = {}
        self._locks: dict[Pair, asyncio.Lock] = {}
        self.name = f"memory+{machine.name}" if machine is not None else "memory"

    @property
    def machine(self) -> TranslationBackend | None:
        return self._machine

    async def close(self) -> None:
        if self._machine is not None:
            await close_backend(self._machine)

    def scoped(self, scope: MemoryScope | None) -> ScopedMemory:
        """The memory as the copy ``scope`` describes may use it (None: the glossary alone)."""
        return ScopedMemory(self, scope)

    # --- translating ---------------------------------------------------------------------

    async def translate(self, text: str, *, source: str, target: str) -> TranslatedText:
        """``text`` with no officer's entry: the glossary, then the machine. A copy is
        translated through :meth:`scoped`."""
        return await self.translate_for(None, text, source=source, target=target)

    async def translate_for(
        self,
        scope: MemoryScope | None,
        text: str,
        *,
        source: str,
        target: str,
        signal_id: str | None = None,
    ) -> TranslatedText:
        """``text`` as the copy ``scope`` describes may have it; what memory lacks goes to
        the machine as the text of ``signal_id`` (:func:`~gateway.translate.base.for_signal`)."""
        if nothing_to_translate(text, source=source, target=target):
            return untranslated(text, source)
        memory = await self._memory(source, target, scope)
        whole = memory.exact(text)
        if whole is not None:
            return TranslatedText(whole.target, target, memory_provenance([whole]))
        segmented = split(text)
        hits = await asyncio.to_thread(self._find_all, memory, segmented.segments, source, target)
        missing = [i for i, hit in enumerate(hits) if hit is None]
        if not missing:
            found = [hit for hit in hits if hit is not None]
            joined = segmented.join([hit.target for hit in found])
            return TranslatedText(joined, target, memory_provenance(found))
        if self._machine is None:
            return untranslated(text, source)
        engine = self._machine if signal_id is None else for_signal(self._machine, signal_id)
        if len(missing) == len(hits):
            return await engine.translate(text, source=source, target=target)
        wanted = [segmented.segments[i] for i in missing]
        if isinstance(engine, BatchTranslator):
            machine = await engine.translate_many(wanted, source=source, target=target)
        else:
            machine = [
                await engine.translate(segment, source=source, target=target) for segment in wanted
            ]
        if any(m.provenance.kind == "original" for m in machine):
            return untranslated(text, source)
        replacements = [hit.target if hit is not None else "" for hit in hits]
        for index, translation in zip(missing, machine, strict=True):
            replacements[index] = translation.text
        answered = machine[0].provenance
        name = f"memory+{answered.engine or self._machine.name}"
        provenance = Provenance("machine", engine=name, version=answered.version)
        return TranslatedText(segmented.join(replacements), target, provenance)

    def _find_all(
        self, memory: PairMemory, segments: Sequence[str], source: str, target: str
    ) -> list[Hit | None]:
        hits: list[Hit | None] = []
        for segment in segments:
            hit = memory.find(segment, language=source, threshold=self._threshold)
            if hit is None and (
                term := glossary_translation(segment, source=source, target=target)
            ):
                hit = Hit(term, "glossary")
            hits.append(hit)
        return hits

    # --- learning --------------------------------------------------------------------------

    async def learn(
        self,
        source_text: str,
        target_text: str,
        *,
        source: str,
        target: str,
        officer_id: str,
        desk: str,
        signal_id: str,
    ) -> int:
        """Remember an officer's translation for the officer's ``desk``, learnt from
        ``signal_id``: segment by segment when both texts have as many segments, else the two
        texts whole. The number of entries kept."""
        if nothing_to_translate(source_text, source=source, target=target):
            return 0
        if not target_text.strip():
            raise ValueError("a correction needs a translation")
        originals, corrections = split(source_text).segments, split(target_text).segments
        if len(originals) == len(corrections) > 1:
            pairs = list(zip(originals, corrections, strict=True))
        else:
            pairs = [(source_text.strip(), target_text.strip())]
        rows = await asyncio.to_thread(self._seal_all, pairs, source, target, desk, officer_id)
        await self._store.remember_translations(
            source, target, rows, desk=desk, officer_id=officer_id, signal_id=signal_id
        )
        self._forget_cached(source, target)
        return len(rows)

    async def forget(self, source_text: str, *, source: str, target: str) -> int:
        """Forget what every desk learnt for ``source_text`` (whole and per segment); how many
        entries."""
        texts = [source_text.strip(), *split(source_text).segments]
        keys = sorted({self.lookup_key(t, source=source, target=target) for t in texts})
        removed = await self._store.forget_translations(source, target, keys)
        self._forget_cached(source, target)
        return removed

    def lookup_key(self, text: str, *, source: str, target: str) -> str:
        """The keyed hash a segment is stored under: its normal form, never its text."""
        return self._sealer.lookup_key(text, source=source, target=target)

    # --- an officer's view: a desk's entries, and confirming one ------------------------------

    async def entries_of(self, desk: str) -> list[MemoryEntry]:
        """What the officers of ``desk`` taught the memory, newest first."""
        records = await self._store.memory_records_of_desk(desk)
        opened = await asyncio.to_thread(lambda: [self._sealer.open(r) for r in records])
        return [entry for entry in opened if entry is not None]

    async def entry(self, entry_id: str) -> tuple[MemoryRecord, MemoryEntry] | None:
        record = await self._store.memory_record(entry_id)
        if record is None:
            return None
        entry = self._sealer.open(record)
        return None if entry is None else (record, entry)

    async def confirm(
        self, record: MemoryRecord, entry: MemoryEntry, *, officer_id: str, event: AuditEvent
    ) -> MemoryEntry | None:
        """Mark ``entry`` confirmed by ``officer_id`` (sealed anew, with ``event`` audited);
        None if it changed since it was read."""
        sealed = self._sealer.confirmed(entry, record, officer_id)
        updated = await self._store.confirm_translation(
            record.id, expected=record.sealed, sealed=sealed, officer_id=officer_id, event=event
        )
        self._forget_cached(record.source_language, record.target_language)
        return None if updated is None else self._sealer.open(updated)

    # --- sealing ---------------------------------------------------------------------------

    def _seal_all(
        self,
        pairs: Sequence[tuple[str, str]],
        source: str,
        target: str,
        desk: str,
        officer_id: str,
    ) -> list[SealedSegment]:
        rows: dict[str, bytes] = {}
        for original, translation in pairs:
            key = self.lookup_key(original, source=source, target=target)
            rows[key] = self._sealer.seal(
                original,
                translation,
                source=source,
                target=target,
                source_key=key,
                desk=desk,
                officer=officer_id,
            )
        return [SealedSegment(key, sealed) for key, sealed in rows.items()]

    def _open_all(self, records: Sequence[MemoryRecord]) -> tuple[Remembered, ...]:
        opened = (self._sealer.open(record) for record in records)
        return tuple(entry.remembered() for entry in opened if entry is not None)

    async def _memory(self, source: str, target: str, scope: MemoryScope | None) -> PairMemory:
        if scope is None:
            return _NOTHING
        pair = (source, target)
        async with self._lock(pair):
            stamp = await self._store.memory_stamp(source, target)
            cached = self._memories.get((pair, scope))
            if cached is not None and cached[0] == stamp:
                return cached[1]
            known = self._entries.get(pair)
            if known is None or known[0] != stamp:
                records = await self._store.memory_records(source, target)
                known = (stamp, await asyncio.to_thread(self._open_all, records))
                self._entries[pair] = known
            memory = PairMemory(usable(known[1], scope))
            self._memories[(pair, scope)] = (stamp, memory)
            return memory

    def _forget_cached(self, source: str, target: str) -> None:
        pair = (source, target)
        self._entries.pop(pair, None)
        for key in [key for key in self._memories if key[0] == pair]:
            del self._memories[key]

    def _lock(self, key: Pair) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())


class ScopedMemory:
    """The memory as one copy may use it: a :class:`TranslationBackend` for that copy, whose
    signal (once told, :meth:`for_signal`) the machine it chains to is told too."""

    def __init__(
        self, backend: MemoryBackend, scope: MemoryScope | None, signal_id: str | None = None
    ) -> None:
        self._backend = backend
        self.scope = scope
        self.signal_id = signal_id
        self.name = backend.name

    def for_signal(self, signal_id: str) -> ScopedMemory:
        return ScopedMemory(self._backend, self.scope, signal_id)

    async def translate(self, text: str, *, source: str, target: str) -> TranslatedText:
        return await self._backend.translate_for(
            self.scope, text, source=source, target=target, signal_id=self.signal_id
        )


_NOTHING: Final = PairMemory()


def memory_provenance(hits: Sequence[Hit]) -> Provenance:
    """Where a text made wholly of ``hits`` came from: the desks and officers whose entries
    it used, and who confirmed them if every one was; the glossary if nothing else."""
    written = [hit for hit in hits if hit.how != "glossary"]
    if not written:
        return Provenance("memory", engine="glossary")
    confirmers = {hit.confirmed_by for hit in written}
    return Provenance(
        "memory",
        desk="; ".join(sorted({hit.desk for hit in written})),
        officer=", ".join(sorted({hit.officer or "?" for hit in written})),
        confirmed_by=None if None in confirmers else ", ".join(sorted(str(c) for c in confirmers)),
    )


def _legacy_context(source: str, target: str, source_key: str) -> bytes:
    return f"translation-memory\x00{source}\x00{target}\x00{source_key}".encode()


_DERIVED: Final = "translation-memory/2"
"""Rows sealed under the key derived from the master key, before keys rotated."""
_KEYRING: Final = "translation-memory/3"
"""Rows sealed under the master key itself, re-wrapped when it rotates."""


def _context(scheme: str, *members: str | None) -> bytes:
    """Pair, row key, desk, author and confirming officer: what a sealed row is bound to."""
    return (scheme + "\x00" + "\x00".join(m or "" for m in members)).encode()
