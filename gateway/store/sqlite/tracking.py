"""What became of signals' copies, in SQLite (:mod:`gateway.store.tracking_rows`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from gateway.store.interface.tracking import SentSignal, SignalTrack, TrackingStore
from gateway.store.sqlite.database import Database
from gateway.store.sqlite.times import moment
from gateway.store.tracking_rows import TRACK_COLUMNS, TRACK_JOINS, signal_tracks


class SqliteTracking(Database, TrackingStore):
    async def signal_tracks(self, signal_ids: Sequence[str]) -> list[SignalTrack]:
        def read(conn: sqlite3.Connection) -> list[SignalTrack]:
            rows = conn.execute(
                f"SELECT {TRACK_COLUMNS} {TRACK_JOINS}"
                "WHERE d.signal_id IN (SELECT value FROM json_each(?)) "
                "ORDER BY d.signal_id, d.rowid, c.version",
                (json.dumps(list(signal_ids)),),
            ).fetchall()
            return signal_tracks(rows, signal_ids, moment=moment, listed=json.loads)

        return await self.read(read)

    async def sent_signals(self, sender_id: str, *, before: int, limit: int) -> list[SentSignal]:
        def read(conn: sqlite3.Connection) -> list[SentSignal]:
            rows = conn.execute(
                "SELECT id, sender_reference, received_at, audit_seq FROM signals "
                "WHERE sender_id = :sender AND (:before = 0 OR audit_seq < :before) "
                "ORDER BY audit_seq DESC LIMIT :limit",
                {"sender": sender_id, "before": before, "limit": limit},
            ).fetchall()
            return [SentSignal(row[0], row[1], moment(row[2]), int(row[3])) for row in rows]

        return await self.read(read)
