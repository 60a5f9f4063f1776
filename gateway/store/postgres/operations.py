"""The operations listener's probe and snapshot in PostgreSQL: one write of a row that is
already there (no audit entry, so it takes no chain lock), and a handful of counting reads in
one read-only transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.store.interface.operations import OperationsSnapshot, OperationsStore
from gateway.store.postgres.database import Connection, Database, Transaction


class PostgresOperations(Database, OperationsStore):
    async def probe(self) -> None:
        async def touch(tx: Transaction) -> None:
            await tx.conn.execute("UPDATE meta SET value = value WHERE key = 'schema_version'")

        async def read(conn: Connection) -> None:
            await conn.execute("SELECT value FROM meta WHERE key = 'schema_version'")

        await self.write(touch, audited=False)
        await self.read(read)

    async def operations_snapshot(self, now: datetime) -> OperationsSnapshot:
        async def read(conn: Connection) -> OperationsSnapshot:
            return await _snapshot(conn, now)

        return await self.read(read)


async def _snapshot(conn: Connection, now: datetime) -> OperationsSnapshot:
    async def rows(sql: str, *params: object) -> list[tuple[Any, ...]]:
        cursor = await conn.execute(sql, params)
        return list(await cursor.fetchall())

    ((pending, oldest),) = await rows(
        "SELECT count(*), min(created_at) FROM copies WHERE state = 'pending'"
    )
    review = await rows(
        "SELECT country, count(*), min(created_at) FROM review_items "
        "WHERE state = 'pending' GROUP BY country"
    )
    requests = await rows(
        "SELECT deadline_kind, count(*), count(*) FILTER (WHERE deadline < %s) FROM requests "
        "WHERE answered_at IS NULL GROUP BY deadline_kind",
        now,
    )
    deliveries = await rows("SELECT state, count(*) FROM deliveries GROUP BY state")
    ((audit,),) = await rows("SELECT coalesce(max(seq), 0) FROM audit")
    checkpoint = await rows("SELECT published_at FROM audit_checkpoints ORDER BY size DESC LIMIT 1")
    ((cosigned,),) = await rows("SELECT max(received_at) FROM audit_cosignatures")
    certificates = await rows(
        "SELECT c.partner_id, max(c.not_after) FROM certificates c "
        "JOIN partners p ON p.id = c.partner_id "
        "WHERE c.state = 'active' AND p.state = 'active' GROUP BY c.partner_id"
    )
    return OperationsSnapshot(
        pending_copies=int(pending),
        oldest_pending_copy=oldest,
        review_waiting={str(desk): int(count) for desk, count, _ in review},
        review_oldest={str(desk): first for desk, _, first in review if first},
        requests_open={str(kind): int(count) for kind, count, _ in requests},
        requests_overdue={str(kind): int(late) for kind, _, late in requests},
        deliveries={str(state): int(count) for state, count in deliveries},
        audit_entries=int(audit),
        latest_checkpoint_at=checkpoint[0][0] if checkpoint else None,
        latest_cosignature_at=cosigned,
        certificates_expire={
            str(partner): not_after for partner, not_after in certificates if not_after
        },
    )
