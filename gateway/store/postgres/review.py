"""The review queue in PostgreSQL: one row per recipient copy that waits for a liaison officer.

Deciding an item updates its row only while it is pending, and the row stays locked until that
decision commits: a second officer's decision, on this instance or another, finds it decided."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from psycopg.types.json import Jsonb

from gateway.infra.audit import AuditEvent
from gateway.store.interface.review import (
    ClearReason,
    NewReviewItem,
    ReviewItem,
    ReviewOutcome,
    ReviewState,
    ReviewStore,
)
from gateway.store.postgres.database import Connection, Database, Transaction
from gateway.store.postgres.delivery import queue_copies
from gateway.store.postgres.restriction import restrict_if_held


async def queue_for_review(
    tx: Transaction, signal_id: str, items: tuple[NewReviewItem, ...], *, at: datetime
) -> None:
    """Put a signal's waiting copies in the queue, inside the transaction that keeps the signal,
    waiting since ``at`` (its receipt)."""
    if not items:
        return
    async with tx.conn.cursor() as cursor:
        await cursor.executemany(
            INSERT_REVIEW_ITEM, [review_item_row(signal_id, item, at) for item in items]
        )


INSERT_REVIEW_ITEM: Final = (
    "INSERT INTO review_items (id, signal_id, recipient_id, country, urgency, reasons, "
    "release_now, state, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, 'pending', %s)"
)
"""A signal's copy put in the review queue, its values by :func:`review_item_row`."""


def review_item_row(signal_id: str, item: NewReviewItem, at: datetime) -> tuple[Any, ...]:
    return (
        item.id,
        signal_id,
        item.recipient_id,
        item.country,
        item.urgency,
        Jsonb(list(item.reasons)),
        item.release_now,
        at,
    )


_URGENCY_ORDER: Final = "CASE urgency WHEN 'immediate' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END"
_COLUMNS: Final = (
    "id, signal_id, recipient_id, country, urgency, reasons, release_now, state, created_at, "
    "decided_at, officer_id, rejection_category"
)


class PostgresReview(Database, ReviewStore):
    async def pending_reviews(self, *, countries: tuple[str, ...] | None) -> list[ReviewItem]:
        async def read(conn: Connection) -> list[ReviewItem]:
            where = "" if countries is None else " AND country = ANY(%(countries)s::text[])"
            cursor = await conn.execute(
                f"SELECT {_COLUMNS} FROM review_items WHERE state = 'pending'{where} "
                f"ORDER BY {_URGENCY_ORDER}, created_at, id",
                {"countries": None if countries is None else list(countries)},
            )
            return [_item(row) for row in await cursor.fetchall()]

        return await self.read(read)

    async def review_item(self, item_id: str) -> ReviewItem | None:
        return await self.read(lambda conn: _item_in(conn, item_id))

    async def review_correction(self, item_id: str) -> bytes | None:
        return await self.read(lambda conn: _sealed_column(conn, "correction", item_id))

    async def rejection_reason(self, item_id: str) -> bytes | None:
        return await self.read(lambda conn: _sealed_column(conn, "rejection_sealed", item_id))

    async def clear_rejection_reasons(self) -> list[ClearReason]:
        async def read(conn: Connection) -> list[ClearReason]:
            cursor = await conn.execute(
                "SELECT id, rejection_reason FROM review_items "
                "WHERE rejection_reason IS NOT NULL ORDER BY id"
            )
            return [ClearReason(str(row[0]), str(row[1])) for row in await cursor.fetchall()]

        return await self.read(read)

    async def seal_rejection_reasons(self, sealed: Mapping[str, bytes]) -> int:
        async def write(tx: Transaction) -> int:
            changed = 0
            for item_id, blob in sealed.items():
                cursor = await tx.conn.execute(
                    "UPDATE review_items SET rejection_sealed = %s, rejection_reason = NULL "
                    "WHERE id = %s AND rejection_reason IS NOT NULL",
                    (blob, item_id),
                )
                changed += cursor.rowcount
            return changed

        return await self.write(write, audited=False)

    async def decide_review(
        self, item_id: str, outcome: ReviewOutcome, event: AuditEvent
    ) -> ReviewItem | None:
        async def write(tx: Transaction) -> ReviewItem | None:
            cursor = await tx.conn.execute(
                "UPDATE review_items SET state = %s, decided_at = %s, officer_id = %s, "
                "correction = %s, rejection_sealed = %s, rejection_category = %s "
                "WHERE id = %s AND state = 'pending' "
                f"RETURNING {_COLUMNS}",
                (
                    str(outcome.state),
                    tx.now(),
                    outcome.officer_id,
                    outcome.correction,
                    outcome.rejection_sealed,
                    outcome.rejection_category,
                    item_id,
                ),
            )
            row = await cursor.fetchone()
            if row is None:
                return None
            await tx.append(event)
            item = _item(row)
            if outcome.copy is not None:
                await queue_copies(tx, item.signal_id, (outcome.copy,))
                restrict_if_held(tx, outcome.copy.id)
            if outcome.state is ReviewState.REJECTED:
                await _withdraw_unsealed(tx, item)
            return item

        return await self.write(write)


async def _withdraw_unsealed(tx: Transaction, item: ReviewItem) -> None:
    """A rejected copy's unreviewed first version that is not sealed yet (its recipient had no
    key, say) is never sealed: the courier seals ``pending`` copies only."""
    await tx.conn.execute(
        "UPDATE copies SET state = 'withdrawn', last_error = 'rejected' "
        "WHERE signal_id = %s AND recipient_id = %s AND state IN ('pending', 'restricted')",
        (item.signal_id, item.recipient_id),
    )


async def _item_in(conn: Connection, item_id: str) -> ReviewItem | None:
    cursor = await conn.execute(f"SELECT {_COLUMNS} FROM review_items WHERE id = %s", (item_id,))
    row = await cursor.fetchone()
    return None if row is None else _item(row)


async def _sealed_column(conn: Connection, column: str, item_id: str) -> bytes | None:
    cursor = await conn.execute(f"SELECT {column} FROM review_items WHERE id = %s", (item_id,))
    row = await cursor.fetchone()
    return None if row is None or row[0] is None else bytes(row[0])


def _item(row: tuple[Any, ...]) -> ReviewItem:
    return ReviewItem(
        id=row[0],
        signal_id=row[1],
        recipient_id=row[2],
        country=row[3],
        urgency=row[4],
        reasons=tuple(row[5]),
        release_now=bool(row[6]),
        state=ReviewState(row[7]),
        created_at=row[8],
        decided_at=row[9],
        officer_id=row[10],
        rejection_category=row[11],
    )
