"""Requests for information (Directive (EU) 2023/977, art. 5) over the partners' API: due
their time limit after receipt, overdue once it has passed without a reply, closed by a reply
from a partner they were sent to, and seen only by their sender and their recipients.

The gateway runs on a clock that stands still until a test moves it, so every deadline and
every time left is exact.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from euregate_client import Problem

from gateway.edges.server import build
from gateway.flow.deadlines import TIME_LIMITS
from gateway.infra.clock import FixedClock
from gateway.infra.config import DataDir, Settings
from gateway.store import RequestState
from tests.conftest import RunningGateway, load_example

RECEIVED = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
"""After every example's observation times, which must not lie in the gateway's future."""


@asynccontextmanager
async def running_gateway(layout: DataDir, clock: FixedClock) -> AsyncIterator[RunningGateway]:
    """The real gateway on ``clock``, partners' listener only, on a free loopback port."""
    built = await build(Settings(data_dir=layout.root, host="127.0.0.1", port=0), clock=clock)
    runner = web.AppRunner(built.app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=built.ssl_context).start()
        yield RunningGateway(
            url=f"https://127.0.0.1:{runner.addresses[0][1]}",
            staff_url="",
            layout=layout,
            store=built.store,
            policy_digest=built.policy.policy.digest,
        )
    finally:
        await runner.cleanup()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(RECEIVED)


@pytest.fixture
async def gateway_on_clock(
    layout: DataDir, clock: FixedClock, log_stream: io.StringIO
) -> AsyncIterator[RunningGateway]:
    async with running_gateway(layout, clock) as running:
        yield running


def dutch_request(kind: str, reference: str = "PL2400-2026-REQ-1") -> dict[str, Any]:
    """The Dutch police ask the Lanaken police for information, with a deadline of ``kind``:
    in Dutch, which Lanaken reads, so the copy needs no review and goes out at once (a
    recipient sees a request once it received its copy)."""
    signal = load_example("nl-drug-waste-maastricht.json")
    signal["sender_reference"] = reference
    signal["recipients"] = {"partners": ["be-pol-lanaken"]}
    signal["request"] = {"type": "information_request", "deadline": kind}
    return signal


def reply_to(signal_id: str, *, to: str = "nl-pol-limburg") -> dict[str, Any]:
    """Lanaken's answer, addressed to the Dutch police."""
    reply = load_example("be-fr-liege-stockage.json")
    reply.pop("request", None)
    reply["in_reply_to"] = signal_id
    reply["recipients"] = {"partners": [to]}
    return reply


async def post(gateway: RunningGateway, sender: str, document: dict[str, Any]) -> str:
    async with gateway.client(sender) as partner:
        return str((await partner.post_signal(document))["signal_id"])


async def requests_of(gateway: RunningGateway, partner_id: str, state: str) -> list[dict[str, Any]]:
    async with gateway.client(partner_id) as partner:
        answer = await partner.requests(state)
    assert answer["state"] == state
    found: list[dict[str, Any]] = answer["requests"]
    return found


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.mark.parametrize("kind", sorted(TIME_LIMITS))
async def test_a_request_is_due_its_time_limit_after_receipt_for_sender_and_recipient(
    gateway_on_clock: RunningGateway, kind: str
) -> None:
    signal_id = await post(gateway_on_clock, "nl-pol-limburg", dutch_request(kind))

    for partner_id in ("nl-pol-limburg", "be-pol-lanaken"):
        (request,) = await requests_of(gateway_on_clock, partner_id, "open")
        assert request == {
            "signal_id": signal_id,
            "sender": "nl-pol-limburg",
            "recipients": ["be-pol-lanaken"],
            "kind": kind,
            "received_at": iso(RECEIVED),
            "deadline": iso(RECEIVED + TIME_LIMITS[kind]),
            "state": "open",
            "seconds_left": int(TIME_LIMITS[kind].total_seconds()),
            "seconds_overdue": None,
            "answered_by": None,
            "answered_late": None,
        }
        assert await requests_of(gateway_on_clock, partner_id, "overdue") == []
        assert await requests_of(gateway_on_clock, partner_id, "answered") == []


async def test_the_time_left_counts_down_and_the_request_is_overdue_once_the_limit_has_passed(
    gateway_on_clock: RunningGateway, clock: FixedClock
) -> None:
    signal_id = await post(gateway_on_clock, "nl-pol-limburg", dutch_request("urgent_direct"))

    clock.set(RECEIVED + timedelta(hours=7, minutes=30))
    (request,) = await requests_of(gateway_on_clock, "be-pol-lanaken", "open")
    assert (request["state"], request["seconds_left"]) == ("open", 30 * 60)

    clock.set(RECEIVED + timedelta(hours=8))
    (request,) = await requests_of(gateway_on_clock, "be-pol-lanaken", "open")
    assert (request["state"], request["seconds_left"]) == ("open", 0)
    assert await requests_of(gateway_on_clock, "be-pol-lanaken", "overdue") == []

    clock.set(RECEIVED + timedelta(hours=9, seconds=5))
    for partner_id in ("nl-pol-limburg", "be-pol-lanaken"):
        (late,) = await requests_of(gateway_on_clock, partner_id, "overdue")
        assert late["signal_id"] == signal_id
        assert (late["state"], late["seconds_left"], late["seconds_overdue"]) == (
            "overdue",
            0,
            3605,
        )
        (still_open,) = await requests_of(gateway_on_clock, partner_id, "open")
        assert still_open == late


