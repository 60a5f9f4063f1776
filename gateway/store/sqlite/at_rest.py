"""The values sealed under the master key, read and replaced in batches, in SQLite.

A blob names its master key version in bytes 5 to 8 (:class:`~gateway.infra.vault.SealedBlob`),
so a batch still to re-wrap is found without opening anything. A signal's body is read whole
from its two rows, and re-wrapping it rewrites only its key's row
(:mod:`gateway.store.signal_keys`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from gateway.store.interface.at_rest import AtRestStore, SealedColumn, SealedValue
from gateway.store.sealed_columns import PLACES, kept, rest_of, version_bytes, whole
from gateway.store.sqlite.database import Database, Transaction


class SqliteAtRest(Database, AtRestStore):
    async def sealed_values(
        self, column: SealedColumn, *, after: str, limit: int, not_version: int
    ) -> list[SealedValue]:
        table, key, value = PLACES[column]
        rest, join = rest_of(column)

        def read(conn: sqlite3.Connection) -> list[SealedValue]:
            rows = conn.execute(
                f"SELECT v.{key}, v.{value}{rest} FROM {table} v{join} "
                f"WHERE v.{key} > ? AND length(v.{value}) > 0 AND substr(v.{value}, 5, 4) <> ? "
                f"ORDER BY v.{key} LIMIT ?",
                (after, version_bytes(not_version), limit),
            ).fetchall()
            return [SealedValue(column, row[0], whole(column, row)) for row in rows]

        return await self.read(read)

    async def replace_sealed(self, replaced: Sequence[tuple[SealedValue, bytes]]) -> int:
        def write(tx: Transaction) -> int:
            count = 0
            for old, new in replaced:
                table, key, value = PLACES[old.column]
                was, becomes = kept(old.column, old.sealed, new)
                count += tx.conn.execute(
                    f"UPDATE {table} SET {value} = ? WHERE {key} = ? AND {value} = ?",
                    (becomes, old.row_id, was),
                ).rowcount
            return count

        return await self.write(write)

    async def count_sealed(self, column: SealedColumn, *, not_version: int) -> int:
        table, _, value = PLACES[column]

        def read(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                f"SELECT count(*) FROM {table} "
                f"WHERE length({value}) > 0 AND substr({value}, 5, 4) <> ?",
                (version_bytes(not_version),),
            ).fetchone()
            return int(row[0])

        return await self.read(read)
