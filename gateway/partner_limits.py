"""Each partner's share of the gateway: how many of its requests may be in progress at once,
and how many it may send per second.

Both are decided from the partner's TLS identity alone, before the body is read, so that a
refusal (``429`` with ``Retry-After``) costs the gateway less than the request cost its
sender, and one partner sending as fast as it can takes no more than its share from the
others.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from gateway.errors import PartnerBusy, PartnerRateLimited


@dataclass
class TokenBucket:
    """``burst`` tokens to start with, refilled at ``rate`` per second up to ``burst``."""

    rate: float
    burst: int
    tokens: float
    updated: float

    @classmethod
    def full(cls, rate: float, burst: int, now: float) -> TokenBucket:
        return cls(rate, burst, float(burst), now)

    def take(self, now: float) -> float:
        """Take a token: 0 when there was one, else the seconds until there is one."""
        self.tokens = min(float(self.burst), self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = max(self.updated, now)
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class PartnerLimits:
    """At most ``concurrency`` requests of a partner in progress, and ``rate`` per second
    (after a first ``burst``)."""

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        concurrency: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1 or concurrency < 1:
            raise ValueError("limits need a positive rate, burst and concurrency")
        self.rate = rate
        self.burst = burst
        self.concurrency = concurrency
        self._monotonic = monotonic
        self._buckets: dict[str, TokenBucket] = {}
        self._in_progress: dict[str, int] = {}

    def in_progress(self, partner_id: str) -> int:
        return self._in_progress.get(partner_id, 0)

    @contextmanager
    def admit(self, partner_id: str) -> Iterator[None]:
        """Hold one of ``partner_id``'s places while the request is worked on, or refuse it
        with :class:`PartnerBusy` or :class:`PartnerRateLimited` (a busy partner's refused
        request does not use up its rate)."""
        running = self.in_progress(partner_id)
        if running >= self.concurrency:
            raise PartnerBusy(limit=self.concurrency)
        now = self._monotonic()
        bucket = self._buckets.get(partner_id)
        if bucket is None:
            bucket = self._buckets[partner_id] = TokenBucket.full(self.rate, self.burst, now)
        wait = bucket.take(now)
        if wait > 0:
            raise PartnerRateLimited(
                rate=self.rate, burst=self.burst, retry_after=max(1, math.ceil(wait))
            )
        self._in_progress[partner_id] = running + 1
        try:
            yield
        finally:
            left = self._in_progress[partner_id] - 1
            if left:
                self._in_progress[partner_id] = left
            else:
                del self._in_progress[partner_id]
