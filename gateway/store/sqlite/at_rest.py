"""The values sealed under the master key, read and replaced in batches, in SQLite.

A blob names its master key version in bytes 5 to 8 (:class:`~gateway.infra.vault.SealedBlob`),
so a batch still to re-wrap is found without opening anything."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Final

from gateway.store.interface.at_rest import AtRestStore, SealedColumn, SealedValue
from gateway.store.sqlite.database import Database, Transaction

_PLACES: Final[dict[SealedColumn, tuple[str, str, str]]] = {
    SealedColumn.SIGNAL_BODY: ("signals", "id", "sealed_body"),
    SealedColumn.RELEASED_TEXT: ("review_items", "id", "correction"),
    SealedColumn.REJECTION_REASON: ("review_items", "id", "rejection_sealed"),
    SealedColumn.STAFF_TOTP: ("staff", "id", "totp_sealed"),
    SealedColumn.MEMORY_ENTRY: ("translation_memory", "id", "sealed"),
}
"""Each column: its table, the id of its rows, the column itself (names fixed here, never given)."""


def _version(number: int) -> bytes:
    return number.to_bytes(4, "big")


class SqliteAtRest(Database, AtRestStore):
    async def sealed_values(
        self, column: SealedColumn, *, after: str, limit: int, not_version: int
    ) -> list[SealedValue]:
        table, key, value = _PLACES[column]

        def read(conn: sqlite3.Connection) -> list[SealedValue]:
            rows = conn.execute(
                f"SELECT {key}, {value} FROM {table} "
                f"WHERE {key} > ? AND {value} IS NOT NULL AND substr({value}, 5, 4) <> ? "
                f"ORDER BY {key} LIMIT ?",
                (after, _version(not_version), limit),
            ).fetchall()
            return [SealedValue(column, row[0], bytes(row[1])) for row in rows]

        return await self.read(read)

    async def replace_sealed(self, replaced: Sequence[tuple[SealedValue, bytes]]) -> int:
        def write(tx: Transaction) -> int:
            count = 0
            for old, new in replaced:
                table, key, value = _PLACES[old.column]
                count += tx.conn.execute(
                    f"UPDATE {table} SET {value} = ? WHERE {key} = ? AND {value} = ?",
                    (new, old.row_id, old.sealed),
                ).rowcount
            return count

        return await self.write(write)

    async def count_sealed(self, column: SealedColumn, *, not_version: int) -> int:
        table, _, value = _PLACES[column]

        def read(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                f"SELECT count(*) FROM {table} "
                f"WHERE {value} IS NOT NULL AND substr({value}, 5, 4) <> ?",
                (_version(not_version),),
            ).fetchone()
            return int(row[0])

        return await self.read(read)
