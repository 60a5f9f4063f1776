"""Each partner's share: a token bucket per partner and a number of requests in progress, on a
clock the test moves by hand."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.flow.partner_limits import COST_BYTES, PartnerLimits, TokenBucket
from gateway.infra.errors import PartnerBusy, PartnerRateLimited

BODY = 256 * 1024


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate_and_retry_after_says_when() -> None:
    clock = Clock()
    limits = PartnerLimits(rate=2.0, burst=3, concurrency=10, max_body_bytes=BODY, monotonic=clock)
    for _ in range(3):
        with limits.admit("a"):
            pass
    with pytest.raises(PartnerRateLimited) as refused, limits.admit("a"):
        pass
    assert refused.value.extensions() == {"retry_after": 1}
    clock.now += 0.5
    with limits.admit("a"):
        pass


def test_one_partner_over_its_rate_leaves_the_others_theirs() -> None:
    limits = PartnerLimits(
        rate=0.001, burst=1, concurrency=10, max_body_bytes=BODY, monotonic=Clock()
    )
    with limits.admit("a"):
        pass
    with pytest.raises(PartnerRateLimited) as refused, limits.admit("a"):
        pass
    assert refused.value.extensions() == {"retry_after": 1000}
    with limits.admit("b"):
        pass


def test_requests_in_progress_are_counted_and_a_busy_refusal_costs_no_token() -> None:
    limits = PartnerLimits(rate=1.0, burst=2, concurrency=1, max_body_bytes=BODY, monotonic=Clock())
    with limits.admit("a"):
        assert limits.in_progress("a") == 1
        with pytest.raises(PartnerBusy), limits.admit("a"):
            pass
        with limits.admit("b"):
            assert limits.in_progress("b") == 1
    assert limits.in_progress("a") == 0
    with limits.admit("a"):
        pass


def test_a_place_is_given_back_when_the_request_fails() -> None:
    limits = PartnerLimits(
        rate=10.0, burst=10, concurrency=1, max_body_bytes=BODY, monotonic=Clock()
    )
    with pytest.raises(ValueError, match="boom"), limits.admit("a"):
        raise ValueError("boom")
    assert limits.in_progress("a") == 0


@given(
    rate=st.floats(0.01, 100),
    burst=st.integers(1, 50),
    gaps=st.lists(st.floats(0, 5), min_size=1, max_size=200),
)
@settings(max_examples=200, deadline=None)
def test_no_window_admits_more_than_the_burst_and_the_rate_allow(
    rate: float, burst: int, gaps: list[float]
) -> None:
    bucket = TokenBucket.full(rate, burst, 0.0)
    now, admitted = 0.0, []
    for gap in gaps:
        now += gap
        if bucket.take(now) == 0:
            admitted.append(now)
    for i, start in enumerate(admitted):
        for j in range(i, len(admitted)):
            assert j - i + 1 <= burst + rate * (admitted[j] - start) + 1e-6


@given(rate=st.floats(0.01, 100), burst=st.integers(1, 50), gap=st.floats(0, 100))
@settings(max_examples=200, deadline=None)
def test_a_refused_request_is_admitted_once_it_waits_as_long_as_it_was_told(
    rate: float, burst: int, gap: float
) -> None:
    bucket = TokenBucket.full(rate, burst, 0.0)
    while bucket.take(gap) == 0:
        pass
    wait = bucket.take(gap)
    assert wait > 0
    assert bucket.take(gap + wait + 1e-9) == 0


def test_a_body_counts_once_for_every_4_kib_it_announces() -> None:
    limits = PartnerLimits(rate=0.001, burst=80, concurrency=10, max_body_bytes=BODY)
    assert COST_BYTES == 4 * 1024
    assert [limits.cost(n) for n in (0, 1, COST_BYTES, COST_BYTES + 1, BODY)] == [1, 1, 1, 2, 64]
    assert limits.cost(None) == limits.cost(10 * BODY) == 64, "unknown or too long: the most"
    with limits.admit("a", BODY):
        pass
    with pytest.raises(PartnerRateLimited), limits.admit("a", BODY):
        pass
    for _ in range(16):
        with limits.admit("a", 2_000):
            pass
    with pytest.raises(PartnerRateLimited) as refused, limits.admit("a", 2_000):
        pass
    assert "a body counting once for every 4 KiB" in str(refused.value)


def test_a_cost_above_the_burst_takes_the_whole_burst_and_no_more() -> None:
    clock = Clock()
    limits = PartnerLimits(rate=1.0, burst=4, concurrency=10, max_body_bytes=BODY, monotonic=clock)
    with limits.admit("a", BODY):
        pass
    with pytest.raises(PartnerRateLimited) as refused, limits.admit("a", BODY):
        pass
    assert refused.value.extensions() == {"retry_after": 4}
    clock.now += 4
    with limits.admit("a", BODY):
        pass
