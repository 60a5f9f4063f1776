"""The operations listener's probe and snapshot in SQLite: one write of a row that is already
there, and a handful of counting reads in one read transaction."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from gateway.infra.audit import timestamp
from gateway.store.interface.operations import OperationsSnapshot, OperationsStore
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.times import moment, moment_or_none


class SqliteOperations(Database, OperationsStore):
    async def probe(self) -> None:
        def touch(tx: Transaction) -> None:
            tx.conn.execute("UPDATE meta SET value = value WHERE key = 'schema_version'")

        await self.write(touch)
        await self.read(
            lambda conn: conn.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        )

    async def operations_snapshot(self, now: datetime) -> OperationsSnapshot:
        return await self.read(lambda conn: _snapshot(conn, timestamp(now)))


def _snapshot(conn: sqlite3.Connection, now: str) -> OperationsSnapshot:
    conn.execute("BEGIN")
    try:
        pending, oldest = conn.execute(
            "SELECT count(*), min(created_at) FROM copies WHERE state = 'pending'"
        ).fetchone()
        review = conn.execute(
            "SELECT country, count(*), min(created_at) FROM review_items "
            "WHERE state = 'pending' GROUP BY country"
        ).fetchall()
        requests = conn.execute(
            "SELECT deadline_kind, count(*), sum(deadline < ?) FROM requests "
            "WHERE answered_at IS NULL GROUP BY deadline_kind",
            (now,),
        ).fetchall()
        deliveries = conn.execute(
            "SELECT state, count(*) FROM deliveries GROUP BY state"
        ).fetchall()
        audit = conn.execute("SELECT coalesce(max(seq), 0) FROM audit").fetchone()[0]
        checkpoint = conn.execute(
            "SELECT published_at FROM audit_checkpoints ORDER BY size DESC LIMIT 1"
        ).fetchone()
        cosigned = conn.execute("SELECT max(received_at) FROM audit_cosignatures").fetchone()[0]
        certificates = conn.execute(
            "SELECT c.partner_id, max(c.not_after) FROM certificates c "
            "JOIN partners p ON p.id = c.partner_id "
            "WHERE c.state = 'active' AND p.state = 'active' GROUP BY c.partner_id"
        ).fetchall()
        return OperationsSnapshot(
            pending_copies=pending,
            oldest_pending_copy=moment_or_none(oldest),
            review_waiting={desk: count for desk, count, _ in review},
            review_oldest={desk: moment(first) for desk, _, first in review if first},
            requests_open={kind: count for kind, count, _ in requests},
            requests_overdue={kind: overdue or 0 for kind, _, overdue in requests},
            deliveries=dict(deliveries),
            audit_entries=audit,
            latest_checkpoint_at=None if checkpoint is None else moment(checkpoint[0]),
            latest_cosignature_at=moment_or_none(cosigned),
            certificates_expire={
                partner: moment(not_after) for partner, not_after in certificates if not_after
            },
        )
    finally:
        conn.execute("COMMIT")
