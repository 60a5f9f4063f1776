"""Each partner's share of the gateway: how many of its requests may be in progress at once,
and how many it may send per second.

Both are decided from the partner's TLS identity and the length the request announces, before
the body is read, so that a refusal (``429`` with ``Retry-After``) costs the gateway less than
the request cost its sender, and one partner sending as fast as it can takes no more than its
share from the others. What a body costs the gateway grows with its size, so a request counts
once for every :data:`COST_BYTES` of body it announces (one of unknown length counts as the
largest body allowed).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

from gateway.infra.errors import PartnerBusy, PartnerRateLimited

COST_BYTES: Final = 4 * 1024
"""A request counts once against its partner's rate for every 4 KiB of body it starts: a
typical signal once, the largest (256 KiB) 64 times, since examining, keeping and delivering
it costs about that much more."""


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

    def take(self, now: float, cost: int = 1) -> float:
        """Take ``cost`` tokens (at most ``burst``): 0 when there were as many, else the
        seconds until there are."""
        cost = min(cost, self.burst)
        self.tokens = min(float(self.burst), self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = max(self.updated, now)
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.rate


class PartnerLimits:
    """At most ``concurrency`` requests of a partner in progress, and ``rate`` per second
    (after a first ``burst``), a request counting once per :data:`COST_BYTES` of body."""

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        concurrency: int,
        max_body_bytes: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1 or concurrency < 1:
            raise ValueError("limits need a positive rate, burst and concurrency")
        self.rate = rate
        self.burst = burst
        self.concurrency = concurrency
        self._largest = max_body_bytes
        self._monotonic = monotonic
        self._buckets: dict[str, TokenBucket] = {}
        self._in_progress: dict[str, int] = {}

    def in_progress(self, partner_id: str) -> int:
        return self._in_progress.get(partner_id, 0)

    def cost(self, announced_bytes: int | None) -> int:
        """What a request announcing ``announced_bytes`` of body counts against the rate."""
        size = self._largest if announced_bytes is None else min(announced_bytes, self._largest)
        return max(1, math.ceil(size / COST_BYTES))

    @contextmanager
    def admit(self, partner_id: str, announced_bytes: int | None = 0) -> Iterator[None]:
        """Hold one of ``partner_id``'s places while the request is worked on, or refuse it
        with :class:`PartnerBusy` or :class:`PartnerRateLimited` (a busy partner's refused
        request does not use up its rate). ``announced_bytes`` is the request's
        ``Content-Length`` (None when it announces none)."""
        running = self.in_progress(partner_id)
        if running >= self.concurrency:
            raise PartnerBusy(limit=self.concurrency)
        now = self._monotonic()
        bucket = self._buckets.get(partner_id)
        if bucket is None:
            bucket = self._buckets[partner_id] = TokenBucket.full(self.rate, self.burst, now)
        wait = bucket.take(now, self.cost(announced_bytes))
        if wait > 0:
            raise PartnerRateLimited(
                rate=self.rate,
                burst=self.burst,
                retry_after=max(1, math.ceil(wait)),
                unit=COST_BYTES // 1024,
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
