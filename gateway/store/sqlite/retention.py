"""Retention in SQLite: the signals that still hold content, and erasing one's content.

Erasing a signal deletes its data key's row (:mod:`gateway.store.signal_keys`) and empties its
body. ``secure_delete`` (always on) zeroes the deleted and overwritten bytes in the database
file; the write-ahead log's copies of the old pages go when the log is cut
(:meth:`Database.purge_old_versions`, which a retention run calls when it has erased
anything). What a backup copied before the erasure still holds the key: a backup is kept
under its own terms, and an erasure reaches it only when it is destroyed."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import date, datetime

from gateway.infra.audit import AuditEvent, timestamp
from gateway.store.interface.retention import (
    Erased,
    ErasedInMonth,
    KeptSignal,
    LegalHold,
    RetentionStore,
    SettledEnvelope,
    SignalRetention,
)
from gateway.store.retention_sql import (
    CLAIM_DAY,
    ERASED_BY_MONTH,
    JOBS_CANCELLED,
    JOBS_DROPPED,
    KEPT,
    MEMORY_LEARNT_ONLY_FROM,
    MEMORY_SOURCE_GONE,
    NOT_HELD,
    SETTLED,
    SIGNAL_RETENTION,
)
from gateway.store.signal_keys import DESTROY_KEY
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.times import moment, moment_or_none


class SqliteRetention(Database, RetentionStore):
    async def claim_retention_day(self, day: date) -> bool:
        def write(tx: Transaction) -> bool:
            claim = CLAIM_DAY.format(day="?")
            return tx.conn.execute(claim, (day.isoformat(),)).rowcount == 1

        return await self.write(write)

    async def count_kept(self) -> int:
        def read(conn: sqlite3.Connection) -> int:
            row = conn.execute(f"SELECT count(*) FROM signals s WHERE {KEPT}").fetchone()
            return int(row[0])

        return await self.read(read)

    async def kept_signals(self, *, after: str, limit: int) -> list[KeptSignal]:
        def read(conn: sqlite3.Connection) -> list[KeptSignal]:
            rows = conn.execute(
                "SELECT s.id, coalesce(s.category, ''), coalesce(s.purpose, ''), "
                "coalesce(s.handling_code, ''), s.received_at, "
                "(SELECT max(e.created_at) FROM envelopes e WHERE e.signal_id = s.id) "
                f"FROM signals s WHERE s.id > ? AND {KEPT} ORDER BY s.id LIMIT ?",
                (after, limit),
            ).fetchall()
            return [
                KeptSignal(row[0], row[1], row[2], row[3], moment(row[4]), moment_or_none(row[5]))
                for row in rows
            ]

        return await self.read(read)

    async def settled_envelopes(self, *, after: int, limit: int) -> list[SettledEnvelope]:
        def read(conn: sqlite3.Connection) -> list[SettledEnvelope]:
            rows = conn.execute(SETTLED.format(after="?", limit="?"), (after, limit)).fetchall()
            return [
                SettledEnvelope(row[0], row[1], row[2], row[3], row[4], moment(row[5]))
                for row in rows
            ]

        return await self.read(read)

    async def erase_envelopes(self, envelope_ids: Sequence[str], event: AuditEvent) -> int:
        def write(tx: Transaction) -> int:
            erased = tx.conn.executemany(
                "UPDATE envelopes SET envelope = x'', erased_at = ? "
                "WHERE id = ? AND acked_at IS NOT NULL AND erased_at IS NULL",
                [(tx.now(), envelope_id) for envelope_id in envelope_ids],
            ).rowcount
            if erased:
                tx.append(event)
            return erased

        return await self.write(write)

    async def place_hold(self, hold: LegalHold, event: AuditEvent) -> bool:
        def write(tx: Transaction) -> bool:
            placed = tx.conn.execute(
                "INSERT INTO legal_holds (signal_id, reason, review_on, placed_by, placed_at) "
                "SELECT id, ?, ?, ?, ? FROM signals WHERE id = ? AND erased_at IS NULL "
                "ON CONFLICT (signal_id) DO NOTHING",
                (
                    hold.reason,
                    hold.review_on.isoformat(),
                    hold.placed_by,
                    timestamp(hold.placed_at),
                    hold.signal_id,
                ),
            ).rowcount
            if placed:
                tx.append(event)
            return bool(placed)

        return await self.write(write)

    async def lift_hold(self, signal_id: str, event: AuditEvent) -> bool:
        def write(tx: Transaction) -> bool:
            lifted = tx.conn.execute(
                "DELETE FROM legal_holds WHERE signal_id = ?", (signal_id,)
            ).rowcount
            if lifted:
                tx.append(event)
            return bool(lifted)

        return await self.write(write)

    async def legal_holds(self, *, limit: int) -> list[LegalHold]:
        def read(conn: sqlite3.Connection) -> list[LegalHold]:
            rows = conn.execute(
                "SELECT signal_id, reason, review_on, placed_by, placed_at FROM legal_holds "
                "ORDER BY review_on, signal_id LIMIT ?",
                (limit,),
            ).fetchall()
            return [
                LegalHold(row[0], row[1], date.fromisoformat(row[2]), row[3], moment(row[4]))
                for row in rows
            ]

        return await self.read(read)

    async def signal_retention(self, signal_id: str) -> SignalRetention | None:
        def read(conn: sqlite3.Connection) -> SignalRetention | None:
            row = conn.execute(SIGNAL_RETENTION.format(id="?"), (signal_id,)).fetchone()
            if row is None:
                return None
            kept = KeptSignal(
                row[0], row[1], row[2], row[3], moment(row[4]), moment_or_none(row[5])
            )
            hold = (
                None
                if row[8] is None
                else LegalHold(row[0], row[8], date.fromisoformat(row[9]), row[10], moment(row[11]))
            )
            return SignalRetention(kept, moment_or_none(row[6]), row[7], hold)

        return await self.read(read)

    async def erased_by_month(self, *, since: datetime, until: datetime) -> list[ErasedInMonth]:
        def read(conn: sqlite3.Connection) -> list[ErasedInMonth]:
            rows = conn.execute(
                ERASED_BY_MONTH.format(since="?", until="?"), (timestamp(since), timestamp(until))
            ).fetchall()
            return [ErasedInMonth(row[0], int(row[1])) for row in rows]

        return await self.read(read)

    async def first_erasure_after(self, at: datetime) -> datetime | None:
        def read(conn: sqlite3.Connection) -> datetime | None:
            row = conn.execute(
                "SELECT min(erased_at) FROM signals WHERE erased_at > ? AND received_at <= ?",
                (timestamp(at), timestamp(at)),
            ).fetchone()
            return moment_or_none(row[0])

        return await self.read(read)

    async def purge_owed(self) -> bool:
        return False

    async def erase_signal(
        self, signal_id: str, *, rule: str, event: Callable[[Erased], AuditEvent]
    ) -> Erased | None:
        def write(tx: Transaction) -> Erased | None:
            now = tx.now()
            erased = tx.conn.execute(
                "UPDATE signals SET sealed_body = x'', erased_at = ?, erased_rule = ? "
                "WHERE id = ? AND erased_at IS NULL AND " + NOT_HELD.format(s="signals"),
                (now, rule, signal_id),
            ).rowcount
            if not erased:
                return None
            tx.conn.execute(DESTROY_KEY.format(id="?"), (signal_id,))
            done = Erased(
                signal_id,
                envelopes=tx.conn.execute(
                    "UPDATE envelopes SET envelope = x'', erased_at = ? "
                    "WHERE signal_id = ? AND erased_at IS NULL",
                    (now, signal_id),
                ).rowcount,
                review_items=tx.conn.execute(
                    "UPDATE review_items SET correction = NULL, rejection_sealed = NULL, "
                    "rejection_reason = NULL, "
                    "state = CASE state WHEN 'pending' THEN 'erased' ELSE state END "
                    "WHERE signal_id = ?",
                    (signal_id,),
                ).rowcount,
                subject_keys=tx.conn.execute(
                    "DELETE FROM subject_keys WHERE signal_id = ?", (signal_id,)
                ).rowcount,
                memory_segments=tx.conn.execute(
                    MEMORY_LEARNT_ONLY_FROM.format(signal="?", other="?"), (signal_id, signal_id)
                ).rowcount,
                translation_jobs=sum(
                    tx.conn.execute(sql.format(signal="?"), (signal_id,)).rowcount
                    for sql in (JOBS_CANCELLED, JOBS_DROPPED)
                ),
            )
            tx.conn.execute(MEMORY_SOURCE_GONE.format(signal="?"), (signal_id,))
            tx.conn.execute(
                "UPDATE copies SET state = 'withdrawn', last_error = 'erased', "
                "claimed_by = NULL, claimed_until = NULL "
                "WHERE signal_id = ? AND state IN ('pending', 'restricted')",
                (signal_id,),
            )
            tx.conn.execute(
                "DELETE FROM deliveries WHERE state <> 'delivered' "
                "AND envelope_id IN (SELECT id FROM envelopes WHERE signal_id = ?)",
                (signal_id,),
            )
            tx.append(event(done))
            return done

        return await self.write(write)
