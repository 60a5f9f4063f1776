"""The store's contract, whatever its backend: signals kept once per reference, with their
decisions; requests for information and who sees them; the data-subject index."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from gateway.contract.partners import Partner
from gateway.decide.decision import DataClass, Decision, FiredRule, Outcome, Verdict
from gateway.infra.audit import AuditEvent, EventKind, merkle, refs
from gateway.infra.errors import IdempotencyConflict
from gateway.store import (
    CopyReview,
    NewCopy,
    NewRequest,
    NewReviewItem,
    NewSignal,
    RequestState,
    ReviewOutcome,
    ReviewState,
    SignalState,
    Store,
    TrackedRequest,
)
from tests.store_backends import START
from tests.store_events import an_event

LIMBURG = Partner("nl-pol-limburg", "Politie Eenheid Limburg", "NL", "police", ("nl",))
LIEGE = Partner("be-pol-liege", "Zone de police de Liège", "BE", "police", ("fr",))
AACHEN = Partner("de-pol-aachen", "Polizeipräsidium Aachen", "DE", "police", ("de",))
LANAKEN = Partner("be-pol-lanaken", "Politiezone Lanaken-Maasmechelen", "BE", "police", ("nl",))


def decision(recipient: Partner, verdict: Verdict = Verdict.DELIVER) -> Decision:
    outcomes = dict.fromkeys(DataClass, Outcome.REDACT) | {DataClass.ORGANISATION: Outcome.SHARE}
    return Decision(recipient.id, verdict, outcomes, (FiredRule("2"),), "p" * 64)


def new_signal(
    number: int,
    *recipients: Partner,
    sender: Partner = LIMBURG,
    digest: str = "d" * 64,
    reference: str | None = None,
    received: int = 0,
) -> NewSignal:
    """A signal to ``recipients``, each getting its copy at once (a ``deliver`` verdict)."""
    return NewSignal(
        id=f"00000000-0000-7000-8000-{number:012d}",
        sender_id=sender.id,
        sender_reference=reference or f"REF-{number}",
        body_sha256=digest,
        received_at=START + timedelta(minutes=received),
        recipients=tuple(r.id for r in recipients),
        sealed_body=b"sealed-" + str(number).encode(),
        handling_code="H2",
        category="undermining.drug_waste",
        purpose="criminal_investigation",
        urgency="urgent",
        decisions=tuple(decision(r) for r in recipients),
        copies=tuple(NewCopy(f"c{number}-{r.id}", r.id, CopyReview.NONE) for r in recipients),
    )


def accepted(signal: NewSignal) -> AuditEvent:
    return an_event(
        EventKind.SIGNAL_ACCEPTED, by=refs.partner(signal.sender_id), signal_id=signal.id
    )


def three_ways(signal: NewSignal) -> NewSignal:
    """``signal`` to Liège, who gets it at once; to Aachen, whose copy waits for an officer;
    and to Lanaken, whom the policy denies it."""
    waiting = NewReviewItem("r-1", AACHEN.id, "DE", "urgent", ("language",), release_now=False)
    return replace(
        signal,
        recipients=(LIEGE.id, AACHEN.id, LANAKEN.id),
        decisions=(
            decision(LIEGE),
            decision(AACHEN, Verdict.REVIEW),
            decision(LANAKEN, Verdict.DENY),
        ),
        reviews=(waiting,),
        copies=(NewCopy(f"c-{signal.id}", LIEGE.id, CopyReview.NONE),),
    )


async def with_partners(store: Store) -> Store:
    for partner in (LIMBURG, LIEGE, AACHEN, LANAKEN):
        await store.add_partner(
            partner, an_event(EventKind.PARTNER_ADDED, about=refs.partner(partner.id))
        )
    return store


@pytest.fixture
async def registry(empty_store: Store) -> Store:
    """An empty store that knows four partners."""
    return await with_partners(empty_store)


# --- signals ---------------------------------------------------------------------------------


async def test_a_signal_is_kept_with_its_audit_entry_and_reads_back_as_kept(
    registry: Store,
) -> None:
    signal = new_signal(1, LIEGE, AACHEN)

    kept = await registry.accept_signal(signal, accepted(signal))

    assert not kept.replayed
    stored = kept.signal
    assert stored == await registry.signal(signal.id)
    assert (stored.state, stored.received_at, stored.recipients) == (
        SignalState.ACCEPTED,
        START,
        ("be-pol-liege", "de-pol-aachen"),
    )
    assert [(d.recipient_id, d.verdict, d.rule_ids) for d in stored.decisions] == [
        ("be-pol-liege", Verdict.DELIVER, ("2",)),
        ("de-pol-aachen", Verdict.DELIVER, ("2",)),
    ]
    entry = (await registry.audit_entries())[-1]
    assert (stored.audit_seq, stored.audit_hash, entry.kind) == (
        entry.seq,
        entry.hash,
        "signal.accepted",
    )
    assert stored.audit_leaf_hash == merkle.leaf_hash(entry.canonical)
    assert await registry.decisions(signal.id) == list(signal.decisions)
    assert await registry.sealed_body(signal.id) == b"sealed-1"
    assert await registry.signal_ids() == [signal.id]


async def test_the_same_reference_and_body_is_a_replay_of_the_original(registry: Store) -> None:
    first = await registry.accept_signal(new_signal(1, LIEGE), accepted(new_signal(1, LIEGE)))
    retry = new_signal(2, LIEGE, reference="REF-1", received=5)

    again = await registry.accept_signal(retry, accepted(retry))

    assert again.replayed
    assert again.signal == first.signal
    assert await registry.signal_ids() == [first.signal.id]
    assert [e.kind for e in await registry.audit_entries()].count("signal.accepted") == 1


async def test_the_same_reference_with_another_body_is_a_conflict_that_writes_nothing(
    registry: Store,
) -> None:
    original = new_signal(1, LIEGE)
    await registry.accept_signal(original, accepted(original))
    before = await registry.audit_entries()
    other = new_signal(2, LIEGE, reference="REF-1", digest="e" * 64)

    with pytest.raises(IdempotencyConflict) as caught:
        await registry.accept_signal(other, accepted(other))

    assert caught.value.params["signal_id"] == original.id
    assert await registry.audit_entries() == before
    assert await registry.signal(other.id) is None


async def test_another_sender_may_use_the_same_reference(registry: Store) -> None:
    ours = new_signal(1, LIEGE)
    theirs = new_signal(2, LIEGE, sender=AACHEN, reference="REF-1")
    await registry.accept_signal(ours, accepted(ours))

    kept = await registry.accept_signal(theirs, accepted(theirs))

    assert not kept.replayed
    assert sorted(await registry.signal_ids()) == [ours.id, theirs.id]


async def test_an_unknown_signal_reads_as_nothing(registry: Store) -> None:
    unknown = "00000000-0000-7000-8000-000000000999"
    assert await registry.signal(unknown) is None
    assert await registry.decisions(unknown) == []
    assert await registry.sealed_body(unknown) is None


async def test_a_reply_finds_only_a_signal_its_sender_received(registry: Store) -> None:
    signal = three_ways(new_signal(1, LIEGE))
    await registry.accept_signal(signal, accepted(signal))

    answered = await registry.forwarded(signal.id, LIEGE.id)

    assert answered is not None
    assert (answered.signal_id, answered.handling_code, answered.sender_id) == (
        signal.id,
        "H2",
        LIMBURG.id,
    )
    assert answered.recipient_ids == (LIEGE.id,)
    assert await registry.forwarded(signal.id, AACHEN.id) is None, "its copy waits"
    assert await registry.forwarded(signal.id, LANAKEN.id) is None, "denied"
    assert await registry.forwarded("00000000-0000-7000-8000-000000000999", LIEGE.id) is None


async def test_a_copy_rejected_after_it_went_out_unreviewed_unsends_the_signal(
    registry: Store,
) -> None:
    immediate = NewReviewItem("r-1", LIEGE.id, "BE", "immediate", ("language",), release_now=True)
    signal = replace(
        request(1, LIEGE, hours=8),
        reviews=(immediate,),
        copies=(NewCopy("first", LIEGE.id, CopyReview.PENDING, review_item_id="r-1"),),
    )
    await registry.accept_signal(signal, accepted(signal))
    assert await registry.forwarded(signal.id, LIEGE.id) is not None
    assert len(await registry.requests(RequestState.OPEN, now=START, viewer=LIEGE.id)) == 1

    await registry.decide_review(
        "r-1",
        ReviewOutcome(ReviewState.REJECTED, "m.dubois", rejection_sealed=b"why"),
        an_event(EventKind.REVIEW_REJECTED),
    )

    assert await registry.forwarded(signal.id, LIEGE.id) is None
    assert await registry.requests(RequestState.OPEN, now=START, viewer=LIEGE.id) == []
    (everything,) = await registry.requests(RequestState.OPEN, now=START, viewer=LIMBURG.id)
    assert everything.recipients == (LIEGE.id,), "the sender still sees whom it asked"


# --- requests for information ----------------------------------------------------------------


def request(number: int, *recipients: Partner, hours: int, received: int = 0) -> NewSignal:
    signal = new_signal(number, *recipients, received=received)
    due = signal.received_at + timedelta(hours=hours)
    return replace(signal, request=NewRequest(kind="urgent_direct", deadline=due))


def reply(number: int, to: NewSignal, sender: Partner, *, received: int) -> NewSignal:
    return replace(new_signal(number, LIMBURG, sender=sender, received=received), in_reply_to=to.id)


async def test_requests_are_listed_earliest_deadline_first_with_aware_times(
    registry: Store,
) -> None:
    later = request(1, LIEGE, hours=48)
    sooner = request(2, LIEGE, hours=8, received=10)
    for made in (later, sooner):
        await registry.accept_signal(made, accepted(made))

    listed = await registry.requests(RequestState.OPEN, now=START)

    assert [r.signal_id for r in listed] == [sooner.id, later.id]
    first = listed[0]
    assert (first.sender_id, first.recipients, first.deadline_kind) == (
        LIMBURG.id,
        (LIEGE.id,),
        "urgent_direct",
    )
    assert (first.received_at, first.deadline) == (
        START + timedelta(minutes=10),
        START + timedelta(minutes=10, hours=8),
    )
    assert (first.answered_by, first.replied_by, first.answered_at) == (None, None, None)
    assert await registry.request_kind(sooner.id) == "urgent_direct"
    assert await registry.request_kind(new_signal(9).id) is None


async def test_open_includes_the_overdue_and_overdue_only_those_past_their_deadline(
    registry: Store,
) -> None:
    short = request(1, LIEGE, hours=1)
    long = request(2, LIEGE, hours=10)
    for made in (short, long):
        await registry.accept_signal(made, accepted(made))
    now = START + timedelta(hours=2)

    assert [r.signal_id for r in await registry.requests(RequestState.OPEN, now=now)] == [
        short.id,
        long.id,
    ]
    assert [r.signal_id for r in await registry.requests(RequestState.OVERDUE, now=now)] == [
        short.id
    ]
    assert await registry.requests(RequestState.ANSWERED, now=now) == []


async def test_a_reply_from_a_recipient_answers_the_request_and_one_from_anyone_else_does_not(
    registry: Store,
) -> None:
    asked = request(1, LIEGE, hours=8)
    await registry.accept_signal(asked, accepted(asked))
    stranger = reply(2, asked, AACHEN, received=30)
    answer = reply(3, asked, LIEGE, received=60)

    await registry.accept_signal(stranger, accepted(stranger))
    assert await registry.requests(RequestState.ANSWERED, now=START) == []
    await registry.accept_signal(answer, accepted(answer))

    (answered,) = await registry.requests(RequestState.ANSWERED, now=START)
    assert (answered.answered_by, answered.replied_by, answered.answered_at) == (
        answer.id,
        LIEGE.id,
        START + timedelta(minutes=60),
    )
    assert await registry.requests(RequestState.OPEN, now=START) == []


async def test_a_request_is_answered_by_its_first_reply_only(registry: Store) -> None:
    asked = request(1, LIEGE, AACHEN, hours=8)
    await registry.accept_signal(asked, accepted(asked))
    for made in (reply(2, asked, AACHEN, received=30), reply(3, asked, LIEGE, received=60)):
        await registry.accept_signal(made, accepted(made))

    (answered,) = await registry.requests(RequestState.ANSWERED, now=START)
    assert (answered.answered_by, answered.replied_by, answered.answered_at) == (
        new_signal(2).id,
        AACHEN.id,
        START + timedelta(minutes=30),
    )


async def test_a_partner_sees_the_requests_it_sent_and_those_it_received(
    registry: Store,
) -> None:
    asked = three_ways(request(1, LIEGE, hours=8))
    await registry.accept_signal(asked, accepted(asked))

    async def seen(viewer: str | None) -> list[TrackedRequest]:
        return await registry.requests(RequestState.OPEN, now=START, viewer=viewer)

    (everything,) = await seen(None)
    (senders,) = await seen(LIMBURG.id)
    (received,) = await seen(LIEGE.id)
    assert everything.recipients == senders.recipients == (LIEGE.id, AACHEN.id, LANAKEN.id)
    assert received.recipients == (LIEGE.id,), "a recipient sees only those that received it"
    assert await seen(AACHEN.id) == [], "its copy waits for an officer"
    assert await seen(LANAKEN.id) == [], "denied"


# --- the data-subject index ------------------------------------------------------------------


async def test_signals_are_found_by_any_of_their_keys_newest_first(registry: Store) -> None:
    older = replace(new_signal(1, LIEGE), subject_keys=frozenset({"k1", "k2"}))
    newer = replace(new_signal(2, LIEGE, received=5), subject_keys=frozenset({"k2", "k3"}))
    other = replace(new_signal(3, LIEGE, received=9), subject_keys=frozenset({"k4"}))
    for made in (older, newer, other):
        await registry.accept_signal(made, accepted(made))

    found = await registry.signals_with_keys(["k2", "k3", "k1"])

    assert [m.signal_id for m in found] == [newer.id, older.id]
    assert found[0].keys == frozenset({"k2", "k3"})
    assert found[1].keys == frozenset({"k1", "k2"})
    assert (found[0].sender_id, found[0].received_at, found[0].category) == (
        LIMBURG.id,
        START + timedelta(minutes=5),
        "undermining.drug_waste",
    )
    assert await registry.signals_with_keys([]) == []
    assert await registry.signals_with_keys(["unknown"]) == []
