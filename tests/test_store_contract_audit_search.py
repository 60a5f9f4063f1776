"""The store's contract, whatever its backend: searching exchanges, the events of one signal,
the figures behind the charts, webhook health and the policy's history (on PostgreSQL once
the signals, their review and their delivery are kept there too; the chain's head and its last
verification are in ``test_store_contract_audit_chain``)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from gateway.decide.decision import Verdict
from gateway.infra.audit import EventKind, events, refs
from gateway.infra.clock import FixedClock
from gateway.store import (
    COUNT_MAX,
    CopyReview,
    DeliveryState,
    ExchangeCount,
    ExchangeQuery,
    NewCopy,
    NewReviewItem,
    ReviewOutcome,
    ReviewState,
    SealedCopy,
    Store,
)
from tests.store_backends import START
from tests.store_events import AsWrittenBefore, an_event
from tests.test_store_contract_signals import (
    AACHEN,
    LANAKEN,
    LIEGE,
    LIMBURG,
    accepted,
    decision,
    new_signal,
    with_partners,
)


@pytest.fixture
async def exchanges(empty_store: Store) -> Store:
    """Three signals: Limburg to Liège and Aachen (now), Lanaken to Limburg (an hour later,
    denied to Aachen), and Aachen to Liège (a day later, another category)."""
    await with_partners(empty_store)
    dutch = new_signal(1, LIEGE, AACHEN)
    belgian = replace(
        new_signal(2, LIMBURG, sender=LANAKEN, received=60),
        recipients=(LIMBURG.id, AACHEN.id),
        decisions=(decision(LIMBURG), replace(decision(AACHEN, Verdict.DENY), rules=())),
    )
    german = replace(
        new_signal(3, LIEGE, sender=AACHEN, received=24 * 60), category="undermining.fraud"
    )
    for made in (dutch, belgian, german):
        await empty_store.accept_signal(made, accepted(made))
    return empty_store


def found(page_or_list: object) -> list[tuple[str, str]]:
    exchanges = getattr(page_or_list, "exchanges", page_or_list)
    return [(e.signal_id[-1], e.recipient_id) for e in exchanges]  # type: ignore[attr-defined]


async def test_every_exchange_is_found_newest_first_with_its_decision(exchanges: Store) -> None:
    page = await exchanges.search_exchanges(ExchangeQuery())

    assert (page.total, page.offset, page.limit) == (5, 0, 50)
    assert found(page) == [
        ("3", LIEGE.id),
        ("2", AACHEN.id),
        ("2", LIMBURG.id),
        ("1", LIEGE.id),
        ("1", AACHEN.id),
    ]
    german = page.exchanges[0]
    assert (german.sender_id, german.sender_country, german.recipient_country) == (
        AACHEN.id,
        "DE",
        "BE",
    )
    assert (german.received_at, german.category, german.urgency) == (
        START + timedelta(days=1),
        "undermining.fraud",
        "urgent",
    )
    assert (german.verdict, german.rule_ids, german.policy_sha256) == (
        Verdict.DELIVER,
        ("2",),
        "p" * 64,
    )


async def test_each_filter_narrows_the_search(exchanges: Store) -> None:
    async def search(**filters: object) -> list[tuple[str, str]]:
        return found(await exchanges.export_exchanges(ExchangeQuery(**filters)))  # type: ignore[arg-type]

    assert await search(partner=LIMBURG.id) == [
        ("2", LIMBURG.id),
        ("1", LIEGE.id),
        ("1", AACHEN.id),
    ]
    assert await search(from_country="BE", to_country="NL") == [("2", LIMBURG.id)]
    assert await search(since=START + timedelta(minutes=60)) == [
        ("3", LIEGE.id),
        ("2", AACHEN.id),
        ("2", LIMBURG.id),
    ]
    assert await search(until=START + timedelta(minutes=60)) == [("1", LIEGE.id), ("1", AACHEN.id)]
    assert await search(category="undermining.fraud") == [("3", LIEGE.id)]
    assert await search(outcome="deny") == [("2", AACHEN.id)]
    assert await search(rule="2", to_country="DE") == [("1", AACHEN.id)]
    assert await search(partner=LIMBURG.id, outcome="review") == []


async def test_an_event_kind_finds_the_exchanges_it_is_about(exchanges: Store) -> None:
    signal_id = new_signal(1).id
    await exchanges.record(
        events.ReviewOpened(
            by=refs.staff("m.dubois"),
            about=refs.signal(signal_id),
            item="r-1",
            recipient=LIEGE.id,
        )
    )

    about = await exchanges.export_exchanges(ExchangeQuery(event_kind="review.opened"))

    assert found(about) == [("1", LIEGE.id)]


async def test_pages_are_bounded_and_the_total_stays(exchanges: Store) -> None:
    first = await exchanges.search_exchanges(ExchangeQuery(), offset=0, limit=2)
    rest = await exchanges.search_exchanges(ExchangeQuery(), offset=2, limit=1000)
    before = await exchanges.search_exchanges(ExchangeQuery(), offset=-5, limit=0)

    assert (len(first.exchanges), first.total) == (2, 5)
    assert (len(rest.exchanges), rest.limit, rest.total) == (3, 200, 5)
    assert (before.offset, before.limit, len(before.exchanges)) == (0, 1, 1)
    assert found(first) + found(rest) == found(await exchanges.search_exchanges(ExchangeQuery()))


async def test_a_total_beyond_what_is_counted_says_more_and_pages_go_on(
    empty_store: Store,
) -> None:
    await with_partners(empty_store)
    to_three = (LANAKEN, LIEGE, AACHEN)
    signals = [new_signal(n, *to_three, received=n) for n in range(COUNT_MAX // 3 + 2)]
    for first in range(0, len(signals), 500):
        chunk = signals[first : first + 500]
        await asyncio.gather(*(empty_store.accept_signal(s, accepted(s)) for s in chunk))

    every = await empty_store.search_exchanges(ExchangeQuery(), offset=COUNT_MAX - 1, limit=5)
    german = await empty_store.search_exchanges(ExchangeQuery(to_country="DE"))

    assert (every.total, every.more) == (COUNT_MAX, True), "10,005 exchanges, counted to 10,000"
    assert found(every) == [
        ("1", LANAKEN.id),
        ("1", LIEGE.id),
        ("1", AACHEN.id),
        ("0", LANAKEN.id),
        ("0", LIEGE.id),
    ], "the pages past the count go on to the oldest exchanges"
    assert (german.total, german.more) == (len(signals), False)


def fetched(signal_id: str) -> events.InboxFetched:
    return fetched_by(LIEGE.id, signal_id)


def fetched_by(recipient: str, *signal_ids: str) -> events.InboxFetched:
    partner = refs.partner(recipient)
    envelopes = tuple(f"e-{n}" for n, _ in enumerate(signal_ids))
    return events.InboxFetched(
        by=partner, about=partner, envelopes=envelopes, signals=signal_ids, after=0
    )


async def test_a_search_by_inbox_fetches_finds_what_each_recipient_was_handed(
    exchanges: Store,
) -> None:
    """An exchange is found when a fetch of its own recipient handed its signal out: not when
    another partner's fetch did, nor when its recipient's fetches handed out other signals."""
    one, two, three = (new_signal(n).id for n in (1, 2, 3))
    await exchanges.record(fetched_by(LIEGE.id, one, three))
    await exchanges.record(fetched_by(AACHEN.id, two))
    await exchanges.record(fetched_by(LIEGE.id, three))
    await exchanges.record(fetched_by(LIMBURG.id, one, three))
    await exchanges.record(fetched_by(LANAKEN.id, two))

    about = await exchanges.search_exchanges(ExchangeQuery(event_kind="inbox.fetched"))
    to_liege = await exchanges.export_exchanges(
        ExchangeQuery(event_kind="inbox.fetched", to_country="BE")
    )
    told = await exchanges.signal_events(one)

    assert found(about) == [("3", LIEGE.id), ("2", AACHEN.id), ("1", LIEGE.id)]
    assert (about.total, about.more) == (3, False)
    assert found(to_liege) == [("3", LIEGE.id), ("1", LIEGE.id)]
    assert [(e.kind, e.actor) for e in told] == [
        ("signal.accepted", told[0].actor),
        ("inbox.fetched", str(refs.partner(LIEGE.id))),
        ("inbox.fetched", str(refs.partner(LIMBURG.id))),
    ], "a signal's history holds every fetch that handed it out, whoever fetched"
    assert await exchanges.signal_events(new_signal(9).id) == []


async def test_a_signals_exchanges_and_events_in_order(exchanges: Store) -> None:
    signal_id = new_signal(1).id
    await exchanges.record(fetched(signal_id))
    await exchanges.record(an_event(EventKind.POLICY_EXPLAINED))

    of_signal = await exchanges.exchanges_of_signal(signal_id)
    told = await exchanges.signal_events(signal_id)

    assert [e.recipient_id for e in of_signal] == [LIEGE.id, AACHEN.id]
    assert [e.kind for e in told] == ["signal.accepted", "inbox.fetched"]
    assert [e.seq for e in told] == sorted(e.seq for e in told)
    assert await exchanges.exchanges_of_signal("unknown") == []


@pytest.mark.old_audit_entries
@pytest.mark.parametrize("written", ["as before", "as now"])
async def test_a_fetch_belongs_to_its_exchange_whichever_way_its_actor_was_written(
    exchanges: Store, written: str
) -> None:
    """Entries are never rewritten: a fetch whose actor is the recipient's bare id, as the
    inbox wrote it before, is about the exchange just as one written now."""
    signal_id = new_signal(1).id
    if written == "as before":
        await exchanges.record(AsWrittenBefore(LIEGE.id, signal_id))  # type: ignore[arg-type]
    else:
        await exchanges.record(fetched(signal_id))

    about = await exchanges.export_exchanges(ExchangeQuery(event_kind="inbox.fetched"))
    told = await exchanges.signal_events(signal_id)

    assert found(about) == [("1", LIEGE.id)]
    assert told[-1].kind == "inbox.fetched"
    assert (told[-1].actor == LIEGE.id) is (written == "as before")


async def test_the_latest_entries_of_a_kind_come_newest_first(exchanges: Store) -> None:
    latest = await exchanges.entries_of_kind(EventKind.SIGNAL_ACCEPTED, limit=2)

    assert [e.kind for e in latest] == ["signal.accepted"] * 2
    assert latest[0].seq > latest[1].seq
    assert await exchanges.entries_of_kind(EventKind.AUDIT_EXPORTED) == []


async def test_the_search_form_offers_the_values_in_use(exchanges: Store) -> None:
    values = await exchanges.search_values()

    assert values.partners == tuple(sorted((LIMBURG.id, LIEGE.id, AACHEN.id, LANAKEN.id)))
    assert values.countries == ("BE", "DE", "NL")
    assert values.categories == ("undermining.drug_waste", "undermining.fraud")
    assert values.rules == ("2",)


# --- figures ---------------------------------------------------------------------------------


async def test_the_figures_of_a_period(exchanges: Store) -> None:
    midnight = START.replace(hour=0, minute=0, second=0, microsecond=0)
    day = (midnight, midnight + timedelta(days=1))

    hours = await exchanges.exchanges_by_hour(since=day[0], until=day[1])
    by_rule = await exchanges.decisions_by_rule(since=day[0], until=day[1])

    hour = START.replace(minute=0, second=0, microsecond=0)
    assert [(h.hour, h.sender_country, h.recipient_country, h.exchanges) for h in hours] == [
        (hour, "NL", "BE", 1),
        (hour, "NL", "DE", 1),
        (hour + timedelta(hours=1), "BE", "NL", 1),
    ], "the denied exchange is left out"
    assert sorted((c.rule_id, c.verdict, c.decisions) for c in by_rule) == [
        ("", Verdict.DENY, 1),
        ("2", Verdict.DELIVER, 3),
    ]
    assert await exchanges.exchanges_by_hour(since=day[1], until=day[1]) == []


async def test_exchanges_are_counted_by_the_hours_that_begin_in_the_period(
    empty_store: Store,
) -> None:
    await with_partners(empty_store)
    for number, minutes in enumerate((0, 10, 52, 61, 24 * 60), start=1):
        made = new_signal(number, LIEGE, AACHEN, received=minutes)
        await empty_store.accept_signal(made, accepted(made))
    hour = START.replace(minute=0, second=0, microsecond=0)

    def counted(hours: list[ExchangeCount]) -> list[tuple[object, str, int]]:
        return [(h.hour - hour, h.recipient_country, h.exchanges) for h in hours]

    two_hours = await empty_store.exchanges_by_hour(since=hour, until=hour + timedelta(hours=2))
    later = await empty_store.exchanges_by_hour(since=START, until=hour + timedelta(days=2))
    by_rule = await empty_store.decisions_by_rule(since=hour, until=hour + timedelta(hours=1))

    one = timedelta(hours=1)
    assert counted(two_hours) == [
        (timedelta(0), "BE", 3),
        (timedelta(0), "DE", 3),
        (one, "BE", 1),
        (one, "DE", 1),
    ], "minutes 0, 10 and 52 in START's hour, 61 in the next; the day after is not in the period"
    assert counted(later) == [
        (one, "BE", 1),
        (one, "DE", 1),
        (timedelta(days=1), "BE", 1),
        (timedelta(days=1), "DE", 1),
    ], "START's hour began before START: it is not counted"
    assert [(c.rule_id, c.verdict, c.decisions) for c in by_rule] == [("2", Verdict.DELIVER, 6)]


async def test_decided_reviews_are_spans_of_waiting(
    empty_store: Store, store_clock: FixedClock
) -> None:
    await with_partners(empty_store)
    waiting = NewReviewItem("item-1", LIEGE.id, "BE", "urgent", ("language",), release_now=False)
    signal = replace(
        new_signal(1),
        recipients=(LIEGE.id,),
        decisions=(decision(LIEGE, Verdict.REVIEW),),
        reviews=(waiting,),
    )
    await empty_store.accept_signal(signal, accepted(signal))
    store_clock.set(START + timedelta(minutes=20))
    released = NewCopy("c", LIEGE.id, CopyReview.RELEASED, review_item_id="item-1")
    await empty_store.decide_review(
        "item-1",
        ReviewOutcome(ReviewState.RELEASED, "m.dubois", correction=b"s", copy=released),
        an_event(EventKind.REVIEW_RELEASED),
    )

    (span,) = await empty_store.review_spans(since=START, until=START + timedelta(hours=1))

    assert (span.state, span.country, span.created_at, span.decided_at) == (
        ReviewState.RELEASED,
        "BE",
        START,
        START + timedelta(minutes=20),
    )
    assert (
        await empty_store.review_spans(
            since=START + timedelta(hours=1), until=START + timedelta(hours=2)
        )
        == []
    )


async def test_webhook_health_counts_each_partners_pushes_by_state(
    empty_store: Store,
) -> None:
    await with_partners(empty_store)
    assert await empty_store.webhook_health() == {}
    made = new_signal(1, LIEGE)
    await empty_store.accept_signal(made, accepted(made))
    (copy,) = await empty_store.pending_copies(due=START)
    sealed = SealedCopy(copy.id, "env-1", copy.signal_id, LIEGE.id, "k", b"e", "https://h.example/")
    await empty_store.keep_envelope(sealed, an_event(EventKind.COPY_SEALED))
    await empty_store.record_attempt(
        "env-1",
        state=DeliveryState.PENDING,
        status=None,
        error="tls",
        next_attempt_at=START,
        event=an_event(EventKind.DELIVERY_ATTEMPTED),
    )

    health = await empty_store.webhook_health()

    assert list(health) == [LIEGE.id]
    liege = health[LIEGE.id]
    assert (liege.partner_id, liege.by_state, liege.last_error, liege.last_status) == (
        LIEGE.id,
        {DeliveryState.PENDING: 1},
        "tls",
        None,
    )


async def test_every_policy_ever_adopted_is_listed_latest_first(
    empty_store: Store, store_clock: FixedClock
) -> None:
    for minutes, digest in ((0, "a"), (5, "b")):
        store_clock.set(START + timedelta(minutes=minutes))
        await empty_store.adopt_policy(digest * 64, "x", an_event(EventKind.POLICY_ADOPTED))

    versions = await empty_store.policy_versions()

    assert [(v.sha256[0], v.first_loaded_at) for v in versions] == [
        ("b", START + timedelta(minutes=5)),
        ("a", START),
    ]
