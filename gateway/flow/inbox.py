"""A recipient's inbox: its envelopes in order, after a cursor, long-polled, acknowledged.

Delivery is at least once: an envelope comes in every fetch until its recipient
acknowledges it, so a recipient that crashes between fetching and acknowledging gets it
again. Long-polling waits on an event per recipient that the courier sets when it seals
something for that recipient; each waiter takes the event before it reads, so nothing
sealed in between is missed.

A partner may have only so many long-polls waiting at once (``max_waiting``; more are
refused with :class:`TooManyLongPolls`). A long-poll that has waited asks ``standing``
before it hands anything out, and again at least every ``recheck`` seconds while it waits:
a partner suspended or revoked, or a certificate revoked, in this process or another, ends
its open long-polls instead of receiving what was sealed meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Final

from gateway.contract.partners import Partner
from gateway.infra.audit import events, refs, timestamp
from gateway.infra.errors import TooManyLongPolls
from gateway.store import InboxEnvelope, Store

MAX_LIMIT: Final = 500
MAX_WAIT: Final = 60
Standing = Callable[[], Awaitable[None]]
"""Raises when the caller may no longer be handed anything (its admission, asked anew)."""


def inbox_entry(envelope: InboxEnvelope) -> dict[str, object]:
    """One envelope as ``GET /v1/inbox`` hands it out and a webhook receives it."""
    return {
        "id": envelope.id,
        "position": envelope.position,
        "signal_id": envelope.signal_id,
        "version": envelope.version,
        "created_at": timestamp(envelope.created_at),
        "envelope": json.loads(envelope.envelope),
    }


@dataclass(frozen=True)
class Fetched:
    envelopes: tuple[InboxEnvelope, ...]
    cursor: int


class Inbox:
    def __init__(self, store: Store, *, max_waiting: int = 4, recheck: float = 2.0) -> None:
        self._store = store
        self._max_waiting = max_waiting
        self._recheck = recheck
        self._arrivals: dict[str, asyncio.Event] = {}
        self._waiting: dict[str, list[float]] = {}
        """Per partner, when each of its waiting long-polls ends at the latest."""
        self._closed = False

    def close(self) -> None:
        """Answer every waiting long-poll now with what it has, and any later one at once:
        the gateway is stopping and finishes what is in flight."""
        self._closed = True
        for recipient_id in list(self._arrivals):
            self.notify(recipient_id)

    def waiting(self) -> int:
        """Long-polls waiting now, all partners together."""
        return sum(len(ends) for ends in self._waiting.values())

    def notify(self, recipient_id: str) -> None:
        """Wake whoever waits on ``recipient_id``'s inbox: something arrived for it, or its
        admission changed."""
        event = self._arrivals.pop(recipient_id, None)
        if event is not None:
            event.set()

    async def fetch(
        self, recipient: Partner, *, after: int, limit: int, wait: float, standing: Standing
    ) -> Fetched:
        """Up to ``limit`` unacknowledged envelopes after ``after``; waits up to ``wait``
        seconds for the first when there is none. Audited when anything is handed out."""
        if wait > 0:
            until = asyncio.get_running_loop().time() + wait
            with self._long_poll(recipient.id, until):
                envelopes = await self._wait(recipient.id, after, limit, until, standing)
        else:
            envelopes = await self._store.inbox(recipient.id, after=after, limit=limit)
        if envelopes:
            await self._store.record_fetch(
                [e.id for e in envelopes],
                events.InboxFetched(
                    by=refs.partner(recipient.id),
                    about=refs.partner(recipient.id),
                    envelopes=tuple(e.id for e in envelopes),
                    signals=tuple(sorted({e.signal_id for e in envelopes})),
                    after=after,
                ),
            )
        cursor = envelopes[-1].position if envelopes else after
        return Fetched(tuple(envelopes), cursor)

    async def _wait(
        self, recipient_id: str, after: int, limit: int, until: float, standing: Standing
    ) -> list[InboxEnvelope]:
        """The envelopes after ``after`` once there are any, or none at ``until``; after each
        wait, ``standing`` decides whether the caller may still have them."""
        loop = asyncio.get_running_loop()
        waited = False
        while True:
            arrival = self._arrivals.setdefault(recipient_id, asyncio.Event())
            envelopes = await self._store.inbox(recipient_id, after=after, limit=limit)
            if waited:
                await standing()
            remaining = until - loop.time()
            if envelopes or remaining <= 0 or self._closed:
                return envelopes
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, self._recheck)):
                    await arrival.wait()
            waited = True

    @contextlib.contextmanager
    def _long_poll(self, recipient_id: str, until: float) -> Iterator[None]:
        """One of the partner's waiting places, while it waits; refused when all are taken."""
        ends = self._waiting.setdefault(recipient_id, [])
        if len(ends) >= self._max_waiting:
            now = asyncio.get_running_loop().time()
            raise TooManyLongPolls(
                limit=self._max_waiting, retry_after=max(1, math.ceil(min(ends) - now))
            )
        ends.append(until)
        try:
            yield
        finally:
            ends.remove(until)
            if not ends:
                del self._waiting[recipient_id]

    async def acknowledge(self, recipient: Partner, envelope_id: str) -> InboxEnvelope | None:
        """Mark the recipient's envelope received; None if it has no such envelope."""
        known = await self._store.envelope(envelope_id)
        if known is None or known.recipient_id != recipient.id:
            return None
        return await self._store.acknowledge(
            recipient.id,
            envelope_id,
            events.InboxAcknowledged(
                by=refs.partner(recipient.id),
                about=refs.signal(known.signal_id),
                envelope=envelope_id,
                recipient=recipient.id,
            ),
        )
