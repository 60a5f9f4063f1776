"""Group commit on PostgreSQL: the auditing writes of one process, run a batch at a time in one
transaction on one connection.

Every transaction that appends to the audit chain holds the chain's lock from chaining its
entries to its commit, so those commits go one at a time across every process that shares the
database. One transaction per write made each wait for a ``COMMIT`` (one flush of the
write-ahead log) of its own. Here a process's auditing writes queue to one task, which runs a
batch of them, each in a savepoint of its own (a write that fails is rolled back alone, what
it appended forgotten, and told why; the others go on), without the chain's lock; then takes
the lock once, chains the batch's entries and runs what its writes left for that moment
(:meth:`~gateway.store.postgres.transaction.Transaction.chain`), and commits once. The lock is
held for the chaining and one flush, not through the batch's writes, so the batches of several
processes run their writes at the same time and queue only for the chain. No write is answered
before its batch has committed, so a receipt still means kept (``synchronous_commit`` is as
the operator set it).

The batch is bounded by how many writes it holds and by the bytes its writes send (their
parameters); the queue by how many writes wait in it: a full queue refuses at once with the
operator's 503 (:class:`~gateway.infra.errors.StorageUnavailable`, ``Retry-After``), it does
not make the caller wait.

A batch that cannot commit is rolled back whole. If the database is gone (the connection lost,
no connection to be had), every write of the batch is refused with the operator's 503. Any
other failure (a conflict found only at ``COMMIT``) and the batch's writes are run again one
by one, each in its own transaction (``run_alone``), so that one bad write does not fail the
others.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Self

from psycopg import AsyncCursor, errors
from psycopg.abc import Params, Query
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from gateway.infra.clock import Clock
from gateway.infra.errors import StorageUnavailable
from gateway.store.health import StoreHealth
from gateway.store.postgres.faults import connection_lost, refusal
from gateway.store.postgres.transaction import Connection, Transaction, Write

CommitObserver = Callable[[int, float], None]
"""Hears of each committed batch: how many writes it held, and the seconds its ``COMMIT``
took. Called on the event loop; it must be quick and must not raise."""

QUEUE_FULL_RETRY_AFTER: Final = 1
"""Seconds a caller refused for a full queue is asked to wait: the queue drains in batches."""


def _unobserved(size: int, seconds: float) -> None:
    """No one listens."""


@dataclass(frozen=True)
class Bounds:
    """How much one batch and the queue may hold."""

    batch_writes: int = 256
    batch_bytes: int = 8 * 1024 * 1024
    queued: int = 4096


@dataclass
class _Queued:
    write: Write[Any]
    future: asyncio.Future[Any]


@dataclass
class _Outcome:
    queued: _Queued
    result: Any = None
    error: BaseException | None = None
    again: bool = False
    """Run it again alone: it lost a deadlock with another process's batch."""


@dataclass
class _Meter:
    sent: int = 0


_meter: contextvars.ContextVar[_Meter | None] = contextvars.ContextVar(
    "euregate_batch_meter", default=None
)


def _size(value: object) -> int:
    if isinstance(value, bytes | bytearray | memoryview | str):
        return len(value)
    if isinstance(value, Jsonb):
        return len(repr(value.obj))
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(_size(v) for v in value)
    return 8


