"""The translation memory in PostgreSQL: sealed segments found by a keyed hash; every change
raises the ``revision`` that the pair's stamp reports.

A revision is one more than the highest kept, and two instances computing it at once would
both take the same number: a stamp read between their commits would then miss the second
change. So every write that numbers a change first takes :data:`MEMORY_LOCK` (an auditing one
after the chain's lock, which every auditing write takes first): changes are numbered one at a
time, in the order they commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

import uuid6

from gateway.infra.audit import AuditEvent
from gateway.store.memory_sources_sql import LEARNT_FROM, UNSOURCED
from gateway.store.postgres.database import Connection, Database, Transaction
from gateway.store.postgres.locks import advisory_key, lock_for_transaction
from gateway.translate.memory_store import (
    DESK_SEAL,
    LEGACY_SEAL,
    MemoryRecord,
    MemoryStamp,
    Resealed,
    SealedSegment,
    TranslationMemoryStore,
)

MEMORY_LOCK: Final = advisory_key("euregate translation memory revision")
"""Held by a write from the moment it numbers a change of the memory until it commits."""

_COLUMNS = (
    "id, source_language, target_language, source_key, desk, sealed, seal_version, officer_id, "
    "created_at, confirmed_by, confirmed_at"
)
_NEXT_REVISION = "(SELECT COALESCE(MAX(revision), 0) + 1 FROM translation_memory)"


class PostgresMemory(Database, TranslationMemoryStore):
    async def memory_records(
        self, source_language: str, target_language: str
    ) -> list[MemoryRecord]:
        return await self.read(
            lambda conn: _records(
                conn,
                "WHERE source_language = %s AND target_language = %s ORDER BY revision",
                (source_language, target_language),
            )
        )

    async def memory_records_of_desk(self, desk: str) -> list[MemoryRecord]:
        return await self.read(
            lambda conn: _records(conn, "WHERE desk = %s ORDER BY revision DESC", (desk,))
        )

    async def memory_record(self, entry_id: str) -> MemoryRecord | None:
        found = await self.read(lambda conn: _records(conn, "WHERE id = %s", (entry_id,)))
        return found[0] if found else None

    async def memory_stamp(self, source_language: str, target_language: str) -> MemoryStamp:
        async def read(conn: Connection) -> MemoryStamp:
            cursor = await conn.execute(
                "SELECT COUNT(*), COALESCE(MAX(revision), 0) FROM translation_memory "
                "WHERE source_language = %s AND target_language = %s",
                (source_language, target_language),
            )
            row = await cursor.fetchone()
            assert row is not None
            return MemoryStamp(entries=int(row[0]), revision=int(row[1]))

        return await self.read(read)

    async def remember_translations(
        self,
        source_language: str,
        target_language: str,
        segments: Sequence[SealedSegment],
        *,
        desk: str,
        officer_id: str,
        signal_id: str,
    ) -> datetime:
        async def write(tx: Transaction) -> datetime:
            await lock_for_transaction(tx.conn, MEMORY_LOCK)
            now = tx.now()
            for segment in segments:
                cursor = await tx.conn.execute(
                    "INSERT INTO translation_memory (id, source_language, target_language, "
                    "source_key, desk, sealed, seal_version, officer_id, created_at, revision) "
                    f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, {_NEXT_REVISION}) "
                    "ON CONFLICT (source_language, target_language, source_key, desk) DO UPDATE "
                    "SET sealed = excluded.sealed, seal_version = excluded.seal_version, "
                    "officer_id = excluded.officer_id, created_at = excluded.created_at, "
                    "confirmed_by = NULL, confirmed_at = NULL, revision = excluded.revision "
                    "RETURNING id",
                    (
                        str(uuid6.uuid7()),
                        source_language,
                        target_language,
                        segment.source_key,
                        desk,
                        segment.sealed,
                        DESK_SEAL,
                        officer_id,
                        now,
                    ),
                )
                row = await cursor.fetchone()
                assert row is not None
                await tx.conn.execute(
                    LEARNT_FROM.format(entry="%s", signal="%s"), (row[0], signal_id)
                )
            return now

        return await self.write(write, audited=False)

    async def confirm_translation(
        self,
        entry_id: str,
        *,
        expected: bytes,
        sealed: bytes,
        officer_id: str,
        event: AuditEvent,
    ) -> MemoryRecord | None:
        async def write(tx: Transaction) -> MemoryRecord | None:
            await lock_for_transaction(tx.conn, MEMORY_LOCK)
            cursor = await tx.conn.execute(
                "UPDATE translation_memory SET sealed = %s, seal_version = %s, "
                f"confirmed_by = %s, confirmed_at = %s, revision = {_NEXT_REVISION} "
                f"WHERE id = %s AND sealed = %s AND confirmed_by IS NULL RETURNING {_COLUMNS}",
                (sealed, DESK_SEAL, officer_id, tx.now(), entry_id, expected),
            )
            row = await cursor.fetchone()
            if row is None:
                return None
            await tx.append(event)
            return _record(row)

        return await self.write(write)

    async def forget_translations(
        self, source_language: str, target_language: str, source_keys: Sequence[str]
    ) -> int:
        async def write(tx: Transaction) -> int:
            cursor = await tx.conn.execute(
                "DELETE FROM translation_memory WHERE source_language = %s "
                "AND target_language = %s AND source_key = ANY(%s)",
                (source_language, target_language, list(source_keys)),
            )
            return cursor.rowcount

        return await self.write(write, audited=False)

    async def unsourced_memory_entries(self) -> int:
        async def read(conn: Connection) -> int:
            cursor = await conn.execute(UNSOURCED)
            row = await cursor.fetchone()
            return 0 if row is None else int(row[0])

        return await self.read(read)

    async def legacy_memory_records(self) -> list[MemoryRecord]:
        return await self.read(
            lambda conn: _records(
                conn, "WHERE seal_version = %s AND desk != '' ORDER BY revision", (LEGACY_SEAL,)
            )
        )

    async def reseal_memory(self, resealed: Sequence[Resealed]) -> int:
        async def write(tx: Transaction) -> int:
            await lock_for_transaction(tx.conn, MEMORY_LOCK)
            changed = 0
            for entry in resealed:
                cursor = await tx.conn.execute(
                    "UPDATE translation_memory SET sealed = %s, seal_version = %s, "
                    f"revision = {_NEXT_REVISION} WHERE id = %s AND sealed = %s",
                    (entry.sealed, DESK_SEAL, entry.entry_id, entry.expected),
                )
                changed += cursor.rowcount
            return changed

        return await self.write(write, audited=False)


async def _records(
    conn: Connection, where_and_order: str, params: Sequence[object]
) -> list[MemoryRecord]:
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM translation_memory {where_and_order}", params
    )
    return [_record(row) for row in await cursor.fetchall()]


def _record(row: tuple[Any, ...]) -> MemoryRecord:
    return MemoryRecord(
        id=row[0],
        source_language=row[1],
        target_language=row[2],
        source_key=row[3],
        desk=row[4],
        sealed=bytes(row[5]),
        seal_version=int(row[6]),
        officer_id=row[7],
        created_at=row[8],
        confirmed_by=row[9],
        confirmed_at=row[10],
    )
