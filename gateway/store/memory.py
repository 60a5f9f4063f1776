"""The translation memory as kept: sealed segments, found by a keyed hash, never by their text.

The store only moves bytes: :mod:`gateway.translate.memory` computes the keys and seals and
opens the segments; here nothing but the language pair, the key, the blob, the officer and
the time is ever seen.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.store.database import Database, Transaction


@dataclass(frozen=True)
class MemoryRecord:
    """One row of ``translation_memory``."""

    source_key: str
    sealed: bytes
    officer_id: str | None
    created_at: str


class TranslationMemoryStore(Database):
    async def memory_records(
        self, source_language: str, target_language: str
    ) -> list[MemoryRecord]:
        """Every segment remembered from ``source_language`` into ``target_language``."""

        def read(conn: sqlite3.Connection) -> list[MemoryRecord]:
            rows = conn.execute(
                "SELECT source_key, sealed, officer_id, created_at FROM translation_memory "
                "WHERE source_language = ? AND target_language = ? ORDER BY created_at",
                (source_language, target_language),
            ).fetchall()
            return [MemoryRecord(row[0], bytes(row[1]), row[2], row[3]) for row in rows]

        return await self.read(read)

    async def memory_stamp(self, source_language: str, target_language: str) -> tuple[int, str]:
        """How many segments a pair holds and when the last changed: a cheap test for news."""

        def read(conn: sqlite3.Connection) -> tuple[int, str]:
            row = conn.execute(
                "SELECT COUNT(*), COALESCE(MAX(created_at), '') FROM translation_memory "
                "WHERE source_language = ? AND target_language = ?",
                (source_language, target_language),
            ).fetchone()
            return int(row[0]), str(row[1])

        return await self.read(read)

    async def memory_language_pairs(self) -> list[tuple[str, str]]:
        """The ``(source, target)`` pairs the memory holds anything for."""

        def read(conn: sqlite3.Connection) -> list[tuple[str, str]]:
            rows = conn.execute(
                "SELECT DISTINCT source_language, target_language FROM translation_memory"
            ).fetchall()
            return [(str(row[0]), str(row[1])) for row in rows]

        return await self.read(read)

    async def remember_translations(
        self,
        source_language: str,
        target_language: str,
        segments: Sequence[tuple[str, bytes]],
        *,
        officer_id: str,
    ) -> str:
        """Keep ``(source_key, sealed)`` segments, replacing any under the same key; the time."""

        def write(tx: Transaction) -> str:
            now = tx.now()
            tx.conn.executemany(
                "INSERT INTO translation_memory (source_language, target_language, source_key, "
                "sealed, officer_id, created_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (source_language, target_language, source_key) DO UPDATE SET "
                "sealed = excluded.sealed, officer_id = excluded.officer_id, "
                "created_at = excluded.created_at",
                [
                    (source_language, target_language, key, sealed, officer_id, now)
                    for key, sealed in segments
                ],
            )
            return now

        return await self.write(write)

    async def forget_translations(
        self, source_language: str, target_language: str, source_keys: Sequence[str]
    ) -> int:
        """Remove the segments under ``source_keys``; how many there were."""

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
