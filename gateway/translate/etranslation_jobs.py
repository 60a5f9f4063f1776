"""What the eTranslation backend keeps of each text it sent, and what it needs of the store.

A job is kept in the store, not in the process, so that whichever instance the service's
callback reaches can take it, and a gateway restarted between submission and callback still
does. The store implements :class:`TranslationJobStore`; nothing here imports the store.

A job is found by the keyed hash of its text and language pair (``lookup_key``), never by
the text, which is not kept. The translation that comes back is kept sealed under the master
key (``sealed``); of the callback's token, only its digest. A job knows the signal whose copy
sent it (``signal_id``), so that erasing the signal's content erases the job's too: an
answered job is deleted, a waiting one cancelled (:attr:`TranslationJobState.CANCELLED`), so
that the service's callback finds it answered and stores nothing. A job another signal with
the same text was served from goes too; that signal's next copy sends its text again. Jobs sent
before the store kept their signal have none, and go only when they expire (at most
:data:`~gateway.translate.etranslation_backend.KEPT_FOR` after they were made).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class TranslationJobState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    """Its signal was erased while it waited: whatever the service answers is not kept."""


@dataclass(frozen=True)
class TranslationJob:
    id: str
    lookup_key: str
    source_language: str
    target_language: str
    token_digest: str
    created_at: datetime
    state: TranslationJobState = TranslationJobState.PENDING
    request_id: int | None = None
    sealed: bytes | None = None
    error_code: str | None = None
    answered_at: datetime | None = None
    signal_id: str | None = None
    """The signal whose copy sent the text; None for a job sent before jobs kept it."""


class TranslationJobStore(Protocol):
    async def add_translation_job(self, job: TranslationJob) -> None:
        """Keep ``job``, in place of any job of the same ``lookup_key``."""
        ...

    async def translation_job(self, job_id: str) -> TranslationJob | None: ...

    async def translation_job_for(self, lookup_key: str) -> TranslationJob | None:
        """The job kept for the text and language pair ``lookup_key`` stands for."""
        ...

    async def translation_job_submitted(self, job_id: str, request_id: int) -> None:
        """The service took the job under ``request_id``."""
        ...

    async def answer_translation_job(
        self,
        job_id: str,
        *,
        state: TranslationJobState,
        at: datetime,
        sealed: bytes | None = None,
        error_code: str | None = None,
    ) -> bool:
        """Record the service's answer to a pending job; False if the job is not pending (it
        was answered already, or is no longer kept)."""
        ...

    async def forget_translation_job(self, job_id: str) -> None:
        """Drop a job the service never took (its submission failed)."""
        ...

    async def forget_translation_jobs_before(self, cutoff: datetime) -> int:
        """Drop the jobs made before ``cutoff``, answered or not; how many."""
        ...
