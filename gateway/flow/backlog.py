"""A bound on the courier's backlog: intake refuses new copies before they pile up.

Sealing runs off the intake path, so a sender can post faster than the courier seals; without
a bound the copies waiting grow for as long as it does. Once more than ``limit`` copies wait,
a signal is refused with :class:`~gateway.infra.errors.SealingBehind` (503 and
``Retry-After``), nothing of it kept, if its sender's signals made at least their share of the
copies waiting (the count divided by the senders that have any): the partner
that makes the backlog is refused first, one that sends little still gets through. Past twice
``limit`` every sender is refused, so the backlog stays bounded whoever sends. The refusal
comes before the signal is read (intake asks first): finding out whether a signal would add
copies at all takes the parsing and the decisions a refusal is there to save, so while its
sender is refused even one that would add none waits for ``Retry-After``.

The count is the store's (:meth:`~gateway.store.DeliveryStore.copies_waiting`, every process
on the store together), read at most once every ``max_age`` seconds and never while a read is
in flight: a refusal costs a look at a dictionary, not a query. ``Retry-After`` is the time
the excess over ``limit`` takes at the pace the limit was sized for (:data:`SIZED_FOR`).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Mapping
from typing import Final

from gateway.infra.clock import Clock
from gateway.infra.errors import SealingBehind, StorageUnavailable
from gateway.store import Store

SIZED_FOR: Final = 30.0
"""Seconds of sealing the default limit stands for: the time the courier takes to work off
``limit`` copies, by which ``Retry-After`` is scaled."""

LONGEST_RETRY_AFTER: Final = 60


def refused(waiting: Mapping[str, int], sender_id: str, limit: int) -> bool:
    """Whether a signal of ``sender_id`` that adds copies is refused, ``waiting`` copies by
    sender waiting to be sealed: see the module docstring."""
    total = sum(waiting.values())
    if total <= limit:
        return False
    if total > 2 * limit:
        return True
    return waiting.get(sender_id, 0) * len(waiting) >= total


def retry_after(waiting: Mapping[str, int], limit: int) -> int:
    """Seconds until the copies over ``limit`` are sealed, at ``limit`` per :data:`SIZED_FOR`."""
    excess = max(sum(waiting.values()) - limit, 0)
    return min(max(math.ceil(excess * SIZED_FOR / limit), 1), LONGEST_RETRY_AFTER)


class SealingBacklog:
    """The copies waiting to be sealed, by sender, as the store counted them at most
    ``max_age`` seconds ago; :meth:`admit` refuses what would add to too long a backlog."""

    def __init__(self, store: Store, clock: Clock, *, limit: int, max_age: float = 1.0) -> None:
        self._store = store
        self._clock = clock
        self.limit = limit
        self._max_age = max_age
        self._waiting: dict[str, int] = {}
        self._counted_at = -math.inf
        self._counting: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        """The copies waiting, as last counted."""
        return sum(self._waiting.values())

    async def admit(self, sender_id: str) -> None:
        """Raise :class:`SealingBehind` if a signal of ``sender_id`` adding copies is refused
        now. Only the first call waits for a count; later ones use the last while the next is
        read."""
        if time.monotonic() - self._counted_at >= self._max_age and self._counting is None:
            self._counting = asyncio.create_task(self._count())
            if self._counted_at == -math.inf:
                await asyncio.shield(self._counting)
        if refused(self._waiting, sender_id, self.limit):
            raise SealingBehind(retry_after=retry_after(self._waiting, self.limit))

    async def _count(self) -> None:
        try:
            self._waiting = await self._store.copies_waiting(due=self._clock.now())
        except StorageUnavailable:
            pass  # the store logs it; the last count stands until the next
        finally:
            self._counted_at = time.monotonic()
            self._counting = None
