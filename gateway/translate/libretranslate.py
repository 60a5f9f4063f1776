"""The ``libretranslate`` backend: a LibreTranslate server the deployment runs on its premises.

It speaks LibreTranslate's HTTP API: ``GET /languages`` (``[{"code", "name", "targets"}]``)
and ``POST /translate`` with ``{"q", "source", "target", "format": "text", "api_key"}``,
answered by ``{"translatedText": ...}`` or, on error, ``{"error": ...}``.

Every request has its own timeout. A timeout, a broken connection, a 5xx or a 429 is retried
a bounded number of times with exponential backoff (tenacity); any other 4xx is the server's
considered answer and is not. A call that still fails counts against a
:class:`CircuitBreaker`: after ``threshold`` failed calls in a row it opens and calls fail at
once with :class:`~gateway.translate.base.TranslationUnavailable`, without touching the
network, until a cool-down has passed; then one trial call may go (half-open), and its outcome
closes or reopens the circuit. So a dead engine costs one fast refusal per text, never a
stalled pipeline: callers translate off the intake path and pass the original on when this
raises.

The breaker (:mod:`~gateway.translate.breaker`) is Euregate's own rather than a library's:
it reads the gateway's injected :class:`~gateway.infra.clock.Clock`, so its cool-down is tested
without waiting; it lets one trial at a time through when half-open; and a refusal (the server is
alive) and a cancelled call each count as what they are. pybreaker and circuitbreaker read the
system clock, and pybreaker guards coroutines only under Tornado.

The provenance names engine ``libretranslate`` and a version: the one the deployment gives
(the LibreTranslate release it runs), or else a fingerprint of the language pairs the server
offers, which changes when its models do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

import aiohttp

from gateway.infra.logs import get_logger
from gateway.translate.base import TranslationUnavailable, nothing_to_translate, untranslated
from gateway.translate.breaker import CircuitBreaker
from gateway.translate.retries import bounded_retries
from gateway.translate.types import Provenance, TranslatedText

ENGINE: Final = "libretranslate"
RETRYABLE_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
_MAX_ERROR_LENGTH: Final = 120

log = get_logger("euregate.translate")
T = TypeVar("T")


class _ServerFailure(Exception):
    """The server did not answer usefully: timed out, unreachable, 5xx, 429, or garbled."""


class _Transient(Exception):
    """A failure that may pass on the next attempt: a timeout, no connection, a 5xx or a 429."""


class _Refused(Exception):
    """The server answered and said no (a 4xx such as an unsupported language or a bad key)."""


class LibreTranslateBackend:
    """A client of one LibreTranslate server; one aiohttp session, opened on first use."""

    name = ENGINE

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.5,
        breaker: CircuitBreaker | None = None,
        version: str | None = None,
    ) -> None:
        if timeout <= 0 or retries < 0 or backoff < 0:
            raise ValueError("timeout must be positive, retries and backoff not negative")
        self.url = url.rstrip("/")
        self._api_key = api_key
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._retries = retries
        self._backoff = backoff
        self.breaker = breaker or CircuitBreaker()
        self._given_version = version
        self._version = version
        self._pairs: dict[str, frozenset[str]] | None = None
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"LibreTranslateBackend({self.url!r})"

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def version(self) -> str | None:
        """The engine version for provenance; known once the language pairs have been read."""
        return self._version

    async def languages(self) -> Mapping[str, frozenset[str]]:
        """Each source language the server offers, with the targets it translates it into."""
        return await self._guarded(self._languages)

    async def translate(self, text: str, *, source: str, target: str) -> TranslatedText:
        if nothing_to_translate(text, source=source, target=target):
            return untranslated(text, source)
        (translated,) = await self.translate_many([text], source=source, target=target)
        return translated

    async def translate_many(
        self, texts: Sequence[str], *, source: str, target: str
    ) -> list[TranslatedText]:
        """Several texts in one request (``q`` as a list), each translated on its own."""
        if not texts or source == target:
            return [untranslated(text, source) for text in texts]

        async def call() -> list[str]:
            pairs = await self._languages()
            if target not in pairs.get(source, frozenset()):
                raise _Refused(f"{source} into {target} is not offered")
            q: str | list[str] = texts[0] if len(texts) == 1 else list(texts)
            answer = await self._request("POST", "/translate", self._body(q, source, target))
            translated = answer.get("translatedText") if isinstance(answer, dict) else None
            if isinstance(translated, str):
                translated = [translated]
            if (
                not isinstance(translated, list)
                or len(translated) != len(texts)
                or not all(isinstance(t, str) for t in translated)
            ):
                raise _ServerFailure("the answer has no translatedText for each text")
            return translated

        translations = await self._guarded(call)
        provenance = Provenance("machine", engine=ENGINE, version=self._version)
        return [TranslatedText(t, target, provenance) for t in translations]

    # --- the plumbing ----------------------------------------------------------------------

    async def _guarded(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run ``call`` through the breaker, turning every failure into TranslationUnavailable."""
        self.breaker.enter()
        try:
            result = await call()
        except _ServerFailure as exc:
            self.breaker.failed()
            self._pairs = None  # read the languages again once it is back: its models may change
            log.warning("translation_unavailable", engine=ENGINE, cause=str(exc))
            raise TranslationUnavailable(f"{ENGINE}: {exc}") from exc
        except _Refused as exc:
            self.breaker.succeeded()
            log.warning("translation_refused", engine=ENGINE, cause=str(exc))
            raise TranslationUnavailable(f"{ENGINE}: {exc}") from exc
        except BaseException:
            self.breaker.abandoned()
            raise
        self.breaker.succeeded()
        return result

    async def _languages(self) -> dict[str, frozenset[str]]:
        if self._pairs is None:
            answer = await self._request("GET", "/languages", None)
            if not isinstance(answer, list):
                raise _ServerFailure("/languages did not answer a list")
            pairs: dict[str, frozenset[str]] = {}
            for language in answer:
                if isinstance(language, dict) and isinstance(language.get("code"), str):
                    targets = language.get("targets", [])
                    pairs[language["code"]] = frozenset(t for t in targets if isinstance(t, str))
            self._pairs = pairs
            if self._given_version is None:
                listed = json.dumps(sorted((s, sorted(t)) for s, t in pairs.items()))
                self._version = "pairs-" + hashlib.sha256(listed.encode()).hexdigest()[:12]
        return self._pairs

    def _body(self, q: str | list[str], source: str, target: str) -> dict[str, object]:
        body: dict[str, object] = {"q": q, "source": source, "target": target, "format": "text"}
        if self._api_key:
            body["api_key"] = self._api_key
        return body

    async def _request(self, method: str, path: str, body: dict[str, object] | None) -> Any:
        """The decoded JSON answer of a 200; retries what may pass, raises the rest."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        attempts = self._retries + 1
        retrying = bounded_retries(attempts=attempts, backoff=self._backoff, transient=_Transient)
        try:
            return await retrying(self._attempt, self._session, method, path, body)
        except _Transient as exc:
            raise _ServerFailure(f"{exc}, after {attempts} attempts") from exc

    async def _attempt(
        self, session: aiohttp.ClientSession, method: str, path: str, body: dict[str, object] | None
    ) -> Any:
        try:
            async with session.request(
                method, self.url + path, json=body, allow_redirects=False
            ) as response:
                status = response.status
                raw = await response.read()
        except TimeoutError as exc:
            raise _Transient(f"{path} timed out") from exc
        except aiohttp.ClientError as exc:
            raise _Transient(f"{path} unreachable ({type(exc).__name__})") from exc
        answer = _decoded(raw)
        if status == 200:
            if answer is None:
                raise _ServerFailure(f"{path} answered something other than JSON")
            return answer
        cause = f"{path} answered {status}{_error_of(answer)}"
        if status in RETRYABLE_STATUSES:
            raise _Transient(cause)
        raise _Refused(cause)


def _decoded(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _error_of(answer: Any) -> str:
    """LibreTranslate's ``{"error": ...}``, shortened; it names the problem, not the text."""
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        return f": {answer['error'][:_MAX_ERROR_LENGTH]}"
    return ""
