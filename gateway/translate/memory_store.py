"""The translation memory as kept: sealed segments, found by a keyed hash, never by their text.

This is what translating needs of a store, and the only way it reaches one: the store
implements it (:class:`~gateway.store.Store` includes :class:`TranslationMemoryStore`), and
nothing in :mod:`gateway.translate` imports the store.

The store only moves bytes: :mod:`gateway.translate.memory` computes the keys and seals and
opens the segments; the store sees nothing but the language pair, the key, the desk, the sealed
bytes, the officers and the times. Each desk keeps its own entry for a sentence: a desk
writing it again replaces its own entry (which then needs confirming again), never another
desk's. Every change moves the pair's :class:`MemoryStamp` on, so that a process can tell
whether another one (the command line, another instance) changed the memory since it last
read it.

The store also keeps the signals each entry was learnt from (the signal whose copy the officer
corrected; a desk writing the entry again from another signal adds that one), apart from the
sealed pair: erasing a signal's content (:mod:`gateway.store.interface.retention`) deletes
every entry learnt from that signal alone, and takes the signal off the others, which keep
serving for the signals they were also learnt from. Entries kept before the store recorded
this (schema version 22) have no known signal, since nothing tied a sentence to its signal
then: erasure cannot reach them, and they stay until forgotten
(:meth:`TranslationMemoryStore.forget_translations`) or written again by their desk (then
they are learnt from the signal that taught them again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol

from gateway.infra.audit import AuditEvent

LEGACY_SEAL: Final = 1
DESK_SEAL: Final = 2
"""How an entry is sealed: ``1`` before entries belonged to a desk, ``2`` bound to desk and
officers."""


@dataclass(frozen=True)
class MemoryRecord:
    """One entry of the memory as kept, still sealed."""

    id: str
    source_language: str
    target_language: str
    source_key: str
    desk: str
    sealed: bytes
    seal_version: int
    officer_id: str | None
    created_at: datetime
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None


@dataclass(frozen=True)
class SealedSegment:
    """A segment to remember: the keyed hash it is found by, and its sealed pair of texts."""

    source_key: str
    sealed: bytes


@dataclass(frozen=True)
class Resealed:
    """An entry sealed anew, to be put in place only if it is still as it was read."""

    entry_id: str
    expected: bytes
    sealed: bytes


@dataclass(frozen=True)
class MemoryStamp:
    """How many entries a language pair holds and its latest change: a cheap test for news."""

    entries: int
    revision: int


class TranslationMemoryStore(Protocol):
    async def memory_records(
        self, source_language: str, target_language: str
    ) -> list[MemoryRecord]:
        """Every entry from ``source_language`` into ``target_language``, oldest change first."""
        ...

    async def memory_records_of_desk(self, desk: str) -> list[MemoryRecord]:
        """Every entry the officers of ``desk`` wrote, newest change first."""
        ...

    async def memory_record(self, entry_id: str) -> MemoryRecord | None:
        """One entry."""
        ...

    async def memory_stamp(self, source_language: str, target_language: str) -> MemoryStamp:
        """The pair's stamp, which every change to its entries moves on."""
        ...

    async def remember_translations(
        self,
        source_language: str,
        target_language: str,
        segments: Sequence[SealedSegment],
        *,
        desk: str,
        officer_id: str,
        signal_id: str,
    ) -> datetime:
        """Keep ``segments`` for ``desk``, learnt from ``signal_id``, replacing the desk's own
        entry under the same key (which then needs confirming again, and is learnt from
        ``signal_id`` as well as the signals it was learnt from before); when."""
        ...

    async def confirm_translation(
        self,
        entry_id: str,
        *,
        expected: bytes,
        sealed: bytes,
        officer_id: str,
        event: AuditEvent,
    ) -> MemoryRecord | None:
        """Mark an entry confirmed by ``officer_id``, sealed anew as ``sealed``, with its audit
        entry; ``None`` (and nothing written) if the entry is gone, confirmed already, or
        changed since it was read as ``expected``."""
        ...

    async def forget_translations(
        self, source_language: str, target_language: str, source_keys: Sequence[str]
    ) -> int:
        """Remove every desk's entries under ``source_keys``; how many there were."""
        ...

    async def unsourced_memory_entries(self) -> int:
        """How many entries were kept before the store recorded the signals they were learnt
        from: erasing a signal cannot reach them."""
        ...

    async def legacy_memory_records(self) -> list[MemoryRecord]:
        """Entries sealed before they belonged to a desk, whose author's desk is known."""
        ...

    async def reseal_memory(self, resealed: Sequence[Resealed]) -> int:
        """Put each entry sealed anew in place, only if still as it was read; how many."""
        ...