async def test_a_reply_from_the_recipient_closes_the_request(
    gateway_on_clock: RunningGateway, clock: FixedClock
) -> None:
    signal_id = await post(gateway_on_clock, "nl-pol-limburg", dutch_request("urgent_indirect"))
    clock.set(RECEIVED + timedelta(days=2))

    reply_id = await post(gateway_on_clock, "be-pol-lanaken", reply_to(signal_id))

    for partner_id in ("nl-pol-limburg", "be-pol-lanaken"):
        assert await requests_of(gateway_on_clock, partner_id, "open") == []
        (answered,) = await requests_of(gateway_on_clock, partner_id, "answered")
        assert answered["signal_id"] == signal_id
        assert answered["state"] == "answered"
        assert answered["answered_by"] == {
            "signal_id": reply_id,
            "partner": "be-pol-lanaken",
            "at": iso(RECEIVED + timedelta(days=2)),
        }
        assert answered["answered_late"] is False
        assert (answered["seconds_left"], answered["seconds_overdue"]) == (None, None)

    clock.set(RECEIVED + timedelta(days=30))
    assert await requests_of(gateway_on_clock, "nl-pol-limburg", "overdue") == []


async def test_a_reply_after_the_deadline_closes_the_request_and_shows_it_was_late(
    gateway_on_clock: RunningGateway, clock: FixedClock
) -> None:
    signal_id = await post(gateway_on_clock, "nl-pol-limburg", dutch_request("urgent_direct"))
    clock.set(RECEIVED + timedelta(hours=10))
    await post(gateway_on_clock, "be-pol-lanaken", reply_to(signal_id))

    (answered,) = await requests_of(gateway_on_clock, "nl-pol-limburg", "answered")
    assert answered["answered_late"] is True
    assert await requests_of(gateway_on_clock, "nl-pol-limburg", "overdue") == []


async def test_a_reply_from_a_partner_the_request_was_not_sent_to_is_refused_and_closes_nothing(
    gateway_on_clock: RunningGateway,
) -> None:
    signal_id = await post(gateway_on_clock, "nl-pol-limburg", dutch_request("standard"))

    # a third partner, and the sender answering its own request
    for stranger, to in (("de-pol-aachen", "nl-pol-limburg"), ("nl-pol-limburg", "be-pol-lanaken")):
        with pytest.raises(Problem) as refused:
            await post(gateway_on_clock, stranger, reply_to(signal_id, to=to))
        assert refused.value.errors[0]["code"] == "unknown_reply"

    (request,) = await requests_of(gateway_on_clock, "nl-pol-limburg", "open")
    assert (request["signal_id"], request["answered_by"]) == (signal_id, None)


async def test_a_third_partner_sees_no_request_in_any_state(
    gateway_on_clock: RunningGateway, clock: FixedClock
) -> None:
    first = await post(gateway_on_clock, "nl-pol-limburg", dutch_request("urgent_direct", "R-1"))
    await post(gateway_on_clock, "nl-pol-limburg", dutch_request("standard", "R-2"))
    await post(gateway_on_clock, "be-pol-lanaken", reply_to(first))
    clock.set(RECEIVED + timedelta(days=8))

    assert len(await requests_of(gateway_on_clock, "nl-pol-limburg", "answered")) == 1
    assert len(await requests_of(gateway_on_clock, "nl-pol-limburg", "overdue")) == 1
    for state in ("open", "overdue", "answered"):
        assert await requests_of(gateway_on_clock, "de-pol-aachen", state) == []


async def test_a_partner_the_policy_denied_the_request_is_not_asked(
    gateway_on_clock: RunningGateway,
) -> None:
    signal = dutch_request("standard")
    signal["purpose"] = "administrative_approach"  # a municipality's: denied to the police
    signal_id = await post(gateway_on_clock, "nl-gem-maastricht", signal)

    (own,) = await requests_of(gateway_on_clock, "nl-gem-maastricht", "open")
    assert (own["signal_id"], own["recipients"]) == (signal_id, ["be-pol-lanaken"])
    assert await requests_of(gateway_on_clock, "be-pol-lanaken", "open") == []


async def test_administrators_see_every_request_earliest_deadline_first(
    gateway_on_clock: RunningGateway,
) -> None:
    standard = await post(gateway_on_clock, "nl-pol-limburg", dutch_request("standard", "R-1"))
    urgent = await post(gateway_on_clock, "nl-pol-limburg", dutch_request("urgent_direct", "R-2"))

    everything = await gateway_on_clock.store.requests(RequestState.OPEN, now=RECEIVED)

    assert [r.signal_id for r in everything] == [urgent, standard]


async def test_an_unknown_state_is_a_query_problem(gateway_on_clock: RunningGateway) -> None:
    async with gateway_on_clock.client("nl-pol-limburg") as partner:
        with pytest.raises(Problem) as refused:
            await partner.requests("late")
    assert refused.value.status == 400
    assert refused.value.document["type"] == "urn:euregate:problem:query-invalid"
    assert refused.value.document["parameter"] == "state"


@pytest.mark.parametrize("kind", sorted(TIME_LIMITS))
async def test_the_store_tells_a_requests_kind_and_nothing_for_a_plain_signal(
    gateway: RunningGateway, kind: str
) -> None:
    request = load_example("nl-drug-waste-maastricht.json")
    request["request"] = {"type": "information_request", "deadline": kind}
    plain = load_example("nl-drug-waste-maastricht.json")
    plain["sender_reference"] += "-plain"
    async with gateway.client("nl-pol-limburg") as police:
        asked = (await police.post_signal(request))["signal_id"]
        told = (await police.post_signal(plain))["signal_id"]

    assert await gateway.store.request_kind(asked) == kind
    assert await gateway.store.request_kind(told) is None
