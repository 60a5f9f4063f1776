"""The store's contract, whatever its backend: the search by event kind finds exactly the
exchanges an entry of that kind is about (its signal is the entry's subject, and the entry
names that recipient or none), counted to :data:`COUNT_MAX` and "more" beyond, on a store with
more exchanges than are counted and entries of several kinds. The expected exchanges are
worked out here from the entries recorded, by that rule alone."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from gateway.infra.audit import AuditEvent, events, refs
from gateway.store import COUNT_MAX, ExchangeQuery, NewSignal, Store
from tests.test_store_contract_signals import (
    AACHEN,
    LANAKEN,
    LIEGE,
    LIMBURG,
    accepted,
    new_signal,
    with_partners,
)

RECIPIENTS = (LANAKEN, LIEGE, AACHEN)
COUNTRY = {p.id: p.country for p in (LIMBURG, *RECIPIENTS)}
Exchange = tuple[str, str]


def acknowledged(signal_id: str, recipient: str) -> events.InboxAcknowledged:
    return events.InboxAcknowledged(
        by=refs.partner(recipient),
        about=refs.signal(signal_id),
        envelope=f"e-{signal_id}-{recipient}",
        recipient=recipient,
    )


def opened(signal_id: str, recipient: str) -> events.ReviewOpened:
    return events.ReviewOpened(
        by=refs.staff("m.dubois"), about=refs.signal(signal_id), item="r-1", recipient=recipient
    )


def entries_of_several_kinds(signals: list[NewSignal]) -> list[AuditEvent]:
    """Every exchange acknowledged but Aachen's on the first four signals (one more than is
    counted); a review opened for Liège on every 50th signal, twice on some; one for a partner
    the signal was not sent to."""
    made: list[AuditEvent] = []
    for n, signal in enumerate(signals):
        made += [acknowledged(signal.id, r.id) for r in RECIPIENTS if n >= 4 or r is not AACHEN]
        if n % 50 == 0:
            made.append(opened(signal.id, LIEGE.id))
        if n % 100 == 0:
            made.append(opened(signal.id, LIEGE.id))
    made.append(opened(signals[7].id, LIMBURG.id))
    return made


def expected(
    signals: list[NewSignal], recorded: Iterable[AuditEvent], kind: str, country: str | None
) -> list[Exchange]:
    """The exchanges the entries of ``kind`` are about, newest signal first, by the rule."""
    about: set[Exchange] = set()
    exchanges = {(s.id, r) for s in signals for r in s.recipients}
    for event in recorded:
        if event.kind != kind:
            continue
        subject = str(event.subject)
        signal_id = subject.removeprefix("signal:")
        named = getattr(event, "recipient", None)
        about |= {(s, r) for s, r in exchanges if s == signal_id and named in (None, r)}
    order = {s.id: s.received_at for s in signals}
    kept = [e for e in about if country is None or COUNTRY[e[1]] == country]
    return sorted(kept, key=lambda e: (-order[e[0]].timestamp(), e[0], e[1]))


async def test_the_search_by_kind_finds_what_the_entries_of_that_kind_are_about(
    empty_store: Store,
) -> None:
    await with_partners(empty_store)
    signals = [new_signal(n, *RECIPIENTS, received=n) for n in range(COUNT_MAX // 3 + 2)]
    for first in range(0, len(signals), 500):
        chunk = signals[first : first + 500]
        await asyncio.gather(*(empty_store.accept_signal(s, accepted(s)) for s in chunk))
    recorded = entries_of_several_kinds(signals)
    for first in range(0, len(recorded), 1_000):
        await empty_store.record_all(recorded[first : first + 1_000])
    recorded += [accepted(s) for s in signals]

    for kind in ("inbox.acknowledged", "review.opened", "signal.accepted", "copy.sealed"):
        for country in (None, "BE", "DE"):
            query = ExchangeQuery(event_kind=kind, to_country=country)
            wanted = expected(signals, recorded, kind, country)
            page = await empty_store.search_exchanges(query)
            late = await empty_store.search_exchanges(query, offset=COUNT_MAX - 2, limit=5)
            every = await empty_store.export_exchanges(query)

            said = f"{kind} to {country or 'anyone'}"
            assert [(e.signal_id, e.recipient_id) for e in every] == wanted, said
            assert (page.total, page.more) == (
                min(len(wanted), COUNT_MAX),
                len(wanted) > COUNT_MAX,
            ), said
            assert [(e.signal_id, e.recipient_id) for e in late.exchanges] == wanted[
                COUNT_MAX - 2 : COUNT_MAX + 3
            ], said
    acknowledged_all = await empty_store.search_exchanges(
        ExchangeQuery(event_kind="inbox.acknowledged")
    )
    assert (acknowledged_all.total, acknowledged_all.more) == (COUNT_MAX, True), (
        "10,001 exchanges acknowledged: counted to 10,000, and more"
    )
