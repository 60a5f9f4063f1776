"""RFC 9457 problem documents: the one shape every refusal takes, in the caller's language."""

from __future__ import annotations

from gateway.infra.errors import EuregateError, FieldIssue, Reason
from gateway.infra.i18n import translate

MEDIA_TYPE = "application/problem+json"


def problem_document(
    error: EuregateError,
    *,
    language: str,
    instance: str | None = None,
    request_id: str | None = None,
) -> dict[str, object]:
    """The problem document for ``error``, with every field issue listed under ``errors``."""
    document: dict[str, object] = {
        "type": error.type_uri,
        "title": translate(error.title, language),
        "status": error.status,
        "detail": translate(error.detail_id, language, **_translated(error.params, language)),
    }
    if instance is not None:
        document["instance"] = instance
    if error.issues:
        document["errors"] = [issue_document(issue, language) for issue in error.issues]
    document.update(error.extensions())
    if request_id is not None:
        document["request_id"] = request_id
    return document


def issue_document(issue: FieldIssue, language: str) -> dict[str, object]:
    return {
        "pointer": issue.pointer,
        "code": issue.code,
        "detail": translate(issue.message, language, **issue.params),
    }


def _translated(params: dict[str, object], language: str) -> dict[str, object]:
    """Parameters that are themselves message ids (such as a refusal reason) translate too,
    with the other parameters filling their placeholders."""
    reasons = params.get("reasons")
    if isinstance(reasons, tuple):
        told = "; ".join(told_reason(each, language) for each in reasons)
        return {**params, "reason": told}
    reason = params.get("reason_id", params.get("reason"))
    if not isinstance(reason, str):
        return params
    others = {name: value for name, value in params.items() if name not in ("reason", "reason_id")}
    try:
        said = translate(reason, language, **others) if others else translate(reason, language)
    except (KeyError, IndexError, ValueError):
        said = translate(reason, language)
    return {**params, "reason": said}


def told_reason(reason: object, language: str) -> str:
    """One of a refusal's :class:`Reason` in ``language``; anything else as it is."""
    if isinstance(reason, Reason):
        return translate(reason.message, language, **reason.params)
    return str(reason)
