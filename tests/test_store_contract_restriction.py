"""The store's contract, whatever its backend: a restriction of processing holds every signal
indexed under its keys, and every later one, so that no copy of them is handed out to be
sealed, no envelope of them is in an inbox or due to be pushed; lifting it lets all of it go
on, the envelopes after everything their recipients have seen."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from gateway.infra.audit import AuditEvent, EventKind
from gateway.infra.clock import FixedClock
from gateway.store import CopyReview, NewCopy, NewSignal, ReviewOutcome, ReviewState, Store
from gateway.store.interface.restriction import (
    LiftedRestriction,
    NewRestriction,
    Restriction,
)
from tests.store_backends import START
from tests.store_events import an_event
from tests.test_store_contract_delivery import HOOK, sealed, waiting_for
from tests.test_store_contract_signals import (
    AACHEN,
    LIEGE,
    LIMBURG,
    accepted,
    decision,
    new_signal,
    with_partners,
)

ANNA, BERT = "key-anna", "key-bert"
LATER = START + timedelta(days=1)


@pytest.fixture
async def registry(empty_store: Store) -> Store:
    return await with_partners(empty_store)


def about(number: int, *keys: str, received: int = 0) -> NewSignal:
    """A signal to Liège and Aachen, indexed under ``keys``."""
    return replace(
        new_signal(number, LIEGE, AACHEN, received=received), subject_keys=frozenset(keys)
    )


def placed_event(placed: Restriction) -> AuditEvent:
    return an_event(
        EventKind.SUBJECT_RESTRICTED,
        restriction=placed.id,
        reason=placed.reason,
        signals=placed.signals,
    )


def lifted_event(done: LiftedRestriction) -> AuditEvent:
    return an_event(
        EventKind.SUBJECT_RESTRICTION_LIFTED,
        restriction=done.restriction.id,
        signals=done.signals,
    )


def restriction(number: int, *, due: int = 30) -> NewRestriction:
    return NewRestriction(
        f"restriction-{number}",
        "accuracy_contested",
        "the person disputes the address",
        START.date() + timedelta(days=due),
        "staff:officer-1",
    )


async def keep(store: Store, *signals: NewSignal) -> None:
    for signal in signals:
        await store.accept_signal(signal, accepted(signal))


async def seal_all(store: Store, *, webhook: str | None = None) -> list[str]:
    """Seal every copy due; the envelopes' ids."""
    kept = []
    for copy in await store.pending_copies(due=LATER, limit=100):
        envelope_id = f"env-{copy.id}"
        await store.keep_envelope(
            sealed(copy, envelope_id, webhook=webhook), an_event(EventKind.COPY_SEALED)
        )
        kept.append(envelope_id)
    return kept


async def signals_due(store: Store) -> set[str]:
    return {c.signal_id for c in await store.pending_copies(due=LATER, limit=100)}


async def signals_in_inbox(store: Store, recipient: str, *, after: int = 0) -> set[str]:
    return {e.signal_id for e in await store.inbox(recipient, after=after, limit=100)}


async def signals_pushed(store: Store) -> set[str]:
    return {d.signal_id for d in await store.due_pushes(due=LATER, per_recipient=100)}


async def test_placing_holds_every_copy_and_envelope_of_the_persons_signals_not_yet_received(
    registry: Store, store_clock: FixedClock
) -> None:
    sealed_one, queued_one, other = about(1, ANNA), about(2, ANNA, BERT), about(3, BERT)
    await registry.set_webhook(
        AACHEN.id, HOOK, lambda *_: an_event(EventKind.PARTNER_WEBHOOK_CHANGED)
    )
    await keep(registry, sealed_one)
    await seal_all(registry, webhook=HOOK)
    await keep(registry, queued_one, other)
    store_clock.set(START + timedelta(minutes=5))
    entries_before = len(await registry.audit_entries())

    placed = await registry.place_restriction(restriction(1), {ANNA}, placed_event)

    assert placed == Restriction(
        "restriction-1",
        "accuracy_contested",
        "the person disputes the address",
        date(2026, 4, 1),
        "staff:officer-1",
        START + timedelta(minutes=5),
        2,
    )
    assert placed.active
    assert await registry.restriction(placed.id) == placed
    assert await signals_due(registry) == {other.id}
    assert await signals_in_inbox(registry, LIEGE.id) == set()
    assert await signals_in_inbox(registry, AACHEN.id) == set()
    assert await signals_pushed(registry) == set()
    assert await registry.signal_restricted(queued_one.id)
    assert await registry.signal_restricted(sealed_one.id)
    assert not await registry.signal_restricted(other.id)
    entries = await registry.audit_entries()
    assert len(entries) == entries_before + 1
    assert entries[-1].kind == "subject.restricted"
    assert entries[-1].data["signals"] == 2


