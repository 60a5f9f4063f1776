"""A recipient's inbox: its envelopes in order, after a cursor, long-polled, acknowledged.

Delivery is at least once: an envelope comes in every fetch until its recipient
acknowledges it, so a recipient that crashes between fetching and acknowledging gets it
again. Long-polling waits on an event per recipient that the courier sets when it seals
something for that recipient; each waiter takes the event before it reads, so nothing
sealed in between is missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Final

from gateway.audit import AuditEvent, EventKind
from gateway.partners import Partner
from gateway.store import InboxEnvelope, Store

MAX_LIMIT: Final = 500
MAX_WAIT: Final = 60


def inbox_entry(envelope: InboxEnvelope) -> dict[str, object]:
    """One envelope as ``GET /v1/inbox`` hands it out and a webhook receives it."""
    return {
        "id": envelope.id,
        "position": envelope.position,
        "signal_id": envelope.signal_id,
        "version": envelope.version,
        "created_at": envelope.created_at,
        "envelope": json.loads(envelope.envelope),
    }


@dataclass(frozen=True)
class Fetched:
    envelopes: tuple[InboxEnvelope, ...]
    cursor: int


class Inbox:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._arrivals: dict[str, asyncio.Event] = {}

    def notify(self, recipient_id: str) -> None:
        """Wake whoever waits on ``recipient_id``'s inbox."""
        event = self._arrivals.pop(recipient_id, None)
        if event is not None:
            event.set()

    async def fetch(self, recipient: Partner, *, after: int, limit: int, wait: float) -> Fetched:
        """Up to ``limit`` unacknowledged envelopes after ``after``; waits up to ``wait``
        seconds for the first when there is none. Audited when anything is handed out."""
        loop = asyncio.get_running_loop()
        until = loop.time() + wait
        while True:
            arrival = self._arrivals.setdefault(recipient.id, asyncio.Event())
            envelopes = await self._store.inbox(recipient.id, after=after, limit=limit)
            remaining = until - loop.time()
            if envelopes or remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await arrival.wait()
        if envelopes:
            await self._store.record_fetch(
                [e.id for e in envelopes],
                AuditEvent(
                    EventKind.INBOX_FETCHED,
                    actor=recipient.id,
                    subject=f"partner:{recipient.id}",
                    data={
                        "envelopes": [e.id for e in envelopes],
                        "signals": sorted({e.signal_id for e in envelopes}),
                        "after": after,
                    },
                ),
            )
        cursor = envelopes[-1].position if envelopes else after
        return Fetched(tuple(envelopes), cursor)

    async def acknowledge(self, recipient: Partner, envelope_id: str) -> InboxEnvelope | None:
        """Mark the recipient's envelope received; None if it has no such envelope."""
        known = await self._store.envelope(envelope_id)
        if known is None or known.recipient_id != recipient.id:
            return None
        return await self._store.acknowledge(
            recipient.id,
            envelope_id,
            AuditEvent(
                EventKind.INBOX_ACKNOWLEDGED,
                actor=recipient.id,
                subject=f"signal:{known.signal_id}",
                data={"envelope": envelope_id, "recipient": recipient.id},
            ),
        )
