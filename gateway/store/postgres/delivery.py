"""Copies and envelopes in PostgreSQL: the durable side of sealing, and each recipient's inbox.

Copies due are claimed by the instance that asks for them (:mod:`.claims`). An envelope's
position is the next of its recipient's, taken under a lock of that recipient's inbox held
until the sealing transaction commits: positions are given in the order envelopes are
committed, so a recipient that pulls after position ``n`` never misses an envelope committed
later with a smaller one. The push outbox is :mod:`.outbox`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from gateway.infra.audit import AuditEvent
from gateway.store import envelope_form
from gateway.store.interface.delivery import (
    CopyReview,
    InboxEnvelope,
    NewCopy,
    PendingCopy,
    SealedCopy,
)
from gateway.store.postgres.claims import UNCLAIMED, Claims, free_for_claimant
from gateway.store.postgres.database import Connection, Transaction
from gateway.store.postgres.locks import INBOX_LOCK, hold
from gateway.store.postgres.notices import SEALED_CHANNEL


async def queue_copies(
    tx: Transaction, signal_id: str, copies: Sequence[NewCopy], *, at: datetime | None = None
) -> None:
    """Queue each copy as the next version for its recipient, inside the caller's transaction
    (which holds what the versions depend on: the new signal, or the review item it decides),
    as of ``at`` (a new signal's receipt) or now. A restriction holds them once chained: a new
    signal's by :func:`.restriction.restrict_on_arrival`, others' by
    :func:`.restriction.restrict_if_held`."""
    now = at or tx.now()
    for copy in copies:
        await tx.conn.execute(QUEUE_COPY, copy_params(signal_id, copy, now))


QUEUE_COPY: Final = (
    "INSERT INTO copies (id, signal_id, recipient_id, version, review, review_item_id, "
    "state, attempts, next_attempt_at, created_at) "
    "SELECT %(id)s, %(signal)s, %(recipient)s, coalesce(max(version), 0) + 1, "
    "%(review)s, %(item)s, 'pending', 0, %(now)s, %(now)s "
    "FROM copies WHERE signal_id = %(signal)s AND recipient_id = %(recipient)s"
)
"""A copy queued as the next version for its recipient, its values by :func:`copy_params`."""


def copy_params(signal_id: str, copy: NewCopy, now: datetime) -> dict[str, Any]:
    return {
        "id": copy.id,
        "signal": signal_id,
        "recipient": copy.recipient_id,
        "review": str(copy.review),
        "item": copy.review_item_id,
        "now": now,
    }


SEAL_COPY: Final = (
    f"UPDATE copies SET state = 'sealed', sealed_at = %s, {UNCLAIMED} "
    "WHERE id = %s AND state = 'pending'"
)
"""A pending copy marked sealed: when, and which."""
KEEP_ENVELOPE: Final = (
    "INSERT INTO envelopes (id, copy_id, signal_id, recipient_id, position, key_id, "
    "envelope, created_at, fetch_count) "
    "SELECT %(id)s, %(copy)s, %(signal)s, %(recipient)s, "
    "coalesce(max(position), 0) + 1, %(key)s, %(envelope)s, %(now)s, 0 "
    "FROM envelopes WHERE recipient_id = %(recipient)s RETURNING position"
)
"""A sealed copy's envelope, next in its recipient's inbox; its values by
:func:`envelope_params`."""
RECORD_FETCH: Final = (
    "UPDATE envelopes SET fetch_count = fetch_count + 1, last_fetched_at = %s "
    "WHERE id = ANY(%s::text[])"
)
"""The envelopes an inbox fetch handed out: when, and their ids, a list."""
ACKNOWLEDGE: Final = (
    "UPDATE envelopes SET acked_at = %s WHERE id = %s AND recipient_id = %s AND acked_at IS NULL"
)
"""An envelope its recipient acknowledged: when, which, and whose."""


def envelope_params(sealed: SealedCopy, now: datetime) -> dict[str, Any]:
    return {
        "id": sealed.envelope_id,
        "copy": sealed.copy_id,
        "signal": sealed.signal_id,
        "recipient": sealed.recipient_id,
        "key": sealed.key_id,
        "envelope": envelope_form.stored(sealed.envelope),
        "now": now,
    }


_ENVELOPE_COLUMNS: Final = (
    "e.position, e.id, e.signal_id, e.recipient_id, c.version, e.envelope, e.created_at, e.acked_at"
)
_ENVELOPES: Final = (
    f"SELECT {_ENVELOPE_COLUMNS} FROM envelopes e JOIN copies c ON c.id = e.copy_id "
)
_COPY_COLUMNS: Final = (
    "c.id, c.signal_id, c.recipient_id, c.version, c.review, c.review_item_id, c.attempts, c.notice"
)


class PostgresDelivery(Claims):
    async def pending_copies(self, *, due: datetime, limit: int = 64) -> list[PendingCopy]:
        async def claim(tx: Transaction) -> list[PendingCopy]:
            now = tx.now()
            cursor = await tx.conn.execute(
                "WITH due AS (SELECT c.id FROM copies c "
                "WHERE c.state = 'pending' AND c.next_attempt_at <= %(due)s "
                f"AND {free_for_claimant('c')} "
                "ORDER BY c.created_at, c.id LIMIT %(limit)s FOR UPDATE SKIP LOCKED) "
                "UPDATE copies c SET claimed_by = %(claimant)s, claimed_until = %(until)s "
                f"FROM due WHERE c.id = due.id RETURNING {_COPY_COLUMNS}, c.created_at",
                {
                    "due": due,
                    "limit": limit,
                    "claimant": self.claimant,
                    "now": now,
                    "until": now + self.lease,
                },
            )
            rows = sorted(await cursor.fetchall(), key=lambda r: (r[8], r[0]))
            return [_pending(row) for row in rows]

        return await self.write(claim, audited=False)

    async def copies_waiting(self, *, due: datetime) -> dict[str, int]:
        async def read(conn: Connection) -> dict[str, int]:
            cursor = await conn.execute(
                "SELECT s.sender_id, count(*) FROM copies c JOIN signals s ON s.id = c.signal_id "
                "WHERE c.state = 'pending' AND c.next_attempt_at <= %s GROUP BY s.sender_id",
                (due,),
            )
            return dict(await cursor.fetchall())

        return await self.read(read)

    async def keep_envelope(self, sealed: SealedCopy, event: AuditEvent) -> int | None:
        async def write(tx: Transaction) -> int | None:
            now = tx.now()
            changed = await tx.conn.execute(SEAL_COPY, (now, sealed.copy_id))
            if changed.rowcount != 1:
                return None
            # Inbox locks taken by the batches of several processes in different orders
            # would deadlock: they are taken only under the chain's lock.
            await tx.lock_chain()
            await hold(tx.conn, INBOX_LOCK, sealed.recipient_id)
            cursor = await tx.conn.execute(KEEP_ENVELOPE, envelope_params(sealed, now))
            row = await cursor.fetchone()
            assert row is not None
            if sealed.webhook_url:
                await tx.conn.execute(
                    "INSERT INTO deliveries (envelope_id, recipient_id, url, state, attempts, "
                    "next_attempt_at, updated_at) VALUES (%s, %s, %s, 'pending', 0, %s, %s)",
                    (sealed.envelope_id, sealed.recipient_id, sealed.webhook_url, now, now),
                )
            await tx.conn.execute("SELECT pg_notify(%s, %s)", (SEALED_CHANNEL, sealed.recipient_id))
            await tx.append(event)
            position: int = row[0]
            return position

        return await self.write(write)

    async def postpone_copy(self, copy_id: str, *, until: datetime, error: str) -> None:
        async def write(tx: Transaction) -> None:
            await tx.conn.execute(
                "UPDATE copies SET attempts = attempts + 1, next_attempt_at = %s, "
                f"last_error = %s, {UNCLAIMED} WHERE id = %s AND state = 'pending'",
                (until, error, copy_id),
            )

        await self.write(write, audited=False)

    async def inbox(self, recipient_id: str, *, after: int, limit: int) -> list[InboxEnvelope]:
        async def read(conn: Connection) -> list[InboxEnvelope]:
            cursor = await conn.execute(
                f"{_ENVELOPES}WHERE e.recipient_id = %s AND e.position > %s "
                "AND e.acked_at IS NULL AND e.erased_at IS NULL AND e.held_at IS NULL "
                "ORDER BY e.position LIMIT %s",
                (recipient_id, after, limit),
            )
            return [_envelope(row) for row in await cursor.fetchall()]

        return await self.read(read)

    async def envelope(self, envelope_id: str) -> InboxEnvelope | None:
        async def read(conn: Connection) -> InboxEnvelope | None:
            cursor = await conn.execute(
                f"{_ENVELOPES}WHERE e.id = %s AND e.erased_at IS NULL", (envelope_id,)
            )
            row = await cursor.fetchone()
            return None if row is None else _envelope(row)

        return await self.read(read)

    async def envelopes_of_signal(self, signal_id: str) -> list[InboxEnvelope]:
        async def read(conn: Connection) -> list[InboxEnvelope]:
            cursor = await conn.execute(
                f"{_ENVELOPES}WHERE e.signal_id = %s AND e.erased_at IS NULL ORDER BY e.seq",
                (signal_id,),
            )
            return [_envelope(row) for row in await cursor.fetchall()]

        return await self.read(read)

    async def record_fetch(self, envelope_ids: Sequence[str], event: AuditEvent) -> None:
        async def write(tx: Transaction) -> None:
            await tx.conn.execute(RECORD_FETCH, (tx.now(), list(envelope_ids)))
            await tx.append(event)

        await self.write(write)

    async def acknowledge(
        self, recipient_id: str, envelope_id: str, event: AuditEvent
    ) -> InboxEnvelope | None:
        async def write(tx: Transaction) -> InboxEnvelope | None:
            changed = await tx.conn.execute(ACKNOWLEDGE, (tx.now(), envelope_id, recipient_id))
            if changed.rowcount:
                await tx.append(event)
            cursor = await tx.conn.execute(
                f"{_ENVELOPES}WHERE e.id = %s AND e.recipient_id = %s",
                (envelope_id, recipient_id),
            )
            row = await cursor.fetchone()
            return None if row is None else _envelope(row)

        return await self.write(write)


def _envelope(row: tuple[Any, ...]) -> InboxEnvelope:
    return InboxEnvelope(
        position=row[0],
        id=row[1],
        signal_id=row[2],
        recipient_id=row[3],
        version=row[4],
        envelope=envelope_form.wire(bytes(row[5])),
        created_at=row[6],
        acked_at=row[7],
    )


def _pending(row: tuple[Any, ...]) -> PendingCopy:
    return PendingCopy(
        id=row[0],
        signal_id=row[1],
        recipient_id=row[2],
        version=row[3],
        review=CopyReview(row[4]),
        review_item_id=row[5],
        attempts=row[6],
        notice=row[7],
    )
