"""An eTranslation job's row, the same on both backends: its columns in order, and the record
read from them (each backend says how it reads a moment)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from gateway.translate.etranslation_jobs import TranslationJob, TranslationJobState

TRANSLATION_JOB_COLUMNS: Final = (
    "id, lookup_key, source_language, target_language, token_digest, created_at, state, "
    "request_id, sealed, error_code, answered_at, signal_id"
)


def translation_job_row(job: TranslationJob, at: Callable[[datetime], Any]) -> tuple[Any, ...]:
    """The values of :data:`TRANSLATION_JOB_COLUMNS` for ``job``; ``at`` writes the
    backend's times."""
    return (
        job.id,
        job.lookup_key,
        job.source_language,
        job.target_language,
        job.token_digest,
        at(job.created_at),
        str(job.state),
        job.request_id,
        job.sealed,
        job.error_code,
        None if job.answered_at is None else at(job.answered_at),
        job.signal_id,
    )


def translation_job_from_row(row: Any, moment: Callable[[Any], datetime]) -> TranslationJob:
    """The job in ``row`` (:data:`TRANSLATION_JOB_COLUMNS`); ``moment`` reads the backend's
    times."""
    return TranslationJob(
        id=row[0],
        lookup_key=row[1],
        source_language=row[2],
        target_language=row[3],
        token_digest=row[4],
        created_at=moment(row[5]),
        state=TranslationJobState(row[6]),
        request_id=row[7],
        sealed=None if row[8] is None else bytes(row[8]),
        error_code=row[9],
        answered_at=None if row[10] is None else moment(row[10]),
        signal_id=row[11],
    )
