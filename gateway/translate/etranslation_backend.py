"""The ``etranslation`` backend: the European Commission's eTranslation service.

The service answers later, by callback, so a text is translated in two visits. The first
time a copy asks for a text, the backend sends it (:mod:`~gateway.translate.etranslation_client`)
as a job kept in the store (:mod:`~gateway.translate.etranslation_jobs`) and raises
:class:`~gateway.translate.base.TranslationUnavailable`: the copy shows the text as written,
marked untranslated. The service posts the translation to the staff listener, which hands it
to :meth:`EtranslationBackend.receive`; from then on the copy shows it as a ``machine``
translation, for the liaison officer to correct and release like any other. A callback only
stores the text: it never releases or seals a copy.

A service that does not answer (timeouts, 5xx, no connection, after the client's retries)
counts against a :class:`~gateway.translate.breaker.CircuitBreaker`, as LibreTranslate
does: after repeated failures texts are not sent for a cool-down, so that opening a copy at
the desk does not wait on a dead service once per text.

A job that waits longer than ``retry_after`` without an answer, or that the service could not
translate, is sent again the next time its text is asked for. Jobs are dropped ``kept_for``
after they were made, answered or not, so no translation outlives its use by much.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Final

import uuid6

from gateway.infra.clock import Clock, SystemClock
from gateway.infra.errors import (
    NotFound,
    TranslationCallbackInvalid,
    TranslationCallbackRefused,
    TranslationJobAnswered,
)
from gateway.infra.logs import get_logger
from gateway.infra.vault import MasterKey, SealedBlob, VaultError
from gateway.translate.base import TranslationUnavailable, nothing_to_translate, untranslated
from gateway.translate.breaker import CircuitBreaker
from gateway.translate.etranslation import (
    DEFAULT_DOMAIN,
    ENGINE,
    Delivered,
    Failed,
    Submission,
    SubmissionRefused,
    callback_urls,
    token_digest,
    token_matches,
)
from gateway.translate.etranslation_client import (
    CredentialsRefused,
    EtranslationClient,
    SubmissionUnavailable,
)
from gateway.translate.etranslation_jobs import (
    TranslationJob,
    TranslationJobState,
    TranslationJobStore,
)
from gateway.translate.types import Provenance, TranslatedText

_LOOKUP_PURPOSE: Final = b"euregate etranslation job lookup v1"
RETRY_AFTER: Final = timedelta(minutes=30)
KEPT_FOR: Final = timedelta(days=7)

log = get_logger("euregate.translate")


class EtranslationBackend:
    """Texts sent to eTranslation as jobs in ``jobs``; their callbacks taken by :meth:`receive`."""

    name = ENGINE

    def __init__(
        self,
        client: EtranslationClient,
        *,
        jobs: TranslationJobStore,
        master_key: MasterKey,
        callback_base: str,
        application: str,
        username: str | None = None,
        domain: str = DEFAULT_DOMAIN,
        clock: Clock | None = None,
        retry_after: timedelta = RETRY_AFTER,
        kept_for: timedelta = KEPT_FOR,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.client = client
        self._jobs = jobs
        self._master_key = master_key
        self._lookup_key = master_key.derive(_LOOKUP_PURPOSE)
        self._callback_base = callback_base
        self._application = application
        self._username = username or application
        self.domain = domain
        self._clock = clock or SystemClock()
        self._retry_after = retry_after
        self._kept_for = kept_for
        self.breaker = breaker or CircuitBreaker(clock=self._clock, engine=ENGINE)

    def __repr__(self) -> str:
        return f"EtranslationBackend({self.client.url!r})"

    async def close(self) -> None:
        await self.client.close()

    def lookup_key(self, text: str, *, source: str, target: str) -> str:
        """The keyed hash a job is kept under: never its text (nor, since the domain is part
        of it, a translation by another engine of the service)."""
        message = "\x00".join((self.domain, source, target, text)).encode()
        return hmac.new(self._lookup_key, message, hashlib.sha256).hexdigest()

    def for_signal(self, signal_id: str) -> SignalTexts:
        """The backend sending texts of ``signal_id``, whose jobs go when it is erased."""
        return SignalTexts(self, signal_id)

    async def translate(
        self, text: str, *, source: str, target: str, signal_id: str | None = None
    ) -> TranslatedText:
        """The service's translation once it has come; until then, raises
        :class:`TranslationUnavailable` (having sent the text, the first time, as a job of
        ``signal_id``)."""
        if nothing_to_translate(text, source=source, target=target):
            return untranslated(text, source)
        key = self.lookup_key(text, source=source, target=target)
        job = await self._jobs.translation_job_for(key)
        if job is not None and job.state is TranslationJobState.DONE:
            translated = self._opened(job)
            if translated is not None:
                provenance = Provenance("machine", engine=ENGINE, version=self.domain)
                return TranslatedText(translated, target, provenance)
        elif job is not None and self._clock.now() - job.created_at < self._retry_after:
            if job.state is TranslationJobState.FAILED:
                raise TranslationUnavailable(f"{ENGINE}: the service failed ({job.error_code})")
            raise TranslationUnavailable(f"{ENGINE}: waiting for the service's answer")
        await self._submit(text, key, source=source, target=target, signal_id=signal_id)
        raise TranslationUnavailable(f"{ENGINE}: sent; the translation follows")

    async def translate_many(
        self, texts: Sequence[str], *, source: str, target: str, signal_id: str | None = None
    ) -> list[TranslatedText]:
        """Each of ``texts`` translated, once every one has come; until then, raises
        :class:`TranslationUnavailable`, having sent each that was not sent yet (so that the
        memory's sentences all go at once, not one per visit)."""
        translated: list[TranslatedText] = []
        waiting: TranslationUnavailable | None = None
        for text in texts:
            try:
                translated.append(
                    await self.translate(text, source=source, target=target, signal_id=signal_id)
                )
            except TranslationUnavailable as exc:
                waiting = waiting or exc
        if waiting is not None:
            raise waiting
        return translated

    async def receive(self, job_id: str, token: str, answer: Delivered | Failed) -> TranslationJob:
        """Keep the service's ``answer`` to job ``job_id``, posted with ``token``; the job as
        it was. Raises :class:`NotFound` for a job not kept, :class:`TranslationCallbackRefused`
        for another token, :class:`TranslationJobAnswered` for a job answered already, and
        :class:`TranslationCallbackInvalid` for an answer about another request or language."""
        job = await self._jobs.translation_job(job_id)
        if job is None:
            raise NotFound()
        if not token_matches(token, job.token_digest):
            raise TranslationCallbackRefused()
        if job.state is not TranslationJobState.PENDING:
            raise TranslationJobAnswered(job_id=job_id)
        if answer.external_reference != job.id:
            raise TranslationCallbackInvalid(field="external-reference")
        if job.request_id is not None and answer.request_id != job.request_id:
            raise TranslationCallbackInvalid(field="request-id")
        now = self._clock.now()
        if isinstance(answer, Delivered):
            if answer.target != job.target_language:
                raise TranslationCallbackInvalid(field="target-language")
            sealed = self._master_key.seal(
                answer.text.encode(), context=translation_context(job.id)
            )
            kept = await self._jobs.answer_translation_job(
                job_id, state=TranslationJobState.DONE, at=now, sealed=sealed.to_bytes()
            )
        else:
            log.warning("translation_failed", engine=ENGINE, error_code=answer.error_code)
            kept = await self._jobs.answer_translation_job(
                job_id, state=TranslationJobState.FAILED, at=now, error_code=answer.error_code
            )
        if not kept:
            raise TranslationJobAnswered(job_id=job_id)
        log.info("translation_received", engine=ENGINE, job=job_id, state=str(job.state))
        return job

    async def _submit(
        self, text: str, key: str, *, source: str, target: str, signal_id: str | None
    ) -> None:
        now = self._clock.now()
        await self._jobs.forget_translation_jobs_before(now - self._kept_for)
        token = secrets.token_urlsafe(32)
        job = TranslationJob(
            id=str(uuid6.uuid7()),
            lookup_key=key,
            source_language=source,
            target_language=target,
            token_digest=token_digest(token),
            created_at=now,
            signal_id=signal_id,
        )
        done_url, error_url = callback_urls(self._callback_base, job.id, token)
        submission = Submission(
            text=text,
            source=source,
            target=target,
            job_id=job.id,
            done_url=done_url,
            error_url=error_url,
            application=self._application,
            username=self._username,
            domain=self.domain,
        )
        self.breaker.enter()
        await self._jobs.add_translation_job(job)
        try:
            request_id = await self.client.submit(submission)
        except (SubmissionRefused, SubmissionUnavailable) as exc:
            if isinstance(exc, SubmissionUnavailable):
                self.breaker.failed()
            else:
                self.breaker.succeeded()
            await self._jobs.forget_translation_job(job.id)
            self._report(exc)
            raise TranslationUnavailable(f"{ENGINE}: {exc}") from exc
        except BaseException:
            self.breaker.abandoned()
            raise
        self.breaker.succeeded()
        await self._jobs.translation_job_submitted(job.id, request_id)
        log.info("translation_submitted", engine=ENGINE, job=job.id, request_id=request_id)

    def _report(self, failure: Exception) -> None:
        """A refused password is the operator's to fix at once: an error, naming the
        application; anything else a warning."""
        if isinstance(failure, CredentialsRefused):
            log.error(
                "translation_credentials_refused",
                engine=ENGINE,
                application=self._application,
                cause=str(failure),
            )
        else:
            log.warning("translation_unavailable", engine=ENGINE, cause=str(failure))

    def _opened(self, job: TranslationJob) -> str | None:
        """The translation kept for ``job``; None if it cannot be opened (sealed under a
        master key retired since), so that the text is sent again."""
        if job.sealed is None:
            return None
        try:
            blob = SealedBlob.from_bytes(job.sealed)
            return self._master_key.open(blob, context=translation_context(job.id)).decode()
        except (VaultError, UnicodeDecodeError):
            return None


def translation_context(job_id: str) -> bytes:
    """What a job's translation is sealed for: the job (whose row names its language pair)."""
    return f"etranslation:{job_id}".encode()


class SignalTexts:
    """The eTranslation backend sending the texts of one signal: each job it makes is that
    signal's (:mod:`gateway.translate.etranslation_jobs`)."""

    def __init__(self, backend: EtranslationBackend, signal_id: str) -> None:
        self._backend = backend
        self.signal_id = signal_id
        self.name = backend.name

    async def translate(self, text: str, *, source: str, target: str) -> TranslatedText:
        return await self._backend.translate(
            text, source=source, target=target, signal_id=self.signal_id
        )

    async def translate_many(
        self, texts: Sequence[str], *, source: str, target: str
    ) -> list[TranslatedText]:
        return await self._backend.translate_many(
            texts, source=source, target=target, signal_id=self.signal_id
        )
