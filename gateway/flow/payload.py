"""What a recipient reads once it opens an envelope: the message format ``euregate.message/1``.

One JSON document (canonical JSON, UTF-8) per copy:

- ``format``, ``signal_id``, ``sender``, ``recipient``, ``received_at``;
- ``version``: 1 for the first copy; a later version replaces the earlier one (the reviewed
  text following an ``immediate`` signal that went out before review);
- ``review``: ``none`` (no review needed), ``pending`` (machine or memory text not yet
  checked by a liaison officer; a reviewed version follows) or ``released`` (an officer
  checked and released it);
- ``signal``: the recipient's view of the signal, minimised by the sharing rules, in the
  signal's own structure and codes (free text as the sender wrote it, or as released);
- ``removed``: the data classes withheld, generalised, pseudonymised, held free text, and
  free text a liaison officer withheld;
- ``decision``: verdict, outcomes, the rules that fired with their reason and legal basis in
  the recipient's languages (all the policy's where a rule has none of them), the policy
  digest;
- ``document`` and ``text``: the rendering in the recipient's language, structured (every
  field with its label and provenance) and as plain text;
- ``retention`` (when the policy has terms): the retention rule, how many days after receipt
  at the gateway the recipient may keep its copy, the last such day, and the rule's legal
  basis in the recipient's languages.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC
from typing import Final

from euregate_client import canonical

from gateway.decide.decision import Decision
from gateway.decide.policy.retention import recipient_keeps_until
from gateway.flow.prepare import PreparedCopy
from gateway.infra.audit import timestamp

MESSAGE_FORMAT: Final = "euregate.message/1"


def message_payload(copy: PreparedCopy, *, version: int, review: str) -> bytes:
    """The plaintext sealed for the recipient: nothing the view does not contain. The
    rendering is encoded once for every copy that shares it."""
    view = copy.view
    members: dict[str, object] = {
        "format": MESSAGE_FORMAT,
        "signal_id": copy.stored.id,
        "sender": copy.stored.sender_id,
        "recipient": copy.recipient.id,
        "received_at": timestamp(copy.stored.received_at),
        "version": version,
        "review": review,
        "signal": view.document,
        "removed": {
            "withheld": [str(c) for c in view.withheld],
            "generalised": [str(c) for c in view.generalised],
            "pseudonymised": [str(c) for c in view.pseudonymised],
            "held": list(view.held),
            "withheld_texts": list(view.withheld_texts),
        },
        "decision": decision_for_reader(copy.decision, copy.recipient.languages),
    }
    if copy.retention is not None:
        members["retention"] = retention_for_reader(copy)
    encoded = {key: canonical.dumps(value) for key, value in members.items()}
    return canonical.object_of(
        encoded
        | {"document": copy.rendered.canonical_json(), "text": copy.rendered.canonical_text()}
    )


def retention_for_reader(copy: PreparedCopy) -> dict[str, object]:
    """How long the recipient may keep its copy, and why."""
    terms = copy.retention
    if terms is None:
        raise ValueError("the copy has no retention terms")
    received = copy.stored.received_at.astimezone(UTC).date()
    return {
        "rule": terms.id,
        "recipient_days": terms.recipient_days,
        "keep_until": recipient_keeps_until(terms, received=received).isoformat(),
        "legal_basis": _in_languages(terms.legal_basis.by_language(), copy.recipient.languages),
    }


def decision_for_reader(decision: Decision, languages: Collection[str]) -> dict[str, object]:
    """The decision as recorded, its rules' texts cut to the reader's ``languages``: the
    other languages' are the same texts again (nearly a fifth of a compressed message)."""
    recorded = decision.as_json()
    recorded["rules"] = [
        {
            "id": rule.id,
            "reason": _in_languages(rule.reason, languages),
            "legal_basis": _in_languages(rule.legal_basis, languages),
        }
        for rule in decision.rules
    ]
    return recorded


def _in_languages(texts: Mapping[str, str], languages: Collection[str]) -> dict[str, str]:
    kept = {language: text for language, text in texts.items() if language in languages}
    return kept or dict(texts)
