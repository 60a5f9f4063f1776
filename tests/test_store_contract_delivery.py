"""The store's contract, whatever its backend: the review queue, the copies to seal, the
envelopes in each recipient's inbox and the push outbox."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.contract.partners import Partner, PartnerState
from gateway.decide.decision import Verdict
from gateway.infra import seal
from gateway.infra.audit import AuditEvent, EventKind
from gateway.infra.clock import FixedClock
from gateway.infra.errors import RegistryError
from gateway.store import (
    CopyReview,
    DeliveryState,
    NewCopy,
    NewReviewItem,
    PendingCopy,
    ReviewOutcome,
    ReviewState,
    SealedCopy,
    Store,
)
from tests.store_backends import START
from tests.store_events import an_event
from tests.test_store_contract_signals import (
    AACHEN,
    LIEGE,
    LIMBURG,
    accepted,
    decision,
    new_signal,
    with_partners,
)

HOOK = "https://hooks.example/euregate"


def event(kind: EventKind) -> AuditEvent:
    return an_event(kind)


def sealed(copy: PendingCopy, envelope_id: str, *, webhook: str | None = None) -> SealedCopy:
    return SealedCopy(
        copy_id=copy.id,
        envelope_id=envelope_id,
        signal_id=copy.signal_id,
        recipient_id=copy.recipient_id,
        key_id="k1",
        envelope=f"envelope {envelope_id}".encode(),
        webhook_url=webhook,
    )


@pytest.fixture
async def registry(empty_store: Store) -> Store:
    """An empty store that knows four partners."""
    return await with_partners(empty_store)


async def kinds(store: Store) -> list[str]:
    return [entry.kind for entry in await store.audit_entries()]


def waiting_for(recipient: Partner, number: int, *, urgency: str = "urgent") -> NewReviewItem:
    return NewReviewItem(
        f"item-{number}", recipient.id, "BE", urgency, ("language",), release_now=False
    )


async def with_review(store: Store, number: int, *items: NewReviewItem, received: int = 0) -> str:
    """A signal whose copies for ``items`` wait for an officer; its id."""
    signal = replace(
        new_signal(number, received=received),
        recipients=tuple(i.recipient_id for i in items),
        decisions=tuple(decision(LIEGE, Verdict.REVIEW) for _ in items),
        reviews=items,
    )
    await store.accept_signal(signal, accepted(signal))
    return signal.id


async def gone_out_unreviewed(store: Store) -> None:
    """A signal to Liège that waits for an officer (``item-1``) and goes out at once, its
    first version (copy ``first``) unreviewed."""
    immediate = replace(waiting_for(LIEGE, 1), release_now=True)
    signal = replace(
        new_signal(1),
        recipients=(LIEGE.id,),
        decisions=(decision(LIEGE, Verdict.REVIEW),),
        reviews=(immediate,),
        copies=(NewCopy("first", LIEGE.id, CopyReview.PENDING, review_item_id="item-1"),),
    )
    await store.accept_signal(signal, accepted(signal))


# --- the review queue ------------------------------------------------------------------------


async def test_what_waits_is_listed_most_pressing_first_for_the_desks_asked(
    registry: Store, store_clock: FixedClock
) -> None:
    await with_review(registry, 1, waiting_for(LIEGE, 1, urgency="routine"))
    store_clock.set(START + timedelta(minutes=1))
    await with_review(registry, 2, waiting_for(LIEGE, 2, urgency="immediate"), received=1)
    await with_review(registry, 3, waiting_for(LIEGE, 3, urgency="urgent"), received=1)
    german = replace(waiting_for(AACHEN, 4), country="DE")
    await with_review(registry, 4, german, received=1)

    belgian = await registry.pending_reviews(countries=("BE",))
    everyone = await registry.pending_reviews(countries=None)

    assert [i.id for i in belgian] == ["item-2", "item-3", "item-1"]
    assert [i.id for i in everyone] == ["item-2", "item-3", "item-4", "item-1"]
    first = belgian[0]
    assert (first.state, first.created_at, first.decided_at, first.officer_id) == (
        ReviewState.PENDING,
        START + timedelta(minutes=1),
        None,
        None,
    )
    assert (first.reasons, first.release_now, first.country) == (("language",), False, "BE")
    assert await registry.review_item("item-2") == first
    assert await registry.review_item("nothing") is None


async def test_an_item_is_released_once_and_its_copy_goes_out(
    registry: Store, store_clock: FixedClock
) -> None:
    await with_review(registry, 1, waiting_for(LIEGE, 1))
    store_clock.set(START + timedelta(minutes=3))
    copy = NewCopy("copy-r", LIEGE.id, CopyReview.RELEASED, review_item_id="item-1")
    outcome = ReviewOutcome(ReviewState.RELEASED, "m.dubois", correction=b"sealed", copy=copy)

    decided = await registry.decide_review("item-1", outcome, event(EventKind.REVIEW_RELEASED))
    again = await registry.decide_review("item-1", outcome, event(EventKind.REVIEW_RELEASED))

    assert decided is not None
    assert (decided.state, decided.officer_id, decided.decided_at) == (
        ReviewState.RELEASED,
        "m.dubois",
        START + timedelta(minutes=3),
    )
    assert again is None, "another officer was first"
    assert (await kinds(registry)).count("review.released") == 1
    assert await registry.review_correction("item-1") == b"sealed"
    assert await registry.pending_reviews(countries=None) == []
    (pending,) = await registry.pending_copies(due=START + timedelta(minutes=3))
    assert (pending.id, pending.review, pending.review_item_id, pending.version) == (
        "copy-r",
        CopyReview.RELEASED,
        "item-1",
        1,
    )


async def test_a_rejection_keeps_its_sealed_reason_and_withdraws_an_unsealed_first_version(
    registry: Store,
) -> None:
    await gone_out_unreviewed(registry)
    outcome = ReviewOutcome(ReviewState.REJECTED, "m.dubois", rejection_sealed=b"why, sealed")

    decided = await registry.decide_review("item-1", outcome, event(EventKind.REVIEW_REJECTED))

    assert decided is not None
    assert decided.state is ReviewState.REJECTED
    assert await registry.rejection_reason("item-1") == b"why, sealed"
    assert await registry.review_correction("item-1") is None
    assert await registry.pending_copies(due=START + timedelta(days=1)) == []


async def test_a_copy_released_after_its_unreviewed_first_version_is_the_next_version(
    registry: Store,
) -> None:
    await gone_out_unreviewed(registry)
    (first,) = await registry.pending_copies(due=START)
    await registry.keep_envelope(sealed(first, "env-1"), event(EventKind.COPY_SEALED))
    released = NewCopy("second", LIEGE.id, CopyReview.RELEASED, review_item_id="item-1")

    await registry.decide_review(
        "item-1",
        ReviewOutcome(ReviewState.RELEASED, "m.dubois", correction=b"sealed", copy=released),
        event(EventKind.REVIEW_RELEASED),
    )

    (second,) = await registry.pending_copies(due=START)
    assert (first.version, first.review) == (1, CopyReview.PENDING)
    assert (second.id, second.version, second.review) == ("second", 2, CopyReview.RELEASED)
    position = await registry.keep_envelope(sealed(second, "env-2"), event(EventKind.COPY_SEALED))
    assert position == 2
    assert [e.version for e in await registry.inbox(LIEGE.id, after=0, limit=10)] == [1, 2]


async def test_no_clear_reason_is_kept_by_this_version(registry: Store) -> None:
    assert await registry.clear_rejection_reasons() == []
    assert await registry.seal_rejection_reasons({"item-1": b"x"}) == 0


# --- copies and envelopes --------------------------------------------------------------------


async def test_copies_due_are_listed_oldest_first_and_a_postponed_one_waits(
    registry: Store, store_clock: FixedClock
) -> None:
    first = new_signal(1, LIEGE)
    await registry.accept_signal(first, accepted(first))
    store_clock.set(START + timedelta(seconds=1))
    second = replace(new_signal(2, LIEGE, AACHEN), received_at=START + timedelta(seconds=1))
    await registry.accept_signal(second, accepted(second))

    due = await registry.pending_copies(due=START + timedelta(seconds=1))
    assert [(c.signal_id, c.recipient_id) for c in due] == [
        (first.id, LIEGE.id),
        (second.id, LIEGE.id),
        (second.id, AACHEN.id),
    ]
    assert await registry.pending_copies(due=START, limit=5) == due[:1]
    assert len(await registry.pending_copies(due=START + timedelta(seconds=1), limit=2)) == 2

    later = START + timedelta(minutes=5)
    await registry.postpone_copy(due[0].id, until=later, error="no_encryption_key")
    still = await registry.pending_copies(due=later - timedelta(microseconds=1))
    (back,) = [c for c in await registry.pending_copies(due=later) if c.id == due[0].id]
    assert due[0].id not in {c.id for c in still}
    assert back.attempts == 1


async def test_an_envelope_is_kept_once_in_its_recipients_inbox_by_position(
    registry: Store, store_clock: FixedClock
) -> None:
    for number in (1, 2):
        made = new_signal(number, LIEGE, AACHEN)
        await registry.accept_signal(made, accepted(made))
    copies = await registry.pending_copies(due=START)
    store_clock.set(START + timedelta(seconds=2))

    positions = [
        await registry.keep_envelope(sealed(c, f"env-{n}"), event(EventKind.COPY_SEALED))
        for n, c in enumerate(copies)
    ]
    twice = await registry.keep_envelope(sealed(copies[0], "env-x"), event(EventKind.COPY_SEALED))

    liege = await registry.inbox(LIEGE.id, after=0, limit=10)
    assert sorted(p for p in positions if p is not None) == [1, 1, 2, 2]
    assert twice is None
    assert [e.position for e in liege] == [1, 2]
    assert all(e.recipient_id == LIEGE.id and e.acked_at is None for e in liege)
    assert liege[0].created_at == START + timedelta(seconds=2)
    assert liege[0].envelope.startswith(b"envelope env-")
    assert [e.position for e in await registry.inbox(LIEGE.id, after=1, limit=10)] == [2]
    assert len(await registry.inbox(LIEGE.id, after=0, limit=1)) == 1
    assert await registry.pending_copies(due=START + timedelta(days=1)) == []
    assert (await kinds(registry)).count("copy.sealed") == 4
    assert await registry.envelope(liege[0].id) == liege[0]
    assert await registry.envelope("nothing") is None
    of_first = await registry.envelopes_of_signal(liege[0].signal_id)
    assert [e.recipient_id for e in of_first] == [LIEGE.id, AACHEN.id]


numbers = itertools.count(1000)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    plan=st.lists(st.sampled_from((LIEGE, AACHEN)), min_size=1, max_size=6).flatmap(
        lambda to: st.tuples(st.just(to), st.permutations(range(len(to))))
    )
)
async def test_each_recipients_positions_count_its_own_envelopes_in_the_order_kept(
    registry: Store, plan: tuple[list[Partner], list[int]]
) -> None:
    """Signals to ``to``, their copies sealed in ``order``."""
    to, order = plan
    before = {p.id: len(await registry.inbox(p.id, after=0, limit=1000)) for p in (LIEGE, AACHEN)}
    for partner in to:
        made = new_signal(next(numbers), partner)
        await registry.accept_signal(made, accepted(made))
    copies = await registry.pending_copies(due=START, limit=100)
    assert len(copies) == len(to)

    kept = [
        (
            copies[n].recipient_id,
            await registry.keep_envelope(
                sealed(copies[n], f"env-{copies[n].id}"), event(EventKind.COPY_SEALED)
            ),
        )
        for n in order
    ]

    for partner in (LIEGE, AACHEN):
        positions = [position for recipient, position in kept if recipient == partner.id]
        first = before[partner.id] + 1
        assert positions == list(range(first, first + len(positions)))


async def test_an_acknowledged_envelope_leaves_the_inbox_once_and_only_for_its_recipient(
    registry: Store,
) -> None:
    made = new_signal(1, LIEGE)
    await registry.accept_signal(made, accepted(made))
    (copy,) = await registry.pending_copies(due=START)
    await registry.keep_envelope(sealed(copy, "env-1"), event(EventKind.COPY_SEALED))
    await registry.record_fetch(["env-1"], event(EventKind.INBOX_FETCHED))

    assert (
        await registry.acknowledge(AACHEN.id, "env-1", event(EventKind.INBOX_ACKNOWLEDGED)) is None
    )
    first = await registry.acknowledge(LIEGE.id, "env-1", event(EventKind.INBOX_ACKNOWLEDGED))
    again = await registry.acknowledge(LIEGE.id, "env-1", event(EventKind.INBOX_ACKNOWLEDGED))

    assert first is not None
    assert first.acked_at == START
    assert again == first
    assert await registry.inbox(LIEGE.id, after=0, limit=10) == []
    assert (await kinds(registry)).count("inbox.acknowledged") == 1
    assert "inbox.fetched" in await kinds(registry)


# --- the push outbox -------------------------------------------------------------------------


async def pushed(store: Store, *recipients: Partner) -> list[str]:
    """Envelopes of one signal for ``recipients``, each with a webhook; their ids."""
    made = new_signal(1, *recipients)
    await store.accept_signal(made, accepted(made))
    kept = []
    for number, copy in enumerate(await store.pending_copies(due=START)):
        envelope_id = f"env-{number}"
        await store.keep_envelope(
            sealed(copy, envelope_id, webhook=HOOK), event(EventKind.COPY_SEALED)
        )
        kept.append(envelope_id)
    return kept


async def test_a_push_is_queued_with_its_envelope_and_due_at_once(registry: Store) -> None:
    (envelope_id,) = await pushed(registry, LIEGE)

    (delivery,) = await registry.deliveries()
    assert (delivery.envelope_id, delivery.recipient_id, delivery.url, delivery.state) == (
        envelope_id,
        LIEGE.id,
        HOOK,
        DeliveryState.PENDING,
    )
    assert (delivery.attempts, delivery.next_attempt_at, delivery.delivered_at) == (0, START, None)
    assert await registry.due_pushes(due=START, per_recipient=2) == [delivery]
    assert await registry.due_pushes(due=START, per_recipient=2, skip=[envelope_id]) == []
    assert await registry.deliveries(state=DeliveryState.DEAD) == []


async def test_a_failed_attempt_waits_and_a_dead_push_is_retried_anew(
    registry: Store, store_clock: FixedClock
) -> None:
    (envelope_id,) = await pushed(registry, LIEGE)
    later = START + timedelta(seconds=30)

    await registry.record_attempt(
        envelope_id,
        state=DeliveryState.PENDING,
        status=503,
        error="status",
        next_attempt_at=later,
        event=event(EventKind.DELIVERY_ATTEMPTED),
    )
    assert await registry.due_pushes(due=START, per_recipient=2) == []
    (waiting,) = await registry.due_pushes(due=later, per_recipient=2)
    assert (waiting.attempts, waiting.last_status, waiting.last_error, waiting.next_attempt_at) == (
        1,
        503,
        "status",
        later,
    )
    await registry.record_attempt(
        envelope_id,
        state=DeliveryState.DEAD,
        status=None,
        error="timeout",
        next_attempt_at=None,
        event=event(EventKind.DELIVERY_ATTEMPTED),
    )
    (dead,) = await registry.deliveries(state=DeliveryState.DEAD)
    assert (dead.attempts, dead.next_attempt_at) == (2, None)

    store_clock.set(START + timedelta(hours=1))
    retried = await registry.retry_delivery(envelope_id, event(EventKind.DELIVERY_RETRIED))

    assert retried is not None
    assert (retried.state, retried.attempts, retried.next_attempt_at) == (
        DeliveryState.PENDING,
        0,
        START + timedelta(hours=1),
    )
    assert await registry.retry_delivery("nothing", event(EventKind.DELIVERY_RETRIED)) is None


async def test_a_delivered_push_acknowledges_its_envelope_once(
    registry: Store, store_clock: FixedClock
) -> None:
    (envelope_id,) = await pushed(registry, LIEGE)
    store_clock.set(START + timedelta(seconds=5))

    done = await registry.record_delivered(
        envelope_id,
        status=200,
        attempted=event(EventKind.DELIVERY_ATTEMPTED),
        acknowledged=event(EventKind.INBOX_ACKNOWLEDGED),
    )
    again = await registry.record_delivered(
        envelope_id,
        status=200,
        attempted=event(EventKind.DELIVERY_ATTEMPTED),
        acknowledged=event(EventKind.INBOX_ACKNOWLEDGED),
    )

    assert (done, again) == (True, False)
    (delivery,) = await registry.deliveries(state=DeliveryState.DELIVERED)
    assert (delivery.delivered_at, delivery.last_status, delivery.attempts) == (
        START + timedelta(seconds=5),
        200,
        1,
    )
    assert await registry.inbox(LIEGE.id, after=0, limit=10) == []
    assert await registry.retry_delivery(envelope_id, event(EventKind.DELIVERY_RETRIED)) is None
    assert (await kinds(registry)).count("inbox.acknowledged") == 1


async def test_one_partners_backlog_never_hides_anothers_and_a_suspended_partner_waits(
    registry: Store,
) -> None:
    for number in range(1, 4):
        made = new_signal(number, LIEGE, AACHEN)
        await registry.accept_signal(made, accepted(made))
    for number, copy in enumerate(await registry.pending_copies(due=START)):
        await registry.keep_envelope(
            sealed(copy, f"env-{number}", webhook=HOOK), event(EventKind.COPY_SEALED)
        )

    due = await registry.due_pushes(due=START, per_recipient=1)
    assert sorted(d.recipient_id for d in due) == [LIEGE.id, AACHEN.id]

    await registry.set_partner_state(
        AACHEN.id, PartnerState.SUSPENDED, lambda _: event(EventKind.PARTNER_STATE_CHANGED)
    )
    assert {d.recipient_id for d in await registry.due_pushes(due=START, per_recipient=5)} == {
        LIEGE.id
    }


async def test_each_partners_oldest_due_push_goes_first(registry: Store) -> None:
    for number in range(1, 4):
        made = new_signal(number, LIEGE)
        await registry.accept_signal(made, accepted(made))
    for copy in await registry.pending_copies(due=START):
        await registry.keep_envelope(
            sealed(copy, f"env-{copy.signal_id[-1]}", webhook=HOOK), event(EventKind.COPY_SEALED)
        )
    later = START + timedelta(seconds=30)
    await registry.record_attempt(
        "env-1",
        state=DeliveryState.PENDING,
        status=503,
        error="status",
        next_attempt_at=later,
        event=event(EventKind.DELIVERY_ATTEMPTED),
    )

    (now,) = await registry.due_pushes(due=START, per_recipient=1)
    two = await registry.due_pushes(due=later, per_recipient=2)

    assert now.envelope_id == "env-2"
    assert sorted(d.envelope_id for d in two) == ["env-2", "env-3"], "env-1 waits until later"
    assert [d.envelope_id for d in await registry.deliveries()] == ["env-1", "env-2", "env-3"]


async def test_a_new_webhook_takes_the_undelivered_pushes_and_none_takes_them_away(
    registry: Store,
) -> None:
    await pushed(registry, LIEGE)
    heard: list[tuple[str | None, int]] = []

    def changed(before: Partner, moved: int) -> AuditEvent:
        heard.append((before.webhook_url, moved))
        return event(EventKind.PARTNER_WEBHOOK_CHANGED)

    moved = await registry.set_webhook(LIEGE.id, "https://new.example/hook", changed)
    assert moved.webhook_url == "https://new.example/hook"
    assert [d.url for d in await registry.deliveries()] == ["https://new.example/hook"]

    gone = await registry.set_webhook(LIEGE.id, None, changed)
    assert gone.webhook_url is None
    assert await registry.deliveries() == []
    assert len(await registry.inbox(LIEGE.id, after=0, limit=10)) == 1, "the inbox keeps it"
    assert heard == [(None, 1), ("https://new.example/hook", 1)]
    with pytest.raises(RegistryError, match="no partner"):
        await registry.set_webhook("nl-nobody", None, changed)
    assert LIMBURG.id not in {d.recipient_id for d in await registry.deliveries()}


async def test_a_real_envelope_is_handed_back_byte_for_byte_whatever_form_it_is_kept_in(
    registry: Store,
) -> None:
    """Kept binary (:mod:`gateway.store.envelope_form`), handed out as the JSON it was given;
    and bytes that are no envelope, even ones that begin like the binary form, as given."""
    made = new_signal(1, LIEGE, AACHEN)
    await registry.accept_signal(made, accepted(made))
    to_liege, to_aachen = await registry.pending_copies(due=START)
    envelope = a_sealed_envelope(to_liege.signal_id, to_liege.recipient_id)
    odd = b"\x00\x01 not an envelope"
    await registry.keep_envelope(
        replace(sealed(to_liege, "env-real"), envelope=envelope), event(EventKind.COPY_SEALED)
    )
    await registry.keep_envelope(
        replace(sealed(to_aachen, "env-odd"), envelope=odd), event(EventKind.COPY_SEALED)
    )

    (kept,) = await registry.inbox(LIEGE.id, after=0, limit=10)
    assert kept.envelope == envelope
    assert (await registry.envelope("env-odd")).envelope == odd  # type: ignore[union-attr]


def a_sealed_envelope(signal_id: str, recipient_id: str) -> bytes:
    public_pem = seal.generate_key_pair()[1]
    suite, raw = seal.read_public_key(public_pem)
    key = seal.PartnerKey(recipient_id, seal.key_id(suite, raw), suite, raw, valid_from=START)
    return seal.seal(
        b'{"format":"euregate.message/1"}',
        recipient_key=key,
        gateway_id="euregate",
        signal_id=signal_id,
        recipient_id=recipient_id,
        signer=seal.Signer.generate(),
    ).to_bytes()
