"""The plumbing of the SQLite store: connections, the one writer thread, group commit, reads.

Durability first. The database runs in WAL mode with ``synchronous=FULL``; one writer
thread takes every pending write from a queue, runs them in one transaction (each in
its own savepoint, so one failing write does not take the others with it), appends
their audit entries to the chain, commits once, and only then answers each caller.
That is group commit: many requests share one fsync, and none is answered before its
data is on disk. Reads run on per-thread read-only connections, in the store's own small
pool of reader threads: a burst of reads waits there, never in asyncio's default pool, which
the rest of the gateway shares.

Only here is the database used synchronously: each concern's module hands :meth:`Database.write`
and :meth:`Database.read` a function that speaks SQL, run in the writer's transaction or in a
reader thread, and every caller of the store awaits.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final, Self, TypeVar

from gateway.infra import audit
from gateway.infra.audit import AuditEntry, AuditEvent
from gateway.infra.clock import Clock
from gateway.infra.errors import StorageFailing
from gateway.store.health import StoreHealth, probe_writable
from gateway.store.interface.audit_log import AuditLog, Purged
from gateway.store.sqlite.faults import storage_fault
from gateway.store.sqlite.schema import BUSY_TIMEOUT_MS, connect, open_schema
from gateway.store.sqlite.writer_turn import WriterTurn

T = TypeVar("T")


class StoreClosed(RuntimeError):
    """The store was closed; nothing more can be read from it or written to it."""

    def __init__(self) -> None:
        super().__init__("the store is closed")


class Transaction:
    """What a write sees: the connection and the tail of the audit chain."""

    def __init__(self, conn: sqlite3.Connection, clock: Clock) -> None:
        self.conn = conn
        self._clock = clock
        row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        self.last_seq: int = row[0] if row else 0
        self.last_hash: str = row[1] if row else audit.GENESIS

    def now(self) -> str:
        return audit.timestamp(self._clock.now())

    def append(self, event: AuditEvent) -> AuditEntry:
        entry = audit.chain(
            event, seq=self.last_seq + 1, prev_hash=self.last_hash, at=self._clock.now()
        )
        self.conn.execute(
            "INSERT INTO audit (seq, at, kind, actor, subject, entry, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
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


Write = Callable[[Transaction], T]

CommitObserver = Callable[[int, float], None]
"""Hears of each committed batch: how many writes it held, and the seconds its ``COMMIT`` (the
fsync) took. Called on the writer thread; it must be quick and must not raise."""


def _unobserved(size: int, seconds: float) -> None:
    """No one listens."""


PROBE_INTERVAL: Final = 1.0
"""Seconds between the writer's probes of the storage while it is degraded."""


class _Writer(threading.Thread):
    """The one thread that writes. Batches whatever is queued into one transaction.

    It outlives every fault of the storage: a batch whose transaction fails is rolled back and
    each of its callers told why (nobody is told a write was kept that was not), the
    connection is opened anew, and while the store is degraded the writer probes the storage
    every :data:`PROBE_INTERVAL`, with writes queued or without."""

    def __init__(
        self,
        path: Path,
        clock: Clock,
        max_batch: int,
        health: StoreHealth,
        observer: CommitObserver = _unobserved,
    ) -> None:
        super().__init__(name="euregate-writer", daemon=True)
        self._path = path
        self._clock = clock
        self._max_batch = max_batch
        self._observer = observer
        self._health = health
        self._conn: sqlite3.Connection | None = None
        self._turn = WriterTurn(path, patience=BUSY_TIMEOUT_MS / 1000)
        self._probed = 0.0
        self.queue: queue.SimpleQueue[tuple[Write[Any], Future[Any]] | None] = queue.SimpleQueue()
        self.batches = 0

    def run(self) -> None:
        try:
            while (first := self._next()) is not None:
                self._commit(self._batch(first))
        finally:
            self._disconnect()
            self._turn.close()

    def _next(self) -> tuple[Write[Any], Future[Any]] | None:
        """The next queued write (None to stop); while the store is degraded, probing the
        storage now and then, waiting or not."""
        while True:
            if self._health.degraded is None:
                return self.queue.get()
            self._probe()
            if self._health.degraded is None:
                continue
            try:
                return self.queue.get(timeout=PROBE_INTERVAL)
            except queue.Empty:
                continue

    def _probe(self) -> None:
        """Whether the data's file system takes writes again, at most every
        :data:`PROBE_INTERVAL`: only that ends a degradation, not a write that happened to fit
        (SQLite reuses its log's space, so one may fit while the disk is still full)."""
        if time.monotonic() - self._probed < PROBE_INTERVAL:
            return
        self._probed = time.monotonic()
        if probe_writable(self._path.parent) is None:
            self._health.cleared()

    def _batch(self, first: tuple[Write[Any], Future[Any]]) -> list[tuple[Write[Any], Future[Any]]]:
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self.queue.put(None)
                break
            batch.append(item)
        return batch

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = connect(self._path)
        return self._conn

    def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def _commit(self, batch: list[tuple[Write[Any], Future[Any]]]) -> None:
        outcomes: list[tuple[Future[Any], Any, BaseException | None]] = []
        try:
            with self._turn.held():
                conn = self._connection()
                conn.execute("BEGIN IMMEDIATE")
                tx = Transaction(conn, self._clock)
                for write, future in batch:
                    outcomes.append((future, *_run_in_savepoint(tx, write)))
                started = time.perf_counter()
                conn.execute("COMMIT")
                committed = time.perf_counter() - started
        except Exception as exc:  # noqa: BLE001 - handed to every caller of the batch
            self._abandon(batch, exc)
            return
        self.batches += 1
        self._observer(len(batch), committed)
        for future, result, error in outcomes:
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

    def _abandon(self, batch: list[tuple[Write[Any], Future[Any]]], exc: Exception) -> None:
        """Roll the failed transaction back (SQLite may have done so itself, as after
        SQLITE_FULL) and tell every caller of the batch; after a fault of the storage, or when
        even the rollback fails, open the connection anew for the next batch."""
        fault = storage_fault(exc) if isinstance(exc, sqlite3.Error) else None
        try:
            if self._conn is not None and self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            fault = fault or StorageFailing()
        if fault is not None:
            self._disconnect()
            self._health.faulted(fault, refused=sum(write is not _nothing for write, _ in batch))
            fault.__cause__ = exc
        for _, future in batch:
            future.set_exception(fault or exc)


