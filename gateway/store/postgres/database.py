"""The plumbing of the PostgreSQL store: a bounded pool of connections, writes in transactions
that append to the audit chain, reads.

Every write is one transaction of its own on a pooled connection (:meth:`Database.write`):
PostgreSQL commits concurrent transactions itself, so there is no writer thread and no group
commit here, and a write that fails leaves nothing behind (as a failing write's savepoint does
in SQLite). Reads (:meth:`Database.read`) run in read-only transactions on the same pool.

Several gateway processes, on one machine or several, may share the database, and the audit
chain must stay one chain: each entry names its predecessor's hash and takes the next sequence
number. So a write that audits (``audited=True``, the default) first takes
``pg_advisory_xact_lock(CHAIN_LOCK)`` and only then reads the chain's tail: whoever holds the
lock is the only transaction anywhere that can append, until it commits or rolls back (the
lock is released with the transaction, and with the session of a process that died). An
advisory lock rather than ``SELECT ... FOR UPDATE`` on the tail row, because an empty chain has
no row to lock, and the lock is taken before anything else in the transaction, so auditing
writes queue on it in one order and cannot deadlock against each other over it. A write that
appends nothing may say ``audited=False`` and run alongside the others; it cannot append.

Every connection runs in UTC (a ``timestamptz`` reads back as an aware datetime in
:data:`datetime.UTC`) with a statement timeout, and the pool holds at most ``pool_size``
connections: a burst waits for a free one (at most ``pool_timeout``), it does not open more.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Final, Self, TypeVar

import psycopg
from psycopg import AsyncConnection, errors
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from gateway.infra import audit
from gateway.infra.audit import AuditEntry, AuditEvent
from gateway.infra.clock import Clock
from gateway.infra.errors import (
    StorageFull,
    StorageReadOnly,
    StorageUnavailable,
    StoreUnreachable,
)
from gateway.store.health import StoreHealth
from gateway.store.interface.audit_log import AuditLog
from gateway.store.postgres.locks import advisory_key, lock_for_transaction
from gateway.store.postgres.schema import create_schema

T = TypeVar("T")

Connection = AsyncConnection[tuple[Any, ...]]
"""A pooled connection, as a read sees it; rows are tuples."""

CHAIN_LOCK: Final = advisory_key("euregate audit chain")
"""The advisory lock a transaction holds while it appends to the audit chain."""


class StoreClosed(RuntimeError):
    """The store was closed; nothing more can be read from it or written to it."""

    def __init__(self) -> None:
        super().__init__("the store is closed")


class ChainNotLocked(RuntimeError):
    """A write that said it appends nothing (``audited=False``) tried to append."""

    def __init__(self) -> None:
        super().__init__("this write did not lock the audit chain; write it with audited=True")


class Transaction:
    """What a write sees: its connection, in a transaction, and the tail of the audit chain
    (for an auditing write, locked by it until it ends)."""

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

OVERWRITTEN_IN_THE_CLEAR: Final = ("review_items", "translation_memory")
"""Tables whose rows were once kept in the clear and are sealed in place on start-up
(:mod:`gateway.flow.at_rest`): :meth:`Database.purge_old_versions` rewrites them."""


DEGRADED_WAIT: Final = 1.0
"""Seconds a caller waits for a connection while the database is unreachable."""


class Database(AuditLog):
    """Run writes and reads on a pool of connections to ``url``, walk the audit chain. Start it
    before use (``async with``, or :meth:`start`), close it after."""

    def __init__(
        self,
        url: str,
        *,
        clock: Clock,
        pool_size: int = 8,
        pool_timeout: timedelta = timedelta(seconds=30),
        statement_timeout: timedelta = timedelta(seconds=30),
    ) -> None:
        self.url = url
        self._clock = clock
        milliseconds = int(statement_timeout.total_seconds() * 1000)
        self._pool = AsyncConnectionPool(
            url,
            kwargs={"options": f"-c timezone=UTC -c statement_timeout={milliseconds}"},
            min_size=1,
            max_size=pool_size,
            timeout=pool_timeout.total_seconds(),
            open=False,
            name="euregate-store",
        )
        self._closed = False
        self._health = StoreHealth(clock)

    @property
    def health(self) -> StoreHealth:
        """Whether the database keeps what it is given; if not, since when and why."""
        return self._health

    @contextlib.asynccontextmanager
    async def _watched(self, *, writing: bool) -> AsyncIterator[None]:
        """A fault of the database (unreachable, out of space, a read-only standby for a write)
        as the operator's :class:`~gateway.infra.errors.StorageUnavailable`, said once in the
        log; the first transaction that goes through again ends it."""
        faults: tuple[type[Exception], ...] = (psycopg.OperationalError, PoolTimeout)
        if writing:
            faults += (errors.ReadOnlySqlTransaction,)
        try:
            yield
        except errors.QueryCanceled as exc:
            # One statement ran out of its time: the request is refused, the database is
            # not taken for gone (it answered, and every other caller may go on).
            raise StoreUnreachable() from exc
        except faults as exc:
            fault = _fault(exc)
            self._health.faulted(fault)
            raise fault from exc
        if self._health.degraded is not None:
            self._health.cleared()

    def _wait(self) -> float:
        """How long a caller waits for a connection: the pool's timeout, but only
        :data:`DEGRADED_WAIT` while the database is known to be unreachable, so that a refusal
        comes at once rather than after the whole timeout, request after request."""
        return DEGRADED_WAIT if self._health.degraded is not None else self._pool.timeout

    async def start(self) -> Self:
        """Open the pool and create the schema in a database without one; a schema of another
        version is refused (:class:`~gateway.infra.errors.SchemaOutdated`: migrating is the
        operator's, ``euregate migrate``)."""
        await self._pool.open(wait=True)
        try:
            async with self._pool.connection() as conn:
                await create_schema(conn)
        except BaseException:
            await self._pool.close()
            raise
        return self

    async def close(self) -> None:
        """Refuse what comes next; close every connection once the work in flight is done."""
        self._closed = True
        await self._pool.close()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def write(self, write: Write[T], *, audited: bool = True) -> T:
        """Run ``write`` in a transaction of its own; its result once committed. With
        ``audited`` the transaction holds the audit chain's lock from its start (see the
        module's docstring); a write that raises is rolled back whole."""
        if self._closed:
            raise StoreClosed()
        async with (
            self._watched(writing=True),
            self._pool.connection(timeout=self._wait()) as conn,
            conn.transaction(),
        ):
            tx = Transaction(conn, self._clock)
            if audited:
                await tx.lock_chain()
            return await write(tx)

    async def read(self, read: Read[T]) -> T:
        """Run ``read`` in a read-only transaction on a pooled connection."""
        if self._closed:
            raise StoreClosed()
        async with (
            self._watched(writing=False),
            self._pool.connection(timeout=self._wait()) as conn,
            conn.transaction(),
        ):
            await conn.execute("SET TRANSACTION READ ONLY")
            return await read(conn)

    async def purge_old_versions(self) -> None:
        """Rewrite the tables sealed in place (``VACUUM FULL``), so that no dead row version
        keeps what was there in the clear. What PostgreSQL wrote before into its write-ahead
        log, its archive and its replicas stays there until they are recycled."""
        if self._closed:
            raise StoreClosed()
        async with self._pool.connection() as conn:
            await conn.set_autocommit(True)
            try:
                await conn.execute(f"VACUUM FULL {', '.join(OVERWRITTEN_IN_THE_CLEAR)}")
            finally:
                await conn.set_autocommit(False)

    # --- audit -------------------------------------------------------------------------------

    async def record(self, event: AuditEvent) -> AuditEntry:
        return await self.write(lambda tx: tx.append(event))

    async def record_all(self, events: Sequence[AuditEvent]) -> list[AuditEntry]:
        async def write(tx: Transaction) -> list[AuditEntry]:
            return [await tx.append(event) for event in events]

        return await self.write(write, audited=bool(events))

    async def audit_entries(self, *, after: int = 0, limit: int | None = None) -> list[AuditEntry]:
        async def read(conn: Connection) -> list[AuditEntry]:
            cursor = await conn.execute(
                f"SELECT {AUDIT_COLUMNS} FROM audit a WHERE a.seq > %s ORDER BY a.seq LIMIT %s",
                (after, limit),
            )
            return [audit_entry(row) for row in await cursor.fetchall()]

        return await self.read(read)


def _fault(exc: Exception) -> StorageUnavailable:
    if isinstance(exc, errors.DiskFull):
        return StorageFull()
    if isinstance(exc, errors.ReadOnlySqlTransaction):
        return StorageReadOnly()
    return StoreUnreachable()


AUDIT_COLUMNS: Final = "a.seq, a.at, a.kind, a.actor, a.subject, a.entry, a.hash"
"""An audit entry's columns, in the order :func:`audit_entry` reads them (table alias ``a``)."""


def audit_entry(row: Sequence[Any]) -> AuditEntry:
    """An entry exactly as kept, from a row of :data:`AUDIT_COLUMNS`."""
    return AuditEntry(
        seq=row[0],
        at=row[1],
        kind=row[2],
        actor=row[3],
        subject=row[4],
        canonical=bytes(row[5]),
        hash=row[6],
    )
