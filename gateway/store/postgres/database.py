"""The plumbing of the PostgreSQL store: a bounded pool of connections, writes in transactions
that append to the audit chain, reads.

A write that appends nothing to the audit chain (``audited=False``) is one transaction of its
own on a pooled connection: PostgreSQL commits concurrent transactions itself, and a write that
fails leaves nothing behind (as a failing write's savepoint does in SQLite). Auditing writes
are committed in groups (:mod:`gateway.store.postgres.group_commit`). Reads
(:meth:`Database.read`) run in read-only transactions on the same pool.

Several gateway processes, on one machine or several, may share the database, and the audit
chain must stay one chain: each entry names its predecessor's hash and takes the next sequence
number. So a write that audits (``audited=True``, the default) runs its statements, and only
then its transaction takes ``pg_advisory_xact_lock(CHAIN_LOCK)``, reads the chain's tail and
appends the entries its writes asked for (:meth:`Transaction.chain`): whoever holds the lock is
the only transaction anywhere that can append, until it commits or rolls back (the lock is
released with the transaction, and with the session of a process that died), so entries become
visible in the order of their numbers. An advisory lock rather than ``SELECT ... FOR UPDATE``
on the tail row, because an empty chain has no row to lock. Under the lock a transaction
touches only the audit table and rows that only the lock's holder touches
(:meth:`Transaction.after_chaining`), so it never waits there for a lock another appending
transaction holds, and the chain's lock is in no deadlock. A write that appends nothing may
say ``audited=False``; it cannot append. Each process runs its auditing writes in batches, one
transaction and one taking of the lock per batch (:mod:`~gateway.store.postgres.group_commit`),
so that the lock is held for the chaining and one flush of the log however many writes the
batch holds, and the batches of several processes run their writes at the same time.

Every connection runs in UTC (a ``timestamptz`` reads back as an aware datetime in
:data:`datetime.UTC`) with a statement timeout, and the pool holds at most ``pool_size``
connections: a burst waits for a free one (at most ``pool_timeout``), it does not open more.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any, Final, Self, TypeVar

from psycopg.errors import LockNotAvailable
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from gateway.infra.audit import AuditEntry, AuditEvent
from gateway.infra.clock import Clock
from gateway.infra.errors import StoreUnreachable
from gateway.infra.logs import get_logger
from gateway.store.health import StoreHealth
from gateway.store.interface.audit_log import AuditLog, Purged
from gateway.store.postgres.faults import refusal
from gateway.store.postgres.group_commit import Bounds, CommitObserver, GroupCommit
from gateway.store.postgres.schema import create_schema
from gateway.store.postgres.transaction import (
    CHAIN_LOCK,
    Appended,
    ChainNotLocked,
    Connection,
    Read,
    Transaction,
    Write,
)

__all__ = [
    "AUDIT_COLUMNS",
    "CHAIN_LOCK",
    "Appended",
    "ChainNotLocked",
    "Connection",
    "Database",
    "Read",
    "StoreClosed",
    "Transaction",
    "Write",
    "audit_entry",
]

T = TypeVar("T")

log = get_logger("euregate.store")


class StoreClosed(RuntimeError):
    """The store was closed; nothing more can be read from it or written to it."""

    def __init__(self) -> None:
        super().__init__("the store is closed")


OVERWRITTEN_IN_THE_CLEAR: Final = ("review_items", "translation_memory")
"""Tables whose rows were once kept in the clear and are sealed in place on start-up
(:mod:`gateway.flow.at_rest`): :meth:`Database.purge_old_versions` rewrites them."""

REWRITTEN: Final = (*OVERWRITTEN_IN_THE_CLEAR, "translation_jobs")
"""What :meth:`Database.purge_old_versions` rewrites: those, and the eTranslation jobs, whose
translations are sealed under the master key rather than a data key of their signal's, so
that a dead row version of one erased would open."""

ERASED_KEYS: Final = "signal_keys"
"""The table whose rows erasure deletes, each the only wrapped copy of a signal's data key
(:mod:`gateway.store.signal_keys`): :meth:`Database.purge_old_versions` rewrites it too."""

PURGE_LOCK_WAIT: Final = timedelta(seconds=1)
"""How long a purge waits for a table's exclusive lock before it leaves the table for the next
purge: while it waits, every other statement on the table waits behind it, intake's too."""

PURGE_OWED: Final = "purge_owed"
"""The ``meta`` key that says a purge is owed, since an erasure or a purge that was postponed;
its value changes with each erasure."""

