"""Requests for information in PostgreSQL. Rows are written at intake
(:func:`gateway.store.postgres.signals.track_request`); this module only reads them, with what a
partner received decided by :func:`~gateway.store.receipt.received`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from gateway.store.interface.requests import RequestState, RequestStore, TrackedRequest
from gateway.store.postgres.database import Connection, Database
from gateway.store.receipt import received


class PostgresRequests(Database, RequestStore):
    async def requests(
        self, state: RequestState, *, now: datetime, viewer: str | None = None
    ) -> list[TrackedRequest]:
        return await self.read(lambda conn: _select(conn, state, now, viewer))

    async def request_kind(self, signal_id: str) -> str | None:
        async def read(conn: Connection) -> str | None:
            cursor = await conn.execute(
                "SELECT deadline_kind FROM requests WHERE signal_id = %s", (signal_id,)
            )
            row = await cursor.fetchone()
            return None if row is None else str(row[0])

        return await self.read(read)


_STATE_WHERE: Final = {
    RequestState.OPEN: "r.answered_at IS NULL",
    RequestState.OVERDUE: "r.answered_at IS NULL AND r.deadline < %(now)s",
    RequestState.ANSWERED: "r.answered_at IS NOT NULL",
}

_VISIBLE_TO_VIEWER: Final = f"(r.sender_id = %(viewer)s OR {received('r.signal_id', '%(viewer)s')})"


async def _select(
    conn: Connection, state: RequestState, now: datetime, viewer: str | None
) -> list[TrackedRequest]:
    where = [_STATE_WHERE[state]]
    if viewer is not None:
        where.append(_VISIBLE_TO_VIEWER)
    cursor = await conn.execute(
        "SELECT r.signal_id, r.sender_id, r.recipients, r.deadline_kind, r.received_at, "
        "r.deadline, r.answered_by, reply.sender_id, r.answered_at "
        "FROM requests r LEFT JOIN signals reply ON reply.id = r.answered_by "
        f"WHERE {' AND '.join(where)} ORDER BY r.deadline, r.signal_id",
        {"now": now, "viewer": viewer},
    )
    return [await _request(conn, row, viewer) for row in await cursor.fetchall()]


async def _request(conn: Connection, row: tuple[Any, ...], viewer: str | None) -> TrackedRequest:
    recipients: tuple[str, ...] = tuple(row[2])
    if viewer is not None and viewer != row[1]:
        cursor = await conn.execute(
            "SELECT d.recipient_id FROM decisions d WHERE d.signal_id = %(signal)s "
            f"AND {received('%(signal)s', 'd.recipient_id')}",
            {"signal": row[0]},
        )
        delivered = {r[0] for r in await cursor.fetchall()}
        recipients = tuple(r for r in recipients if r in delivered)
    return TrackedRequest(
        signal_id=row[0],
        sender_id=row[1],
        recipients=recipients,
        deadline_kind=row[3],
        received_at=row[4],
        deadline=row[5],
        answered_by=row[6],
        replied_by=row[7],
        answered_at=row[8],
    )
