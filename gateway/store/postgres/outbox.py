"""The push outbox in PostgreSQL: an envelope's push to its recipient's webhook, claimed by
the instance that sends it (:mod:`.claims`), settled once."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any, Final

from gateway.contract.partners import Partner
from gateway.infra.audit import AuditEvent
from gateway.store.interface.delivery import Delivery, DeliveryState
from gateway.store.postgres.claims import UNCLAIMED, Claims, free_for_claimant
from gateway.store.postgres.database import Connection, Transaction
from gateway.store.postgres.registry import partner_in

_COLUMNS: Final = (
    "d.envelope_id, d.recipient_id, e.signal_id, d.url, d.state, d.attempts, d.next_attempt_at, "
    "d.last_status, d.last_error, d.delivered_at"
)
_DELIVERIES: Final = (
    f"SELECT {_COLUMNS} FROM deliveries d JOIN envelopes e ON e.id = d.envelope_id "
)

_CLAIM_DUE: Final = (
    "WITH ranked AS ("
    "SELECT d.envelope_id, row_number() OVER ("
    "PARTITION BY d.recipient_id ORDER BY d.next_attempt_at, e.seq) AS rank "
    "FROM deliveries d JOIN envelopes e ON e.id = d.envelope_id "
    "JOIN partners p ON p.id = d.recipient_id "
    "WHERE d.state = 'pending' AND d.next_attempt_at <= %(due)s AND p.state = 'active' "
    "AND e.held_at IS NULL AND d.envelope_id <> ALL(%(skip)s::text[])), "
    "claimed AS ("
    "SELECT d.envelope_id FROM deliveries d JOIN ranked r ON r.envelope_id = d.envelope_id "
    f"WHERE r.rank <= %(per_recipient)s AND d.state = 'pending' AND {free_for_claimant('d')} "
    "FOR UPDATE OF d SKIP LOCKED) "
    "UPDATE deliveries d SET claimed_by = %(claimant)s, claimed_until = %(until)s "
    "FROM claimed c, envelopes e WHERE d.envelope_id = c.envelope_id AND e.id = d.envelope_id "
    f"RETURNING {_COLUMNS}, e.seq"
)
"""Claim the pushes due, at most ``per_recipient`` a partner counting those that other
instances hold: the partner's bound holds across instances."""


