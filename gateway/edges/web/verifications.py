"""The audit chain's verifications that compliance staff start from the pages.

Each runs in the background, on the instance whose page started it, while its page follows how
far it got. The jobs are kept in the store (:class:`gateway.store.VerificationJobStore`), so
the page may be answered by any instance behind the load balancer, and one runs at a time
across all of them. The running instance writes the job's progress every
:data:`PROGRESS_EVERY` entries and at least every :data:`HEARTBEAT` (its heartbeat); a job
whose instance stopped saying so for :data:`~gateway.store.interface.verification_jobs.STALE_AFTER`
counts as abandoned, and another may start. A gateway has one :class:`Verifications`, made
where it is put together (:mod:`gateway.edges.server`) and handed to the pages in their
context (:class:`~gateway.edges.web.frame.WebContext`).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import uuid
from datetime import timedelta
from typing import Final

from gateway.infra.clock import Clock
from gateway.infra.errors import StorageUnavailable
from gateway.infra.logs import get_logger
from gateway.store import LastVerification, Store, VerificationJob, verify_chain
from gateway.store.interface.verification_jobs import STALE_AFTER

log = get_logger("euregate.web")

PROGRESS_EVERY: Final = 4096
"""Entries walked between two writes of a job's progress."""

HEARTBEAT: Final = timedelta(seconds=10)
"""The longest a running job goes without its progress (and heartbeat) written: well within
:data:`STALE_AFTER`."""


class Verifications:
    """The verification jobs, as the store keeps them, and this instance's tasks running
    them."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        heartbeat: timedelta = HEARTBEAT,
        stale_after: timedelta = STALE_AFTER,
    ) -> None:
        self._store = store
        self._clock = clock
        self._heartbeat = heartbeat
        self._stale_after = stale_after
        self.instance = uuid.uuid4().hex
        self.tasks: set[asyncio.Task[None]] = set()

    async def running(self) -> VerificationJob | None:
        """The job running now, on any instance, if any."""
        job = await self._store.running_verification()
        return None if job is None else self._seen(job, running_only=True)

    async def job(self, job_id: str) -> VerificationJob | None:
        job = await self._store.verification_job(job_id)
        return None if job is None else self._seen(job)

    async def start(self, by: str) -> VerificationJob:
        """A new job started by ``by`` and run here, or the one running already (anywhere)."""
        head = await self._store.chain_head()
        job, started = await self._store.start_verification(
            job_id=secrets.token_urlsafe(12),
            by=by,
            instance=self.instance,
            total=head.seq if head else 0,
            now=self._clock.now(),
            stale_after=self._stale_after,
        )
        if started:
            task = asyncio.create_task(self._run(job))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return job

    def _seen(self, job: VerificationJob, *, running_only: bool = False) -> VerificationJob | None:
        seen = job.seen_at(self._clock.now(), self._stale_after)
        return None if running_only and seen.done else seen

    async def _run(self, job: VerificationJob) -> None:
        checked = 0
        due = asyncio.Event()

        def counted(walked: int) -> None:
            nonlocal checked
            if walked - checked >= PROGRESS_EVERY:
                due.set()
            checked = walked

        async def beat() -> None:
            while True:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._heartbeat.total_seconds()):
                        await due.wait()
                due.clear()
                with contextlib.suppress(StorageUnavailable):  # the store logs it; next beat
                    await self._store.verification_checked(
                        job.id, instance=self.instance, checked=checked, now=self._clock.now()
                    )

        result: LastVerification | None = None
        heart = asyncio.create_task(beat())
        try:
            verification = await verify_chain(self._store, checked=counted)
            result = await self._store.record_verification(verification, by=job.started_by)
        except Exception as exc:  # noqa: BLE001 - shown on the progress page; nothing was changed
            log.error(  # noqa: TRY400 - no traceback: a message may quote an entry
                "audit_verification_failed", error_type=type(exc).__name__
            )
        finally:
            heart.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await heart
        # Not kept (the store logs why): the job counts as abandoned once its heartbeat is old.
        with contextlib.suppress(StorageUnavailable):
            await self._store.finish_verification(
                job.id, instance=self.instance, result=result, now=self._clock.now()
            )
