"""Signals in SQLite: sealed bodies, receipts' facts, idempotency by sender reference."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from gateway.decide.decision import Decision, Forwarded, Verdict
from gateway.infra.audit import AuditEvent, timestamp
from gateway.infra.audit.merkle import leaf_hash
from gateway.infra.errors import IdempotencyConflict
from gateway.store.decision_form import (
    RuleKey,
    RuleTexts,
    decision_from_row,
    keys_to_look_up,
    row_form,
    texts_of,
)
from gateway.store.interface.signals import (
    Accepted,
    NewSignal,
    RecipientDecision,
    SignalState,
    SignalStore,
    StoredSignal,
    stored,
)
from gateway.store.receipt import received
from gateway.store.signal_keys import JOINED_BODY, KEEP_KEY, joined, split
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.delivery import queue_copies
from gateway.store.sqlite.figures import count_decisions
from gateway.store.sqlite.restriction import restrict_on_arrival
from gateway.store.sqlite.review import queue_for_review
from gateway.store.sqlite.subjects import index_subjects
from gateway.store.sqlite.times import moment


class SqliteSignals(Database, SignalStore):
    async def accept_signal(self, signal: NewSignal, event: AuditEvent) -> Accepted:

        def write(tx: Transaction) -> Accepted:
            row = tx.conn.execute(
                f"SELECT {_SIGNAL_COLUMNS} FROM signals "
                "WHERE sender_id = ? AND sender_reference = ?",
                (signal.sender_id, signal.sender_reference),
            ).fetchone()
            if row is not None:
                existing = _signal_from_row(tx.conn, row)
                if existing.body_sha256 == signal.body_sha256:
                    return Accepted(existing, replayed=True)
                raise IdempotencyConflict(reference=signal.sender_reference, signal_id=existing.id)
            entry = tx.append(event)
            key, body = split(signal.sealed_body)
            tx.conn.execute(
                "INSERT INTO signals (id, sender_id, sender_reference, body_sha256, received_at, "
                "recipients, sealed_body, audit_seq, audit_hash, state, handling_code, "
                "category, purpose, urgency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    signal.id,
                    signal.sender_id,
                    signal.sender_reference,
                    signal.body_sha256,
                    timestamp(signal.received_at),
                    json.dumps(list(signal.recipients)),
                    body,
                    entry.seq,
                    entry.hash,
                    str(SignalState.ACCEPTED),
                    signal.handling_code,
                    signal.category,
                    signal.purpose,
                    signal.urgency,
                ),
            )
            tx.conn.execute(KEEP_KEY.format(id="?", key="?"), (signal.id, key))
            _keep_decisions(tx, signal)
            count_decisions(tx.conn, signal.id)
            received = timestamp(signal.received_at)
            queue_for_review(tx, signal.id, signal.reviews, at=received)
            restrict_on_arrival(tx, signal.id, signal.subject_keys)
            queue_copies(tx, signal.id, signal.copies, at=received)
            _track_request(tx, signal)
            index_subjects(tx, signal.id, signal.subject_keys)
            return Accepted(stored(signal, entry), replayed=False)

        return await self.write(write)

    async def signal(self, signal_id: str) -> StoredSignal | None:
        def read(conn: sqlite3.Connection) -> StoredSignal | None:
            row = conn.execute(
                f"SELECT {_SIGNAL_COLUMNS} FROM signals WHERE id = ?", (signal_id,)
            ).fetchone()
            return None if row is None else _signal_from_row(conn, row)

        return await self.read(read)

    async def decisions(self, signal_id: str) -> list[Decision]:
        def read(conn: sqlite3.Connection) -> list[Decision]:
            rows = [
                json.loads(row[0])
                for row in conn.execute(
                    "SELECT decision FROM decisions WHERE signal_id = ? ORDER BY rowid",
                    (signal_id,),
                )
            ]
            kept = _rule_texts(conn, keys_to_look_up(rows))
            return [decision_from_row(row, kept) for row in rows]

        return await self.read(read)

    async def sealed_body(self, signal_id: str) -> bytes | None:
        def read(conn: sqlite3.Connection) -> bytes | None:
            row = conn.execute(JOINED_BODY.format(id="?"), (signal_id,)).fetchone()
            return None if row is None else joined(row[0], row[1])

        return await self.read(read)

    async def forwarded(self, signal_id: str, by: str) -> Forwarded | None:
        """Whether ``by`` received the signal is :func:`~gateway.store.receipt.received`."""

        def read(conn: sqlite3.Connection) -> Forwarded | None:
            row = conn.execute(
                "SELECT s.id, s.handling_code, s.sender_id FROM signals s "
                f"WHERE s.id = :signal AND {received(':signal', ':by')}",
                {"signal": signal_id, "by": by},
            ).fetchone()
            if row is None:
                return None
            allowed = conn.execute(
                "SELECT d.recipient_id FROM decisions d WHERE d.signal_id = :signal "
                f"AND {received(':signal', 'd.recipient_id')} ORDER BY d.rowid",
                {"signal": signal_id},
            ).fetchall()
            return Forwarded(row[0], row[1], row[2], tuple(r[0] for r in allowed))

        return await self.read(read)

    async def signal_ids(self) -> list[str]:
        def read(conn: sqlite3.Connection) -> list[str]:
            return [row[0] for row in conn.execute("SELECT id FROM signals ORDER BY id")]

        return await self.read(read)


_SIGNAL_COLUMNS = (
    "id, sender_id, sender_reference, body_sha256, received_at, recipients, audit_seq, "
    "audit_hash, state, handling_code, "
    "(SELECT a.entry FROM audit a WHERE a.seq = signals.audit_seq) AS audit_entry"
)


def _signal_from_row(conn: sqlite3.Connection, row: tuple[Any, ...]) -> StoredSignal:
    return StoredSignal(
        id=row[0],
        sender_id=row[1],
        sender_reference=row[2],
        body_sha256=row[3],
        received_at=moment(row[4]),
        recipients=tuple(json.loads(row[5])),
        audit_seq=row[6],
        audit_hash=row[7],
        audit_leaf_hash=leaf_hash(bytes(row[10] or b"")),
        state=SignalState(row[8]),
        handling_code=row[9],
        decisions=_recipient_decisions(conn, row[0]),
    )


def _recipient_decisions(conn: sqlite3.Connection, signal_id: str) -> tuple[RecipientDecision, ...]:
    rows = conn.execute(
        "SELECT recipient_id, verdict, rule_ids FROM decisions WHERE signal_id = ? ORDER BY rowid",
        (signal_id,),
    ).fetchall()
    return tuple(RecipientDecision(r[0], Verdict(r[1]), tuple(json.loads(r[2]))) for r in rows)


def _keep_decisions(tx: Transaction, signal: NewSignal) -> None:
    """The decisions' rows, their rules' texts kept once (:mod:`gateway.store.decision_form`)."""
    texts = texts_of(signal.decisions)
    tx.conn.executemany(
        "INSERT INTO rule_texts (policy_sha256, rule_id, reason, legal_basis) "
        "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [
            (digest, rule_id, _json(found.reason), _json(found.legal_basis))
            for (digest, rule_id), found in sorted(texts.items())
        ],
    )
    kept = _rule_texts(tx.conn, set(texts))
    tx.conn.executemany(
        "INSERT INTO decisions (signal_id, recipient_id, verdict, rule_ids, "
        "policy_sha256, decision) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                signal.id,
                decision.recipient_id,
                str(decision.verdict),
                json.dumps(list(decision.rule_ids)),
                decision.policy_digest,
                _json(row_form(decision, kept)),
            )
            for decision in signal.decisions
        ],
    )


def _rule_texts(conn: sqlite3.Connection, keys: set[RuleKey]) -> dict[RuleKey, RuleTexts]:
    kept = {}
    for key in sorted(keys):
        row = conn.execute(
            "SELECT reason, legal_basis FROM rule_texts WHERE policy_sha256 = ? AND rule_id = ?",
            key,
        ).fetchone()
        if row is not None:
            kept[key] = RuleTexts(json.loads(row[0]), json.loads(row[1]))
    return kept


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _track_request(tx: Transaction, signal: NewSignal) -> None:
    """Open a request's deadline; a reply from one of its recipients closes the one it answers."""
    if signal.request is not None:
        tx.conn.execute(
            "INSERT INTO requests (signal_id, sender_id, recipients, deadline_kind, received_at, "
            "deadline) VALUES (?, ?, ?, ?, ?, ?)",
            (
                signal.id,
                signal.sender_id,
                json.dumps(list(signal.recipients)),
                signal.request.kind,
                timestamp(signal.received_at),
                timestamp(signal.request.deadline),
            ),
        )
    if signal.in_reply_to is not None:
        tx.conn.execute(
            "UPDATE requests SET answered_by = ?, answered_at = ? "
            "WHERE signal_id = ? AND answered_at IS NULL "
            "AND EXISTS (SELECT 1 FROM json_each(requests.recipients) WHERE value = ?)",
            (signal.id, timestamp(signal.received_at), signal.in_reply_to, signal.sender_id),
        )