async def test_an_acknowledged_envelope_and_a_withdrawal_notice_are_not_held(
    registry: Store,
) -> None:
    signal = about(1, ANNA)
    await keep(registry, signal)
    (_, aachen) = sorted(await seal_all(registry))
    await registry.acknowledge(AACHEN.id, aachen, an_event(EventKind.INBOX_ACKNOWLEDGED))
    await registry.withdraw_signal(
        signal.id,
        reason="data_incorrect",
        by=LIMBURG.id,
        event=lambda _: an_event(EventKind.SIGNAL_WITHDRAWN),
    )

    await registry.place_restriction(restriction(1), {ANNA}, placed_event)

    notices = await registry.pending_copies(due=LATER, limit=10)
    assert {(c.recipient_id, c.notice) for c in notices} == {
        (LIEGE.id, "data_incorrect"),
        (AACHEN.id, "data_incorrect"),
    }
    acknowledged = await registry.envelope(aachen)
    assert acknowledged is not None
    assert acknowledged.acked_at is not None
    assert await signals_in_inbox(registry, LIEGE.id) == set()


async def test_a_signal_about_the_person_arriving_later_waits_and_one_about_another_does_not(
    registry: Store,
) -> None:
    await registry.place_restriction(restriction(1), {ANNA}, placed_event)

    later, other = about(1, BERT, ANNA), about(2, BERT)
    await keep(registry, later, other)

    assert await signals_due(registry) == {other.id}
    assert await registry.signal_restricted(later.id)
    (track,) = await registry.signal_tracks([later.id])
    assert track.restricted
    (free,) = await registry.signal_tracks([other.id])
    assert not free.restricted


async def test_lifting_lets_everything_go_on_and_puts_envelopes_after_what_was_seen(
    registry: Store, store_clock: FixedClock
) -> None:
    await registry.set_webhook(
        AACHEN.id, HOOK, lambda *_: an_event(EventKind.PARTNER_WEBHOOK_CHANGED)
    )
    first = about(1, ANNA)
    await keep(registry, first)
    await seal_all(registry, webhook=HOOK)
    placed = await registry.place_restriction(restriction(1), {ANNA}, placed_event)
    queued, other = about(2, ANNA, received=1), about(3, BERT, received=2)
    await keep(registry, queued, other)
    await seal_all(registry, webhook=HOOK)
    seen = max(e.position for e in await registry.inbox(LIEGE.id, after=0, limit=10))
    assert await signals_in_inbox(registry, LIEGE.id) == {other.id}
    store_clock.set(START + timedelta(hours=1))

    done = await registry.lift_restriction(
        placed.id, by="staff:officer-2", decision="lifted", event=lifted_event
    )

    assert done is not None
    assert done.signals == 2
    assert done.recipients == (LIEGE.id, AACHEN.id)  # sorted by id
    assert done.restriction == replace(
        placed,
        lifted_by="staff:officer-2",
        lifted_at=START + timedelta(hours=1),
        decision="lifted",
    )
    assert await signals_in_inbox(registry, LIEGE.id, after=seen) == {first.id}
    assert await signals_due(registry) == {queued.id}
    assert first.id in await signals_pushed(registry)
    assert not await registry.signal_restricted(first.id)
    assert await registry.active_restrictions(limit=10) == []
    assert (await registry.audit_entries())[-1].kind == "subject.restriction_lifted"
    again = await registry.lift_restriction(
        placed.id, by="staff:officer-2", decision="lifted", event=lifted_event
    )
    assert again is None
    await keep(registry, about(4, ANNA, received=3))
    assert about(4, ANNA).id in await signals_due(registry)


