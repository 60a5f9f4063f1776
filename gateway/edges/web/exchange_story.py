"""The story of one exchange on its page: a line per audit entry about the signal, in the
viewer's language and time zone, partners by name.

An officer who opens a waiting message again and again within :data:`OPENED_WINDOW` is told
in one line with a count; the audit log keeps every opening, and the search and exports show
each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from gateway.edges.web.frame import Viewer
from gateway.edges.web.partner_names import PartnerNames
from gateway.flow.withdrawal import reason_label
from gateway.infra.audit import AuditEntry, EventKind
from gateway.infra.audit.keys import Key
from gateway.infra.audit.refs import Ref
from gateway.infra.i18n import N_, translate

EXCHANGE_EVENTS: Final[Mapping[str, str]] = {
    EventKind.SIGNAL_ACCEPTED: N_("accepted from the sender, decided per recipient"),
    EventKind.REVIEW_OPENED: N_("opened for review"),
    EventKind.REVIEW_RELEASED: N_("released after review"),
    EventKind.REVIEW_REJECTED: N_("rejected after review"),
    EventKind.COPY_SEALED: N_("sealed for the recipient"),
    EventKind.INBOX_FETCHED: N_("fetched by the recipient"),
    EventKind.INBOX_ACKNOWLEDGED: N_("acknowledged by the recipient"),
    EventKind.DELIVERY_ATTEMPTED: N_("pushed to the recipient's webhook"),
    EventKind.DELIVERY_RETRIED: N_("push retried"),
    EventKind.SIGNAL_HELD: N_("put on legal hold"),
    EventKind.SIGNAL_HOLD_LIFTED: N_("legal hold lifted"),
    EventKind.SIGNAL_ERASED: N_("content erased under the retention terms"),
    EventKind.SIGNAL_WITHDRAWN: N_("withdrawn by the sender"),
}
OPENED_WINDOW: Final = timedelta(minutes=15)
"""Openings of one copy by one officer within this time of the first are told as one line."""

_DETAILS: Final = (
    (Key.ENVELOPE, N_("envelope")),
    (Key.VERSION, N_("version")),
    (Key.REVIEW, N_("review")),
    (Key.KEY_ID, N_("key")),
    (Key.LANGUAGE, N_("language")),
    (Key.STATE, N_("state")),
    (Key.STATUS, N_("HTTP status")),
    (Key.ATTEMPT, N_("attempt")),
    (Key.BY, N_("by")),
    (Key.CORRECTED, N_("corrected fields")),
    (Key.RULE, N_("retention rule")),
    (Key.REVIEW_ON, N_("review date")),
    (Key.REASON, N_("reason")),
    (Key.REPLACED_BY, N_("replaced by")),
)


@dataclass(frozen=True)
class StoryLine:
    at: str
    at_iso: str
    kind: str
    what: str
    actor: str
    recipient: str
    details: tuple[tuple[str, str], ...]
    actor_shown: str = ""
    """The actor in words: a partner by name, a person by account."""
    recipient_shown: str = ""
    """The recipients by name."""
    count: int = 1
    """How many openings this line tells (:data:`OPENED_WINDOW`)."""
    last_at: str = ""
    """When the last of them was."""


def story(
    entries: Iterable[AuditEntry], viewer: Viewer, names: PartnerNames | None = None
) -> list[StoryLine]:
    """One line per audit entry about a signal, openings of one copy by one officer within
    :data:`OPENED_WINDOW` as one; an actor written the older way (a partner's bare id) reads
    as any other."""
    known = names or PartnerNames(())
    lines: list[StoryLine] = []
    openings: dict[tuple[str, str], tuple[int, datetime]] = {}
    for entry in entries:
        at = datetime.fromisoformat(entry.at)
        line = _line(entry, at, viewer, known)
        if entry.kind == EventKind.REVIEW_OPENED:
            who = (line.actor, line.recipient)
            first = openings.get(who)
            if first is not None and at - first[1] <= OPENED_WINDOW:
                told = lines[first[0]]
                lines[first[0]] = replace(told, count=told.count + 1, last_at=line.at)
                continue
            openings[who] = (len(lines), at)
        lines.append(line)
    return lines


def _line(entry: AuditEntry, at: datetime, viewer: Viewer, names: PartnerNames) -> StoryLine:
    data = entry.data
    actor = Ref.actor(entry.actor)
    recipients: list[str] = []
    if entry.kind == EventKind.INBOX_FETCHED:
        recipients = [actor.id]
    elif entry.kind == EventKind.SIGNAL_ACCEPTED:
        listed = data.get(Key.RECIPIENTS)
        recipients = [str(r) for r in listed] if isinstance(listed, list) else []
    elif data.get(Key.RECIPIENT):
        recipients = [str(data[Key.RECIPIENT])]
    details = tuple(
        (translate(label, viewer.language), _detail(key, data[key], viewer.language))
        for key, label in _DETAILS
        if data.get(key) not in (None, "", [])
    )
    return StoryLine(
        at=viewer.moment(at),
        at_iso=entry.at,
        kind=entry.kind,
        what=translate(EXCHANGE_EVENTS.get(entry.kind, entry.kind), viewer.language),
        actor=str(actor),
        recipient=", ".join(recipients),
        details=details,
        actor_shown=names.of_actor(actor),
        recipient_shown=", ".join(names[r].name for r in recipients),
    )


def _detail(key: Key, value: object, language: str) -> str:
    if key is Key.REASON:
        return reason_label(str(value), language)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