def _nothing(_: Transaction) -> None:
    return None


def _run_in_savepoint(tx: Transaction, write: Write[Any]) -> tuple[Any, BaseException | None]:
    """Run one write in a savepoint of its own: its result, or the error it raised with the
    savepoint rolled back. A fault of the storage fails the whole batch instead."""
    tx.conn.execute("SAVEPOINT one_write")
    tail = (tx.last_seq, tx.last_hash)
    try:
        result = write(tx)
    except sqlite3.Error as exc:
        if storage_fault(exc) is not None:
            raise
        return _rolled_back(tx, tail, exc)
    except Exception as exc:  # noqa: BLE001 - handed to the caller that queued the write
        return _rolled_back(tx, tail, exc)
    tx.conn.execute("RELEASE one_write")
    return result, None


def _rolled_back(
    tx: Transaction, tail: tuple[int, str], exc: Exception
) -> tuple[None, BaseException]:
    tx.conn.execute("ROLLBACK TO one_write")
    tx.conn.execute("RELEASE one_write")
    tx.last_seq, tx.last_hash = tail
    return None, exc


class Database(AuditLog):
    """Queue writes, run reads, walk the audit chain. Start it before use (``async with``, or
    :meth:`start`), close it after."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Clock,
        group_commit_max: int = 256,
        read_threads: int = 4,
        on_commit: CommitObserver | None = None,
    ) -> None:
        """``on_commit`` hears of each committed batch (metrics), on the writer thread."""
        self.path = path
        self._health = StoreHealth(clock)
        self._writer = _Writer(
            path, clock, group_commit_max, self._health, on_commit or _unobserved
        )
        self._read_pool = ThreadPoolExecutor(read_threads, thread_name_prefix="euregate-read")
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Condition()
        self._reads_in_flight = 0
        self._closed = False
        self._writes_closed = False

    async def start(self) -> Self:
        """Create the database if it is new, then start the writer. A database of an older
        schema is refused (:class:`~gateway.infra.errors.SchemaOutdated`: migrating is the
        operator's explicit step, :class:`~gateway.store.sqlite.SqliteMaintenance`), as is one
        of a newer schema."""
        try:
            await asyncio.get_running_loop().run_in_executor(
                self._read_pool, open_schema, self.path
            )
        except BaseException:
            self._read_pool.shutdown(wait=False)
            raise
        self._writer.start()
        return self

    async def close(self) -> None:
        """Let the writer finish what is queued, refuse what comes after, close every
        connection once the reads in flight are done."""
        await asyncio.get_running_loop().run_in_executor(None, self._close)

    def _close(self) -> None:
        self._writes_closed = True
        if self._writer.is_alive():
            self._writer.queue.put(None)
            self._writer.join()
        self._refuse_queued_writes()
        with self._readers_lock:
            self._closed = True
            # A read whose caller was cancelled still runs in its worker thread: closing its
            # connection under it would crash the process.
            self._readers_lock.wait_for(lambda: self._reads_in_flight == 0, timeout=60)
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        self._read_pool.shutdown(wait=True)

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def health(self) -> StoreHealth:
        """Whether the store can keep what it is given; if not, since when and why."""
        return self._health

    @property
    def batches_committed(self) -> int:
        return self._writer.batches

    # --- the plumbing: queue a write, run a read -------------------------------------------

    def _submit(self, write: Write[T]) -> Future[T]:
        """Queue ``write``. Its future is running from the start and cannot be cancelled: a
        caller that gives up (a client that hangs up) does not undo the write, and the
        writer thread can always hand over the outcome."""
        future: Future[T] = Future()
        future.set_running_or_notify_cancel()
        if self._writes_closed:
            future.set_exception(StoreClosed())
            return future
        self._writer.queue.put((write, future))
        return future

    def _refuse_queued_writes(self) -> None:
        """Writes queued after the writer stopped would wait for ever: refuse them."""
        while True:
            try:
                item = self._writer.queue.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                item[1].set_exception(StoreClosed())

    async def write(self, write: Write[T]) -> T:
        """Run ``write`` in the writer's next transaction (its own savepoint); its result once
        that transaction is on disk."""
        return await asyncio.wrap_future(self._submit(write))

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, read_only=True)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _read_now(self, read: Callable[[sqlite3.Connection], T]) -> T:
        with self._readers_lock:
            if self._closed:
                raise StoreClosed()
            self._reads_in_flight += 1
        try:
            conn = self._reader()
            try:
                return read(conn)
            except BaseException:
                self._discard_reader(conn)
                raise
        except sqlite3.Error as exc:
            fault = storage_fault(exc)
            if fault is None:
                raise
            self._health.faulted(fault)
            self._submit(_nothing)  # wakes the writer, which probes the storage while degraded
            raise fault from exc
        finally:
            with self._readers_lock:
                self._reads_in_flight -= 1
                self._readers_lock.notify_all()

    def _discard_reader(self, conn: sqlite3.Connection) -> None:
        """Close the connection a failed read ran on. The read's traceback may hold one of its
        cursors mid-result, and while it lives the connection keeps reading the database as it
        was then: every later read on this thread would miss what was written since."""
        self._local.conn = None
        with self._readers_lock:
            self._readers.remove(conn)
        conn.close()

    async def read(self, read: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``read`` on a read-only connection in one of the store's reader threads."""
        if self._closed:
            raise StoreClosed()
        return await asyncio.get_running_loop().run_in_executor(
            self._read_pool, self._read_now, read
        )

    def _truncate_log(self) -> None:
        """Copy the write-ahead log into the database and cut it to nothing, so that page
        images from before an overwrite do not linger in it (after sealing what an older
        version kept in the clear)."""
        conn = connect(self.path)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()

    async def purge_old_versions(self) -> Purged:
        await asyncio.to_thread(self._truncate_log)
        return Purged()

    # --- audit -------------------------------------------------------------------------------

    async def record(self, event: AuditEvent) -> AuditEntry:
        return await self.write(lambda tx: tx.append(event))

    async def record_all(self, events: Sequence[AuditEvent]) -> list[AuditEntry]:
        return await self.write(lambda tx: [tx.append(event) for event in events])

    async def audit_entries(self, *, after: int = 0, limit: int | None = None) -> list[AuditEntry]:
        def read(conn: sqlite3.Connection) -> list[AuditEntry]:
            rows = conn.execute(
                f"SELECT {AUDIT_COLUMNS} FROM audit a WHERE a.seq > ? ORDER BY a.seq LIMIT ?",
                (after, -1 if limit is None else limit),
            ).fetchall()
            return [audit_entry(row) for row in rows]

        return await self.read(read)


AUDIT_COLUMNS: Final = "a.seq, a.at, a.kind, a.actor, a.subject, a.entry, a.hash"
"""An audit entry's columns, in the order :func:`audit_entry` reads them (table alias ``a``)."""


def audit_entry(row: Sequence[Any]) -> AuditEntry:
    """An entry exactly as kept, from a row of :data:`AUDIT_COLUMNS`."""
    raw = row[5]
    return AuditEntry(
        seq=row[0],
        at=row[1],
        kind=row[2],
        actor=row[3],
        subject=row[4],
        canonical=bytes(raw) if isinstance(raw, bytes) else str(raw).encode(),
        hash=row[6],
    )
