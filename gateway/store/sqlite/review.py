"""The review queue in SQLite: one row per recipient copy that waits for a liaison officer.

The clear ``rejection_reason`` column of older versions is only ever read to seal it and then
emptied (:mod:`gateway.flow.at_rest`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from gateway.infra.audit import AuditEvent
from gateway.store.interface.review import (
    ClearReason,
    NewReviewItem,
    ReviewItem,
    ReviewOutcome,
    ReviewState,
    ReviewStore,
)
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.delivery import queue_copies
from gateway.store.sqlite.times import moment, moment_or_none


def queue_for_review(
    tx: Transaction, signal_id: str, items: tuple[NewReviewItem, ...], *, at: str
) -> None:
    """Put a signal's waiting copies in the queue, inside the transaction that keeps the signal,
    waiting since ``at`` (its receipt)."""
    tx.conn.executemany(
        "INSERT INTO review_items (id, signal_id, recipient_id, country, urgency, reasons, "
        "release_now, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
        [
            (
                item.id,
                signal_id,
                item.recipient_id,
                item.country,
                item.urgency,
                json.dumps(list(item.reasons)),
                int(item.release_now),
                at,
            )
            for item in items
        ],
    )


_URGENCY_ORDER = "CASE urgency WHEN 'immediate' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END"
_COLUMNS = (
    "id, signal_id, recipient_id, country, urgency, reasons, release_now, state, created_at, "
    "decided_at, officer_id, rejection_category"
)


class SqliteReview(Database, ReviewStore):
    async def pending_reviews(self, *, countries: tuple[str, ...] | None) -> list[ReviewItem]:
        def read(conn: sqlite3.Connection) -> list[ReviewItem]:
            where, params = "state = 'pending'", []
            if countries is not None:
                where += f" AND country IN ({', '.join('?' * len(countries))})"
                params = list(countries)
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM review_items WHERE {where} "
                f"ORDER BY {_URGENCY_ORDER}, created_at",
                params,
            ).fetchall()
            return [_item(row) for row in rows]

        return await self.read(read)

    async def review_item(self, item_id: str) -> ReviewItem | None:
        def read(conn: sqlite3.Connection) -> ReviewItem | None:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM review_items WHERE id = ?", (item_id,)
            ).fetchone()
            return None if row is None else _item(row)

        return await self.read(read)

    async def review_correction(self, item_id: str) -> bytes | None:
        def read(conn: sqlite3.Connection) -> bytes | None:
            row = conn.execute(
                "SELECT correction FROM review_items WHERE id = ?", (item_id,)
            ).fetchone()
            return None if row is None or row[0] is None else bytes(row[0])

        return await self.read(read)

    async def rejection_reason(self, item_id: str) -> bytes | None:
        def read(conn: sqlite3.Connection) -> bytes | None:
            row = conn.execute(
                "SELECT rejection_sealed FROM review_items WHERE id = ?", (item_id,)
            ).fetchone()
            return None if row is None or row[0] is None else bytes(row[0])

        return await self.read(read)

    async def clear_rejection_reasons(self) -> list[ClearReason]:
        def read(conn: sqlite3.Connection) -> list[ClearReason]:
            rows = conn.execute(
                "SELECT id, rejection_reason FROM review_items "
                "WHERE rejection_reason IS NOT NULL ORDER BY id"
            ).fetchall()
            return [ClearReason(str(row[0]), str(row[1])) for row in rows]

        return await self.read(read)

    async def seal_rejection_reasons(self, sealed: Mapping[str, bytes]) -> int:

        def write(tx: Transaction) -> int:
            changed = 0
            for item_id, blob in sealed.items():
                changed += tx.conn.execute(
                    "UPDATE review_items SET rejection_sealed = ?, rejection_reason = NULL "
                    "WHERE id = ? AND rejection_reason IS NOT NULL",
                    (blob, item_id),
                ).rowcount
            return changed

        return await self.write(write)

    async def decide_review(
        self, item_id: str, outcome: ReviewOutcome, event: AuditEvent
    ) -> ReviewItem | None:
        def write(tx: Transaction) -> ReviewItem | None:
            now = tx.now()
            changed = tx.conn.execute(
                "UPDATE review_items SET state = ?, decided_at = ?, officer_id = ?, "
                "correction = ?, rejection_sealed = ?, rejection_category = ? "
                "WHERE id = ? AND state = 'pending'",
                (
                    str(outcome.state),
                    now,
                    outcome.officer_id,
                    outcome.correction,
                    outcome.rejection_sealed,
                    outcome.rejection_category,
                    item_id,
                ),
            ).rowcount
            if changed != 1:
                return None
            tx.append(event)
            row = tx.conn.execute(
                f"SELECT {_COLUMNS} FROM review_items WHERE id = ?", (item_id,)
            ).fetchone()
            item = _item(row)
            if outcome.copy is not None:
                queue_copies(tx, item.signal_id, (outcome.copy,))
            if outcome.state is ReviewState.REJECTED:
                _withdraw_unsealed(tx, item)
            return item

        return await self.write(write)


def _withdraw_unsealed(tx: Transaction, item: ReviewItem) -> None:
    """A rejected copy's unreviewed first version that is not sealed yet (its recipient had no
    key, say) is never sealed: the courier seals ``pending`` copies only."""
    tx.conn.execute(
        "UPDATE copies SET state = 'withdrawn', last_error = 'rejected' "
        "WHERE signal_id = ? AND recipient_id = ? AND state IN ('pending', 'restricted')",
        (item.signal_id, item.recipient_id),
    )


def _item(row: tuple[Any, ...]) -> ReviewItem:
    return ReviewItem(
        id=row[0],
        signal_id=row[1],
        recipient_id=row[2],
        country=row[3],
        urgency=row[4],
        reasons=tuple(json.loads(row[5])),
        release_now=bool(row[6]),
        state=ReviewState(row[7]),
        created_at=moment(row[8]),
        decided_at=moment_or_none(row[9]),
        officer_id=row[10],
        rejection_category=row[11],
    )
