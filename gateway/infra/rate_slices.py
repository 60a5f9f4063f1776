"""A rate kept in a shared store and handed out in slices, as pure functions.

A partner's rate is one token bucket for the whole gateway, kept in the database that every
instance shares. So that not every request costs a round trip to it, an instance takes a
**slice** of tokens at a time (:func:`take`: the bucket refilled for the time elapsed, then at
most :attr:`RateLimit.slice` tokens, or what the request needs if that is more) and spends it
locally. Whatever an instance holds but has not spent is gone when it stops, and after a
request it holds fewer than one slice, so in any period of ``t`` seconds a partner is admitted
at most ``rate * t + burst + instances * slice`` tokens in all.

Times are aware datetimes in UTC given by the caller; the store only keeps and reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Final

SLICE_DIVISOR: Final = 8
"""A slice is an eighth of the burst (at least one token): small enough that instances holding
unspent slices add little to the burst, large enough that most requests cost no query."""


@dataclass(frozen=True)
class RateLimit:
    """``burst`` tokens at most, refilled at ``rate`` per second."""

    rate: float
    burst: int

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("a rate limit needs a positive rate and burst")

    @property
    def slice(self) -> int:
        """The tokens an instance takes from the store at a time (more if one request needs
        more)."""
        return max(1, self.burst // SLICE_DIVISOR)


@dataclass(frozen=True)
class Bucket:
    """The stored bucket: its tokens (fractional while refilling) as of ``at``."""

    tokens: float
    at: datetime


@dataclass(frozen=True)
class Grant:
    """What a take gave (0: nothing, the bucket did not hold what was needed) and the bucket
    as it was left, at the time of the take."""

    granted: int
    left: Bucket


def tokens(limit: RateLimit, bucket: Bucket | None, now: datetime) -> float:
    """The tokens ``bucket`` holds at ``now``: full when there is none yet."""
    if bucket is None:
        return float(limit.burst)
    elapsed = max((now - bucket.at).total_seconds(), 0.0)
    return min(float(limit.burst), bucket.tokens + elapsed * limit.rate)


def take(limit: RateLimit, bucket: Bucket | None, now: datetime, need: int) -> Grant:
    """Take a slice of ``bucket`` at ``now`` for a request that needs ``need`` more tokens
    (at most the burst): ``max(need, slice)`` or as many whole tokens as there are, if that is
    at least ``need``; nothing otherwise."""
    need = min(max(need, 1), limit.burst)
    held = tokens(limit, bucket, now)
    at = now if bucket is None else max(now, bucket.at)
    if held < need:
        return Grant(0, Bucket(held, at))
    granted = min(math.floor(held), max(need, limit.slice))
    return Grant(granted, Bucket(held - granted, at))


def wait(limit: RateLimit, seen: Bucket, now: datetime, need: int) -> float:
    """Seconds until a bucket last seen as ``seen`` may hold ``need`` tokens (0: it may now).
    Other instances only take from it, so before then it cannot: no need to ask."""
    need = min(max(need, 1), limit.burst)
    return max(0.0, (need - tokens(limit, seen, now)) / limit.rate)
