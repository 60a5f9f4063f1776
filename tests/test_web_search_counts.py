"""The compliance officer's search past what the store counts: the page says "more than", in
the officer's language, and offers the next page while the page is full."""

from __future__ import annotations

import asyncio

from gateway.staff import Passwords
from gateway.store import COUNT_MAX
from tests.conftest import RunningGateway
from tests.staff_web import enrol, signed_in
from tests.test_store_contract_signals import AACHEN, LANAKEN, LIEGE, accepted, new_signal

PAGE_SIZE = 25


async def test_a_search_past_the_count_says_more_than_and_pages_on(
    gateway: RunningGateway, cheap_passwords: Passwords
) -> None:
    signals = [new_signal(n, LANAKEN, LIEGE, AACHEN, received=n) for n in range(COUNT_MAX // 3 + 2)]
    for first in range(0, len(signals), 500):
        chunk = signals[first : first + 500]
        await asyncio.gather(*(gateway.store.accept_signal(s, accepted(s)) for s in chunk))
    secret = await enrol(gateway.layout, "c.peeters", "compliance", cheap_passwords, language="nl")
    last = -(-(len(signals) * 3) // PAGE_SIZE)

    async with signed_in(gateway, "c.peeters", secret) as session:
        async with session.get("/audit") as answer:
            first_page = await answer.text()
        async with session.get(f"/audit?page={last - 1}") as answer:
            full = await answer.text()
        async with session.get(f"/audit?page={last}") as answer:
            short = await answer.text()

    assert f"Uitwisselingen 1 tot {PAGE_SIZE} van meer dan {COUNT_MAX}" in first_page
    assert 'rel="next"' in first_page
    assert 'rel="next"' in full, "a full page past the count offers the next"
    assert 'rel="next"' not in short, "the last page, five exchanges, offers none"
