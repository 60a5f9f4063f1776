"""The HTTP edge of the eTranslation backend: one submission, authenticated by HTTP Digest.

aiohttp's :class:`~aiohttp.DigestAuthMiddleware` answers the service's Digest challenge with
the application name and password. Every attempt has its own timeout; a timeout, a broken
connection, a 5xx or a 429 is retried a bounded number of times with exponential backoff
(tenacity), as the LibreTranslate backend does. A 401 (the name or password refused), any
other 4xx, or a negative request id is the service's considered answer and is not retried.
Redirects are not followed, so no text reaches another server.

A retried submission that the service did take the first time makes it translate twice; the
second answer finds the job answered and is refused, so nothing changes but the cost.
"""

from __future__ import annotations

from typing import Final

import aiohttp

from gateway.translate.etranslation import Submission, SubmissionRefused, request_id_of
from gateway.translate.retries import bounded_retries

RETRYABLE_STATUSES: Final = frozenset({429, 500, 502, 503, 504})


class SubmissionUnavailable(Exception):
    """The service did not answer usefully, after every attempt."""


class CredentialsRefused(SubmissionRefused):
    """The service refused the application name or password (401)."""


class _Transient(Exception):
    pass


class EtranslationClient:
    """Submits texts to one eTranslation endpoint; one aiohttp session, opened on first use."""

    def __init__(
        self,
        url: str,
        *,
        application: str,
        password: str,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.5,
    ) -> None:
        if timeout <= 0 or retries < 0 or backoff < 0:
            raise ValueError("timeout must be positive, retries and backoff not negative")
        self.url = url
        self._application = application
        self._password = password
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._retries = retries
        self._backoff = backoff
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"EtranslationClient({self.url!r})"

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def submit(self, submission: Submission) -> int:
        """The request id the service gives ``submission``; raises
        :class:`SubmissionRefused` (:class:`CredentialsRefused` for a 401) or
        :class:`SubmissionUnavailable`."""
        if self._session is None or self._session.closed:
            digest = aiohttp.DigestAuthMiddleware(self._application, self._password)
            self._session = aiohttp.ClientSession(timeout=self._timeout, middlewares=(digest,))
        attempts = self._retries + 1
        retrying = bounded_retries(attempts=attempts, backoff=self._backoff, transient=_Transient)
        try:
            request_id: int = await retrying(self._attempt, self._session, submission.as_json())
        except _Transient as exc:
            raise SubmissionUnavailable(f"{exc}, after {attempts} attempts") from exc
        return request_id

    async def _attempt(self, session: aiohttp.ClientSession, body: dict[str, object]) -> int:
        try:
            async with session.post(self.url, json=body, allow_redirects=False) as response:
                status = response.status
                raw = await response.read()
        except TimeoutError as exc:
            raise _Transient("the service timed out") from exc
        except aiohttp.ClientError as exc:
            raise _Transient(f"the service is unreachable ({type(exc).__name__})") from exc
        if status in RETRYABLE_STATUSES:
            raise _Transient(f"the service answered {status}")
        if status == 401:
            raise CredentialsRefused("the service refused the application name or password (401)")
        if status != 200:
            raise SubmissionRefused(f"the service answered {status}")
        try:
            return request_id_of(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SubmissionUnavailable(
                "the service answered something other than a number"
            ) from exc
