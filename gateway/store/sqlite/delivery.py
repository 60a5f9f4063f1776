"""Copies, envelopes and the push outbox as kept: the durable side of seal and deliver.

A *copy* is one recipient's due version of a signal, queued in the same transaction that
accepts the signal (or that releases a reviewed one), so that nothing with a receipt can be
forgotten: the preparer seals pending copies into *envelopes* whenever it runs, after a
crash too. An envelope waits in its recipient's inbox until acknowledged; when the recipient
has a webhook, a *delivery* row is its entry in the push outbox. Only ids, codes and sealed
bytes are here; no plaintext view is ever stored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.audit import AuditEvent
from gateway.partners import Partner
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.registry import _partner


@dataclass(frozen=True)
class NewCopy:
    """A copy due now. ``review``: ``none`` (not needed), ``pending`` (goes out before an
    officer's review, marked unreviewed) or ``released`` (an officer released it)."""

    id: str
    recipient_id: str
    review: str
    review_item_id: str | None = None


@dataclass(frozen=True)
class PendingCopy:
    id: str
    signal_id: str
    recipient_id: str
    version: int
    review: str
    review_item_id: str | None
    attempts: int


@dataclass(frozen=True)
class SealedCopy:
    """A copy sealed into an envelope, ready to be kept in one transaction."""

    copy_id: str
    envelope_id: str
    signal_id: str
    recipient_id: str
    key_id: str
    envelope: bytes
    webhook_url: str | None


@dataclass(frozen=True)
class InboxEnvelope:
    """An envelope in its recipient's inbox; ``position`` counts that recipient's envelopes
    only (1, 2, 3, ...), whatever anyone else receives."""

    position: int
    id: str
    signal_id: str
    recipient_id: str
    version: int
    envelope: bytes
    created_at: str
    acked_at: str | None


@dataclass(frozen=True)
class Delivery:
    envelope_id: str
    recipient_id: str
    signal_id: str
    url: str
    state: str
    attempts: int
    next_attempt_at: str | None
    last_status: int | None
    last_error: str | None
    delivered_at: str | None


def queue_copies(tx: Transaction, signal_id: str, copies: Sequence[NewCopy]) -> None:
    """Queue each copy as the next version for its recipient, inside the caller's transaction."""
    now = tx.now()
    for copy in copies:
        (latest,) = tx.conn.execute(
            "SELECT coalesce(max(version), 0) FROM copies WHERE signal_id = ? AND recipient_id = ?",
            (signal_id, copy.recipient_id),
        ).fetchone()
        tx.conn.execute(
            "INSERT INTO copies (id, signal_id, recipient_id, version, review, review_item_id, "
            "state, attempts, next_attempt_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
            (
                copy.id,
                signal_id,
                copy.recipient_id,
                latest + 1,
                copy.review,
                copy.review_item_id,
                now,
                now,
            ),
        )


_ENVELOPE_COLUMNS = (
    "e.position, e.id, e.signal_id, e.recipient_id, c.version, e.envelope, e.created_at, e.acked_at"
)
_DELIVERY_COLUMNS = (
    "d.envelope_id, d.recipient_id, e.signal_id, d.url, d.state, d.attempts, d.next_attempt_at, "
    "d.last_status, d.last_error, d.delivered_at"
)


class DeliveryStore(Database):
    async def pending_copies(self, *, due: str, limit: int = 64) -> list[PendingCopy]:
        """Copies not yet sealed whose next attempt is due, oldest first."""

        def read(conn: sqlite3.Connection) -> list[PendingCopy]:
            rows = conn.execute(
                "SELECT id, signal_id, recipient_id, version, review, review_item_id, attempts "
                "FROM copies WHERE state = 'pending' AND next_attempt_at <= ? "
                "ORDER BY created_at, id LIMIT ?",
                (due, limit),
            ).fetchall()
            return [PendingCopy(*r) for r in rows]

        return await self.read(read)

    async def keep_envelope(self, sealed: SealedCopy, event: AuditEvent) -> int | None:
        """Keep the envelope, mark its copy sealed, queue a push if the recipient has a webhook,
        and audit it, all at once; the envelope's position in its recipient's inbox (the next
        of that recipient's, given in this transaction), or None if the copy was sealed
        already (by another run)."""

        def write(tx: Transaction) -> int | None:
            now = tx.now()
            changed = tx.conn.execute(
                "UPDATE copies SET state = 'sealed', sealed_at = ? "
                "WHERE id = ? AND state = 'pending'",
                (now, sealed.copy_id),
            ).rowcount
            if changed != 1:
                return None
            (position,) = tx.conn.execute(
                "SELECT coalesce(max(position), 0) + 1 FROM envelopes WHERE recipient_id = ?",
                (sealed.recipient_id,),
            ).fetchone()
            tx.conn.execute(
                "INSERT INTO envelopes (id, copy_id, signal_id, recipient_id, position, key_id, "
                "envelope, created_at, fetch_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
                (
                    sealed.envelope_id,
                    sealed.copy_id,
                    sealed.signal_id,
                    sealed.recipient_id,
                    position,
                    sealed.key_id,
                    sealed.envelope,
                    now,
                ),
            )
            if sealed.webhook_url:
                tx.conn.execute(
                    "INSERT INTO deliveries (envelope_id, recipient_id, url, state, attempts, "
                    "next_attempt_at, updated_at) VALUES (?, ?, ?, 'pending', 0, ?, ?)",
                    (sealed.envelope_id, sealed.recipient_id, sealed.webhook_url, now, now),
                )
            tx.append(event)
            kept: int = position
            return kept

        return await self.write(write)

    async def postpone_copy(self, copy_id: str, *, until: str, error: str) -> None:
        """A copy that could not be sealed now (no valid key yet, say) waits until ``until``."""

        def write(tx: Transaction) -> None:
            tx.conn.execute(
                "UPDATE copies SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
                "WHERE id = ? AND state = 'pending'",
                (until, error, copy_id),
            )

        await self.write(write)

    async def inbox(self, recipient_id: str, *, after: int, limit: int) -> list[InboxEnvelope]:
        """The recipient's unacknowledged envelopes after position ``after``, in order."""

        def read(conn: sqlite3.Connection) -> list[InboxEnvelope]:
            rows = conn.execute(
                f"SELECT {_ENVELOPE_COLUMNS} FROM envelopes e JOIN copies c ON c.id = e.copy_id "
                "WHERE e.recipient_id = ? AND e.position > ? AND e.acked_at IS NULL "
                "ORDER BY e.position LIMIT ?",
                (recipient_id, after, limit),
            ).fetchall()
            return [_envelope(row) for row in rows]

        return await self.read(read)

    async def envelope(self, envelope_id: str) -> InboxEnvelope | None:
        def read(conn: sqlite3.Connection) -> InboxEnvelope | None:
            row = conn.execute(
                f"SELECT {_ENVELOPE_COLUMNS} FROM envelopes e JOIN copies c ON c.id = e.copy_id "
                "WHERE e.id = ?",
                (envelope_id,),
            ).fetchone()
            return None if row is None else _envelope(row)

        return await self.read(read)

    async def envelopes_of_signal(self, signal_id: str) -> list[InboxEnvelope]:
        def read(conn: sqlite3.Connection) -> list[InboxEnvelope]:
            rows = conn.execute(
                f"SELECT {_ENVELOPE_COLUMNS} FROM envelopes e JOIN copies c ON c.id = e.copy_id "
                "WHERE e.signal_id = ? ORDER BY e.seq",
                (signal_id,),
            ).fetchall()
            return [_envelope(row) for row in rows]

        return await self.read(read)

    async def record_fetch(self, envelope_ids: Sequence[str], event: AuditEvent) -> None:
        def write(tx: Transaction) -> None:
            now = tx.now()
            tx.conn.executemany(
                "UPDATE envelopes SET fetch_count = fetch_count + 1, last_fetched_at = ? "
                "WHERE id = ?",
                [(now, envelope_id) for envelope_id in envelope_ids],
            )
            tx.append(event)

        await self.write(write)

    async def acknowledge(
        self, recipient_id: str, envelope_id: str, event: AuditEvent
    ) -> InboxEnvelope | None:
        """Mark the recipient's envelope acknowledged (once; again is harmless and not audited
        twice); None if the recipient has no such envelope."""

        def write(tx: Transaction) -> InboxEnvelope | None:
            changed = tx.conn.execute(
                "UPDATE envelopes SET acked_at = ? "
                "WHERE id = ? AND recipient_id = ? AND acked_at IS NULL",
                (tx.now(), envelope_id, recipient_id),
            ).rowcount
            if changed:
                tx.append(event)
            row = tx.conn.execute(
                f"SELECT {_ENVELOPE_COLUMNS} FROM envelopes e JOIN copies c ON c.id = e.copy_id "
                "WHERE e.id = ? AND e.recipient_id = ?",
                (envelope_id, recipient_id),
            ).fetchone()
            return None if row is None else _envelope(row)

        return await self.write(write)

    async def deliveries(self, *, state: str | None = None, limit: int = 1000) -> list[Delivery]:
        def read(conn: sqlite3.Connection) -> list[Delivery]:
            where, params = ("", []) if state is None else ("WHERE d.state = ? ", [state])
            rows = conn.execute(
                f"SELECT {_DELIVERY_COLUMNS} FROM deliveries d JOIN envelopes e "
                f"ON e.id = d.envelope_id {where}ORDER BY e.seq LIMIT ?",
                [*params, limit],
            ).fetchall()
            return [_delivery(row) for row in rows]

        return await self.read(read)

    async def record_attempt(
        self,
        envelope_id: str,
        *,
        state: str,
        status: int | None,
        error: str | None,
        next_attempt_at: str | None,
        event: AuditEvent,
    ) -> None:
        """One push attempt's result: ``delivered``, ``pending`` again, or ``dead``."""

        def write(tx: Transaction) -> None:
            now = tx.now()
            tx.conn.execute(
                "UPDATE deliveries SET state = ?, attempts = attempts + 1, last_status = ?, "
                "last_error = ?, next_attempt_at = ?, updated_at = ?, "
                "delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END "
                "WHERE envelope_id = ?",
                (state, status, error, next_attempt_at, now, state, now, envelope_id),
            )
            tx.append(event)

        await self.write(write)

    async def retry_delivery(self, envelope_id: str, event: AuditEvent) -> Delivery | None:
        """Put a dead (or pending) push back in the outbox, due now, its attempts counted anew."""

        def write(tx: Transaction) -> Delivery | None:
            now = tx.now()
            changed = tx.conn.execute(
                "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?, "
                "updated_at = ? WHERE envelope_id = ? AND state != 'delivered'",
                (now, now, envelope_id),
            ).rowcount
            if not changed:
                return None
            tx.append(event)
            row = tx.conn.execute(
                f"SELECT {_DELIVERY_COLUMNS} FROM deliveries d JOIN envelopes e "
                "ON e.id = d.envelope_id WHERE d.envelope_id = ?",
                (envelope_id,),
            ).fetchone()
            return _delivery(row)

        return await self.write(write)

    async def due_pushes(
        self, *, due: str, per_recipient: int, skip: Collection[str] = ()
    ) -> list[Delivery]:
        """Pushes due for active partners, at most ``per_recipient`` per partner (the oldest),
        leaving out the envelopes in ``skip`` (in flight already): one partner's backlog never
        hides another's."""

        def read(conn: sqlite3.Connection) -> list[Delivery]:
            rows = conn.execute(
                "SELECT * FROM ("
                f"SELECT {_DELIVERY_COLUMNS}, row_number() OVER ("
                "PARTITION BY d.recipient_id ORDER BY d.next_attempt_at, e.seq) AS rank "
                "FROM deliveries d JOIN envelopes e ON e.id = d.envelope_id "
                "JOIN partners p ON p.id = d.recipient_id "
                "WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND p.state = 'active' "
                f"AND d.envelope_id NOT IN ({', '.join('?' * len(skip))})"
                ") WHERE rank <= ? ORDER BY next_attempt_at",
                (due, *skip, per_recipient),
            ).fetchall()
            return [_delivery(row[:-1]) for row in rows]

        return await self.read(read)

    async def record_delivered(
        self,
        envelope_id: str,
        *,
        status: int,
        attempted: AuditEvent,
        acknowledged: AuditEvent,
    ) -> bool:
        """A push the webhook accepted: the delivery is done and the envelope acknowledged (it
        leaves the inbox), both audited in one transaction; False if it was no longer pending
        (put back by hand, say, or its webhook removed)."""

        def write(tx: Transaction) -> bool:
            now = tx.now()
            changed = tx.conn.execute(
                "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, "
                "last_status = ?, last_error = NULL, next_attempt_at = NULL, updated_at = ?, "
                "delivered_at = ? WHERE envelope_id = ? AND state = 'pending'",
                (status, now, now, envelope_id),
            ).rowcount
            if not changed:
                return False
            tx.append(attempted)
            if tx.conn.execute(
                "UPDATE envelopes SET acked_at = ? WHERE id = ? AND acked_at IS NULL",
                (now, envelope_id),
            ).rowcount:
                tx.append(acknowledged)
            return True

        return await self.write(write)

    async def set_webhook(
        self, partner_id: str, url: str | None, event_for: Callable[[Partner, int], AuditEvent]
    ) -> Partner:
        """Give a partner a webhook, change it, or (``None``) take it away. Undelivered pushes
        follow the new URL; without a webhook they leave the outbox (their envelopes stay in the
        inbox). ``event_for`` hears the partner as it was and how many pushes moved or left."""

        def write(tx: Transaction) -> Partner:
            current = _partner(tx.conn, partner_id)
            now = tx.now()
            tx.conn.execute(
                "UPDATE partners SET webhook_url = ?, updated_at = ? WHERE id = ?",
                (url, now, partner_id),
            )
            if url is None:
                moved = tx.conn.execute(
                    "DELETE FROM deliveries WHERE recipient_id = ? AND state != 'delivered'",
                    (partner_id,),
                ).rowcount
            else:
                moved = tx.conn.execute(
                    "UPDATE deliveries SET url = ?, updated_at = ? "
                    "WHERE recipient_id = ? AND state != 'delivered'",
                    (url, now, partner_id),
                ).rowcount
            tx.append(event_for(current, moved))
            return _partner(tx.conn, partner_id)

        return await self.write(write)


def _envelope(row: tuple[Any, ...]) -> InboxEnvelope:
    return InboxEnvelope(
        position=row[0],
        id=row[1],
        signal_id=row[2],
        recipient_id=row[3],
        version=row[4],
        envelope=bytes(row[5]),
        created_at=row[6],
        acked_at=row[7],
    )


def _delivery(row: tuple[Any, ...]) -> Delivery:
    return Delivery(*row)
