"""The audit chain's verifications that staff start from the pages, kept in the store so that
every instance on it sees them.

A job's row says who started it, how far it got (``checked`` of ``total`` entries), which
instance runs it and when that instance last said it was still at it (``heartbeat_at``), and
how it ended. At most one runs at a time, across every instance. A running job whose heartbeat
is older than ``stale_after`` has lost its instance (stopped, killed): it is read as
``abandoned``, and is marked so when the next one starts.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final, Protocol

from gateway.infra.audit import timestamp
from gateway.store.interface.audit_search import LastVerification

STALE_AFTER: Final = timedelta(minutes=2)
"""How long a running job may go without a heartbeat before it counts as abandoned."""


class JobState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    ABANDONED = "abandoned"


@dataclass(frozen=True)
class VerificationJob:
    id: str
    started_by: str
    started_at: datetime
    instance: str
    total: int
    checked: int
    heartbeat_at: datetime
    state: JobState
    finished_at: datetime | None = None
    result: LastVerification | None = None

    @property
    def done(self) -> bool:
        return self.state is not JobState.RUNNING

    @property
    def failed(self) -> bool:
        return self.state in (JobState.FAILED, JobState.ABANDONED)

    def seen_at(self, now: datetime, stale_after: timedelta = STALE_AFTER) -> VerificationJob:
        """The job as it counts at ``now``: abandoned if it runs without a recent heartbeat."""
        if self.state is JobState.RUNNING and now - self.heartbeat_at > stale_after:
            return dataclasses.replace(self, state=JobState.ABANDONED)
        return self


def result_text(result: LastVerification | None) -> str | None:
    """A job's outcome as the backends keep it (JSON text)."""
    if result is None:
        return None
    return json.dumps({**dataclasses.asdict(result), "at": timestamp(result.at)})


def result_from(text: str | None) -> LastVerification | None:
    if text is None:
        return None
    kept = json.loads(text)
    return LastVerification(**{**kept, "at": datetime.fromisoformat(kept["at"])})


class VerificationJobStore(Protocol):
    async def start_verification(
        self,
        *,
        job_id: str,
        by: str,
        instance: str,
        total: int,
        now: datetime,
        stale_after: timedelta = STALE_AFTER,
    ) -> tuple[VerificationJob, bool]:
        """Start job ``job_id`` unless one is running (on any instance): the job running
        after, and whether it is the one started. Running jobs without a heartbeat since
        ``stale_after`` are marked abandoned first."""
        ...

    async def verification_checked(
        self, job_id: str, *, instance: str, checked: int, now: datetime
    ) -> bool:
        """``instance`` walked ``checked`` entries of the job, and is still at it; whether the
        job is still running on it."""
        ...

    async def finish_verification(
        self, job_id: str, *, instance: str, result: LastVerification | None, now: datetime
    ) -> None:
        """The job ended: done with ``result``, or failed without one."""
        ...

    async def verification_job(self, job_id: str) -> VerificationJob | None:
        """The job ``job_id`` as kept (see :meth:`VerificationJob.seen_at`)."""
        ...

    async def running_verification(self) -> VerificationJob | None:
        """The job kept as running, if any (see :meth:`VerificationJob.seen_at`)."""
        ...
