"""A verification job's row, the same on both backends: its columns in order, and the record
read from them (each backend says how it reads a moment)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from gateway.store.interface.verification_jobs import JobState, VerificationJob, result_from

JOB_COLUMNS: Final = (
    "id, started_by, started_at, instance, total, checked, heartbeat_at, state, finished_at, result"
)


def job_from_row(row: Any, moment: Callable[[Any], datetime]) -> VerificationJob:
    """The job in ``row`` (:data:`JOB_COLUMNS`); ``moment`` reads the backend's times."""
    return VerificationJob(
        id=row[0],
        started_by=row[1],
        started_at=moment(row[2]),
        instance=row[3],
        total=row[4],
        checked=row[5],
        heartbeat_at=moment(row[6]),
        state=JobState(row[7]),
        finished_at=None if row[8] is None else moment(row[8]),
        result=result_from(row[9]),
    )