class PostgresOutbox(Claims):
    async def deliveries(
        self, *, state: DeliveryState | None = None, limit: int = 1000
    ) -> list[Delivery]:
        async def read(conn: Connection) -> list[Delivery]:
            where = "" if state is None else "WHERE d.state = %(state)s "
            cursor = await conn.execute(
                f"{_DELIVERIES}{where}ORDER BY e.seq LIMIT %(limit)s",
                {"state": None if state is None else str(state), "limit": limit},
            )
            return [_delivery(row) for row in await cursor.fetchall()]

        return await self.read(read)

    async def due_pushes(
        self, *, due: datetime, per_recipient: int, skip: Collection[str] = ()
    ) -> list[Delivery]:
        """As the interface says; the pushes returned are claimed, and those in ``skip`` (this
        instance's pushes in flight) have their claims renewed."""

        async def claim(tx: Transaction) -> list[Delivery]:
            now = tx.now()
            params = {
                "due": due,
                "skip": list(skip),
                "per_recipient": per_recipient,
                "claimant": self.claimant,
                "now": now,
                "until": now + self.lease,
            }
            await tx.conn.execute(
                "UPDATE deliveries SET claimed_until = %(until)s "
                "WHERE claimed_by = %(claimant)s AND envelope_id = ANY(%(skip)s::text[])",
                params,
            )
            cursor = await tx.conn.execute(_CLAIM_DUE, params)
            rows = sorted(await cursor.fetchall(), key=lambda r: (r[6], r[10]))
            return [_delivery(row[:-1]) for row in rows]

        return await self.write(claim, audited=False)

    async def record_attempt(
        self,
        envelope_id: str,
        *,
        state: DeliveryState,
        status: int | None,
        error: str | None,
        next_attempt_at: datetime | None,
        event: AuditEvent,
    ) -> None:
        async def write(tx: Transaction) -> None:
            now = tx.now()
            await tx.conn.execute(
                "UPDATE deliveries SET state = %(state)s, attempts = attempts + 1, "
                "last_status = %(status)s, last_error = %(error)s, next_attempt_at = %(next)s, "
                "updated_at = %(now)s, "
                "delivered_at = CASE WHEN %(delivered)s THEN %(now)s ELSE delivered_at END, "
                f"{UNCLAIMED} WHERE envelope_id = %(envelope)s",
                {
                    "state": str(state),
                    "status": status,
                    "error": error,
                    "next": next_attempt_at,
                    "now": now,
                    "delivered": state is DeliveryState.DELIVERED,
                    "envelope": envelope_id,
                },
            )
            await tx.append(event)

        await self.write(write)

    async def retry_delivery(self, envelope_id: str, event: AuditEvent) -> Delivery | None:
        async def write(tx: Transaction) -> Delivery | None:
            now = tx.now()
            changed = await tx.conn.execute(
                "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = %s, "
                f"updated_at = %s, {UNCLAIMED} WHERE envelope_id = %s AND state <> 'delivered'",
                (now, now, envelope_id),
            )
            if not changed.rowcount:
                return None
            await tx.append(event)
            cursor = await tx.conn.execute(f"{_DELIVERIES}WHERE d.envelope_id = %s", (envelope_id,))
            row = await cursor.fetchone()
            assert row is not None
            return _delivery(row)

        return await self.write(write)

    async def record_delivered(
        self,
        envelope_id: str,
        *,
        status: int,
        attempted: AuditEvent,
        acknowledged: AuditEvent,
    ) -> bool:
        async def write(tx: Transaction) -> bool:
            now = tx.now()
            changed = await tx.conn.execute(
                "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, "
                "last_status = %s, last_error = NULL, next_attempt_at = NULL, updated_at = %s, "
                f"delivered_at = %s, {UNCLAIMED} WHERE envelope_id = %s AND state = 'pending'",
                (status, now, now, envelope_id),
            )
            if not changed.rowcount:
                return False
            await tx.append(attempted)
            acked = await tx.conn.execute(
                "UPDATE envelopes SET acked_at = %s WHERE id = %s AND acked_at IS NULL",
                (now, envelope_id),
            )
            if acked.rowcount:
                await tx.append(acknowledged)
            return True

        return await self.write(write)

    async def set_webhook(
        self, partner_id: str, url: str | None, event_for: Callable[[Partner, int], AuditEvent]
    ) -> Partner:
        async def write(tx: Transaction) -> Partner:
            current = await partner_in(tx.conn, partner_id, for_update=True)
            now = tx.now()
            await tx.conn.execute(
                "UPDATE partners SET webhook_url = %s, updated_at = %s WHERE id = %s",
                (url, now, partner_id),
            )
            if url is None:
                moved = await tx.conn.execute(
                    "DELETE FROM deliveries WHERE recipient_id = %s AND state <> 'delivered'",
                    (partner_id,),
                )
            else:
                moved = await tx.conn.execute(
                    "UPDATE deliveries SET url = %s, updated_at = %s "
                    "WHERE recipient_id = %s AND state <> 'delivered'",
                    (url, now, partner_id),
                )
            await tx.append(event_for(current, moved.rowcount))
            return await partner_in(tx.conn, partner_id)

        return await self.write(write)


def _delivery(row: tuple[Any, ...]) -> Delivery:
    return Delivery(
        envelope_id=row[0],
        recipient_id=row[1],
        signal_id=row[2],
        url=row[3],
        state=DeliveryState(row[4]),
        attempts=row[5],
        next_attempt_at=row[6],
        last_status=row[7],
        last_error=row[8],
        delivered_at=row[9],
    )
