"""Staff sessions in PostgreSQL: opened at sign-in, found by the hash of their id, ended for
good. Kept in the database, a session holds on every gateway instance that shares it; a
change or an end is one conditional ``UPDATE`` (``ended_at IS NULL``), so a session ended on
one instance is not kept open by a request on another."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Final

from gateway.infra.audit import AuditEvent
from gateway.staff.sessions import Ended, SessionRecord
from gateway.store.interface.sessions import StaffSessionStore, changed_columns
from gateway.store.postgres.database import Connection, Database, Transaction

_COLUMNS: Final = (
    "id_hash, staff_id, language, csrf, started_at, seen_at, flash, ended_at, ended_reason"
)


class PostgresSessions(Database, StaffSessionStore):
    async def open_staff_session(self, record: SessionRecord, *, absolute: timedelta) -> None:
        async def write(tx: Transaction) -> None:
            await tx.conn.execute(
                "DELETE FROM staff_sessions WHERE started_at < %s "
                "OR (staff_id = %s AND ended_at IS NOT NULL)",
                (record.started_at - absolute, record.staff_id),
            )
            await tx.conn.execute(
                f"INSERT INTO staff_sessions ({_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, %s, NULL, NULL, NULL)",
                (
                    record.id_hash,
                    record.staff_id,
                    record.language,
                    record.csrf,
                    record.started_at,
                    record.seen_at,
                ),
            )

        await self.write(write, audited=False)

    async def staff_session(self, id_hash: str) -> SessionRecord | None:
        async def read(conn: Connection) -> SessionRecord | None:
            cursor = await conn.execute(
                f"SELECT {_COLUMNS} FROM staff_sessions WHERE id_hash = %s", (id_hash,)
            )
            row = await cursor.fetchone()
            return None if row is None else _record(row)

        return await self.read(read)

    async def update_staff_session(self, id_hash: str, changes: Mapping[str, object]) -> None:
        names = changed_columns(changes)
        if not names:
            return

        async def write(tx: Transaction) -> None:
            await tx.conn.execute(
                f"UPDATE staff_sessions SET {', '.join(f'{n} = %s' for n in names)} "
                "WHERE id_hash = %s AND ended_at IS NULL",
                (*(changes[name] for name in names), id_hash),
            )

        await self.write(write, audited=False)

    async def end_staff_session(self, id_hash: str, reason: Ended) -> None:
        async def write(tx: Transaction) -> None:
            await tx.conn.execute(
                "UPDATE staff_sessions SET ended_at = %s, ended_reason = %s "
                "WHERE id_hash = %s AND ended_at IS NULL",
                (tx.now(), str(reason), id_hash),
            )

        await self.write(write, audited=False)

    async def end_staff_sessions(
        self, staff_id: str, reason: Ended, event_for: Callable[[int], AuditEvent]
    ) -> int:
        async def write(tx: Transaction) -> int:
            ended = await end_sessions(tx, staff_id, reason)
            await tx.append(event_for(ended))
            return ended

        return await self.write(write)


async def end_sessions(tx: Transaction, staff_id: str, reason: Ended) -> int:
    """Within a change to an account: end every session it has."""
    cursor = await tx.conn.execute(
        "UPDATE staff_sessions SET ended_at = %s, ended_reason = %s "
        "WHERE staff_id = %s AND ended_at IS NULL",
        (tx.now(), str(reason), staff_id),
    )
    return cursor.rowcount


def _record(row: tuple[Any, ...]) -> SessionRecord:
    return SessionRecord(
        id_hash=row[0],
        staff_id=row[1],
        language=row[2],
        csrf=row[3],
        started_at=row[4],
        seen_at=row[5],
        flash=row[6],
        ended_at=row[7],
        ended_reason=None if row[8] is None else Ended(row[8]),
    )
