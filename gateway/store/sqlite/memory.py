"""The translation memory as kept: sealed segments, found by a keyed hash, never by their text.

The store only moves bytes: :mod:`gateway.translate.memory` computes the keys and seals and
opens the segments; here nothing but the language pair, the key, the desk, the blob, the
officers and the times is ever seen. Each desk keeps its own entry for a sentence: a desk
writing it again replaces its own entry (and the entry needs confirming again), never another
desk's. Every change raises ``revision``, so that a process can tell whether another one (the
CLI, another instance) changed the memory since it last read it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import uuid6

from gateway.audit import AuditEvent
from gateway.store.sqlite.database import Database, Transaction

LEGACY_SEAL: Final = 1
DESK_SEAL: Final = 2
"""How a row is sealed: ``1`` before entries belonged to a desk, ``2`` bound to desk and
officers."""

_COLUMNS = (
    "id, source_language, target_language, source_key, desk, sealed, seal_version, officer_id, "
    "created_at, confirmed_by, confirmed_at"
)
_NEXT_REVISION = "(SELECT COALESCE(MAX(revision), 0) + 1 FROM translation_memory)"


@dataclass(frozen=True)
class MemoryRecord:
    """One row of ``translation_memory``."""

    id: str
    source_language: str
    target_language: str
    source_key: str
    desk: str
    sealed: bytes
    seal_version: int
    officer_id: str | None
    created_at: str
    confirmed_by: str | None = None
    confirmed_at: str | None = None


class TranslationMemoryStore(Database):
    async def memory_records(
        self, source_language: str, target_language: str
    ) -> list[MemoryRecord]:
        """Every entry from ``source_language`` into ``target_language``, oldest change first."""

        def read(conn: sqlite3.Connection) -> list[MemoryRecord]:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM translation_memory "
                "WHERE source_language = ? AND target_language = ? ORDER BY revision",
                (source_language, target_language),
            ).fetchall()
            return [_record(row) for row in rows]

        return await self.read(read)

    async def memory_records_of_desk(self, desk: str) -> list[MemoryRecord]:
        """Every entry the officers of ``desk`` wrote, newest change first."""

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

    async def memory_stamp(self, source_language: str, target_language: str) -> tuple[int, int]:
        """How many entries a pair holds and its latest revision: a cheap test for news."""

        def read(conn: sqlite3.Connection) -> tuple[int, int]:
            row = conn.execute(
                "SELECT COUNT(*), COALESCE(MAX(revision), 0) FROM translation_memory "
                "WHERE source_language = ? AND target_language = ?",
                (source_language, target_language),
            ).fetchone()
            return int(row[0]), int(row[1])

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
        desk: str,
        officer_id: str,
    ) -> str:
        """Keep ``(source_key, sealed)`` segments for ``desk``, replacing the desk's own entry
        under the same key (which then needs confirming again); the time."""

        def write(tx: Transaction) -> str:
            now = tx.now()
            for key, sealed in segments:
                tx.conn.execute(
                    "INSERT INTO translation_memory (id, source_language, target_language, "
                    "source_key, desk, sealed, seal_version, officer_id, created_at, revision) "
                    f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, {_NEXT_REVISION}) "
                    "ON CONFLICT (source_language, target_language, source_key, desk) DO UPDATE "
                    "SET sealed = excluded.sealed, seal_version = excluded.seal_version, "
                    "officer_id = excluded.officer_id, created_at = excluded.created_at, "
                    "confirmed_by = NULL, confirmed_at = NULL, revision = excluded.revision",
                    (
                        str(uuid6.uuid7()),
                        source_language,
                        target_language,
                        key,
                        desk,
                        sealed,
                        DESK_SEAL,
                        officer_id,
                        now,
                    ),
                )
            return now

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
        """Mark an entry confirmed by ``officer_id``, sealed anew as ``sealed``, with its audit
        entry; None (and nothing written) if the entry is gone or changed since it was read
        as ``expected``."""

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
        """Remove every desk's entries under ``source_keys``; how many there were."""

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

    def legacy_memory_records_sync(self) -> list[MemoryRecord]:
        """Entries sealed before they belonged to a desk, whose author's desk is known."""
        rows = self.read_sync(
            lambda conn: conn.execute(
                f"SELECT {_COLUMNS} FROM translation_memory "
                "WHERE seal_version = ? AND desk != '' ORDER BY revision",
                (LEGACY_SEAL,),
            ).fetchall()
        )
        return [_record(row) for row in rows]

    def reseal_memory_sync(self, resealed: Sequence[tuple[str, bytes, bytes]]) -> int:
        """Put ``(id, expected, sealed)`` in place, each only if still ``expected``; how many."""

        def write(tx: Transaction) -> int:
            changed = 0
            for entry_id, expected, sealed in resealed:
                changed += tx.conn.execute(
                    "UPDATE translation_memory SET sealed = ?, seal_version = ?, "
                    f"revision = {_NEXT_REVISION} WHERE id = ? AND sealed = ?",
                    (sealed, DESK_SEAL, entry_id, expected),
                ).rowcount
            return changed

        return self.write_sync(write)


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
