"""The values sealed under the master key, read and replaced in batches, in PostgreSQL.

A blob names its master key version in bytes 5 to 8 (:class:`~gateway.infra.vault.SealedBlob`),
so a batch still to re-wrap is found without opening anything. A signal's body is read whole
from its two rows, and re-wrapping it rewrites only its key's row
(:mod:`gateway.store.signal_keys`). Ids are compared byte by byte
(``COLLATE "C"``), as SQLite compares them, so that a batch resumes where the last one ended."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.store.interface.at_rest import AtRestStore, SealedColumn, SealedValue
from gateway.store.postgres.database import Connection, Database, Transaction
from gateway.store.sealed_columns import PLACES, kept, rest_of, version_bytes, whole


class PostgresAtRest(Database, AtRestStore):
    async def sealed_values(
        self, column: SealedColumn, *, after: str, limit: int, not_version: int
    ) -> list[SealedValue]:
        table, key, value = PLACES[column]
        rest, join = rest_of(column)

        async def read(conn: Connection) -> list[SealedValue]:
            cursor = await conn.execute(
                f"SELECT v.{key}, v.{value}{rest} FROM {table} v{join} "
                f'WHERE v.{key} > %s COLLATE "C" AND octet_length(v.{value}) > 0 '
                f"AND substring(v.{value} from 5 for 4) <> %s "
                f'ORDER BY v.{key} COLLATE "C" LIMIT %s',
                (after, version_bytes(not_version), limit),
            )
            rows = await cursor.fetchall()
            return [SealedValue(column, row[0], whole(column, row)) for row in rows]

        return await self.read(read)

    async def replace_sealed(self, replaced: Sequence[tuple[SealedValue, bytes]]) -> int:
        async def write(tx: Transaction) -> int:
            count = 0
            for old, new in replaced:
                table, key, value = PLACES[old.column]
                was, becomes = kept(old.column, old.sealed, new)
                cursor = await tx.conn.execute(
                    f"UPDATE {table} SET {value} = %s WHERE {key} = %s AND {value} = %s",
                    (becomes, old.row_id, was),
                )
                count += cursor.rowcount
            return count

        return await self.write(write, audited=False)

    async def count_sealed(self, column: SealedColumn, *, not_version: int) -> int:
        table, _, value = PLACES[column]

        async def read(conn: Connection) -> int:
            cursor = await conn.execute(
                f"SELECT count(*) FROM {table} "
                f"WHERE octet_length({value}) > 0 AND substring({value} from 5 for 4) <> %s",
                (version_bytes(not_version),),
            )
            row = await cursor.fetchone()
            return int(row[0]) if row else 0

        return await self.read(read)
