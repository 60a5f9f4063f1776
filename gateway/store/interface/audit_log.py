"""The audit chain as the store keeps it: appended in the writes it belongs to, read in order.

Every write of the store that changes something appends its audit events in the same
transaction (each concern's methods take them); :meth:`AuditLog.record` is for events that
belong to no other write. :func:`verify_chain` walks what is kept, a page at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from gateway.infra import audit
from gateway.infra.audit import AuditEntry, AuditEvent, Verification

CHAIN_PAGE: Final = 1000
"""Entries read at once when the whole chain is walked."""


@dataclass(frozen=True)
class Purged:
    """What :meth:`AuditLog.purge_old_versions` left for its next turn: the tables it could
    not rewrite because the gateway was writing to them (none: everything was purged)."""

    postponed: tuple[str, ...] = ()


class AuditReader(Protocol):
    async def audit_entries(self, *, after: int = 0, limit: int | None = None) -> list[AuditEntry]:
        """The entries after sequence number ``after``, in chain order, exactly as kept; at most
        ``limit`` (all of them for ``None``: walk a long chain with :func:`verify_chain`)."""
        ...


class AuditLog(AuditReader, Protocol):
    async def record(self, event: AuditEvent) -> AuditEntry:
        """Append ``event`` to the chain in a transaction of its own; its entry."""
        ...

    async def record_all(self, events: Sequence[AuditEvent]) -> list[AuditEntry]:
        """Append several events in one transaction, in order; their entries."""
        ...

    async def purge_old_versions(self) -> Purged:
        """Leave nothing of what was overwritten or deleted where the backend may still keep
        earlier versions of rows (SQLite: the write-ahead log is copied in and cut to nothing;
        PostgreSQL: the tables concerned are rewritten, each only if it can be locked at
        once, else it is left for the next purge and named in the answer)."""
        ...


async def verify_chain(
    log: AuditReader, *, checked: Callable[[int], None] | None = None, page: int = CHAIN_PAGE
) -> Verification:
    """Walk the whole chain a page at a time (:func:`gateway.infra.audit.verify` in a worker thread,
    never on the event loop); ``checked`` hears how many entries were walked after each page."""
    result = Verification(checked=0, last_seq=0, last_hash=audit.GENESIS)
    while result.ok:
        entries = await log.audit_entries(after=result.last_seq, limit=page)
        if not entries:
            break
        result = await asyncio.to_thread(audit.verify, entries, since=result)
        if checked is not None:
            checked(result.checked)
    return result
