"""CPU-heavy work of many partners on a few workers, taken from each partner's queue in turn.

Parsing, validating and canonicalising a posted signal costs time in proportion to its body:
tens of milliseconds for the largest one Signal v1 allows. On the event loop that time would
hold up every other request of every partner; on a plain first-come pool, one partner's
backlog would sit in front of everyone else's jobs. A :class:`FairPool` runs jobs on a
bounded executor, at most ``workers`` at a time, and whenever a worker comes free it takes
the oldest job of the next partner in turn: partners with waiting work are served
round-robin, so another partner's job waits behind at most one job of each partner, never
behind a backlog. Each partner's queue is bounded too.

Worker processes (the default) also put the work on the other cores, out of the reach of the
event loop's GIL; threads are the fallback. Jobs and their results cross into the worker by
pickling, so a job is a module-level function of picklable arguments.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Literal, Protocol, TypeVar

from gateway.infra.errors import InternalError, PartnerBusy
from gateway.infra.logs import get_logger

T = TypeVar("T")
WorkerKind = Literal["process", "thread"]
log = get_logger("euregate.workers")


class JobHook(Protocol):
    """Called in the worker just before a job runs, with the partner it runs for.

    The gateway needs none; a test passes one to hold a partner's job inside the worker.
    Must be picklable for worker processes.
    """

    def __call__(self, owner: str) -> None: ...


def start_executor(kind: WorkerKind, workers: int, *, preload: Sequence[str] = ()) -> Executor:
    """A pool of ``workers`` processes (forked from a server that imported ``preload`` once,
    so a new worker starts in milliseconds) or threads."""
    if kind == "thread":
        return ThreadPoolExecutor(workers, thread_name_prefix="euregate-intake")
    return WorkerProcesses(workers, preload=preload)


class WorkerProcesses(ProcessPoolExecutor):
    """Worker processes that end with the gateway, however it ends.

    A worker waits for jobs on a queue whose other end every worker holds too, so it would
    outlive a gateway that was killed. Each worker therefore watches a lifeline, a pipe whose
    only writing end stays in the gateway: when the gateway's end closes, the worker exits.
    """

    def __init__(self, workers: int, *, preload: Sequence[str] = ()) -> None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(preload))
        self._lifeline, self._held_end = context.Pipe(duplex=False)
        super().__init__(
            workers,
            mp_context=context,
            initializer=_end_with_gateway,
            initargs=(self._lifeline,),
        )

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=wait, cancel_futures=cancel_futures)
        self._held_end.close()
        self._lifeline.close()


def _end_with_gateway(lifeline: Connection) -> None:
    """In a worker: exit as soon as the gateway's end of ``lifeline`` is closed."""

    def watch() -> None:
        with contextlib.suppress(EOFError):
            lifeline.recv_bytes()
        os._exit(1)

    threading.Thread(target=watch, name="euregate-lifeline", daemon=True).start()


def _call(hook: JobHook | None, owner: str, function: Callable[..., T], args: tuple[Any, ...]) -> T:
    if hook is not None:
        hook(owner)
    return function(*args)


def _ready() -> bool:
    return True


@dataclass
class _Job:
    function: Callable[..., Any]
    args: tuple[Any, ...]
    done: asyncio.Future[Any]
    executor: Executor | None = None


class FairPool:
    """Runs each partner's jobs on ``executor``, at most ``workers`` at once, partners in turn.

    ``new_executor`` makes the executor, and makes a new one if a worker process dies (the
    jobs it was running fail with :class:`InternalError`; the others go on).
    """

    def __init__(
        self,
        new_executor: Callable[[], Executor],
        *,
        workers: int,
        queue_limit: int,
        hook: JobHook | None = None,
    ) -> None:
        if workers < 1 or queue_limit < 1:
            raise ValueError("a pool needs at least one worker and room for one job")
        self._new_executor = new_executor
        self._executor = new_executor()
        self._workers = workers
        self._queue_limit = queue_limit
        self._hook = hook
        self._queues: dict[str, deque[_Job]] = {}
        self._turns: deque[str] = deque()
        self._running = 0

    @property
    def running(self) -> int:
        return self._running

    def waiting(self, owner: str) -> int:
        """Jobs of ``owner`` queued, not yet running."""
        return len(self._queues.get(owner, ()))

    async def run(self, owner: str, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a worker, when it is ``owner``'s turn; its result or error.

        Raises :class:`PartnerBusy` when ``owner`` already has ``queue_limit`` jobs waiting.
        """
        queue = self._queues.get(owner)
        if queue is not None and len(queue) >= self._queue_limit:
            raise PartnerBusy(limit=self._queue_limit)
        job = _Job(function, args, asyncio.get_running_loop().create_future())
        if queue is None:
            queue = self._queues[owner] = deque()
            self._turns.append(owner)
        queue.append(job)
        self._dispatch()
        try:
            result: T = await job.done
        except asyncio.CancelledError:
            self._withdraw(owner, job)
            raise
        return result

    async def start(self) -> None:
        """Start every worker now, so the first partner to post does not wait for one."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(loop.run_in_executor(self._executor, _ready) for _ in range(self._workers))
        )

    def close(self) -> None:
        """Stop the workers once the jobs they run are done; waiting jobs are cancelled."""
        for queue in self._queues.values():
            for job in queue:
                job.done.cancel()
        self._queues.clear()
        self._turns.clear()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _dispatch(self) -> None:
        while self._running < self._workers and self._turns:
            owner = self._turns.popleft()
            queue = self._queues[owner]
            job = queue.popleft()
            if queue:
                self._turns.append(owner)
            else:
                del self._queues[owner]
            self._start(owner, job)

    def _start(self, owner: str, job: _Job) -> None:
        try:
            submitted = self._executor.submit(_call, self._hook, owner, job.function, job.args)
        except BrokenExecutor:
            self._replace_executor(self._executor)
            submitted = self._executor.submit(_call, self._hook, owner, job.function, job.args)
        job.executor = self._executor
        self._running += 1
        running = asyncio.wrap_future(submitted)
        running.add_done_callback(lambda finished: self._finished(job, finished))

    def _finished(self, job: _Job, finished: asyncio.Future[Any]) -> None:
        self._running -= 1
        if not job.done.done():
            error = None if finished.cancelled() else finished.exception()
            if finished.cancelled():
                job.done.cancel()
            elif isinstance(error, BrokenExecutor):
                log.error("worker_lost", error_type=type(error).__name__)
                self._replace_executor(job.executor)
                job.done.set_exception(InternalError())
            elif error is not None:
                job.done.set_exception(error)
            else:
                job.done.set_result(finished.result())
        self._dispatch()

    def _replace_executor(self, broken: Executor | None) -> None:
        """A new executor for a broken one (once, however many of its jobs failed)."""
        if broken is not self._executor:
            return
        self._executor = self._new_executor()
        broken.shutdown(wait=False, cancel_futures=True)

    def _withdraw(self, owner: str, job: _Job) -> None:
        """Take a job whose caller gave up out of its queue (a running one just finishes)."""
        queue = self._queues.get(owner)
        if queue is None or job not in queue:
            return
        queue.remove(job)
        if not queue:
            del self._queues[owner]
            self._turns.remove(owner)
