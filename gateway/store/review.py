"""The review queue as kept: one row per recipient copy that waits for a liaison officer."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from gateway.store.database import Database, Transaction


@dataclass(frozen=True)
class NewReviewItem:
    id: str
    recipient_id: str
    country: str
    urgency: str
    reasons: tuple[str, ...]
    release_now: bool


@dataclass(frozen=True)
class ReviewItem:
    id: str
    signal_id: str
    recipient_id: str
    country: str
    urgency: str
    reasons: tuple[str, ...]
    release_now: bool
    state: str
    created_at: str


def queue_for_review(tx: Transaction, signal_id: str, items: tuple[NewReviewItem, ...]) -> None:
    """Put a signal's waiting copies in the queue, inside the transaction that keeps the signal."""
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
                tx.now(),
            )
            for item in items
        ],
    )


_URGENCY_ORDER = "CASE urgency WHEN 'immediate' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END"
_COLUMNS = "id, signal_id, recipient_id, country, urgency, reasons, release_now, state, created_at"


class ReviewStore(Database):
    async def pending_reviews(self, *, countries: tuple[str, ...] | None) -> list[ReviewItem]:
        """What waits, most pressing first; ``countries`` None means every desk."""

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


def _item(row: tuple[Any, ...]) -> ReviewItem:
    return ReviewItem(
        id=row[0],
        signal_id=row[1],
        recipient_id=row[2],
        country=row[3],
        urgency=row[4],
        reasons=tuple(json.loads(row[5])),
        release_now=bool(row[6]),
        state=row[7],
        created_at=row[8],
    )
