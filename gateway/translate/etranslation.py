"""The European Commission's eTranslation service: the shapes of its API, without any I/O.

eTranslation is the machine translation the Commission offers EU public administrations. It
works asynchronously. A client POSTs a JSON request to ``.../etranslation/si/translate``,
authenticated by HTTP Digest with its application name and password::

    {"priority": 0, "externalReference": "<job id>",
     "callerInformation": {"application": "<application>", "username": "<user>"},
     "sourceLanguage": "NL", "targetLanguages": ["FR"], "domain": "GEN",
     "requesterCallback": "https://.../done", "errorCallback": "https://.../error",
     "textToTranslate": "..."}

and the service answers with a request id: a positive number, or a negative one naming why it
refused the request. Later it POSTs the translation as a form to ``requesterCallback``
(``request-id``, ``target-language``, ``translated-text``, ``external-reference``), or the
failure to ``errorCallback`` (``request-id``, ``target-languages``, ``error-code``,
``error-message``, ``external-reference``). Languages are upper-case ISO 639-1 codes.

Each job's callback URLs name the job and carry a secret token of its own
(:func:`callback_urls`), which only a digest of is kept (:func:`token_digest`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from gateway.infra.errors import TranslationCallbackInvalid

ENGINE: Final = "etranslation"
DEFAULT_URL: Final = "https://webgate.ec.europa.eu/etranslation/si/translate"
DEFAULT_DOMAIN: Final = "GEN"
CALLBACK_PATH: Final = "/v1/etranslation"
"""Where the staff listener takes the service's callbacks: ``{CALLBACK_PATH}/{job}/{token}/done``
and ``.../error``."""

MAX_ERROR_MESSAGE: Final = 200

REFUSALS: Final = {
    -20000: "source language not specified",
    -20001: "invalid source language",
    -20002: "target language(s) not specified",
    -20003: "invalid target language(s)",
    -20005: "caller information not specified",
    -20006: "missing application name",
    -20007: "application not authorized to access the service",
    -20013: "language pair not supported by the domain",
    -20014: "username not specified",
    -20021: "text to translate too long",
    -20026: "bad requester callback protocol",
    -20027: "bad error callback protocol",
    -20028: "concurrency quota exceeded",
    -20029: "document format not supported",
    -20030: "text to translate is empty",
}
"""Refusal codes of the service's documentation that a text request can meet; others are
named by their number alone."""


class SubmissionRefused(Exception):
    """The service answered the request and will not translate it."""


@dataclass(frozen=True)
class Submission:
    """One text to translate from ``source`` into ``target`` (the gateway's lower-case codes)."""

    text: str
    source: str
    target: str
    job_id: str
    done_url: str
    error_url: str
    application: str
    username: str
    domain: str = DEFAULT_DOMAIN

    def as_json(self) -> dict[str, object]:
        return {
            "priority": 0,
            "externalReference": self.job_id,
            "callerInformation": {"application": self.application, "username": self.username},
            "sourceLanguage": service_language(self.source),
            "targetLanguages": [service_language(self.target)],
            "domain": self.domain,
            "requesterCallback": self.done_url,
            "errorCallback": self.error_url,
            "textToTranslate": self.text,
        }


@dataclass(frozen=True)
class Delivered:
    """The translation, as the service posts it to ``requesterCallback``."""

    request_id: int
    target: str
    text: str
    external_reference: str


@dataclass(frozen=True)
class Failed:
    """The service's failure, as it posts it to ``errorCallback``."""

    request_id: int
    error_code: str
    error_message: str
    external_reference: str


def service_language(language: str) -> str:
    """The service's code for one of the gateway's languages (``nl`` → ``NL``)."""
    return language.upper()


def request_id_of(answer: bytes) -> int:
    """The request id the service answered a submission with; raises
    :class:`SubmissionRefused` for a negative one, :class:`ValueError` for anything else."""
    request_id = int(answer.decode("ascii").strip().strip('"'))
    if request_id < 0:
        cause = REFUSALS.get(request_id, "refused")
        raise SubmissionRefused(f"the service answered {request_id} ({cause})")
    if request_id == 0:
        raise ValueError("a request id is a positive number")
    return request_id


def callback_urls(base: str, job_id: str, token: str) -> tuple[str, str]:
    """The job's ``requesterCallback`` and ``errorCallback`` under the staff listener's
    public ``base`` URL."""
    path = f"{base.rstrip('/')}{CALLBACK_PATH}/{quote(job_id, safe='')}/{quote(token, safe='')}"
    return f"{path}/done", f"{path}/error"


def token_digest(token: str) -> str:
    """What the store keeps of a job's callback token."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, digest: str) -> bool:
    """Whether ``token`` is the one ``digest`` was made from, in constant time."""
    return hmac.compare_digest(token_digest(token).encode(), digest.encode())


def delivered_from(form: Mapping[str, str]) -> Delivered:
    """The translation in a form posted to ``requesterCallback``."""
    target = _field(form, "target-language")
    return Delivered(
        request_id=_request_id(form),
        target=target.lower(),
        text=_field(form, "translated-text", blank=True),
        external_reference=_field(form, "external-reference"),
    )


def failed_from(form: Mapping[str, str]) -> Failed:
    """The failure in a form posted to ``errorCallback``."""
    return Failed(
        request_id=_request_id(form),
        error_code=_field(form, "error-code")[:MAX_ERROR_MESSAGE],
        error_message=form.get("error-message", "")[:MAX_ERROR_MESSAGE],
        external_reference=_field(form, "external-reference"),
    )


def _field(form: Mapping[str, str], name: str, *, blank: bool = False) -> str:
    value = form.get(name)
    if value is None or (not blank and not value.strip()):
        raise TranslationCallbackInvalid(field=name)
    return value


def _request_id(form: Mapping[str, str]) -> int:
    try:
        request_id = int(_field(form, "request-id"))
    except ValueError as exc:
        raise TranslationCallbackInvalid(field="request-id") from exc
    if request_id <= 0:
        raise TranslationCallbackInvalid(field="request-id")
    return request_id
