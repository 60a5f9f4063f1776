"""Each partner's rate, one token bucket for every gateway instance on the store.

An instance takes tokens a slice at a time (:mod:`gateway.infra.rate_slices` decides, the store
reads and keeps, in one short transaction), so that concurrent takes, from this process or
another instance, cannot hand out the same tokens twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from gateway.infra.rate_slices import Grant, RateLimit


class PartnerRateStore(Protocol):
    async def take_partner_tokens(
        self, partner_id: str, *, need: int, limit: RateLimit, now: datetime
    ) -> Grant:
        """Refill ``partner_id``'s bucket for the time elapsed until ``now`` and take a slice
        of it for a request that needs ``need`` more tokens; nothing is kept when it is
        refused."""
        ...
