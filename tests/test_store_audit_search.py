"""The compliance searches on a real gateway's database: each filter keeps exactly the
exchanges (a signal to one recipient) it names, pages cover the result without gaps or
overlaps, an exchange's events include the fetches of the inbox that handed it out, and the
chain's last verification is kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gateway.edges.web.exchange_story import story
from gateway.edges.web.frame import Viewer
from gateway.infra import audit
from gateway.infra.audit import events, refs
from gateway.infra.audit.events import parse
from gateway.staff import Desk, Role, StaffAccount
from gateway.store import ExchangeQuery, ExchangeSummary, Store, verify_chain
from tests.conftest import RunningGateway
from tests.store_events import AsWrittenBefore

DUTCH = "nl-drug-waste-maastricht.json"
BELGIAN = "be-fr-liege-stockage.json"

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
FAR = datetime(9999, 1, 1, tzinfo=UTC)


async def post(gateway: RunningGateway, sender: str, document: dict[str, Any]) -> str:
    async with gateway.client(sender) as partner:
        return str((await partner.post_signal(document))["signal_id"])


@pytest.fixture
async def posted(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> dict[str, str]:
    dutch = await post(gateway, "nl-pol-limburg", example(DUTCH))
    belgian = await post(gateway, "be-pol-liege", example(BELGIAN))
    return {"dutch": dutch, "belgian": belgian}


async def everything(store: Store, query: ExchangeQuery) -> list[ExchangeSummary]:
    return await store.export_exchanges(query)


def pairs(found: list[ExchangeSummary]) -> set[tuple[str, str]]:
    return {(e.signal_id, e.recipient_id) for e in found}


async def test_without_filters_every_exchange_is_found_newest_first(
    gateway: RunningGateway, posted: dict[str, str]
) -> None:
    page = await gateway.store.search_exchanges(ExchangeQuery())

    assert page.total == len(page.exchanges) == 4
    assert pairs(list(page.exchanges)) == {
        (posted["dutch"], "be-pol-liege"),
        (posted["dutch"], "de-pol-aachen"),
        (posted["belgian"], "nl-pol-limburg"),
        (posted["belgian"], "de-pol-aachen"),
    }
    received = [e.received_at for e in page.exchanges]
    assert received == sorted(received, reverse=True)
    first = next(e for e in page.exchanges if e.recipient_id == "be-pol-liege")
    assert (first.sender_country, first.recipient_country) == ("NL", "BE")
    assert first.category == "undermining.drug_waste"


async def test_a_partner_is_found_as_sender_and_as_recipient(
    gateway: RunningGateway, posted: dict[str, str]
) -> None:
    found = await everything(gateway.store, ExchangeQuery(partner="nl-pol-limburg"))

    assert pairs(found) == {
        (posted["dutch"], "be-pol-liege"),
        (posted["dutch"], "de-pol-aachen"),
        (posted["belgian"], "nl-pol-limburg"),
    }


async def test_a_country_pair_keeps_that_direction_only(
    gateway: RunningGateway, posted: dict[str, str]
) -> None:
    nl_to_be = await everything(gateway.store, ExchangeQuery(from_country="NL", to_country="BE"))
    be_to_nl = await everything(gateway.store, ExchangeQuery(from_country="BE", to_country="NL"))
    to_de = await everything(gateway.store, ExchangeQuery(to_country="DE"))

    assert pairs(nl_to_be) == {(posted["dutch"], "be-pol-liege")}
    assert pairs(be_to_nl) == {(posted["belgian"], "nl-pol-limburg")}
    assert {e.recipient_id for e in to_de} == {"de-pol-aachen"}
    assert len(to_de) == 2


async def test_a_time_range_includes_its_start_and_excludes_its_end(
    gateway: RunningGateway, posted: dict[str, str]
) -> None:
    dutch = await gateway.store.signal(posted["dutch"])
    assert dutch is not None
    at = dutch.received_at

    from_it = await everything(gateway.store, ExchangeQuery(since=at, until=FAR))
    before_it = await everything(gateway.store, ExchangeQuery(until=at))

    assert posted["dutch"] in {e.signal_id for e in from_it}
    assert posted["dutch"] not in {e.signal_id for e in before_it}
    assert len(from_it) + len(before_it) == 4


async def test_category_rule_and_outcome_each_narrow_to_matching_decisions(
    gateway: RunningGateway, posted: dict[str, str]
) -> None:
    store = gateway.store
    every = await everything(store, ExchangeQuery())

    category = await everything(store, ExchangeQuery(category="undermining.drug_waste"))
    assert {e.signal_id for e in category} == {posted["dutch"]}

    for exchange in every:
        same_verdict = await everything(store, ExchangeQuery(outcome=exchange.verdict))
        assert pairs(same_verdict) == pairs([e for e in every if e.verdict == exchange.verdict])
        for rule in exchange.rule_ids:
            fired = await everything(store, ExchangeQuery(rule=rule))
            assert pairs(fired) == pairs([e for e in every if rule in e.rule_ids])
    assert await everything(store, ExchangeQuery(rule="no-such-rule")) == []


async def test_an_event_kind_keeps_the_exchanges_it_is_about_recipient_by_recipient(
    gateway: RunningGateway, posted: dict[str, str]
) -> None:
    store = gateway.store
    dutch = posted["dutch"]
    await store.record(
        events.ReviewRejected(
            by=refs.staff("m.dubois"), about=refs.signal(dutch), item="x", recipient="be-pol-liege"
        )
    )
    await store.record(
        events.InboxFetched(
            by=refs.partner("de-pol-aachen"),
            about=refs.partner("de-pol-aachen"),
            envelopes=("e1",),
            signals=(posted["belgian"],),
            after=0,
        )
    )

    rejected = await everything(store, ExchangeQuery(event_kind="review.rejected"))
    fetched = await everything(store, ExchangeQuery(event_kind="inbox.fetched"))
    accepted = await everything(store, ExchangeQuery(event_kind="signal.accepted"))

    assert pairs(rejected) == {(dutch, "be-pol-liege")}
    assert pairs(fetched) == {(posted["belgian"], "de-pol-aachen")}
    assert len(accepted) == 4
    told = await store.signal_events(posted["belgian"])
    assert [e.kind for e in told][-1] == "inbox.fetched"
    assert told[0].kind == "signal.accepted"
    assert [e.seq for e in told] == sorted(e.seq for e in told)


@pytest.mark.old_audit_entries
@pytest.mark.parametrize("written", ["as before", "as now"])
async def test_a_fetch_is_found_the_same_whichever_way_its_actor_was_written(
    gateway: RunningGateway, posted: dict[str, str], written: str
) -> None:
    """Entries are never rewritten: a fetch whose actor is the recipient's bare id (as the
    inbox wrote it before) is found by the search, the export and the exchange's story just
    as one written now."""
    store, belgian = gateway.store, posted["belgian"]
    if written == "as before":
        await store.record(AsWrittenBefore("de-pol-aachen", belgian))  # type: ignore[arg-type]
    else:
        aachen = refs.partner("de-pol-aachen")
        await store.record(
            events.InboxFetched(
                by=aachen, about=aachen, envelopes=("e1",), signals=(belgian,), after=0
            )
        )
    query = ExchangeQuery(event_kind="inbox.fetched")

    page = await store.search_exchanges(query)
    exported = await store.export_exchanges(query)
    told = await store.signal_events(belgian)

    assert pairs(list(page.exchanges)) == pairs(exported) == {(belgian, "de-pol-aachen")}
    fetch = told[-1]
    assert fetch.kind == "inbox.fetched"
    assert (fetch.actor == "de-pol-aachen") is (written == "as before")
    viewer = Viewer(
        StaffAccount("a.peeters", "A. Peeters", Role.COMPLIANCE, Desk.parse("*")),
        "en",
        "csrf",
        ZoneInfo("Europe/Brussels"),
    )
    (line,) = story([fetch], viewer)
    assert (line.actor, line.recipient) == ("partner:de-pol-aachen", "de-pol-aachen")
    assert parse(fetch) == events.InboxFetched(
        by=refs.partner("de-pol-aachen"),
        about=refs.partner("de-pol-aachen"),
        envelopes=("e1",),
        signals=(belgian,),
        after=0,
    )
    assert (await verify_chain(store)).ok


@pytest.mark.parametrize("limit", [1, 3, 4])
async def test_pages_cover_the_result_once(
    gateway: RunningGateway, posted: dict[str, str], limit: int
) -> None:
    seen: list[tuple[str, str]] = []
    offset = 0
    while True:
        page = await gateway.store.search_exchanges(ExchangeQuery(), offset=offset, limit=limit)
        assert page.total == 4
        if not page.exchanges:
            break
        assert len(page.exchanges) <= limit
        seen += [(e.signal_id, e.recipient_id) for e in page.exchanges]
        offset += limit
    assert len(seen) == len(set(seen)) == 4


async def test_decisions_are_counted_by_rule_and_outcome(
    gateway: RunningGateway, posted: dict[str, str]
) -> None:
    every = await everything(gateway.store, ExchangeQuery())
    counted = await gateway.store.decisions_by_rule(since=LONG_AGO, until=FAR)

    expected: dict[tuple[str, str], int] = {}
    for exchange in every:
        for rule in exchange.rule_ids or ("",):
            expected[rule, exchange.verdict] = expected.get((rule, exchange.verdict), 0) + 1
    assert {(c.rule_id, c.verdict): c.decisions for c in counted} == expected
    hours = await gateway.store.exchanges_by_hour(since=LONG_AGO, until=FAR)
    assert sum(h.exchanges for h in hours) == sum(1 for e in every if e.verdict != "deny")


async def test_the_last_verification_is_kept(
    gateway: RunningGateway, posted: dict[str, str]
) -> None:
    store = gateway.store
    assert await store.last_verification() is None
    result = audit.verify(await store.audit_entries())
    head = await store.chain_head()
    assert head is not None

    kept = await store.record_verification(result, by="staff:a.peeters")

    assert kept.ok
    assert (kept.last_seq, kept.last_hash) == (head.seq, head.hash)
    assert await store.last_verification() == kept
    broken = replace(result, first_bad_seq=3, reason="the entry's content does not match its hash")
    again = await store.record_verification(broken, by="staff:a.peeters")
    assert not again.ok
    assert await store.last_verification() == again


async def test_the_search_form_offers_the_values_in_use(
    gateway: RunningGateway, posted: dict[str, str]
) -> None:
    values = await gateway.store.search_values()
    every = await everything(gateway.store, ExchangeQuery())

    assert values.categories == ("undermining.drug_trafficking", "undermining.drug_waste")
    assert values.rules == tuple(sorted({rule for e in every for rule in e.rule_ids}))
    assert values.countries == ("BE", "DE", "NL")
    assert "nl-pol-limburg" in values.partners


async def test_the_policy_versions_include_the_one_in_force_and_webhooks_start_healthy(
    gateway: RunningGateway,
) -> None:
    versions = await gateway.store.policy_versions()

    assert [v.sha256 for v in versions] == [gateway.policy_digest]
    assert await gateway.store.policy_in_force() == gateway.policy_digest
    assert await gateway.store.webhook_health() == {}
