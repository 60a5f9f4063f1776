"""What became of signals' copies, in PostgreSQL (:mod:`gateway.store.tracking_rows`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gateway.store.interface.tracking import SentSignal, SignalTrack, TrackingStore
from gateway.store.postgres.database import Connection, Database
from gateway.store.tracking_rows import TRACK_COLUMNS, TRACK_JOINS, signal_tracks


class PostgresTracking(Database, TrackingStore):
    async def signal_tracks(self, signal_ids: Sequence[str]) -> list[SignalTrack]:
        async def read(conn: Connection) -> list[SignalTrack]:
            cursor = await conn.execute(
                f"SELECT {TRACK_COLUMNS} {TRACK_JOINS}"
                "WHERE d.signal_id = ANY(%s::text[]) ORDER BY d.signal_id, d.seq, c.version",
                (list(signal_ids),),
            )
            rows = await cursor.fetchall()
            return signal_tracks(rows, signal_ids, moment=_moment, listed=list)

        return await self.read(read)

    async def sent_signals(self, sender_id: str, *, before: int, limit: int) -> list[SentSignal]:
        async def read(conn: Connection) -> list[SentSignal]:
            cursor = await conn.execute(
                "SELECT id, sender_reference, received_at, audit_seq FROM signals "
                "WHERE sender_id = %(sender)s AND (%(before)s = 0 OR audit_seq < %(before)s) "
                "ORDER BY audit_seq DESC LIMIT %(limit)s",
                {"sender": sender_id, "before": before, "limit": limit},
            )
            return [
                SentSignal(row[0], row[1], row[2], int(row[3])) for row in await cursor.fetchall()
            ]

        return await self.read(read)


def _moment(value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"not a time: {value!r}")
    return value
