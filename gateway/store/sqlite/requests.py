"""Requests for information in SQLite. Rows are written at intake
(:func:`gateway.store.sqlite.signals._track_request`); this module only reads them, with what a
partner received decided by :func:`~gateway.store.receipt.received`."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from gateway.infra.audit import timestamp
from gateway.store.interface.requests import RequestState, RequestStore, TrackedRequest
from gateway.store.receipt import received
from gateway.store.sqlite.database import Database
from gateway.store.sqlite.times import moment, moment_or_none


class SqliteRequests(Database, RequestStore):
    async def requests(
        self, state: RequestState, *, now: datetime, viewer: str | None = None
    ) -> list[TrackedRequest]:
        return await self.read(lambda conn: _select(conn, state, timestamp(now), viewer))

    async def request_kind(self, signal_id: str) -> str | None:

        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT deadline_kind FROM requests WHERE signal_id = ?", (signal_id,)
            ).fetchone()
            return None if row is None else str(row[0])

        return await self.read(read)


_STATE_WHERE = {
    RequestState.OPEN: "r.answered_at IS NULL",
    RequestState.OVERDUE: "r.answered_at IS NULL AND r.deadline < :now",
    RequestState.ANSWERED: "r.answered_at IS NOT NULL",
}

_VISIBLE_TO_VIEWER = f"(r.sender_id = :viewer OR {received('r.signal_id', ':viewer')})"


def _select(
    conn: sqlite3.Connection, state: RequestState, now: str, viewer: str | None
) -> list[TrackedRequest]:
    where = [_STATE_WHERE[state]]
    if viewer is not None:
        where.append(_VISIBLE_TO_VIEWER)
    rows = conn.execute(
        "SELECT r.signal_id, r.sender_id, r.recipients, r.deadline_kind, r.received_at, "
        "r.deadline, r.answered_by, reply.sender_id, r.answered_at "
        "FROM requests r LEFT JOIN signals reply ON reply.id = r.answered_by "
        f"WHERE {' AND '.join(where)} ORDER BY r.deadline, r.signal_id",
        {"now": now, "viewer": viewer},
    ).fetchall()
    return [_request(conn, row, viewer) for row in rows]


def _request(conn: sqlite3.Connection, row: tuple[Any, ...], viewer: str | None) -> TrackedRequest:
    recipients: tuple[str, ...] = tuple(json.loads(row[2]))
    if viewer is not None and viewer != row[1]:
        delivered = {
            r[0]
            for r in conn.execute(
                "SELECT d.recipient_id FROM decisions d WHERE d.signal_id = :signal "
                f"AND {received(':signal', 'd.recipient_id')}",
                {"signal": row[0]},
            )
        }
        recipients = tuple(r for r in recipients if r in delivered)
    return TrackedRequest(
        signal_id=row[0],
        sender_id=row[1],
        recipients=recipients,
        deadline_kind=row[3],
        received_at=moment(row[4]),
        deadline=moment(row[5]),
        answered_by=row[6],
        replied_by=row[7],
        answered_at=moment_or_none(row[8]),
    )
