"""Legal holds over the staff listener, over real HTTPS against the real gateway and its store:
compliance staff put a Dutch signal on hold with a reason and a review date, list the holds and
lift the hold; no other role may, and every refusal is a problem document naming what to fix.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import aiohttp
import pytest
from euregate_client import Problem

from tests.conftest import RunningGateway, client_context

REASON = "Rb Limburg, strafzaak 03/123456-26: bewaren tot uitspraak"


def in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


@pytest.fixture
async def signal_id(gateway: RunningGateway, example: Callable[[str], dict[str, Any]]) -> str:
    async with gateway.client("nl-pol-limburg") as partner:
        receipt = await partner.post_signal(example("nl-drug-waste-maastricht.json"))
    return str(receipt["signal_id"])


@pytest.fixture
async def compliance(staff_token: Callable[..., Awaitable[str]]) -> str:
    return await staff_token("c.peeters", role="compliance")


async def test_compliance_staff_hold_list_and_lift_and_each_step_is_audited_without_reason(
    gateway: RunningGateway, signal_id: str, compliance: str
) -> None:
    async with gateway.staff_client(compliance) as staff:
        held = await staff.hold(signal_id, reason=REASON, review_on=in_days(90))
        listed = await staff.holds()
        await staff.lift(signal_id)
        after = await staff.holds()

    assert held["signal_id"] == signal_id
    assert held["reason"] == REASON
    assert held["review_on"] == in_days(90)
    assert held["review_due"] is False
    assert held["placed_by"] == "staff:c.peeters"
    assert listed == [held]
    assert after == []
    entries = [
        e
        for e in await gateway.store.audit_entries()
        if e.kind in ("signal.held", "signal.hold_lifted")
    ]
    assert [(e.kind, e.actor, e.data["signal_id"]) for e in entries] == [
        ("signal.held", "staff:c.peeters", signal_id),
        ("signal.hold_lifted", "staff:c.peeters", signal_id),
    ]
    assert all(REASON not in str(e.data) for e in entries)


@pytest.mark.parametrize(("role", "desk"), [("liaison_officer", "BE"), ("administrator", None)])
async def test_only_compliance_staff_may_hold_list_or_lift(
    gateway: RunningGateway,
    signal_id: str,
    compliance: str,
    staff_token: Callable[..., Awaitable[str]],
    role: str,
    desk: str | None,
) -> None:
    async with gateway.staff_client(compliance) as staff:
        await staff.hold(signal_id, reason=REASON, review_on=in_days(30))
    other = await staff_token("o.other", role=role, desk=desk)
    async with gateway.staff_client(other) as staff:
        with pytest.raises(Problem) as listing:
            await staff.holds()
        with pytest.raises(Problem) as holding:
            await staff.hold(signal_id, reason=REASON, review_on=in_days(30))
        with pytest.raises(Problem) as lifting:
            await staff.lift(signal_id)

    assert {listing.value.status, holding.value.status, lifting.value.status} == {403}
    assert len(await gateway.store.legal_holds(limit=10)) == 1


async def test_a_signal_held_already_or_unknown_is_refused_and_lifting_no_hold_is_not_found(
    gateway: RunningGateway, signal_id: str, compliance: str
) -> None:
    async with gateway.staff_client(compliance, language="de") as staff:
        await staff.hold(signal_id, reason=REASON, review_on=in_days(30))
        with pytest.raises(Problem) as twice:
            await staff.hold(signal_id, reason="again", review_on=in_days(60))
        with pytest.raises(Problem) as unknown:
            await staff.hold("no-such-signal", reason=REASON, review_on=in_days(30))
        await staff.lift(signal_id)
        with pytest.raises(Problem) as not_held:
            await staff.lift(signal_id)

    assert twice.value.status == unknown.value.status == 409
    assert twice.value.document["type"].endswith(":hold-refused")
    assert twice.value.document["signal"] == signal_id
    assert unknown.value.document["signal"] == "no-such-signal"
    assert not_held.value.status == 404
    assert not_held.value.document["type"].endswith(":not-held")
    assert signal_id in not_held.value.document["detail"]
    assert twice.value.document["title"] != "Hold refused"


@pytest.mark.parametrize(
    ("reason", "review_on", "pointer"),
    [
        ("   ", 30, "/reason"),
        ("x" * 501, 30, "/reason"),
        (REASON, 0, "/review_on"),
        (REASON, -3, "/review_on"),
    ],
)
async def test_a_hold_without_reason_or_with_a_review_not_after_today_is_refused(
    gateway: RunningGateway,
    signal_id: str,
    compliance: str,
    reason: str,
    review_on: int,
    pointer: str,
) -> None:
    async with gateway.staff_client(compliance) as staff:
        with pytest.raises(Problem) as refused:
            await staff.hold(signal_id, reason=reason, review_on=in_days(review_on))
    assert refused.value.status == 422
    assert refused.value.document["type"].endswith(":hold-invalid")
    assert refused.value.document["pointer"] == pointer
    assert await gateway.store.legal_holds(limit=10) == []


@pytest.mark.parametrize(
    ("body", "status", "pointer"),
    [
        (b"[]", 400, ""),
        (b'{"reason": "x", "review_on": 20270101}', 400, "/review_on"),
        (b'{"review_on": "2099-01-01"}', 400, "/reason"),
        (b'{"reason": "x", "review_on": "2099-01-01", "until": "x"}', 400, "/until"),
        (b'{"reason": "x", "review_on": "next spring"}', 422, "/review_on"),
    ],
)
async def test_a_hold_body_of_the_wrong_shape_is_a_problem_naming_where(
    gateway: RunningGateway,
    signal_id: str,
    compliance: str,
    body: bytes,
    status: int,
    pointer: str,
) -> None:
    connector = aiohttp.TCPConnector(ssl=client_context(gateway.layout, None))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.post(
            f"{gateway.staff_url}/v1/holds/{signal_id}",
            data=body,
            headers={"Authorization": f"Bearer {compliance}", "Content-Type": "application/json"},
        ) as response,
    ):
        document = await response.json(content_type=None)
    assert (response.status, document["pointer"]) == (status, pointer)
