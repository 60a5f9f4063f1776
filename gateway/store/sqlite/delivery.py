"""Copies, envelopes and the push outbox in SQLite: the durable side of seal and deliver.

``serve --workers N`` runs N processes on one file, each with its courier: the copies a store
hands out are claimed for it (``claimed_by``, ``claimed_until``), in the writer, so that no
two workers seal the same copy. As on PostgreSQL (:mod:`gateway.store.postgres.claims`),
another store passes a claimed copy by until the claim runs out (:data:`CLAIM_LEASE` after it
was made or last renewed), the claimant asking again gets its copies again, and sealing or
postponing a copy lets its claim go. A claim saves sealing twice; what keeps one envelope per
copy is that a copy is sealed only if it is still pending.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Final

from gateway.contract.partners import Partner
from gateway.infra.audit import AuditEvent, timestamp
from gateway.store import envelope_form
from gateway.store.interface.delivery import (
    CopyReview,
    Delivery,
    DeliveryState,
    DeliveryStore,
    InboxEnvelope,
    NewCopy,
    PendingCopy,
    SealedCopy,
)
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.registry import _partner
from gateway.store.sqlite.restriction import restricted_state
from gateway.store.sqlite.times import moment, moment_or_none, stored_or_none


def queue_copies(
    tx: Transaction, signal_id: str, copies: Sequence[NewCopy], *, at: str | None = None
) -> None:
    """Queue each copy as the next version for its recipient, inside the caller's transaction,
    as of ``at`` (a new signal's receipt) or now; ``restricted`` rather than ``pending`` while a
    restriction holds the signal."""
    now = at or tx.now()
    state = restricted_state(tx.conn, signal_id) if copies else "pending"
    for copy in copies:
        (latest,) = tx.conn.execute(
            "SELECT coalesce(max(version), 0) FROM copies WHERE signal_id = ? AND recipient_id = ?",
            (signal_id, copy.recipient_id),
        ).fetchone()
        tx.conn.execute(
            "INSERT INTO copies (id, signal_id, recipient_id, version, review, review_item_id, "
            "state, attempts, next_attempt_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            (
                copy.id,
                signal_id,
                copy.recipient_id,
                latest + 1,
                str(copy.review),
                copy.review_item_id,
                state,
                now,
                now,
            ),
        )


CLAIM_LEASE: Final = timedelta(seconds=60)
"""How long a claim on a copy holds without renewal: longer than sealing a batch takes, short
enough that the copies of a worker that died are soon sealed by another."""

_ENVELOPE_COLUMNS = (
    "e.position, e.id, e.signal_id, e.recipient_id, c.version, e.envelope, e.created_at, e.acked_at"
)
_DELIVERY_COLUMNS = (
    "d.envelope_id, d.recipient_id, e.signal_id, d.url, d.state, d.attempts, d.next_attempt_at, "
    "d.last_status, d.last_error, d.delivered_at"
)


class SqliteDelivery(Database, DeliveryStore):
    @property
    def claim_lease(self) -> timedelta:
        return CLAIM_LEASE

    @cached_property
    def claimant(self) -> str:
        """The name this store claims copies under: one per store, so one per worker, led by
        the process id, so that a claim of a process that died is void at once (a SQLite file
        is on one host: :func:`_claimant_gone`)."""
        return f"{os.getpid()}-{uuid.uuid4().hex}"

    async def renew_copy_claims(self, copy_ids: Collection[str]) -> int:
        ids = list(copy_ids)

        def write(tx: Transaction) -> int:
            renewed: int = tx.conn.execute(
                "UPDATE copies SET claimed_until = ? WHERE claimed_by = ? AND state = 'pending' "
                f"AND id IN ({', '.join('?' * len(ids))})",
                (_lease_end(tx), self.claimant, *ids),
            ).rowcount
            return renewed

        return await self.write(write) if ids else 0

    async def hear_sealed(self, heard: Callable[[str], None]) -> None:
        """SQLite tells no other process what it kept: their long-polls look again every
        ``long_poll_recheck`` seconds."""
        return

    async def pending_copies(self, *, due: datetime, limit: int = 64) -> list[PendingCopy]:
        def claim(tx: Transaction) -> list[PendingCopy]:
            now = tx.now()
            rows = tx.conn.execute(
                "UPDATE copies SET claimed_by = :claimant, claimed_until = :until "
                "WHERE id IN (SELECT id FROM copies WHERE state = 'pending' "
                "AND next_attempt_at <= :due AND (claimed_by IS NULL OR claimed_by = :claimant "
                "OR claimed_until <= :now OR claimed_by IN (SELECT value FROM json_each(:gone))) "
                "ORDER BY created_at, id LIMIT :limit) "
                "RETURNING id, signal_id, recipient_id, version, review, review_item_id, "
                "attempts, created_at, notice",
                {
                    "claimant": self.claimant,
                    "until": _lease_end(tx),
                    "due": timestamp(due),
                    "now": now,
                    "limit": limit,
                    "gone": json.dumps(_gone_claimants(tx.conn, now)),
                },
            ).fetchall()
            return [
                PendingCopy(
                    id=r[0],
                    signal_id=r[1],
                    recipient_id=r[2],
                    version=r[3],
                    review=CopyReview(r[4]),
                    review_item_id=r[5],
                    attempts=r[6],
                    notice=r[8],
                )
                for r in sorted(rows, key=lambda r: (r[7], r[0]))
            ]

        return await self.write(claim)

    async def copies_waiting(self, *, due: datetime) -> dict[str, int]:
        def read(conn: sqlite3.Connection) -> dict[str, int]:
            rows = conn.execute(
                "SELECT s.sender_id, count(*) FROM copies c JOIN signals s ON s.id = c.signal_id "
                "WHERE c.state = 'pending' AND c.next_attempt_at <= ? GROUP BY s.sender_id",
                (timestamp(due),),
            ).fetchall()
            return dict(rows)

        return await self.read(read)

    async def keep_envelope(self, sealed: SealedCopy, event: AuditEvent) -> int | None:
        def write(tx: Transaction) -> int | None:
            now = tx.now()
            changed = tx.conn.execute(
                "UPDATE copies SET state = 'sealed', sealed_at = ?, claimed_by = NULL, "
                "claimed_until = NULL WHERE id = ? AND state = 'pending'",
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
                    envelope_form.stored(sealed.envelope),
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

    async def postpone_copy(self, copy_id: str, *, until: datetime, error: str) -> None:
        def write(tx: Transaction) -> None:
            tx.conn.execute(
                "UPDATE copies SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, "
                "claimed_by = NULL, claimed_until = NULL WHERE id = ? AND state = 'pending'",
                (timestamp(until), error, copy_id),
            )

        await self.write(write)

    async def inbox(self, recipient_id: str, *, after: int, limit: int) -> list[InboxEnvelope]:
        def read(conn: sqlite3.Connection) -> list[InboxEnvelope]:
            rows = conn.execute(
                f"SELECT {_ENVELOPE_COLUMNS} FROM envelopes e JOIN copies c ON c.id = e.copy_id "
                "WHERE e.recipient_id = ? AND e.position > ? AND e.acked_at IS NULL "
                "AND e.erased_at IS NULL AND e.held_at IS NULL "
                "ORDER BY e.position LIMIT ?",
                (recipient_id, after, limit),
            ).fetchall()
            return [_envelope(row) for row in rows]

        return await self.read(read)

    async def envelope(self, envelope_id: str) -> InboxEnvelope | None:
        def read(conn: sqlite3.Connection) -> InboxEnvelope | None:
            row = conn.execute(
                f"SELECT {_ENVELOPE_COLUMNS} FROM envelopes e JOIN copies c ON c.id = e.copy_id "
                "WHERE e.id = ? AND e.erased_at IS NULL",
                (envelope_id,),
            ).fetchone()
            return None if row is None else _envelope(row)

        return await self.read(read)

    async def envelopes_of_signal(self, signal_id: str) -> list[InboxEnvelope]:
        def read(conn: sqlite3.Connection) -> list[InboxEnvelope]:
            rows = conn.execute(
                f"SELECT {_ENVELOPE_COLUMNS} FROM envelopes e JOIN copies c ON c.id = e.copy_id "
                "WHERE e.signal_id = ? AND e.erased_at IS NULL ORDER BY e.seq",
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

    async def deliveries(
        self, *, state: DeliveryState | None = None, limit: int = 1000
    ) -> list[Delivery]:
        def read(conn: sqlite3.Connection) -> list[Delivery]:
            where, params = ("", []) if state is None else ("WHERE d.state = ? ", [str(state)])
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
        state: DeliveryState,
        status: int | None,
        error: str | None,
        next_attempt_at: datetime | None,
        event: AuditEvent,
    ) -> None:
        def write(tx: Transaction) -> None:
            now = tx.now()
            tx.conn.execute(
                "UPDATE deliveries SET state = ?, attempts = attempts + 1, last_status = ?, "
                "last_error = ?, next_attempt_at = ?, updated_at = ?, "
                "delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END "
                "WHERE envelope_id = ?",
                (
                    str(state),
                    status,
                    error,
                    stored_or_none(next_attempt_at),
                    now,
                    str(state),
                    now,
                    envelope_id,
                ),
            )
            tx.append(event)

        await self.write(write)

    async def retry_delivery(self, envelope_id: str, event: AuditEvent) -> Delivery | None:
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
        self, *, due: datetime, per_recipient: int, skip: Collection[str] = ()
    ) -> list[Delivery]:
        def read(conn: sqlite3.Connection) -> list[Delivery]:
            rows = conn.execute(
                "SELECT * FROM ("
                f"SELECT {_DELIVERY_COLUMNS}, row_number() OVER ("
                "PARTITION BY d.recipient_id ORDER BY d.next_attempt_at, e.seq) AS rank "
                "FROM deliveries d JOIN envelopes e ON e.id = d.envelope_id "
                "JOIN partners p ON p.id = d.recipient_id "
                "WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND p.state = 'active' "
                "AND e.held_at IS NULL "
                f"AND d.envelope_id NOT IN ({', '.join('?' * len(skip))})"
                ") WHERE rank <= ? ORDER BY next_attempt_at",
                (timestamp(due), *skip, per_recipient),
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


def _lease_end(tx: Transaction) -> str:
    """When a claim made or renewed in ``tx`` runs out."""
    return timestamp(moment(tx.now()) + CLAIM_LEASE)


def _envelope(row: tuple[Any, ...]) -> InboxEnvelope:
    return InboxEnvelope(
        position=row[0],
        id=row[1],
        signal_id=row[2],
        recipient_id=row[3],
        version=row[4],
        envelope=envelope_form.wire(bytes(row[5])),
        created_at=moment(row[6]),
        acked_at=moment_or_none(row[7]),
    )


def _delivery(row: tuple[Any, ...]) -> Delivery:
    return Delivery(
        envelope_id=row[0],
        recipient_id=row[1],
        signal_id=row[2],
        url=row[3],
        state=DeliveryState(row[4]),
        attempts=row[5],
        next_attempt_at=moment_or_none(row[6]),
        last_status=row[7],
        last_error=row[8],
        delivered_at=moment_or_none(row[9]),
    )


def _gone_claimants(conn: sqlite3.Connection, now: object) -> list[str]:
    """The claimants of copies still under a lease whose process no longer runs: a worker
    killed, or the whole gateway killed and started again. Their copies need not wait out the
    lease. There are at most as many as there were workers."""
    rows = conn.execute(
        "SELECT DISTINCT claimed_by FROM copies WHERE state = 'pending' "
        "AND claimed_by IS NOT NULL AND claimed_until > ?",
        (now,),
    ).fetchall()
    return [claimant for (claimant,) in rows if _claimant_gone(claimant)]


def _claimant_gone(claimant: str) -> bool:
    """Whether the process ``claimant`` names (``PID-…``) has ended on this host; a name
    without one (written before claims carried it) waits out its lease."""
    pid, _, rest = claimant.partition("-")
    if not (rest and pid.isdigit()):
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
