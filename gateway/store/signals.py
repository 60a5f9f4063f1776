"""Signals as kept: sealed bodies, receipts' facts, idempotency by sender reference."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from gateway.audit import AuditEvent
from gateway.errors import IdempotencyConflict
from gateway.store.database import Database, Transaction


@dataclass(frozen=True)
class NewSignal:
    """A validated signal ready to be kept: its content already sealed under its own data key."""

    id: str
    sender_id: str
    sender_reference: str
    body_sha256: str
    received_at: str
    recipients: tuple[str, ...]
    sealed_body: bytes


@dataclass(frozen=True)
class StoredSignal:
    id: str
    sender_id: str
    sender_reference: str
    body_sha256: str
    received_at: str
    recipients: tuple[str, ...]
    audit_seq: int
    audit_hash: str
    state: str


@dataclass(frozen=True)
class Accepted:
    signal: StoredSignal
    replayed: bool


class SignalStore(Database):
    async def accept_signal(self, signal: NewSignal, event: AuditEvent) -> Accepted:
        """Keep a signal with its audit entry, or return the one already kept under its reference.

        The same ``sender_reference`` with the same body is a retry and gets the original;
        with another body it is :class:`IdempotencyConflict`. Checked inside the write
        transaction, so two simultaneous retries cannot both be stored.
        """

        def write(tx: Transaction) -> Accepted:
            row = tx.conn.execute(
                f"SELECT {_SIGNAL_COLUMNS} FROM signals "
                "WHERE sender_id = ? AND sender_reference = ?",
                (signal.sender_id, signal.sender_reference),
            ).fetchone()
            if row is not None:
                existing = _signal_from_row(row)
                if existing.body_sha256 == signal.body_sha256:
                    return Accepted(existing, replayed=True)
                raise IdempotencyConflict(reference=signal.sender_reference, signal_id=existing.id)
            entry = tx.append(event)
            tx.conn.execute(
                "INSERT INTO signals (id, sender_id, sender_reference, body_sha256, received_at, "
                "recipients, sealed_body, audit_seq, audit_hash, state) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    signal.id,
                    signal.sender_id,
                    signal.sender_reference,
                    signal.body_sha256,
                    signal.received_at,
                    json.dumps(list(signal.recipients)),
                    signal.sealed_body,
                    entry.seq,
                    entry.hash,
                    "accepted",
                ),
            )
            return Accepted(
                StoredSignal(
                    id=signal.id,
                    sender_id=signal.sender_id,
                    sender_reference=signal.sender_reference,
                    body_sha256=signal.body_sha256,
                    received_at=signal.received_at,
                    recipients=signal.recipients,
                    audit_seq=entry.seq,
                    audit_hash=entry.hash,
                    state="accepted",
                ),
                replayed=False,
            )

        return await self.write(write)

    async def signal(self, signal_id: str) -> StoredSignal | None:
        def read(conn: sqlite3.Connection) -> StoredSignal | None:
            row = conn.execute(
                f"SELECT {_SIGNAL_COLUMNS} FROM signals WHERE id = ?", (signal_id,)
            ).fetchone()
            return None if row is None else _signal_from_row(row)

        return await self.read(read)

    def sealed_body(self, signal_id: str) -> bytes | None:
        row = self.read_sync(
            lambda conn: conn.execute(
                "SELECT sealed_body FROM signals WHERE id = ?", (signal_id,)
            ).fetchone()
        )
        return None if row is None else bytes(row[0])

    def signal_ids(self) -> list[str]:
        rows = self.read_sync(
            lambda conn: conn.execute("SELECT id FROM signals ORDER BY id").fetchall()
        )
        return [row[0] for row in rows]


_SIGNAL_COLUMNS = (
    "id, sender_id, sender_reference, body_sha256, received_at, recipients, audit_seq, "
    "audit_hash, state"
)


def _signal_from_row(row: tuple[Any, ...]) -> StoredSignal:
    return StoredSignal(
        id=row[0],
        sender_id=row[1],
        sender_reference=row[2],
        body_sha256=row[3],
        received_at=row[4],
        recipients=tuple(json.loads(row[5])),
        audit_seq=row[6],
        audit_hash=row[7],
        state=row[8],
    )
