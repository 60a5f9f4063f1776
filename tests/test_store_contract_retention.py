"""The store's contract, whatever its backend: the signals that still hold content, erasing
one's content (rows and audit entries kept), and claiming a day's retention run."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from gateway.infra.audit import AuditEvent, EventKind
from gateway.infra.clock import FixedClock
from gateway.store import CopyReview, NewCopy, ReviewOutcome, ReviewState, Store
from gateway.store.interface.retention import Erased, LegalHold
from tests.store_backends import START
from tests.store_events import an_event
from tests.test_store_contract_delivery import sealed, waiting_for
from tests.test_store_contract_signals import (
    AACHEN,
    LIEGE,
    accepted,
    decision,
    new_signal,
    with_partners,
)


@pytest.fixture
async def registry(empty_store: Store) -> Store:
    return await with_partners(empty_store)


def erased_event(done: Erased) -> AuditEvent:
    return an_event(
        EventKind.SIGNAL_ERASED,
        signal_id=done.signal_id,
        envelopes=done.envelopes,
        review_items=done.review_items,
        subject_keys=done.subject_keys,
        memory_segments=done.memory_segments,
        translation_jobs=done.translation_jobs,
    )


async def a_signal_delivered_and_waiting(store: Store, clock: FixedClock) -> str:
    """A signal to Aachen (delivered: its envelope kept a minute after intake) and to Liège
    (waiting for an officer), indexed under two subject keys; its id."""
    signal = replace(
        new_signal(1, AACHEN, LIEGE),
        copies=(NewCopy("c1-aachen", AACHEN.id, CopyReview.NONE),),
        reviews=(waiting_for(LIEGE, 1),),
        decisions=(decision(AACHEN), decision(LIEGE)),
        subject_keys=frozenset({"key-a", "key-b"}),
    )
    await store.accept_signal(signal, accepted(signal))
    clock.set(START + timedelta(minutes=1))
    (copy,) = [c for c in await store.pending_copies(due=clock.now()) if c.signal_id == signal.id]
    await store.keep_envelope(sealed(copy, "env-1"), an_event(EventKind.COPY_SEALED))
    return signal.id


async def test_a_kept_signal_is_listed_with_when_it_was_last_delivered(
    registry: Store, store_clock: FixedClock
) -> None:
    fresh = new_signal(2, AACHEN)
    await registry.accept_signal(fresh, accepted(fresh))
    signal_id = await a_signal_delivered_and_waiting(registry, store_clock)

    kept = {k.signal_id: k for k in await registry.kept_signals(after="", limit=10)}

    assert kept[fresh.id].last_delivery is None
    assert kept[signal_id].last_delivery == START + timedelta(minutes=1)
    assert kept[signal_id].received_at == START
    assert (kept[signal_id].category, kept[signal_id].purpose, kept[signal_id].handling_code) == (
        "undermining.drug_waste",
        "criminal_investigation",
        "H2",
    )
    assert await registry.count_kept() == 2
    assert signal_id < fresh.id
    after = await registry.kept_signals(after=signal_id, limit=10)
    assert [k.signal_id for k in after] == [fresh.id]
    assert [k.signal_id for k in await registry.kept_signals(after="", limit=1)] == [signal_id]


async def test_erasing_removes_the_content_and_every_derived_copy_but_keeps_the_rows(
    registry: Store, store_clock: FixedClock
) -> None:
    signal_id = await a_signal_delivered_and_waiting(registry, store_clock)
    entries_before = len(await registry.audit_entries())

    done = await registry.erase_signal(signal_id, rule="K0", event=erased_event)

    assert done == Erased(
        signal_id,
        envelopes=1,
        review_items=1,
        subject_keys=2,
        memory_segments=0,
        translation_jobs=0,
    )
    assert await registry.sealed_body(signal_id) is None
    assert await registry.signal(signal_id) is not None
    assert await registry.inbox(AACHEN.id, after=0, limit=10) == []
    assert await registry.envelope("env-1") is None
    assert await registry.envelopes_of_signal(signal_id) == []
    assert await registry.signals_with_keys(["key-a", "key-b"]) == []
    item = await registry.review_item("item-1")
    assert item is not None
    assert item.state is ReviewState.ERASED
    assert await registry.pending_reviews(countries=None) == []
    assert await registry.review_correction("item-1") is None
    entries = await registry.audit_entries()
    assert len(entries) == entries_before + 1
    assert entries[-1].kind == "signal.erased"
    assert await registry.kept_signals(after="", limit=10) == []
    assert await registry.count_kept() == 0


async def test_a_signal_is_erased_once(registry: Store, store_clock: FixedClock) -> None:
    signal_id = await a_signal_delivered_and_waiting(registry, store_clock)
    assert await registry.erase_signal(signal_id, rule="K0", event=erased_event) is not None
    entries = len(await registry.audit_entries())

    assert await registry.erase_signal(signal_id, rule="K0", event=erased_event) is None
    assert len(await registry.audit_entries()) == entries


async def test_a_day_is_claimed_once_and_only_after_the_last(registry: Store) -> None:
    day = date(2026, 3, 2)
    assert await registry.claim_retention_day(day) is True
    assert await registry.claim_retention_day(day) is False
    assert await registry.claim_retention_day(day - timedelta(days=1)) is False
    assert await registry.claim_retention_day(day + timedelta(days=1)) is True


async def test_erasing_removes_the_texts_an_officer_released(
    registry: Store, store_clock: FixedClock
) -> None:
    signal_id = await a_signal_delivered_and_waiting(registry, store_clock)
    await registry.decide_review(
        "item-1",
        ReviewOutcome(ReviewState.RELEASED, "m.dubois", correction=b"sealed texts"),
        an_event(EventKind.REVIEW_RELEASED),
    )
    assert await registry.review_correction("item-1") == b"sealed texts"

    await registry.erase_signal(signal_id, rule="K0", event=erased_event)

    assert await registry.review_correction("item-1") is None
    item = await registry.review_item("item-1")
    assert item is not None
    assert item.state is ReviewState.RELEASED


async def acknowledged_envelope(store: Store, clock: FixedClock, number: int) -> str:
    """A signal to Aachen whose envelope Aachen acknowledged a minute after intake; its id."""
    signal = new_signal(number, AACHEN)
    await store.accept_signal(signal, accepted(signal))
    (copy,) = [c for c in await store.pending_copies(due=clock.now()) if c.signal_id == signal.id]
    await store.keep_envelope(sealed(copy, f"env-{number}"), an_event(EventKind.COPY_SEALED))
    clock.set(clock.now() + timedelta(minutes=1))
    await store.acknowledge(AACHEN.id, f"env-{number}", an_event(EventKind.INBOX_ACKNOWLEDGED))
    return f"env-{number}"


async def test_acknowledged_envelopes_are_listed_in_order_and_erased_once(
    registry: Store, store_clock: FixedClock
) -> None:
    first = await acknowledged_envelope(registry, store_clock, 1)
    second = await acknowledged_envelope(registry, store_clock, 2)
    unacknowledged = new_signal(3, AACHEN)
    await registry.accept_signal(unacknowledged, accepted(unacknowledged))
    (copy,) = await registry.pending_copies(due=store_clock.now())
    await registry.keep_envelope(sealed(copy, "env-3"), an_event(EventKind.COPY_SEALED))

    settled = await registry.settled_envelopes(after=0, limit=10)
    assert [e.envelope_id for e in settled] == [first, second]
    assert settled[0].acked_at == START + timedelta(minutes=1)
    assert [
        e.envelope_id for e in await registry.settled_envelopes(after=settled[0].seq, limit=10)
    ] == [second]
    entries = len(await registry.audit_entries())

    erased = await registry.erase_envelopes(
        [first, "env-3"], an_event(EventKind.ENVELOPES_ERASED, envelopes=(first,))
    )

    assert erased == 1
    assert len(await registry.audit_entries()) == entries + 1
    assert await registry.envelope(first) is None
    assert await registry.envelope("env-3") is not None
    assert [e.envelope_id for e in await registry.settled_envelopes(after=0, limit=10)] == [second]
    assert await registry.erase_envelopes([first], an_event(EventKind.ENVELOPES_ERASED)) == 0
    assert len(await registry.audit_entries()) == entries + 1


def a_hold(signal_id: str, review_on: date = date(2026, 6, 1)) -> LegalHold:
    return LegalHold(signal_id, "court case 12/345", review_on, "admin:c.janssens", START)


async def test_a_held_signal_is_neither_listed_nor_erased_until_the_hold_is_lifted(
    registry: Store, store_clock: FixedClock
) -> None:
    signal_id = await a_signal_delivered_and_waiting(registry, store_clock)
    held = an_event(EventKind.SIGNAL_HELD, signal_id=signal_id)

    assert await registry.place_hold(a_hold(signal_id), held) is True
    assert await registry.place_hold(a_hold(signal_id), held) is False
    assert await registry.legal_holds(limit=10) == [a_hold(signal_id)]
    assert await registry.kept_signals(after="", limit=10) == []
    assert await registry.erase_signal(signal_id, rule="K0", event=erased_event) is None
    assert await registry.sealed_body(signal_id) is not None

    lifted = an_event(EventKind.SIGNAL_HOLD_LIFTED, signal_id=signal_id)
    assert await registry.lift_hold(signal_id, lifted) is True
    assert await registry.lift_hold(signal_id, lifted) is False
    assert await registry.legal_holds(limit=10) == []
    assert await registry.erase_signal(signal_id, rule="K0", event=erased_event) is not None
    assert await registry.place_hold(a_hold(signal_id), held) is False
    kinds = [entry.kind for entry in await registry.audit_entries()]
    assert kinds.count("signal.held") == 1
    assert kinds.count("signal.hold_lifted") == 1


async def test_holds_are_listed_by_review_day_and_an_unknown_signal_is_not_held(
    registry: Store,
) -> None:
    for number, review_on in ((1, date(2026, 9, 1)), (2, date(2026, 7, 1))):
        signal = new_signal(number, AACHEN)
        await registry.accept_signal(signal, accepted(signal))
        await registry.place_hold(a_hold(signal.id, review_on), an_event(EventKind.SIGNAL_HELD))

    assert [h.review_on for h in await registry.legal_holds(limit=10)] == [
        date(2026, 7, 1),
        date(2026, 9, 1),
    ]
    assert [h.review_on for h in await registry.legal_holds(limit=1)] == [date(2026, 7, 1)]
    assert await registry.place_hold(a_hold("no-such"), an_event(EventKind.SIGNAL_HELD)) is False


async def test_a_backup_holds_what_was_erased_after_it_of_what_was_kept_when_it_was_made(
    registry: Store, store_clock: FixedClock
) -> None:
    signal_id = await a_signal_delivered_and_waiting(registry, store_clock)
    store_clock.set(START + timedelta(days=3))
    await registry.erase_signal(signal_id, rule="K0", event=erased_event)

    assert await registry.first_erasure_after(START) == START + timedelta(days=3)
    assert await registry.first_erasure_after(START + timedelta(days=3)) is None
    assert await registry.first_erasure_after(START - timedelta(seconds=1)) is None


async def test_one_signals_retention_shows_its_terms_inputs_its_hold_and_its_erasure(
    registry: Store, store_clock: FixedClock
) -> None:
    signal_id = await a_signal_delivered_and_waiting(registry, store_clock)
    kept = await registry.signal_retention(signal_id)
    assert kept is not None
    assert kept.kept.last_delivery == START + timedelta(minutes=1)
    assert kept.kept.category == "undermining.drug_waste"
    assert (kept.erased_at, kept.erased_rule, kept.hold) == (None, None, None)

    await registry.place_hold(a_hold(signal_id), an_event(EventKind.SIGNAL_HELD))
    held = await registry.signal_retention(signal_id)
    assert held is not None
    assert held.hold == a_hold(signal_id)

    await registry.lift_hold(signal_id, an_event(EventKind.SIGNAL_HOLD_LIFTED))
    store_clock.set(START + timedelta(days=40))
    await registry.erase_signal(signal_id, rule="K7", event=erased_event)
    erased = await registry.signal_retention(signal_id)
    assert erased is not None
    assert (erased.erased_at, erased.erased_rule, erased.hold) == (
        START + timedelta(days=40),
        "K7",
        None,
    )
    assert await registry.signal_retention("no-such") is None


async def test_erasures_are_counted_per_month_within_the_span_asked(
    registry: Store, store_clock: FixedClock
) -> None:
    for number, day in enumerate((0, 1, 35, 70), start=1):
        signal = new_signal(number, AACHEN)
        await registry.accept_signal(signal, accepted(signal))
        store_clock.set(START + timedelta(days=day))
        assert await registry.erase_signal(signal.id, rule="K1", event=erased_event) is not None

    counted = await registry.erased_by_month(since=START, until=START + timedelta(days=70))

    assert [(m.month, m.signals) for m in counted] == [("2026-03", 2), ("2026-04", 1)]
    assert await registry.erased_by_month(since=START - timedelta(days=9), until=START) == []