OWE_PURGE: Final = (
    "INSERT INTO meta (key, value) VALUES (%s, %s) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


async def owe_purge(conn: Connection) -> None:
    """Mark a purge as owed, in an erasure's transaction or after a purge postponed (a fresh
    value each time, so that a purge clears only the mark it found before it began)."""
    await conn.execute(OWE_PURGE, (PURGE_OWED, secrets.token_hex(8)))


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
        group_commit: Bounds | None = None,
        on_commit: CommitObserver | None = None,
    ) -> None:
        """``group_commit`` bounds each batch of auditing writes and their queue;
        ``on_commit`` hears of each committed batch (how many writes, the seconds of its
        ``COMMIT``)."""
        self.url = url
        self._clock = clock
        milliseconds = _milliseconds(statement_timeout)
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
        self._group_commit = GroupCommit(
            self._pool,
            clock,
            self._health,
            run_alone=self._write_alone,
            wait=self._wait,
            bounds=group_commit or Bounds(),
        )
        if on_commit is not None:
            self._group_commit.observer = on_commit

    @property
    def batches_committed(self) -> int:
        """How many batches of auditing writes this process committed."""
        return self._group_commit.batches

    @property
    def health(self) -> StoreHealth:
        """Whether the database keeps what it is given; if not, since when and why."""
        return self._health

    @contextlib.asynccontextmanager
    async def _watched(self, *, writing: bool) -> AsyncIterator[None]:
        """A fault of the database (unreachable, out of space, a read-only standby for a write)
        as the operator's :class:`~gateway.infra.errors.StorageUnavailable`, said once in the
        log; the first transaction that goes through again ends it."""
        try:
            yield
        except Exception as exc:
            if (found := refusal(exc, writing=writing)) is None:
                raise
            if found.degrades:
                self._health.faulted(found.fault)
            raise found.fault from exc
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
        operator's, ``euregate migrate``). A database not reached within the pool's timeout is
        :class:`~gateway.infra.errors.StoreUnreachable`, said in the reader's language like
        any refusal, not the driver's error."""
        try:
            await self._pool.open(wait=True, timeout=self._pool.timeout)
            async with self._pool.connection() as conn:
                await create_schema(conn)
        except PoolTimeout as exc:
            await self._pool.close()
            raise StoreUnreachable() from exc
        except BaseException:
            await self._pool.close()
            raise
        self._group_commit.start()
        return self

    async def close(self) -> None:
        """Refuse what comes next; close every connection once the work in flight is done."""
        self._closed = True
        await self._group_commit.stop()
        await self._pool.close()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def write(self, write: Write[T], *, audited: bool = True) -> T:
        """Run ``write``; its result once committed. With ``audited`` it runs in the next
        batch of this process's group commit, in a savepoint of its own, and what it appended
        is chained at the batch's end (see the module's docstring); without, in a transaction
        of its own. A write that raises is rolled back whole."""
        if self._closed:
            raise StoreClosed()
        if not audited:
            return await self._write_alone(write, audited=False)
        # A caller that gives up (a client that hangs up) does not undo the write.
        return await asyncio.shield(self._group_commit.submit(write))

    async def _write_alone(self, write: Write[T], *, audited: bool = True) -> T:
        """Run ``write`` in a transaction of its own."""
        async with (
            self._watched(writing=True),
            self._pool.connection(timeout=self._wait()) as conn,
            conn.transaction(),
        ):
            tx = Transaction(conn, self._clock, audited=audited)
            result = await write(tx)
            await tx.chain()
            return result

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

    async def purge_old_versions(self) -> Purged:
        """Rewrite the tables sealed in place, the eTranslation jobs (sealed under the master
        key) and the erased signals' keys (``VACUUM FULL``, :data:`REWRITTEN` and
        :data:`ERASED_KEYS`), so that no dead row version keeps what was there in the clear, a
        translation or a key that was erased; then clear the mark of a purge owed
        (:data:`PURGE_OWED`) if each table was rewritten, or set it if one was not.

        A table is rewritten under an exclusive lock, which waits for the transactions using
        the table and makes every later one wait: a table not locked within
        :data:`PURGE_LOCK_WAIT` (a busy moment) is left for the next purge rather than holding
        up intake, and named in the answer. What PostgreSQL wrote before into its write-ahead
        log, its archive and its replicas stays there until they are recycled."""
        if self._closed:
            raise StoreClosed()
        async with self._pool.connection() as conn:
            await conn.set_autocommit(True)
            try:
                owed = await _owed(conn)
                await conn.execute(f"SET lock_timeout = {_milliseconds(PURGE_LOCK_WAIT)}")
                postponed = [
                    table
                    for table in (*REWRITTEN, ERASED_KEYS)
                    if not await _rewritten(conn, table)
                ]
                if postponed and owed is None:
                    await owe_purge(conn)
                elif owed is not None and not postponed:
                    await conn.execute(
                        "DELETE FROM meta WHERE key = %s AND value = %s", (PURGE_OWED, owed)
                    )
            finally:
                await conn.execute("RESET lock_timeout")
                await conn.set_autocommit(False)
        if postponed:
            log.warning("purge_postponed", tables=postponed)
        return Purged(tuple(postponed))

    # --- audit -------------------------------------------------------------------------------

    async def record(self, event: AuditEvent) -> AuditEntry:
        return (await self.write(lambda tx: tx.append(event))).entry

    async def record_all(self, events: Sequence[AuditEvent]) -> list[AuditEntry]:
        async def write(tx: Transaction) -> list[Appended]:
            return [await tx.append(event) for event in events]

        return [appended.entry for appended in await self.write(write, audited=bool(events))]

    async def audit_entries(self, *, after: int = 0, limit: int | None = None) -> list[AuditEntry]:
        async def read(conn: Connection) -> list[AuditEntry]:
            cursor = await conn.execute(
                f"SELECT {AUDIT_COLUMNS} FROM audit a WHERE a.seq > %s ORDER BY a.seq LIMIT %s",
                (after, limit),
            )
            return [audit_entry(row) for row in await cursor.fetchall()]

        return await self.read(read)


async def _owed(conn: Connection) -> str | None:
    cursor = await conn.execute("SELECT value FROM meta WHERE key = %s", (PURGE_OWED,))
    row = await cursor.fetchone()
    return None if row is None else str(row[0])


async def _rewritten(conn: Connection, table: str) -> bool:
    """Whether ``table`` was rewritten; false if its lock was not had in time."""
    try:
        await conn.execute(f"VACUUM FULL {table}")
    except LockNotAvailable:
        return False
    return True


def _milliseconds(span: timedelta) -> int:
    return int(span.total_seconds() * 1000)


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
