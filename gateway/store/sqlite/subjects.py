"""The data-subject index in SQLite: keyed hashes beside the signals they were computed from."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from gateway.store.interface.subjects import SubjectMatch, SubjectStore
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.times import moment


def index_subjects(tx: Transaction, signal_id: str, keys: Collection[str]) -> None:
    tx.conn.executemany(
        "INSERT OR IGNORE INTO subject_keys (key, signal_id) VALUES (?, ?)",
        [(key, signal_id) for key in sorted(keys)],
    )


class SqliteSubjects(Database, SubjectStore):
    async def signals_with_keys(self, keys: Collection[str]) -> list[SubjectMatch]:
        wanted = sorted(set(keys))
        if not wanted:
            return []

        def read(conn: sqlite3.Connection) -> list[SubjectMatch]:
            rows = conn.execute(
                "SELECT s.id, s.sender_id, s.received_at, s.category, k.key "
                "FROM subject_keys k JOIN signals s ON s.id = k.signal_id "
                f"WHERE k.key IN ({', '.join('?' * len(wanted))}) "
                "ORDER BY s.received_at DESC, s.id",
                wanted,
            ).fetchall()
            found: dict[str, SubjectMatch] = {}
            for signal_id, sender, received, category, key in rows:
                known = found.get(signal_id)
                keys_found = frozenset({key}) | (known.keys if known else frozenset())
                found[signal_id] = SubjectMatch(
                    signal_id, sender, moment(received), category, keys_found
                )
            return list(found.values())

        return await self.read(read)