class MeteredCursor(AsyncCursor[tuple[Any, ...]]):
    """A cursor that counts the bytes of the parameters it sends into the batch being run."""

    async def execute(
        self,
        query: Any,
        params: Params | None = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> Self:
        if (meter := _meter.get()) is not None:
            meter.sent += _size(params)
        return await super().execute(query, params, prepare=prepare, binary=binary)

    async def executemany(
        self, query: Query, params_seq: Iterable[Params], *, returning: bool = False
    ) -> None:
        rows = list(params_seq)
        if (meter := _meter.get()) is not None:
            meter.sent += _size(rows)
        await super().executemany(query, rows, returning=returning)


@dataclass
class GroupCommit:
    """The task that runs a process's auditing writes in batches. Start it before use, stop
    it after (it finishes what is queued)."""

    pool: AsyncConnectionPool[Connection]
    clock: Clock
    health: StoreHealth
    run_alone: Callable[[Write[Any]], Awaitable[Any]]
    """Runs one write in a transaction of its own, with the store's mapping of faults."""
    wait: Callable[[], float]
    """How long to wait for a connection."""
    bounds: Bounds = field(default_factory=Bounds)
    observer: CommitObserver = _unobserved
    batches: int = 0
    _queue: asyncio.Queue[_Queued | None] = field(init=False)
    _task: asyncio.Task[None] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._queue = asyncio.Queue()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name="euregate-group-commit"
        )

    async def stop(self) -> None:
        """Run what is queued, then end the task."""
        if self._task is None:
            return
        self._queue.put_nowait(None)
        await self._task
        self._task = None

    def submit(self, write: Write[Any]) -> asyncio.Future[Any]:
        """Queue ``write`` for the next batch; its future is resolved once that committed.
        A full queue refuses at once."""
        if self._queue.qsize() >= self.bounds.queued:
            raise StorageUnavailable(retry_after=QUEUE_FULL_RETRY_AFTER)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_heard)
        self._queue.put_nowait(_Queued(write, future))
        return future

    async def _run(self) -> None:
        while (first := await self._queue.get()) is not None:
            await self._commit(first)

    def _next(self, count: int, meter: _Meter) -> _Queued | None:
        """The next queued write for this batch, or None once the batch is full or nothing
        waits (a stop request stays queued for :meth:`_run`)."""
        if count >= self.bounds.batch_writes or meter.sent >= self.bounds.batch_bytes:
            return None
        try:
            item = self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return None
        if item is None:
            self._queue.put_nowait(None)
        return item

    async def _commit(self, first: _Queued) -> None:
        outcomes: list[_Outcome] = []
        batch = [first]
        conn: Connection | None = None
        meter = _Meter()
        token = _meter.set(meter)
        try:
            async with self.pool.connection(timeout=self.wait()) as conn:
                conn.cursor_factory = MeteredCursor
                try:
                    async with conn.transaction():
                        tx = Transaction(conn, self.clock)
                        item: _Queued | None = first
                        while item is not None:
                            outcomes.append(await _run_in_savepoint(tx, item))
                            if (item := self._next(len(batch), meter)) is not None:
                                batch.append(item)
                        await tx.chain()
                        started = time.perf_counter()
                    committed = time.perf_counter() - started
                finally:
                    conn.cursor_factory = AsyncCursor
        except Exception as exc:  # noqa: BLE001 - handed to every caller of the batch
            await self._failed(batch, exc, conn)
            return
        finally:
            _meter.reset(token)
        self.batches += 1
        if self.health.degraded is not None:
            self.health.cleared()
        self.observer(len(batch), committed)
        for outcome in outcomes:
            if outcome.again:
                await self._run_again(outcome.queued)
            else:
                self._answer(outcome)

    def _answer(self, outcome: _Outcome) -> None:
        error = outcome.error
        if error is not None and (found := refusal(error, writing=True)) is not None:
            if found.degrades:
                self.health.faulted(found.fault)
            found.fault.__cause__ = error
            error = found.fault
        _settle(outcome.queued.future, outcome.result, error)

    async def _run_again(self, item: _Queued) -> None:
        try:
            result = await self.run_alone(item.write)
        except Exception as error:  # noqa: BLE001 - handed to the write's caller
            _settle(item.future, None, error)
        else:
            _settle(item.future, result, None)

    async def _failed(self, batch: list[_Queued], exc: Exception, conn: Connection | None) -> None:
        """The batch was rolled back: with the database gone, refuse each of its writes; else
        run each again in a transaction of its own."""
        found = refusal(exc, writing=True)
        if found is not None and (found.degrades and connection_lost(exc, conn)):
            self.health.faulted(found.fault, refused=len(batch))
            found.fault.__cause__ = exc
            for item in batch:
                _settle(item.future, None, found.fault)
            return
        for item in batch:
            await self._run_again(item)


async def _run_in_savepoint(tx: Transaction, item: _Queued) -> _Outcome:
    """Run one write of the batch in a savepoint: its result, or the error it raised with the
    savepoint rolled back and what it appended forgotten. A write chosen as a deadlock's victim
    (the batches of several processes take each other's row and advisory locks now that their
    writes run at once) is run again alone once the batch committed. A lost connection fails
    the whole batch instead."""
    mark = tx.mark()
    try:
        async with tx.conn.transaction():
            result = await item.write(tx)
    except Exception as exc:
        if connection_lost(exc, tx.conn):
            raise
        tx.forget_since(mark)
        return _Outcome(item, error=exc, again=isinstance(exc, errors.TransactionRollback))
    if (meter := _meter.get()) is not None:
        meter.sent += sum(_size(dict(event.data)) for event in tx.appended_since(mark))
    return _Outcome(item, result=result)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    """Resolve ``future``, unless its caller gave up on it (the write's outcome stands)."""
    if future.done():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


def _heard(future: asyncio.Future[Any]) -> None:
    """Take the outcome as heard: a caller that gave up (a client that hung up) does not
    leave an error behind that nobody retrieved."""
    if not future.cancelled():
        future.exception()
