"""Each partner's share of the gateway: how many of its requests may be in progress at once,
and how many it may send per second.

Both are decided from the partner's TLS identity and the length the request announces, before
the body is read, so that a refusal (``429`` with ``Retry-After``) costs the gateway less than
the request cost its sender, and one partner sending as fast as it can takes no more than its
share from the others. What a body costs the gateway grows with its size, so a request counts
once for every :data:`COST_BYTES` of body it announces (one of unknown length counts as the
largest body allowed).

The **rate** is the gateway's, whatever the number of instances: one token bucket per partner,
kept in the store that every instance shares. Each process takes it a slice at a time
(:mod:`gateway.infra.rate_slices`) and spends the slice locally, so most requests cost no
query; when its slice is spent it asks for the next (one short transaction). When the stored
bucket was found too low, the process remembers what it saw and refuses the partner's requests
without asking again until the bucket may have refilled enough: a flooding partner's refusals
cost no query. A partner gets at most its rate, plus its burst, plus one slice per instance.

The **concurrency** (requests in progress at once) is each process's own, on purpose: it
protects that process's event loop and memory, which the other instances do not share.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from gateway.infra import rate_slices
from gateway.infra.clock import Clock
from gateway.infra.errors import PartnerBusy, PartnerRateLimited
from gateway.infra.rate_slices import Bucket, RateLimit
from gateway.store import PartnerRateStore

COST_BYTES: Final = 4 * 1024
"""A request counts once against its partner's rate for every 4 KiB of body it starts: a
typical signal once, the largest (256 KiB) 64 times, since examining, keeping and delivering
it costs about that much more."""


class PartnerLimits:
    """At most ``concurrency`` requests of a partner in progress in this process, and ``rate``
    per second (after a first ``burst``) in the whole gateway, a request counting once per
    :data:`COST_BYTES` of body."""

    def __init__(
        self,
        *,
        store: PartnerRateStore,
        clock: Clock,
        rate: float,
        burst: int,
        concurrency: int,
        max_body_bytes: int,
    ) -> None:
        if concurrency < 1:
            raise ValueError("limits need a positive concurrency")
        self.limit = RateLimit(rate, burst)
        self.concurrency = concurrency
        self._store = store
        self._clock = clock
        self._largest = max_body_bytes
        self._held: dict[str, int] = {}
        self._seen_short: dict[str, Bucket] = {}
        self._taking: dict[str, asyncio.Lock] = {}
        self._in_progress: dict[str, int] = {}

    def in_progress(self, partner_id: str) -> int:
        return self._in_progress.get(partner_id, 0)

    def held(self, partner_id: str) -> int:
        """The tokens of ``partner_id`` this process took from the store and has not spent."""
        return self._held.get(partner_id, 0)

    def cost(self, announced_bytes: int | None) -> int:
        """What a request announcing ``announced_bytes`` of body counts against the rate (at
        most the burst: a request that costs more takes the whole burst)."""
        size = self._largest if announced_bytes is None else min(announced_bytes, self._largest)
        return min(max(1, math.ceil(size / COST_BYTES)), self.limit.burst)

    @asynccontextmanager
    async def admit(self, partner_id: str, announced_bytes: int | None = 0) -> AsyncIterator[None]:
        """Hold one of ``partner_id``'s places while the request is worked on, or refuse it
        with :class:`PartnerBusy` or :class:`PartnerRateLimited` (a busy partner's refused
        request does not use up its rate). ``announced_bytes`` is the request's
        ``Content-Length`` (None when it announces none)."""
        running = self.in_progress(partner_id)
        if running >= self.concurrency:
            raise PartnerBusy(limit=self.concurrency)
        self._in_progress[partner_id] = running + 1
        try:
            await self._spend(partner_id, self.cost(announced_bytes))
            yield
        finally:
            left = self._in_progress[partner_id] - 1
            if left:
                self._in_progress[partner_id] = left
            else:
                del self._in_progress[partner_id]

    async def _spend(self, partner_id: str, cost: int) -> None:
        if self.held(partner_id) >= cost:
            self._held[partner_id] -= cost
            return
        lock = self._taking.setdefault(partner_id, asyncio.Lock())
        async with lock:  # one take from the store at a time per partner, the others wait
            held = self.held(partner_id)
            if held < cost:
                held += await self._take(partner_id, cost - held)
            self._held[partner_id] = held - cost

    async def _take(self, partner_id: str, need: int) -> int:
        """Tokens taken from the store, at least ``need``; or :class:`PartnerRateLimited`."""
        now = self._clock.now()
        seen = self._seen_short.get(partner_id)
        if seen is not None and (wait := rate_slices.wait(self.limit, seen, now, need)) > 0:
            raise self._refusal(wait)
        grant = await self._store.take_partner_tokens(
            partner_id, need=need, limit=self.limit, now=now
        )
        if grant.granted:
            self._seen_short.pop(partner_id, None)
            return grant.granted
        self._seen_short[partner_id] = grant.left
        raise self._refusal(rate_slices.wait(self.limit, grant.left, now, need))

    def _refusal(self, wait: float) -> PartnerRateLimited:
        return PartnerRateLimited(
            rate=self.limit.rate,
            burst=self.limit.burst,
            retry_after=max(1, math.ceil(round(wait, 6))),
            unit=COST_BYTES // 1024,
        )
