"""Signals in PostgreSQL: sealed bodies, receipts' facts, idempotency by sender reference.

A sender's reference is looked up and kept under a lock of that reference, held until the
signal commits: two instances that receive the same reference at once (a retry sent to the
other one) keep it once, and the second finds what the first kept."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from psycopg.types.json import Jsonb

from gateway.decide.decision import Decision, Forwarded, Verdict
from gateway.infra.audit import AuditEvent
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
from gateway.store.postgres.database import Appended, Connection, Database, Transaction
from gateway.store.postgres.delivery import queue_copies
from gateway.store.postgres.figures import count_decisions
from gateway.store.postgres.locks import hold
from gateway.store.postgres.restriction import restrict_on_arrival
from gateway.store.postgres.review import queue_for_review
from gateway.store.postgres.subjects import index_subjects
from gateway.store.receipt import received
from gateway.store.signal_keys import JOINED_BODY, KEEP_KEY, joined, split

REFERENCE_LOCK: Final = "sender reference"

INSERT_SIGNAL: Final = (
    "INSERT INTO signals (id, sender_id, sender_reference, body_sha256, received_at, "
    "recipients, sealed_body, state, handling_code, category, purpose, urgency) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
"""A new signal's row, its values by :func:`signal_row`."""

_PLACE_IN_CHAIN: Final = "UPDATE signals SET audit_seq = %s, audit_hash = %s WHERE id = %s"


KEEP_SIGNAL_KEY: Final = KEEP_KEY.format(id="%s", key="%s")
"""A new signal's wrapped data key, in its row of its own (:mod:`gateway.store.signal_keys`)."""


def signal_row(signal: NewSignal) -> tuple[Any, ...]:
    """The values :data:`INSERT_SIGNAL` keeps of a new signal (its body without its key)."""
    return (
        signal.id,
        signal.sender_id,
        signal.sender_reference,
        signal.body_sha256,
        signal.received_at,
        Jsonb(list(signal.recipients)),
        split(signal.sealed_body)[1],
        str(SignalState.ACCEPTED),
        signal.handling_code,
        signal.category,
        signal.purpose,
        signal.urgency,
    )


def key_row(signal: NewSignal) -> tuple[str, bytes]:
    """The values :data:`KEEP_SIGNAL_KEY` keeps of a new signal."""
    return signal.id, split(signal.sealed_body)[0]


def place_in_chain(tx: Transaction, signal_id: str, appended: Appended) -> None:
    """Keep the new signal's acceptance entry (its number and hash) on its row, once the
    transaction has chained it."""
    tx.after_chaining(_PLACE_IN_CHAIN, lambda: (appended.entry.seq, appended.entry.hash, signal_id))


class PostgresSignals(Database, SignalStore):
    async def accept_signal(self, signal: NewSignal, event: AuditEvent) -> Accepted:
        async def write(tx: Transaction) -> StoredSignal | Appended:
            await hold(tx.conn, REFERENCE_LOCK, signal.sender_id, signal.sender_reference)
            existing = await _signal_where(
                tx.conn,
                "sender_id = %s AND sender_reference = %s",
                (signal.sender_id, signal.sender_reference),
            )
            if existing is not None:
                if existing.body_sha256 == signal.body_sha256:
                    return existing
                raise IdempotencyConflict(reference=signal.sender_reference, signal_id=existing.id)
            appended = await tx.append(event)
            await tx.conn.execute(INSERT_SIGNAL, signal_row(signal))
            await tx.conn.execute(KEEP_SIGNAL_KEY, key_row(signal))
            await keep_decisions(tx, (signal,))
            place_in_chain(tx, signal.id, appended)
            count_decisions(tx, signal.id)
            await queue_for_review(tx, signal.id, signal.reviews, at=signal.received_at)
            await queue_copies(tx, signal.id, signal.copies, at=signal.received_at)
            await track_request(tx, signal)
            await index_subjects(tx, signal.id, signal.subject_keys)
            restrict_on_arrival(tx, signal.id, signal.subject_keys)
            return appended

        kept = await self.write(write)
        if isinstance(kept, Appended):
            return Accepted(stored(signal, kept.entry), replayed=False)
        if not kept.audit_hash:  # accepted earlier in the same batch: chained after it was read
            kept = await self.signal(kept.id) or kept
        return Accepted(kept, replayed=True)

    async def signal(self, signal_id: str) -> StoredSignal | None:
        return await self.read(lambda conn: _signal_where(conn, "id = %s", (signal_id,)))

    async def decisions(self, signal_id: str) -> list[Decision]:
        async def read(conn: Connection) -> list[Decision]:
            cursor = await conn.execute(
                "SELECT decision FROM decisions WHERE signal_id = %s ORDER BY seq", (signal_id,)
            )
            rows = [row[0] for row in await cursor.fetchall()]
            kept = await _rule_texts(conn, keys_to_look_up(rows))
            return [decision_from_row(row, kept) for row in rows]

        return await self.read(read)

    async def sealed_body(self, signal_id: str) -> bytes | None:
        async def read(conn: Connection) -> bytes | None:
            cursor = await conn.execute(JOINED_BODY.format(id="%s"), (signal_id,))
            row = await cursor.fetchone()
            return None if row is None else joined(row[0], row[1])

        return await self.read(read)

    async def forwarded(self, signal_id: str, by: str) -> Forwarded | None:
        """Whether ``by`` received the signal is :func:`~gateway.store.receipt.received`."""

        async def read(conn: Connection) -> Forwarded | None:
            cursor = await conn.execute(
                "SELECT s.id, s.handling_code, s.sender_id FROM signals s "
                f"WHERE s.id = %(signal)s AND {received('%(signal)s', '%(by)s')}",
                {"signal": signal_id, "by": by},
            )
            row = await cursor.fetchone()
            if row is None:
                return None
            cursor = await conn.execute(
                "SELECT d.recipient_id FROM decisions d WHERE d.signal_id = %(signal)s "
                f"AND {received('%(signal)s', 'd.recipient_id')} ORDER BY d.seq",
                {"signal": signal_id},
            )
            allowed = tuple(r[0] for r in await cursor.fetchall())
            return Forwarded(row[0], row[1], row[2], allowed)

        return await self.read(read)

    async def signal_ids(self) -> list[str]:
        async def read(conn: Connection) -> list[str]:
            cursor = await conn.execute("SELECT id FROM signals ORDER BY id")
            return [row[0] for row in await cursor.fetchall()]

        return await self.read(read)


