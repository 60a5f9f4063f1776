"""Each partner's share: a rate for the whole gateway, kept in the store and taken a slice at a
time, and a number of requests in progress in each process, on a clock the test moves by hand.
Every test of :class:`PartnerLimits` runs on both store backends (``empty_store``)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.flow.partner_limits import COST_BYTES, PartnerLimits
from gateway.infra import rate_slices
from gateway.infra.clock import FixedClock
from gateway.infra.errors import PartnerBusy, PartnerRateLimited
from gateway.infra.rate_slices import Bucket, Grant, RateLimit
from gateway.store import PartnerRateStore, Store
from tests.store_backends import START

BODY = 256 * 1024


def limits_on(
    store: PartnerRateStore,
    clock: FixedClock,
    *,
    rate: float,
    burst: int,
    concurrency: int = 10,
) -> PartnerLimits:
    return PartnerLimits(
        store=store,
        clock=clock,
        rate=rate,
        burst=burst,
        concurrency=concurrency,
        max_body_bytes=BODY,
    )


def later(clock: FixedClock, seconds: float) -> None:
    clock.set(clock.now() + timedelta(seconds=seconds))


async def test_a_burst_then_the_rate_and_retry_after_says_when(
    empty_store: Store, store_clock: FixedClock
) -> None:
    limits = limits_on(empty_store, store_clock, rate=2.0, burst=3)
    for _ in range(3):
        async with limits.admit("a"):
            pass
    with pytest.raises(PartnerRateLimited) as refused:
        async with limits.admit("a"):
            pass
    assert refused.value.extensions() == {"retry_after": 1}
    later(store_clock, 0.5)
    async with limits.admit("a"):
        pass


async def test_one_partner_over_its_rate_leaves_the_others_theirs(
    empty_store: Store, store_clock: FixedClock
) -> None:
    limits = limits_on(empty_store, store_clock, rate=0.001, burst=1)
    async with limits.admit("a"):
        pass
    with pytest.raises(PartnerRateLimited) as refused:
        async with limits.admit("a"):
            pass
    assert refused.value.extensions() == {"retry_after": 1000}
    async with limits.admit("b"):
        pass


async def test_two_processes_share_one_partners_rate(
    empty_store: Store, store_clock: FixedClock
) -> None:
    """Two :class:`PartnerLimits` on one store stand for two gateway processes: what the first
    took of the burst, the second cannot have."""
    first = limits_on(empty_store, store_clock, rate=0.01, burst=16)
    second = limits_on(empty_store, store_clock, rate=0.01, burst=16)
    for _ in range(16):
        async with first.admit("a"):
            pass
    with pytest.raises(PartnerRateLimited):
        async with second.admit("a"):
            pass
    with pytest.raises(PartnerRateLimited):
        async with first.admit("a"):
            pass
    async with second.admit("b"):
        pass


async def test_a_process_takes_a_slice_at_a_time_and_holds_less_than_one_after_a_request(
    empty_store: Store, store_clock: FixedClock
) -> None:
    first = limits_on(empty_store, store_clock, rate=0.01, burst=16)
    second = limits_on(empty_store, store_clock, rate=0.01, burst=16)
    assert first.limit.slice == 2
    async with first.admit("a"):
        pass
    assert first.held("a") == 1
    async with second.admit("a", 5 * COST_BYTES):
        pass
    assert second.held("a") == 0, "a request costing more than a slice takes what it needs"
    singles = 0
    while True:
        try:
            async with second.admit("a"):
                singles += 1
        except PartnerRateLimited:
            break
    assert singles == 16 - 2 - 5, "the burst less the first's slice and the second's five"
    async with first.admit("a"):
        pass
    assert first.held("a") == 0


class Counting:
    """A real store, with the takes asked of it counted."""

    def __init__(self, store: PartnerRateStore) -> None:
        self.store = store
        self.takes = 0

    async def take_partner_tokens(self, partner_id: str, **kwargs: Any) -> Grant:
        self.takes += 1
        return await self.store.take_partner_tokens(partner_id, **kwargs)


async def test_a_flooding_partners_refusals_cost_no_query_until_its_bucket_may_have_refilled(
    empty_store: Store, store_clock: FixedClock
) -> None:
    counting = Counting(empty_store)
    limits = limits_on(counting, store_clock, rate=1.0, burst=8)
    for _ in range(8):
        async with limits.admit("a"):
            pass
    asked = counting.takes
    assert asked == 8, "a slice of one token at a time: burst // 8"
    for _ in range(50):
        with pytest.raises(PartnerRateLimited):
            async with limits.admit("a"):
                pass
    assert counting.takes == asked + 1, "one query found the bucket empty, then none"
    later(store_clock, 1.0)
    async with limits.admit("a"):
        pass
    assert counting.takes == asked + 2


async def test_requests_in_progress_are_counted_and_a_busy_refusal_costs_no_token(
    empty_store: Store, store_clock: FixedClock
) -> None:
    limits = limits_on(empty_store, store_clock, rate=1.0, burst=2, concurrency=1)
    async with limits.admit("a"):
        assert limits.in_progress("a") == 1
        with pytest.raises(PartnerBusy):
            async with limits.admit("a"):
                pass
        async with limits.admit("b"):
            assert limits.in_progress("b") == 1
    assert limits.in_progress("a") == 0
    async with limits.admit("a"):
        pass


async def test_a_place_is_given_back_when_the_request_fails_or_is_refused(
    empty_store: Store, store_clock: FixedClock
) -> None:
    limits = limits_on(empty_store, store_clock, rate=0.001, burst=1, concurrency=1)
    with pytest.raises(ValueError, match="boom"):
        async with limits.admit("a"):
            raise ValueError("boom")
    assert limits.in_progress("a") == 0
    with pytest.raises(PartnerRateLimited):
        async with limits.admit("a"):
            pass
    assert limits.in_progress("a") == 0


async def test_a_body_counts_once_for_every_4_kib_it_announces(
    empty_store: Store, store_clock: FixedClock
) -> None:
    limits = limits_on(empty_store, store_clock, rate=0.001, burst=80)
    assert COST_BYTES == 4 * 1024
    assert [limits.cost(n) for n in (0, 1, COST_BYTES, COST_BYTES + 1, BODY)] == [1, 1, 1, 2, 64]
    assert limits.cost(None) == limits.cost(10 * BODY) == 64, "unknown or too long: the most"
    async with limits.admit("a", BODY):
        pass
    with pytest.raises(PartnerRateLimited):
        async with limits.admit("a", BODY):
            pass
    for _ in range(16):
        async with limits.admit("a", 2_000):
            pass
    with pytest.raises(PartnerRateLimited) as refused:
        async with limits.admit("a", 2_000):
            pass
    assert "a body counting once for every 4 KiB" in str(refused.value)


async def test_a_cost_above_the_burst_takes_the_whole_burst_and_no_more(
    empty_store: Store, store_clock: FixedClock
) -> None:
    limits = limits_on(empty_store, store_clock, rate=1.0, burst=4)
    async with limits.admit("a", BODY):
        pass
    with pytest.raises(PartnerRateLimited) as refused:
        async with limits.admit("a", BODY):
            pass
    assert refused.value.extensions() == {"retry_after": 4}
    later(store_clock, 4)
    async with limits.admit("a", BODY):
        pass


# --- the rule, for all inputs ---------------------------------------------------------------


class SharedBucket:
    """The store's part of a take on one bucket in memory: the same decision
    (:func:`rate_slices.take`) the backends take in their transactions, so that the property
    below can run thousands of simulated requests. The backends themselves are held to it by
    the tests above."""

    def __init__(self) -> None:
        self.buckets: dict[str, Bucket] = {}

    async def take_partner_tokens(
        self, partner_id: str, *, need: int, limit: RateLimit, now: Any
    ) -> Grant:
        grant = rate_slices.take(limit, self.buckets.get(partner_id), now, need)
        if grant.granted:
            self.buckets[partner_id] = grant.left
        return grant


@given(
    rate=st.floats(0.05, 50),
    burst=st.integers(1, 64),
    processes=st.integers(1, 4),
    requests=st.lists(
        st.tuples(st.floats(0, 2), st.integers(0, 3), st.integers(1, 80)),
        min_size=1,
        max_size=120,
    ),
)
@settings(max_examples=150, deadline=None)
def test_n_processes_never_admit_more_than_the_rate_the_burst_and_a_slice_each(
    rate: float, burst: int, processes: int, requests: list[tuple[float, int, int]]
) -> None:
    clock = FixedClock(START)
    shared = SharedBucket()
    each = [limits_on(shared, clock, rate=rate, burst=burst) for _ in range(processes)]
    admitted: list[tuple[float, int]] = []

    async def run() -> None:
        elapsed = 0.0
        for gap, which, units in requests:
            elapsed += gap
            clock.set(START + timedelta(seconds=elapsed))
            limits = each[which % processes]
            cost = limits.cost(units * COST_BYTES)
            try:
                async with limits.admit("a", units * COST_BYTES):
                    admitted.append((elapsed, cost))
            except PartnerRateLimited:
                pass

    asyncio.run(run())
    allowance = burst + processes * RateLimit(rate, burst).slice
    for i, (start, _) in enumerate(admitted):
        spent = 0
        for end, cost in admitted[i:]:
            spent += cost
            assert spent <= rate * (end - start) + allowance + 1e-6
    last = admitted[-1][0] if admitted else 0.0
    assert sum(cost for _, cost in admitted) <= rate * last + burst + 1e-6, "all from the store"


@given(rate=st.floats(0.01, 100), burst=st.integers(1, 50), gap=st.floats(0, 100))
@settings(max_examples=200, deadline=None)
def test_a_refused_take_succeeds_once_it_waits_as_long_as_it_was_told(
    rate: float, burst: int, gap: float
) -> None:
    limit = RateLimit(rate, burst)
    now = START + timedelta(seconds=gap)
    bucket: Bucket | None = None
    while (grant := rate_slices.take(limit, bucket, now, 1)).granted:
        bucket = grant.left
    wait = rate_slices.wait(limit, grant.left, now, 1)
    assert wait > 0
    assert rate_slices.take(limit, bucket, now + timedelta(seconds=wait + 1e-6), 1).granted >= 1
