"""The data-subject index in PostgreSQL: keyed hashes beside the signals they were computed from."""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from gateway.store.interface.subjects import SubjectMatch, SubjectStore
from gateway.store.postgres.database import Connection, Database, Transaction

INDEX_SUBJECTS: Final = (
    "INSERT INTO subject_keys (key, signal_id) "
    "SELECT key, %s FROM unnest(%s::text[]) AS key ON CONFLICT DO NOTHING"
)
"""A signal's data-subject keys: its id and the keys, a list."""


async def index_subjects(tx: Transaction, signal_id: str, keys: Collection[str]) -> None:
    await tx.conn.execute(INDEX_SUBJECTS, (signal_id, sorted(keys)))


class PostgresSubjects(Database, SubjectStore):
    async def signals_with_keys(self, keys: Collection[str]) -> list[SubjectMatch]:
        wanted = sorted(set(keys))
        if not wanted:
            return []

        async def read(conn: Connection) -> list[SubjectMatch]:
            cursor = await conn.execute(
                "SELECT s.id, s.sender_id, s.received_at, s.category, "
                "array_agg(k.key ORDER BY k.key) "
                "FROM subject_keys k JOIN signals s ON s.id = k.signal_id "
                "WHERE k.key = ANY(%s::text[]) "
                "GROUP BY s.id ORDER BY s.received_at DESC, s.id",
                (wanted,),
            )
            return [
                SubjectMatch(signal_id, sender, received, category, frozenset(found))
                for signal_id, sender, received, category, found in await cursor.fetchall()
            ]

        return await self.read(read)
