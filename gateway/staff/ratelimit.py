"""Sign-in attempts per client address: a token bucket each, in memory, on an injected clock.

Each address may try ``burst`` times at once and then once every ``interval``. IPv6
addresses count by their /64, which one client usually holds whole. The table is
bounded: past ``max_addresses`` it forgets the buckets that are full again (they
remember nothing), then the longest idle. It complements the lock on each account,
which stops guessing one password from many addresses.
"""

from __future__ import annotations

import ipaddress
import math
import threading
from datetime import datetime, timedelta

from gateway.clock import Clock


class AddressLimiter:
    def __init__(
        self,
        clock: Clock,
        *,
        burst: int = 10,
        interval: timedelta = timedelta(seconds=6),
        max_addresses: int = 10_000,
    ) -> None:
        self._clock = clock
        self._burst = float(burst)
        self._per_second = 1 / interval.total_seconds()
        self._max = max_addresses
        self._buckets: dict[str, tuple[float, datetime]] = {}
        self._lock = threading.Lock()

    def take(self, address: str) -> int | None:
        """Spend one attempt for ``address``: ``None`` if it may try, else seconds to wait."""
        now = self._clock.now()
        key = _key(address)
        with self._lock:
            tokens = self._tokens(key, now)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                # rounded to the microsecond first, so float error cannot add a second
                return math.ceil(round((1 - tokens) / self._per_second, 6))
            self._buckets[key] = (tokens - 1, now)
            if len(self._buckets) > self._max:
                self._forget(now)
            return None

    def __len__(self) -> int:
        """How many addresses it remembers."""
        return len(self._buckets)

    def _tokens(self, key: str, now: datetime) -> float:
        if key not in self._buckets:
            return self._burst
        tokens, then = self._buckets[key]
        elapsed = max((now - then).total_seconds(), 0.0)
        return min(self._burst, tokens + elapsed * self._per_second)

    def _forget(self, now: datetime) -> None:
        for key in [k for k in self._buckets if self._tokens(k, now) >= self._burst]:
            del self._buckets[key]
        while len(self._buckets) > self._max:
            del self._buckets[min(self._buckets, key=lambda k: self._buckets[k][1])]


def _key(address: str) -> str:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)
