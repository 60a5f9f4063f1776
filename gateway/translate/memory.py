"""The ``memory`` backend: liaison officers' corrections and the glossary, sentence by sentence.

A text is translated segment by segment (:mod:`gateway.translate.segments`): first the whole
text as an officer once corrected it, else each segment from memory (exact, then near-exact,
:mod:`gateway.translate.matching`) or the glossary. When every segment is found the result is
``memory``. Segments memory lacks go to the chained machine backend, if there is one, and the
result is ``machine`` with engine ``memory+<engine>`` (a text memory knows nothing of goes to
the machine whole, and is the machine's alone); without one, the text stays as written.

At rest every remembered pair is sealed (AES-256-GCM under a key derived from the master key,
bound to its language pair and row) and its row is keyed by an HMAC of the source's normal
form, so the database never holds a sentence in the clear and is never searched by one. The
opened memory of a language pair lives in this process and is read again after it learns, and
when the store's stamp of the pair (how many rows, the latest time) says that another process,
the CLI releasing a review say, changed it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Final

from gateway.store.memory import MemoryRecord, TranslationMemoryStore
from gateway.translate.base import (
    BatchTranslator,
    TranslationBackend,
    close_backend,
    nothing_to_translate,
    untranslated,
)
from gateway.translate.glossary import glossary_translation
from gateway.translate.matching import DEFAULT_THRESHOLD, Hit, PairMemory, Remembered
from gateway.translate.segments import normalise, split
from gateway.translate.types import Provenance, TranslatedText
from gateway.vault import MasterKey, SealedBlob, VaultError

_LOOKUP_PURPOSE: Final = b"euregate/translation-memory/v1/lookup"
_SEAL_PURPOSE: Final = b"euregate/translation-memory/v1/seal"

Pair = tuple[str, str]


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
        self._lookup_key = master_key.derive(_LOOKUP_PURPOSE)
        self._sealer = MasterKey(master_key.derive(_SEAL_PURPOSE))
        self._machine = machine
        self._threshold = threshold
        self._memories: dict[Pair, tuple[tuple[int, str], PairMemory]] = {}
        self._locks: dict[Pair, asyncio.Lock] = {}
        self.name = f"memory+{machine.name}" if machine is not None else "memory"

    @property
    def machine(self) -> TranslationBackend | None:
        return self._machine

    async def close(self) -> None:
        if self._machine is not None:
            await close_backend(self._machine)

    # --- translating ---------------------------------------------------------------------

    async def translate(self, text: str, *, source: str, target: str) -> TranslatedText:
        if nothing_to_translate(text, source=source, target=target):
            return untranslated(text, source)
        memory = await self._memory(source, target)
        whole = memory.exact(text)
        if whole is not None:
            return TranslatedText(whole.target, target, Provenance("memory"))
        segmented = split(text)
        hits = await asyncio.to_thread(self._find_all, memory, segmented.segments, source, target)
        missing = [i for i, hit in enumerate(hits) if hit is None]
        if not missing:
            found = [hit.target for hit in hits if hit is not None]
            return TranslatedText(segmented.join(found), target, Provenance("memory"))
        if self._machine is None:
            return untranslated(text, source)
        if len(missing) == len(hits):
            return await self._machine.translate(text, source=source, target=target)
        wanted = [segmented.segments[i] for i in missing]
        if isinstance(self._machine, BatchTranslator):
            machine = await self._machine.translate_many(wanted, source=source, target=target)
        else:
            machine = [
                await self._machine.translate(segment, source=source, target=target)
                for segment in wanted
            ]
        if any(m.provenance.kind == "original" for m in machine):
            return untranslated(text, source)
        replacements = [hit.target if hit is not None else "" for hit in hits]
        for index, translation in zip(missing, machine, strict=True):
            replacements[index] = translation.text
        engine = machine[0].provenance
        name = f"memory+{engine.engine or self._machine.name}"
        provenance = Provenance("machine", engine=name, version=engine.version)
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
        self, source_text: str, target_text: str, *, source: str, target: str, officer_id: str
    ) -> int:
        """Remember an officer's translation: segment by segment when both texts have as many
        segments, else the two texts whole. The number of entries kept."""
        if nothing_to_translate(source_text, source=source, target=target):
            return 0
        if not target_text.strip():
            raise ValueError("a correction needs a translation")
        originals, corrections = split(source_text).segments, split(target_text).segments
        if len(originals) == len(corrections) > 1:
            pairs = list(zip(originals, corrections, strict=True))
        else:
            pairs = [(source_text.strip(), target_text.strip())]
        rows = await asyncio.to_thread(self._seal_all, pairs, source, target)
        await self._store.remember_translations(source, target, rows, officer_id=officer_id)
        self._memories.pop((source, target), None)
        return len(rows)

    async def forget(self, source_text: str, *, source: str, target: str) -> int:
        """Forget what was learnt for ``source_text`` (whole and per segment); how many entries."""
        texts = [source_text.strip(), *split(source_text).segments]
        keys = sorted({self.lookup_key(t, source=source, target=target) for t in texts})
        removed = await self._store.forget_translations(source, target, keys)
        self._memories.pop((source, target), None)
        return removed

    def lookup_key(self, text: str, *, source: str, target: str) -> str:
        """The keyed hash a segment is stored under: its normal form, never its text."""
        message = "\x00".join((source, target, normalise(text))).encode()
        return hmac.new(self._lookup_key, message, hashlib.sha256).hexdigest()

    # --- sealing ---------------------------------------------------------------------------

    def _seal_all(
        self, pairs: Sequence[tuple[str, str]], source: str, target: str
    ) -> list[tuple[str, bytes]]:
        rows: dict[str, bytes] = {}
        for original, translation in pairs:
            key = self.lookup_key(original, source=source, target=target)
            body = json.dumps({"source": original, "target": translation}, ensure_ascii=False)
            context = _context(source, target, key)
            rows[key] = self._sealer.seal(body.encode(), context=context).to_bytes()
        return list(rows.items())

    def _open_all(
        self, records: Sequence[MemoryRecord], source: str, target: str
    ) -> list[Remembered]:
        opened = []
        for record in records:
            context = _context(source, target, record.source_key)
            try:
                body = self._sealer.open(SealedBlob.from_bytes(record.sealed), context=context)
            except VaultError:
                continue  # sealed under another master key, or tampered: not ours to serve
            members = json.loads(body)
            opened.append(
                Remembered(
                    members["source"], members["target"], record.officer_id, record.created_at
                )
            )
        return opened

    async def _memory(self, source: str, target: str) -> PairMemory:
        key = (source, target)
        async with self._lock(key):
            stamp = await self._store.memory_stamp(source, target)
            cached = self._memories.get(key)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            records = await self._store.memory_records(source, target)
            memory = PairMemory(await asyncio.to_thread(self._open_all, records, source, target))
            self._memories[key] = (stamp, memory)
            return memory

    def _lock(self, key: Pair) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())


def _context(source: str, target: str, source_key: str) -> bytes:
    return f"translation-memory\x00{source}\x00{target}\x00{source_key}".encode()
