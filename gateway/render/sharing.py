"""When two recipients' copies render to the same document, and handing one rendering to both.

A signal sent to nine Dutch police forces under the same rules gives nine views with the same
content; rendering each again is most of the courier's work per copy. :func:`render` reads
nothing of the recipient but its id (carried into the document), its languages (the first to
write in, all of them to mark text in none of them) and its country (locale and time zone),
and nothing of the decision but the rules behind each class
(:func:`~gateway.render.renderer.class_rules`). :func:`rendering_key` digests exactly those
inputs, so two copies with the same key render to the same document but for its
``recipient_id``, which :func:`for_recipient` sets.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime

from gateway.contract.partners import Partner
from gateway.decide.decision import Decision
from gateway.decide.policy import Policy, RetentionTerms
from gateway.minimise import RecipientView
from gateway.render.renderer import (
    TIME_ZONES,
    RenderedDocument,
    class_rules,
    locale_of,
)
from gateway.translate.types import TranslatedText


def rendering_key(
    view: RecipientView,
    recipient: Partner,
    decision: Decision,
    *,
    translations: Mapping[str, TranslatedText] | None = None,
    received_at: datetime | None = None,
    policy: Policy | None = None,
    retention: RetentionTerms | None = None,
) -> bytes:
    """A digest of everything :func:`render` reads from these arguments but the recipient's id."""
    inputs = {
        "document": view.document,
        "withheld": [str(c) for c in view.withheld],
        "held": list(view.held),
        "withheld_texts": list(view.withheld_texts),
        "generalised": [str(c) for c in view.generalised],
        "pseudonymised": [str(c) for c in view.pseudonymised],
        "languages": list(recipient.languages),
        "locale": locale_of(recipient),
        "zone": TIME_ZONES[recipient.country],
        "translations": {p: t.as_json() for p, t in (translations or {}).items()},
        "rules": {str(c): list(ids) for c, ids in class_rules(view, decision, policy).items()},
        "received_at": None if received_at is None else received_at.isoformat(),
        "retention": None if retention is None else [retention.id, retention.recipient_days],
    }
    encoded = json.dumps(inputs, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).digest()


def for_recipient(document: RenderedDocument, recipient_id: str) -> RenderedDocument:
    """``document`` as rendered for ``recipient_id`` (same key, another recipient)."""
    if document.recipient_id == recipient_id:
        return document
    return document.readdressed(recipient_id)
