"""A liaison desk's translation memory: what its officers taught it, and confirming an entry.

An officer sees the entries written by officers of the same desk (the sentences are signal
content that the desk's own copies held) and no other desk's. An entry serves only copies for
the desk's own recipients (:mod:`gateway.translate.scope`) until a second officer of the desk,
not its author, confirms it; then it may also serve other desks' copies that their own
officers review before release. Listing and confirming are audit events with the officer's id,
the desk and the entry, never the text.
"""

from __future__ import annotations

from gateway.infra.audit import events, refs
from gateway.infra.errors import (
    Forbidden,
    MemoryConfirmationRefused,
    MemoryEntryConfirmed,
    NotFound,
)
from gateway.staff import Permission, StaffAccount, allowed_to, require
from gateway.store import Store
from gateway.translate.memory import MemoryBackend, MemoryEntry


class MemoryDesk:
    def __init__(self, *, store: Store, memory: MemoryBackend | None) -> None:
        """``memory`` is None when the gateway translates without one (``none``,
        ``libretranslate``): then there is nothing to list or confirm."""
        self._store = store
        self._memory = memory

    async def entries(self, account: StaffAccount) -> list[MemoryEntry]:
        """What the officers of ``account``'s desk taught the memory, newest first."""
        require(account, Permission.REVIEW_READ)
        desk = str(account.desk)
        entries = [] if self._memory is None else await self._memory.entries_of(desk)
        await self._store.record(
            events.MemoryListed(by=refs.staff(account.id), desk=desk, entries=len(entries))
        )
        return entries

    async def confirm(self, account: StaffAccount, entry_id: str) -> MemoryEntry:
        """Confirm another officer's entry of ``account``'s desk for wider use: as much a
        release as releasing a copy, so it takes the same permission."""
        require(account, Permission.REVIEW_READ)
        if not allowed_to(account, Permission.REVIEW_RELEASE):
            raise Forbidden(permission=str(Permission.REVIEW_RELEASE))
        desk = str(account.desk)
        found = None if self._memory is None else await self._memory.entry(entry_id)
        if found is None or found[0].desk != desk or self._memory is None:
            raise NotFound()
        record, entry = found
        if entry.officer == account.id:
            raise MemoryConfirmationRefused(entry_id=entry_id)
        if entry.confirmed_by is not None:
            raise MemoryEntryConfirmed(entry_id=entry_id)
        event = events.MemoryConfirmed(
            by=refs.staff(account.id),
            entry=entry_id,
            desk=desk,
            author=entry.officer,
            source_language=entry.source_language,
            target_language=entry.target_language,
        )
        confirmed = await self._memory.confirm(record, entry, officer_id=account.id, event=event)
        if confirmed is None:
            raise MemoryEntryConfirmed(entry_id=entry_id)
        return confirmed


__all__ = ["MemoryDesk"]
