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
- ``removed``: the data classes withheld, generalised, pseudonymised, and held free text;
- ``decision``: verdict, outcomes, the rules that fired with their reason and legal basis in
  the recipient's languages (all the policy's where a rule has none of them), the policy
  digest;
- ``document`` and ``text``: the rendering in the recipient's language, structured (every
  field with its label and provenance) and as plain text.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Final

from gateway.decide.decision import Decision
from gateway.flow.prepare import PreparedCopy
from gateway.infra import canonical
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
        },
        "decision": decision_for_reader(copy.decision, copy.recipient.languages),
    }
    encoded = {key: canonical.dumps(value) for key, value in members.items()}
    return canonical.object_of(
        encoded
        | {"document": copy.rendered.canonical_json(), "text": copy.rendered.canonical_text()}
    )


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
