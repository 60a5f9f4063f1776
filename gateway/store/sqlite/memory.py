"""The translation memory in SQLite: sealed segments found by a keyed hash; every change
raises the ``revision`` that the pair's stamp reports."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import uuid6

from gateway.infra.audit import AuditEvent
from gateway.store.memory_sources_sql import LEARNT_FROM, UNSOURCED
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.times import moment, moment_or_none
from gateway.translate.memory_store import (
    DESK_SEAL,
    LEGACY_SEAL,
    MemoryRecord,
    MemoryStamp,
    Resealed,
    SealedSegment,
    TranslationMemoryStore,
)

_COLUMNS = (
    "id, source_language, target_language, source_key, desk, sealed, seal_version, officer_id, "
    "created_at, confirmed_by, confirmed_at"
)
_NEXT_REVISION = "(SELECT COALESCE(MAX(revision), 0) + 1 FROM translation_memory)"


class SqliteMemory(Database, TranslationMemoryStore):
    async def memory_records(
        self, source_language: str, target_language: str
    ) -> list[MemoryRecord]:
        def read(conn: sqlite3.Connection) -> list[MemoryRecord]:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM translation_memory "
                "WHERE source_language = ? AND target_language = ? ORDER BY revision",
                (source_language, target_language),
            ).fetchall()
            return [_record(row) for row in rows]

        return await self.read(read)

    async def memory_records_of_desk(self, desk: str) -> list[MemoryRecord]:
        def read(conn: sqlite3.Connection) -> list[MemoryRecord]:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM translation_memory WHERE desk = ? ORDER BY revision DESC",
                (desk,),
            ).fetchall()
            return [_record(row) for row in rows]

        return await self.read(read)

    async def memory_record(self, entry_id: str) -> MemoryRecord | None:
        def read(conn: sqlite3.Connection) -> MemoryRecord | None:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM translation_memory WHERE id = ?", (entry_id,)
            ).fetchone()
            return None if row is None else _record(row)

        return await self.read(read)

    async def memory_stamp(self, source_language: str, target_language: str) -> MemoryStamp:
        def read(conn: sqlite3.Connection) -> MemoryStamp:
            row = conn.execute(
                "SELECT COUNT(*), COALESCE(MAX(revision), 0) FROM translation_memory "
                "WHERE source_language = ? AND target_language = ?",
                (source_language, target_language),
            ).fetchone()
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
        def write(tx: Transaction) -> datetime:
            now = tx.now()
            for segment in segments:
                (entry_id,) = tx.conn.execute(
                    "INSERT INTO translation_memory (id, source_language, target_language, "
                    "source_key, desk, sealed, seal_version, officer_id, created_at, revision) "
                    f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, {_NEXT_REVISION}) "
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
                ).fetchone()
                tx.conn.execute(LEARNT_FROM.format(entry="?", signal="?"), (entry_id, signal_id))
            return moment(now)

        return await self.write(write)

    async def confirm_translation(
        self,
        entry_id: str,
        *,
        expected: bytes,
        sealed: bytes,
        officer_id: str,
        event: AuditEvent,
    ) -> MemoryRecord | None:
        def write(tx: Transaction) -> MemoryRecord | None:
            changed = tx.conn.execute(
                "UPDATE translation_memory SET sealed = ?, seal_version = ?, confirmed_by = ?, "
                f"confirmed_at = ?, revision = {_NEXT_REVISION} "
                "WHERE id = ? AND sealed = ? AND confirmed_by IS NULL",
                (sealed, DESK_SEAL, officer_id, tx.now(), entry_id, expected),
            ).rowcount
            if changed != 1:
                return None
            tx.append(event)
            row = tx.conn.execute(
                f"SELECT {_COLUMNS} FROM translation_memory WHERE id = ?", (entry_id,)
            ).fetchone()
            return _record(row)

        return await self.write(write)

    async def forget_translations(
        self, source_language: str, target_language: str, source_keys: Sequence[str]
    ) -> int:
        def write(tx: Transaction) -> int:
            removed = 0
            for key in source_keys:
                cursor = tx.conn.execute(
                    "DELETE FROM translation_memory "
                    "WHERE source_language = ? AND target_language = ? AND source_key = ?",
                    (source_language, target_language, key),
                )
                removed += cursor.rowcount
            return removed

        return await self.write(write)

    async def unsourced_memory_entries(self) -> int:
        def read(conn: sqlite3.Connection) -> int:
            return int(conn.execute(UNSOURCED).fetchone()[0])

        return await self.read(read)

    async def legacy_memory_records(self) -> list[MemoryRecord]:
        def read(conn: sqlite3.Connection) -> list[MemoryRecord]:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM translation_memory "
                "WHERE seal_version = ? AND desk != '' ORDER BY revision",
                (LEGACY_SEAL,),
            ).fetchall()
            return [_record(row) for row in rows]

        return await self.read(read)

    async def reseal_memory(self, resealed: Sequence[Resealed]) -> int:
        def write(tx: Transaction) -> int:
            changed = 0
            for entry in resealed:
                changed += tx.conn.execute(
                    "UPDATE translation_memory SET sealed = ?, seal_version = ?, "
                    f"revision = {_NEXT_REVISION} WHERE id = ? AND sealed = ?",
                    (entry.sealed, DESK_SEAL, entry.entry_id, entry.expected),
                ).rowcount
            return changed

        return await self.write(write)


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
        created_at=moment(row[8]),
        confirmed_by=row[9],
        confirmed_at=moment_or_none(row[10]),
    )
