"""The store's contract, whatever its backend: what became of a signal's copies, for each
recipient in one answer (decision, review, each version's envelope and push, the request), and a
sender's own signals, newest first, in pages."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from gateway.decide.decision import Verdict
from gateway.infra.audit import EventKind
from gateway.infra.clock import FixedClock
from gateway.store import (
    CopyReview,
    DeliveryState,
    NewCopy,
    NewRequest,
    ReviewOutcome,
    ReviewState,
    Store,
)
from tests.store_backends import START
from tests.test_store_contract_delivery import event, gone_out_unreviewed, sealed
from tests.test_store_contract_signals import (
    AACHEN,
    LANAKEN,
    LIEGE,
    accepted,
    new_signal,
    three_ways,
    with_partners,
)

HOOK = "https://hooks.example/euregate"


@pytest.fixture
async def registry(empty_store: Store) -> Store:
    return await with_partners(empty_store)


async def test_each_recipient_is_tracked_in_the_order_decided_from_its_decision_on(
    registry: Store,
) -> None:
    signal = three_ways(new_signal(1))
    await registry.accept_signal(signal, accepted(signal))

    (track,) = await registry.signal_tracks([signal.id])

    liege, aachen, lanaken = track.copies
    assert [c.recipient_id for c in track.copies] == [LIEGE.id, AACHEN.id, LANAKEN.id]
    assert [(c.verdict, c.rule_ids) for c in track.copies] == [
        (Verdict.DELIVER, ("2",)),
        (Verdict.REVIEW, ("2",)),
        (Verdict.DENY, ("2",)),
    ]
    assert liege.review is None
    (queued,) = liege.versions
    assert (queued.version, queued.review, queued.queued_at, queued.sealed_at) == (
        1,
        CopyReview.NONE,
        START,
        None,
    )
    assert aachen.versions == ()
    assert aachen.review is not None
    assert (aachen.review.desk, aachen.review.reasons, aachen.review.state) == (
        "DE",
        ("language",),
        ReviewState.PENDING,
    )
    assert (aachen.review.since, aachen.review.decided_at) == (START, None)
    assert (lanaken.review, lanaken.versions) == (None, ())
    assert track.request is None


async def test_a_copy_sealed_fetched_and_acknowledged_carries_each_time(
    registry: Store, store_clock: FixedClock
) -> None:
    signal = new_signal(1, LIEGE)
    await registry.accept_signal(signal, accepted(signal))
    (pending,) = await registry.pending_copies(due=START)
    store_clock.set(START + timedelta(minutes=1))
    await registry.keep_envelope(sealed(pending, "env-1"), event(EventKind.COPY_SEALED))
    store_clock.set(START + timedelta(minutes=2))
    await registry.record_fetch(["env-1"], event(EventKind.INBOX_FETCHED))
    await registry.record_fetch(["env-1"], event(EventKind.INBOX_FETCHED))
    store_clock.set(START + timedelta(minutes=3))
    await registry.acknowledge(LIEGE.id, "env-1", event(EventKind.INBOX_ACKNOWLEDGED))

    (track,) = await registry.signal_tracks([signal.id])

    (version,) = track.copies[0].versions
    assert (version.sealed_at, version.last_fetched_at, version.acked_at) == (
        START + timedelta(minutes=1),
        START + timedelta(minutes=2),
        START + timedelta(minutes=3),
    )
    assert (version.fetch_count, version.push, version.pushed_at, version.withdrawn) == (
        2,
        None,
        None,
        False,
    )


async def test_a_pushed_copy_carries_its_delivery(registry: Store, store_clock: FixedClock) -> None:
    signal = new_signal(1, LIEGE)
    await registry.accept_signal(signal, accepted(signal))
    (pending,) = await registry.pending_copies(due=START)
    await registry.keep_envelope(
        sealed(pending, "env-1", webhook=HOOK), event(EventKind.COPY_SEALED)
    )
    store_clock.set(START + timedelta(minutes=5))
    await registry.record_delivered(
        "env-1",
        status=204,
        attempted=event(EventKind.DELIVERY_ATTEMPTED),
        acknowledged=event(EventKind.INBOX_ACKNOWLEDGED),
    )

    (track,) = await registry.signal_tracks([signal.id])

    (version,) = track.copies[0].versions
    assert (version.push, version.pushed_at) == (
        DeliveryState.DELIVERED,
        START + timedelta(minutes=5),
    )


async def test_a_released_copy_after_an_unreviewed_first_version_shows_both_versions(
    registry: Store, store_clock: FixedClock
) -> None:
    await gone_out_unreviewed(registry)
    (first,) = await registry.pending_copies(due=START)
    await registry.keep_envelope(sealed(first, "env-1"), event(EventKind.COPY_SEALED))
    store_clock.set(START + timedelta(minutes=4))
    released = NewCopy("second", LIEGE.id, CopyReview.RELEASED, review_item_id="item-1")
    await registry.decide_review(
        "item-1",
        ReviewOutcome(ReviewState.RELEASED, "m.dubois", correction=b"sealed", copy=released),
        event(EventKind.REVIEW_RELEASED),
    )

    (track,) = await registry.signal_tracks([new_signal(1).id])

    (copy,) = track.copies
    assert copy.review is not None
    assert (copy.review.state, copy.review.decided_at) == (
        ReviewState.RELEASED,
        START + timedelta(minutes=4),
    )
    assert [(v.version, v.review, v.sealed_at is not None) for v in copy.versions] == [
        (1, CopyReview.PENDING, True),
        (2, CopyReview.RELEASED, False),
    ]


async def test_a_rejected_copy_s_unsealed_first_version_is_withdrawn(registry: Store) -> None:
    await gone_out_unreviewed(registry)
    outcome = ReviewOutcome(ReviewState.REJECTED, "m.dubois", rejection_sealed=b"why, sealed")
    await registry.decide_review("item-1", outcome, event(EventKind.REVIEW_REJECTED))

    (track,) = await registry.signal_tracks([new_signal(1).id])

    (copy,) = track.copies
    assert copy.review is not None
    assert copy.review.state is ReviewState.REJECTED
    assert [v.withdrawn for v in copy.versions] == [True]


async def test_a_request_s_deadline_and_answer_are_tracked(registry: Store) -> None:
    deadline = START + timedelta(hours=8)
    request = replace(new_signal(1, AACHEN), request=NewRequest("urgent_direct", deadline))
    await registry.accept_signal(request, accepted(request))

    (track,) = await registry.signal_tracks([request.id])

    assert track.request is not None
    assert (track.request.kind, track.request.deadline, track.request.answered_at) == (
        "urgent_direct",
        deadline,
        None,
    )


async def test_several_signals_come_in_the_order_asked_and_unknown_ones_are_left_out(
    registry: Store,
) -> None:
    for number in (1, 2):
        signal = new_signal(number, LIEGE, AACHEN)
        await registry.accept_signal(signal, accepted(signal))
    first, second = new_signal(1).id, new_signal(2).id

    tracks = await registry.signal_tracks([second, "no-such-signal", first])

    assert [t.signal_id for t in tracks] == [second, first]
    assert all([c.recipient_id for c in t.copies] == [LIEGE.id, AACHEN.id] for t in tracks)
    assert await registry.signal_tracks([]) == []


async def test_a_sender_s_signals_come_newest_first_in_pages_and_only_its_own(
    registry: Store,
) -> None:
    for number in range(1, 6):
        signal = new_signal(number, LIEGE, received=number)
        await registry.accept_signal(signal, accepted(signal))
    other = new_signal(9, LIEGE, sender=AACHEN)
    await registry.accept_signal(other, accepted(other))

    first = await registry.sent_signals("nl-pol-limburg", before=0, limit=2)
    second = await registry.sent_signals("nl-pol-limburg", before=first[-1].position, limit=2)
    third = await registry.sent_signals("nl-pol-limburg", before=second[-1].position, limit=2)

    assert [s.sender_reference for s in first + second + third] == [
        "REF-5",
        "REF-4",
        "REF-3",
        "REF-2",
        "REF-1",
    ]
    assert first[0].received_at == START + timedelta(minutes=5)
    assert [s.id for s in await registry.sent_signals(AACHEN.id, before=0, limit=10)] == [other.id]
    assert await registry.sent_signals(LIEGE.id, before=0, limit=10) == []
