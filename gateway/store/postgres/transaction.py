"""What a write sees of the PostgreSQL store: its connection, in a transaction, and the tail of
the audit chain it appends to (see :mod:`gateway.store.postgres.database` for the chain's lock).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Final, TypeVar

from psycopg import AsyncConnection

from gateway.infra import audit
from gateway.infra.audit import AuditEntry, AuditEvent
from gateway.infra.clock import Clock
from gateway.store.postgres.locks import advisory_key, lock_for_transaction

T = TypeVar("T")

Connection = AsyncConnection[tuple[Any, ...]]
"""A pooled connection, as a read sees it; rows are tuples."""

CHAIN_LOCK: Final = advisory_key("euregate audit chain")
"""The advisory lock a transaction holds while it appends to the audit chain."""


class ChainNotLocked(RuntimeError):
    """A write that said it appends nothing (``audited=False``) tried to append."""

    def __init__(self) -> None:
        super().__init__("this write did not lock the audit chain; write it with audited=True")


class Transaction:
    """What a write sees: its connection, in a transaction, and the tail of the audit chain
    (for an auditing write, locked by its transaction until that ends)."""

    def __init__(self, conn: Connection, clock: Clock) -> None:
        self.conn = conn
        self._clock = clock
        self._locked = False
        self.last_seq = 0
        self.last_hash = audit.GENESIS

    def now(self) -> datetime:
        """The clock's time, for a ``timestamptz`` column."""
        return self._clock.now()

    async def lock_chain(self) -> None:
        """Take the chain's lock and read its tail (done by :meth:`Database.write`)."""
        await lock_for_transaction(self.conn, CHAIN_LOCK)
        cursor = await self.conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        row = await cursor.fetchone()
        self.last_seq, self.last_hash = (row[0], row[1]) if row else (0, audit.GENESIS)
        self._locked = True

    async def append(self, event: AuditEvent) -> AuditEntry:
        """Chain ``event`` after the tail, in this transaction; its entry."""
        if not self._locked:
            raise ChainNotLocked()
        entry = audit.chain(
            event, seq=self.last_seq + 1, prev_hash=self.last_hash, at=self._clock.now()
        )
        await self.conn.execute(
            "INSERT INTO audit (seq, at, kind, actor, subject, entry, hash) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                entry.seq,
                entry.at,
                entry.kind,
                entry.actor,
                entry.subject,
                entry.canonical,
                entry.hash,
            ),
        )
        self.last_seq, self.last_hash = entry.seq, entry.hash
        return entry


Write = Callable[[Transaction], Awaitable[T]]
Read = Callable[[Connection], Awaitable[T]]
