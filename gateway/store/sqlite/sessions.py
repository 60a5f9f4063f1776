"""Staff sessions in SQLite: opened at sign-in, found by the hash of their id, ended for good."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from gateway.infra import audit
from gateway.infra.audit import AuditEvent
from gateway.staff.sessions import Ended, SessionRecord
from gateway.store.interface.sessions import StaffSessionStore, changed_columns
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.times import moment, moment_or_none

_COLUMNS: Final = (
    "id_hash, staff_id, language, csrf, started_at, seen_at, flash, ended_at, ended_reason"
)


class SqliteSessions(Database, StaffSessionStore):
    async def open_staff_session(self, record: SessionRecord, *, absolute: timedelta) -> None:

        def write(tx: Transaction) -> None:
            tx.conn.execute(
                "DELETE FROM staff_sessions WHERE started_at < ? "
                "OR (staff_id = ? AND ended_at IS NOT NULL)",
                (audit.timestamp(record.started_at - absolute), record.staff_id),
            )
            tx.conn.execute(
                f"INSERT INTO staff_sessions ({_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, NULL)",
                (
                    record.id_hash,
                    record.staff_id,
                    record.language,
                    record.csrf,
                    audit.timestamp(record.started_at),
                    audit.timestamp(record.seen_at),
                ),
            )

        await self.write(write)

    async def staff_session(self, id_hash: str) -> SessionRecord | None:
        def read(conn: sqlite3.Connection) -> SessionRecord | None:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM staff_sessions WHERE id_hash = ?", (id_hash,)
            ).fetchone()
            return None if row is None else _record(row)

        return await self.read(read)

    async def update_staff_session(self, id_hash: str, changes: Mapping[str, object]) -> None:
        names = changed_columns(changes)
        if not names:
            return
        values = [_column_value(changes[name]) for name in names]

        def write(tx: Transaction) -> None:
            tx.conn.execute(
                f"UPDATE staff_sessions SET {', '.join(f'{n} = ?' for n in names)} "
                "WHERE id_hash = ? AND ended_at IS NULL",
                (*values, id_hash),
            )

        await self.write(write)

    async def end_staff_session(self, id_hash: str, reason: Ended) -> None:
        def write(tx: Transaction) -> None:
            tx.conn.execute(
                "UPDATE staff_sessions SET ended_at = ?, ended_reason = ? "
                "WHERE id_hash = ? AND ended_at IS NULL",
                (tx.now(), str(reason), id_hash),
            )

        await self.write(write)

    async def end_staff_sessions(
        self, staff_id: str, reason: Ended, event_for: Callable[[int], AuditEvent]
    ) -> int:

        def write(tx: Transaction) -> int:
            ended = end_sessions(tx, staff_id, reason)
            tx.append(event_for(ended))
            return ended

        return await self.write(write)


def end_sessions(tx: Transaction, staff_id: str, reason: Ended) -> int:
    """Within a change to an account: end every session it has."""
    return tx.conn.execute(
        "UPDATE staff_sessions SET ended_at = ?, ended_reason = ? "
        "WHERE staff_id = ? AND ended_at IS NULL",
        (tx.now(), str(reason), staff_id),
    ).rowcount


def _column_value(value: object) -> object:
    return audit.timestamp(value) if isinstance(value, datetime) else value


def _record(row: sqlite3.Row | tuple[Any, ...]) -> SessionRecord:
    return SessionRecord(
        id_hash=row[0],
        staff_id=row[1],
        language=row[2],
        csrf=row[3],
        started_at=moment(row[4]),
        seen_at=moment(row[5]),
        flash=row[6],
        ended_at=moment_or_none(row[7]),
        ended_reason=None if row[8] is None else Ended(row[8]),
    )
