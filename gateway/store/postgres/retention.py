"""Retention in PostgreSQL: the signals that still hold content, and erasing one's content.

Erasing a signal deletes its data key's row (:mod:`gateway.store.signal_keys`) and empties its
body, in one transaction that also marks a purge as owed (``meta``, key
:data:`~gateway.store.postgres.database.PURGE_OWED`). A deleted or overwritten row lingers as
a dead version in the table's data files until the table is rewritten:
:meth:`Database.purge_old_versions`, which a retention run calls when it has erased anything
or a purge is still owed, rewrites ``signal_keys`` (small: about 0.2 s at 100,000 keys,
``bench/purge.py``) into a new file and clears the mark once every table it rewrites is done.
Then no version of an erased key is left in the table's live data files; the signals table,
whose old versions hold only ciphertext that no key opens any more, is not rewritten.

What is not purged, precisely: the write-ahead log recorded each key row when it was written
(and any full-page image of its page), so the segments still in ``pg_wal`` until they are
recycled, those archived (``archive_command``, with the base backups they go with), a streaming
replica's own ``pg_wal`` and whatever a backup copied (``euregate backup``, ``pg_dump``) keep
the wrapped key until they are recycled, expire or are destroyed. The rewritten table's old
file is truncated and removed, not overwritten: its blocks belong to the file system until it
reuses them. Everywhere there, the key is still wrapped under the master key: reading a
signal from them takes the master key too.
"""

