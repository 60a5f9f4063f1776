"""Which audit entries a partner may prove: the ones about its own exchanges, by their typed
events' actor, subject and recipient, and no other."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.infra import audit
from gateway.infra.audit import AuditEvent, EventKind, refs
from gateway.infra.audit.refs import AuditEntryInvalid
from gateway.transparency.scope import COPY_STEPS, concerns, signal_of
from tests.store_events import AsWrittenBefore, an_event

LIMBURG, LIEGE, AACHEN = "nl-pol-limburg", "be-pol-liege", "de-pol-aachen"
SIGNAL = "01a2-signal"


def entry(event: AuditEvent) -> audit.AuditEntry:
    return audit.chain(event, seq=1, prev_hash=audit.GENESIS, at=datetime(2026, 12, 4, tzinfo=UTC))


def about_signal(kind: EventKind, **given: object) -> audit.AuditEntry:
    return entry(an_event(kind, about=refs.signal(SIGNAL), **given))


ACCEPTED = entry(an_event(EventKind.SIGNAL_ACCEPTED, by=refs.partner(LIMBURG), signal_id=SIGNAL))
ACKNOWLEDGED = about_signal(EventKind.INBOX_ACKNOWLEDGED, by=refs.partner(LIEGE), recipient=LIEGE)
FETCHED = entry(
    an_event(EventKind.INBOX_FETCHED, by=refs.partner(LIEGE), about=refs.partner(LIEGE))
)
CASES = [
    # entry, its signal's sender, the partner asking, may it prove it?
    (ACCEPTED, LIMBURG, LIMBURG, True),
    (ACCEPTED, LIMBURG, LIEGE, False),
    (about_signal(EventKind.COPY_SEALED, recipient=LIEGE), LIMBURG, LIEGE, True),
    (about_signal(EventKind.COPY_SEALED, recipient=LIEGE), LIMBURG, LIMBURG, True),
    (about_signal(EventKind.COPY_SEALED, recipient=LIEGE), LIMBURG, AACHEN, False),
    (about_signal(EventKind.DELIVERY_ATTEMPTED, recipient=AACHEN), LIMBURG, AACHEN, True),
    (about_signal(EventKind.DELIVERY_RETRIED, recipient=AACHEN), LIMBURG, AACHEN, True),
    (ACKNOWLEDGED, LIMBURG, LIEGE, True),
    (about_signal(EventKind.REVIEW_REJECTED, recipient=LIEGE), LIMBURG, LIEGE, False),
    (about_signal(EventKind.REVIEW_RELEASED, recipient=LIEGE), LIMBURG, LIEGE, False),
    (about_signal(EventKind.REVIEW_OPENED, recipient=LIEGE), LIMBURG, LIMBURG, True),
    (FETCHED, None, LIEGE, True),
    (entry(an_event(EventKind.PARTNER_ADDED, about=refs.partner(LIEGE))), None, LIEGE, True),
    (entry(an_event(EventKind.PARTNER_ADDED, about=refs.partner(LIEGE))), None, AACHEN, False),
    (entry(an_event(EventKind.CHECKPOINT_COSIGNED, by=refs.partner(AACHEN))), None, AACHEN, True),
    (entry(an_event(EventKind.CHECKPOINT_COSIGNED, by=refs.partner(AACHEN))), None, LIEGE, False),
    (entry(an_event(EventKind.STAFF_LOGIN_SUCCEEDED)), None, LIEGE, False),
    (entry(an_event(EventKind.AUTHENTICATION_REFUSED)), None, LIEGE, False),
]  # fmt: skip


@pytest.mark.parametrize(("written", "sender", "asking", "allowed"), CASES)
def test_a_partner_proves_the_entries_about_its_own_exchanges_only(
    written: audit.AuditEntry, sender: str | None, asking: str, allowed: bool
) -> None:
    assert concerns(written, asking, signal_sender=sender) is allowed


def test_a_partner_written_by_its_bare_id_is_still_the_actor() -> None:
    written = entry(AsWrittenBefore(LIEGE, SIGNAL))  # type: ignore[arg-type]

    assert written.actor == LIEGE
    assert concerns(written, LIEGE, signal_sender=None)
    assert not concerns(written, AACHEN, signal_sender=None)


def test_an_entry_names_its_signal_by_its_subject_only() -> None:
    assert signal_of(about_signal(EventKind.COPY_SEALED)) == SIGNAL
    assert signal_of(entry(an_event(EventKind.PARTNER_ADDED, about=refs.partner(LIEGE)))) is None
    assert signal_of(entry(an_event(EventKind.STAFF_LOGIN_REFUSED, about=None))) is None


@given(st.sampled_from(sorted(EventKind)), st.sampled_from([LIMBURG, LIEGE, AACHEN]))
def test_no_entry_of_another_partners_signal_and_copy_is_ever_proven_to_a_third(
    kind: EventKind, third: str
) -> None:
    """Whatever the kind: an entry acted by the sender about its signal, naming another
    recipient, is never in the scope of a partner that is neither."""
    sender, recipient = LIMBURG, LIEGE
    if third in (sender, recipient):
        return
    try:
        event = an_event(kind, by=refs.partner(sender))
    except AuditEntryInvalid:
        return
    written = entry(event)
    assert not concerns(written, third, signal_sender=sender)
    assert kind not in COPY_STEPS or not concerns(written, third, signal_sender=None)