async def test_a_signal_two_restrictions_hold_waits_until_both_are_lifted(
    registry: Store,
) -> None:
    signal = about(1, ANNA, BERT)
    await keep(registry, signal)
    anna = await registry.place_restriction(restriction(1), {ANNA}, placed_event)
    bert = await registry.place_restriction(restriction(2), {BERT}, placed_event)

    one = await registry.lift_restriction(anna.id, by="x", decision="lifted", event=lifted_event)

    assert one is not None
    assert (one.signals, one.recipients) == (0, ())
    assert await signals_due(registry) == set()
    two = await registry.lift_restriction(bert.id, by="x", decision="lifted", event=lifted_event)
    assert two is not None
    assert two.signals == 1
    assert await signals_due(registry) == {signal.id}


async def test_active_restrictions_are_listed_earliest_due_first_within_the_limit(
    registry: Store,
) -> None:
    for number, due in ((1, 40), (2, 10), (3, 20)):
        await registry.place_restriction(restriction(number, due=due), {ANNA}, placed_event)
    await registry.lift_restriction("restriction-3", by="x", decision="lifted", event=lifted_event)

    listed = await registry.active_restrictions(limit=10)

    assert [r.id for r in listed] == ["restriction-2", "restriction-1"]
    assert [r.id for r in await registry.active_restrictions(limit=1)] == ["restriction-2"]
    lifted = await registry.restriction("restriction-3")
    assert lifted is not None
    assert not lifted.active
    assert lifted.decision == "lifted"
    assert await registry.restriction("nothing") is None


async def test_a_release_while_held_queues_its_copy_held_and_a_withdrawal_cancels_it(
    registry: Store,
) -> None:
    signal = replace(
        about(1, ANNA),
        recipients=(LIEGE.id,),
        decisions=(decision(LIEGE),),
        copies=(),
        reviews=(waiting_for(LIEGE, 1),),
    )
    await keep(registry, signal)
    await registry.place_restriction(restriction(1), {ANNA}, placed_event)

    released = ReviewOutcome(
        ReviewState.RELEASED,
        "officer-1",
        copy=NewCopy("c-released", LIEGE.id, CopyReview.RELEASED, review_item_id="item-1"),
    )
    await registry.decide_review("item-1", released, an_event(EventKind.REVIEW_RELEASED))

    assert await signals_due(registry) == set()
    withdrawn = await registry.withdraw_signal(
        signal.id,
        reason="sent_in_error",
        by=LIMBURG.id,
        event=lambda _: an_event(EventKind.SIGNAL_WITHDRAWN),
    )
    assert withdrawn is not None
    assert withdrawn.cancelled == 1
    (anna,) = await registry.active_restrictions(limit=1)
    await registry.lift_restriction(anna.id, by="x", decision="lifted", event=lifted_event)
    assert await signals_due(registry) == set()


async def test_retention_erases_nothing_a_restriction_holds_until_it_is_lifted(
    registry: Store,
) -> None:
    held, free = about(1, ANNA), about(2, BERT)
    await keep(registry, held, free)
    placed = await registry.place_restriction(restriction(1), {ANNA}, placed_event)
    erased_event = lambda _: an_event(EventKind.SIGNAL_ERASED)  # noqa: E731

    kept = [k.signal_id for k in await registry.kept_signals(after="", limit=10)]

    assert kept == [free.id]
    assert await registry.count_kept() == 1
    assert await registry.erase_signal(held.id, rule="K1", event=erased_event) is None
    await registry.lift_restriction(placed.id, by="x", decision="lifted", event=lifted_event)
    assert await registry.count_kept() == 2
    assert await registry.erase_signal(held.id, rule="K1", event=erased_event) is not None
