"""A bounded courier's backlog: once more copies wait to be sealed than the gateway lets
wait, intake refuses signals that would add more (503, Retry-After, a problem document in
the caller's language), keeps nothing of them, and takes signals again once the copies are
sealed. The partner whose signals make the backlog is refused first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.flow import courier
from gateway.flow.backlog import refused, retry_after
from gateway.infra.config import DataDir, Settings
from gateway.store import StoredSignal
from tests.conftest import RunningGateway, client_context, gateway_in_process
from tests.polling import until

LANAKEN = "be-cannabis-lanaken.json"
LIMIT = 2
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)

waiting_copies = st.dictionaries(
    st.sampled_from(["be-pol-lanaken", "nl-pol-limburg", "de-pol-aachen", "be-pol-liege"]),
    st.integers(min_value=1, max_value=500),
)


@given(waiting=waiting_copies, limit=st.integers(min_value=1, max_value=400))
def test_the_largest_sender_is_refused_first_and_everyone_past_twice_the_limit(
    waiting: dict[str, int], limit: int
) -> None:
    total = sum(waiting.values())
    verdicts = {sender: refused(waiting, sender, limit) for sender in waiting}
    idle = refused(waiting, "nl-gem-maastricht", limit)

    if total <= limit:
        assert not any(verdicts.values())
        assert not idle
    elif total > 2 * limit:
        assert all(verdicts.values())
        assert idle
    else:
        assert verdicts[max(waiting, key=lambda s: waiting[s])], "the largest is refused"
        assert not idle, "a sender with nothing waiting still gets through"
        for sender, refusal in verdicts.items():
            assert refusal == (waiting[sender] * len(waiting) >= total)
    assert 1 <= retry_after(waiting, limit) <= 60


class HeldCourier:
    """The courier seals nothing until :meth:`release` (the gateway's own courier, gated)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.open = asyncio.Event()
        seal_pending = courier.Courier.seal_pending

        async def gated(this: courier.Courier) -> int:
            await self.open.wait()
            return await seal_pending(this)

        monkeypatch.setattr(courier.Courier, "seal_pending", gated)

    def release(self) -> None:
        self.open.set()


@pytest.fixture
async def held_gateway(
    layout: DataDir, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[RunningGateway, HeldCourier]]:
    held = HeldCourier(monkeypatch)
    settings = Settings(
        data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0, courier_backlog_limit=LIMIT
    )
    async with gateway_in_process(settings) as running:
        yield running, held


async def test_intake_refuses_while_copies_pile_up_and_accepts_again_once_they_are_sealed(
    held_gateway: tuple[RunningGateway, HeldCourier], example: Callable[[str], dict[str, Any]]
) -> None:
    gateway, held = held_gateway
    template = example(LANAKEN)
    answers: dict[str, tuple[int, str | None, dict[str, Any]]] = {}
    numbers = iter(range(1, 10_000))

    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=client_context(gateway.layout, "be-pol-lanaken"))
    ) as session:

        async def post() -> int:
            reference = f"LAN/2026/B{next(numbers):04d}"
            async with session.post(
                gateway.url + "/v1/signals",
                json={**template, "sender_reference": reference},
                headers={"Accept-Language": "nl"},
            ) as response:
                answers[reference] = (
                    response.status,
                    response.headers.get("Retry-After"),
                    await response.json(content_type=None),
                )
                return response.status

        def posting_until(status: int) -> Callable[[], Awaitable[bool]]:
            async def check() -> bool:
                return await post() == status

            return check

        await until(posting_until(503))
        refusals = {r: a for r, a in answers.items() if a[0] == 503}
        accepted = {r for r, a in answers.items() if a[0] == 202}
        assert len(accepted) > LIMIT
        for _, retry, problem in refusals.values():
            assert retry is not None
            assert int(retry) >= 1
            assert problem["type"].endswith("sealing-behind")
            assert problem["retry_after"] == int(retry)
            assert "niets bewaard" in problem["detail"]
        kept = {s.sender_reference for s in await signals_of(gateway, "be-pol-lanaken")}
        assert kept == accepted, "nothing refused was kept"

        held.release()

        async def all_sealed() -> bool:
            return sum((await gateway.store.copies_waiting(due=FAR_FUTURE)).values()) == 0

        await until(all_sealed)
        answers.clear()
        await until(posting_until(202))
        assert {a[0] for a in answers.values()} <= {202, 503}


async def signals_of(gateway: RunningGateway, sender: str) -> list[StoredSignal]:
    found = [await gateway.store.signal(i) for i in await gateway.store.signal_ids()]
    return [s for s in found if s is not None and s.sender_id == sender]


async def test_a_refused_sender_is_refused_before_its_signal_is_read(
    held_gateway: tuple[RunningGateway, HeldCourier], example: Callable[[str], dict[str, Any]]
) -> None:
    """Once the backlog refuses a sender, even a body that is not JSON gets the 503: the
    refusal does not parse, validate or decide what it refuses."""
    gateway, held = held_gateway
    template = example(LANAKEN)
    numbers = iter(range(1, 10_000))
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=client_context(gateway.layout, "be-pol-lanaken"))
    ) as session:

        async def refused_now() -> bool:
            reference = f"LAN/2026/C{next(numbers):04d}"
            body = {**template, "sender_reference": reference}
            async with session.post(gateway.url + "/v1/signals", json=body) as response:
                return response.status == 503

        await until(refused_now)
        async with session.post(
            gateway.url + "/v1/signals",
            data=b"{not json",
            headers={"Content-Type": "application/json", "Accept-Language": "de"},
        ) as response:
            problem = await response.json(content_type=None)
            status, retry = response.status, response.headers.get("Retry-After")
        held.release()
    assert status == 503
    assert problem["type"].endswith("sealing-behind")
    assert retry is not None
    assert int(retry) >= 1