_SIGNAL_COLUMNS: Final = (
    "id, sender_id, sender_reference, body_sha256, received_at, recipients, audit_seq, "
    "audit_hash, state, handling_code, "
    "(SELECT a.entry FROM audit a WHERE a.seq = signals.audit_seq) AS audit_entry"
)


async def _signal_where(
    conn: Connection, condition: str, params: tuple[str, ...]
) -> StoredSignal | None:
    cursor = await conn.execute(f"SELECT {_SIGNAL_COLUMNS} FROM signals WHERE {condition}", params)
    row = await cursor.fetchone()
    return None if row is None else _signal_from_row(row, await _recipient_decisions(conn, row[0]))


def _signal_from_row(
    row: tuple[Any, ...], decisions: tuple[RecipientDecision, ...]
) -> StoredSignal:
    return StoredSignal(
        id=row[0],
        sender_id=row[1],
        sender_reference=row[2],
        body_sha256=row[3],
        received_at=row[4],
        recipients=tuple(row[5]),
        audit_seq=row[6],
        audit_hash=row[7],
        audit_leaf_hash=leaf_hash(bytes(row[10] or b"")),
        state=SignalState(row[8]),
        handling_code=row[9],
        decisions=decisions,
    )


async def _recipient_decisions(conn: Connection, signal_id: str) -> tuple[RecipientDecision, ...]:
    cursor = await conn.execute(
        "SELECT recipient_id, verdict, rule_ids FROM decisions WHERE signal_id = %s ORDER BY seq",
        (signal_id,),
    )
    return tuple(
        RecipientDecision(r[0], Verdict(r[1]), tuple(r[2])) for r in await cursor.fetchall()
    )


async def keep_decisions(tx: Transaction, signals: Sequence[NewSignal]) -> None:
    """The decisions' rows of new ``signals``, their rules' texts kept once
    (:mod:`gateway.store.decision_form`).

    Texts new to the store are inserted in the order of their keys: two instances keeping
    the same new texts at once wait for each other in one order, never in a circle."""
    decisions = [(signal.id, decision) for signal in signals for decision in signal.decisions]
    if not decisions:
        return
    texts = texts_of(tuple(decision for _, decision in decisions))
    async with tx.conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO rule_texts (policy_sha256, rule_id, reason, legal_basis) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [
                (digest, rule_id, Jsonb(dict(found.reason)), Jsonb(dict(found.legal_basis)))
                for (digest, rule_id), found in sorted(texts.items())
            ],
        )
    kept = await _rule_texts(tx.conn, set(texts))
    async with tx.conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO decisions (signal_id, recipient_id, verdict, rule_ids, policy_sha256, "
            "decision) VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (
                    signal_id,
                    decision.recipient_id,
                    str(decision.verdict),
                    Jsonb(list(decision.rule_ids)),
                    decision.policy_digest,
                    Jsonb(row_form(decision, kept)),
                )
                for signal_id, decision in decisions
            ],
        )


async def _rule_texts(conn: Connection, keys: set[RuleKey]) -> dict[RuleKey, RuleTexts]:
    """The texts kept for ``keys`` (those of them kept), in one round trip."""
    if not keys:
        return {}
    cursor = await conn.execute(
        "SELECT policy_sha256, rule_id, reason, legal_basis FROM rule_texts "
        "WHERE policy_sha256 = ANY(%s) AND rule_id = ANY(%s)",
        (sorted({digest for digest, _ in keys}), sorted({rule for _, rule in keys})),
    )
    return {
        (row[0], row[1]): RuleTexts(row[2], row[3])
        for row in await cursor.fetchall()
        if (row[0], row[1]) in keys
    }


async def track_request(tx: Transaction, signal: NewSignal) -> None:
    """Open a request's deadline; a reply from one of its recipients closes the one it answers."""
    if signal.request is not None:
        await tx.conn.execute(
            "INSERT INTO requests (signal_id, sender_id, recipients, deadline_kind, received_at, "
            "deadline) VALUES (%s, %s, %s, %s, %s, %s)",
            (
                signal.id,
                signal.sender_id,
                Jsonb(list(signal.recipients)),
                signal.request.kind,
                signal.received_at,
                signal.request.deadline,
            ),
        )
    if signal.in_reply_to is not None:
        await tx.conn.execute(
            "UPDATE requests SET answered_by = %s, answered_at = %s "
            "WHERE signal_id = %s AND answered_at IS NULL AND recipients ? %s",
            (signal.id, signal.received_at, signal.in_reply_to, signal.sender_id),
        )