from __future__ import annotations

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
from gateway.store.postgres.database import (
    PURGE_OWED,
    Connection,
    Database,
    Transaction,
    owe_purge,
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


class PostgresRetention(Database, RetentionStore):
    async def claim_retention_day(self, day: date) -> bool:
        async def write(tx: Transaction) -> bool:
            claimed = await tx.conn.execute(CLAIM_DAY.format(day="%s"), (day.isoformat(),))
            return claimed.rowcount == 1

        return await self.write(write)

    async def count_kept(self) -> int:
        async def read(conn: Connection) -> int:
            cursor = await conn.execute(f"SELECT count(*) FROM signals s WHERE {KEPT}")
            row = await cursor.fetchone()
            return 0 if row is None else int(row[0])

        return await self.read(read)

    async def kept_signals(self, *, after: str, limit: int) -> list[KeptSignal]:
        async def read(conn: Connection) -> list[KeptSignal]:
            cursor = await conn.execute(
                "SELECT s.id, coalesce(s.category, ''), coalesce(s.purpose, ''), "
                "coalesce(s.handling_code, ''), s.received_at, "
                "(SELECT max(e.created_at) FROM envelopes e WHERE e.signal_id = s.id) "
                f"FROM signals s WHERE s.id > %s AND {KEPT} ORDER BY s.id LIMIT %s",
                (after, limit),
            )
            return [KeptSignal(*row) for row in await cursor.fetchall()]

        return await self.read(read)

    async def settled_envelopes(self, *, after: int, limit: int) -> list[SettledEnvelope]:
        async def read(conn: Connection) -> list[SettledEnvelope]:
            cursor = await conn.execute(SETTLED.format(after="%s", limit="%s"), (after, limit))
            return [SettledEnvelope(*row) for row in await cursor.fetchall()]

        return await self.read(read)

    async def erase_envelopes(self, envelope_ids: Sequence[str], event: AuditEvent) -> int:
        async def write(tx: Transaction) -> int:
            cursor = await tx.conn.execute(
                "UPDATE envelopes SET envelope = ''::bytea, erased_at = %s "
                "WHERE id = ANY(%s::text[]) AND acked_at IS NOT NULL AND erased_at IS NULL",
                (tx.now(), list(envelope_ids)),
            )
            if cursor.rowcount:
                await tx.append(event)
            return cursor.rowcount

        return await self.write(write)

    async def place_hold(self, hold: LegalHold, event: AuditEvent) -> bool:
        async def write(tx: Transaction) -> bool:
            placed = await tx.conn.execute(
                "INSERT INTO legal_holds (signal_id, reason, review_on, placed_by, placed_at) "
                "SELECT id, %s, %s, %s, %s FROM signals WHERE id = %s AND erased_at IS NULL "
                "ON CONFLICT (signal_id) DO NOTHING",
                (hold.reason, hold.review_on, hold.placed_by, hold.placed_at, hold.signal_id),
            )
            if placed.rowcount:
                await tx.append(event)
            return bool(placed.rowcount)

        return await self.write(write)

    async def lift_hold(self, signal_id: str, event: AuditEvent) -> bool:
        async def write(tx: Transaction) -> bool:
            lifted = await tx.conn.execute(
                "DELETE FROM legal_holds WHERE signal_id = %s", (signal_id,)
            )
            if lifted.rowcount:
                await tx.append(event)
            return bool(lifted.rowcount)

        return await self.write(write)

    async def legal_holds(self, *, limit: int) -> list[LegalHold]:
        async def read(conn: Connection) -> list[LegalHold]:
            cursor = await conn.execute(
                "SELECT signal_id, reason, review_on, placed_by, placed_at FROM legal_holds "
                "ORDER BY review_on, signal_id LIMIT %s",
                (limit,),
            )
            return [LegalHold(*row) for row in await cursor.fetchall()]

        return await self.read(read)

    async def signal_retention(self, signal_id: str) -> SignalRetention | None:
        async def read(conn: Connection) -> SignalRetention | None:
            cursor = await conn.execute(SIGNAL_RETENTION.format(id="%s"), (signal_id,))
            row = await cursor.fetchone()
            if row is None:
                return None
            hold = None if row[8] is None else LegalHold(row[0], *row[8:12])
            return SignalRetention(KeptSignal(*row[:6]), row[6], row[7], hold)

        return await self.read(read)

    async def erased_by_month(self, *, since: datetime, until: datetime) -> list[ErasedInMonth]:
        async def read(conn: Connection) -> list[ErasedInMonth]:
            cursor = await conn.execute(
                ERASED_BY_MONTH.format(since="%s", until="%s"),
                (timestamp(since), timestamp(until)),
            )
            return [ErasedInMonth(row[0], int(row[1])) for row in await cursor.fetchall()]

        return await self.read(read)

    async def first_erasure_after(self, at: datetime) -> datetime | None:
        async def read(conn: Connection) -> datetime | None:
            cursor = await conn.execute(
                "SELECT min(erased_at) FROM signals WHERE erased_at > %s AND received_at <= %s",
                (at, at),
            )
            row = await cursor.fetchone()
            return None if row is None else row[0]

        return await self.read(read)

    async def purge_owed(self) -> bool:
        async def read(conn: Connection) -> bool:
            cursor = await conn.execute("SELECT 1 FROM meta WHERE key = %s", (PURGE_OWED,))
            return await cursor.fetchone() is not None

        return await self.read(read)

    async def erase_signal(
        self, signal_id: str, *, rule: str, event: Callable[[Erased], AuditEvent]
    ) -> Erased | None:
        async def write(tx: Transaction) -> Erased | None:
            now = tx.now()
            erased = await tx.conn.execute(
                "UPDATE signals SET sealed_body = ''::bytea, erased_at = %s, erased_rule = %s "
                "WHERE id = %s AND erased_at IS NULL AND " + NOT_HELD.format(s="signals"),
                (now, rule, signal_id),
            )
            if not erased.rowcount:
                return None
            await tx.conn.execute(DESTROY_KEY.format(id="%s"), (signal_id,))
            await owe_purge(tx.conn)
            envelopes = await tx.conn.execute(
                "UPDATE envelopes SET envelope = ''::bytea, erased_at = %s "
                "WHERE signal_id = %s AND erased_at IS NULL",
                (now, signal_id),
            )
            review_items = await tx.conn.execute(
                "UPDATE review_items SET correction = NULL, rejection_sealed = NULL, "
                "rejection_reason = NULL, "
                "state = CASE state WHEN 'pending' THEN 'erased' ELSE state END "
                "WHERE signal_id = %s",
                (signal_id,),
            )
            subject_keys = await tx.conn.execute(
                "DELETE FROM subject_keys WHERE signal_id = %s", (signal_id,)
            )
            memory_segments = await tx.conn.execute(
                MEMORY_LEARNT_ONLY_FROM.format(signal="%s", other="%s"), (signal_id, signal_id)
            )
            await tx.conn.execute(MEMORY_SOURCE_GONE.format(signal="%s"), (signal_id,))
            translation_jobs = 0
            for sql in (JOBS_CANCELLED, JOBS_DROPPED):
                jobs = await tx.conn.execute(sql.format(signal="%s"), (signal_id,))
                translation_jobs += jobs.rowcount
            await tx.conn.execute(
                "UPDATE copies SET state = 'withdrawn', last_error = 'erased', "
                "claimed_by = NULL, claimed_until = NULL "
                "WHERE signal_id = %s AND state IN ('pending', 'restricted')",
                (signal_id,),
            )
            await tx.conn.execute(
                "DELETE FROM deliveries WHERE state <> 'delivered' "
                "AND envelope_id IN (SELECT id FROM envelopes WHERE signal_id = %s)",
                (signal_id,),
            )
            done = Erased(
                signal_id,
                envelopes=envelopes.rowcount,
                review_items=review_items.rowcount,
                subject_keys=subject_keys.rowcount,
                memory_segments=memory_segments.rowcount,
                translation_jobs=translation_jobs,
            )
            await tx.append(event(done))
            return done

        return await self.write(write)
