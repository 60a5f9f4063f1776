"""Withdrawal by the sender in PostgreSQL (:mod:`gateway.store.interface.withdrawal`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import uuid6

from gateway.infra.audit import AuditEvent
from gateway.store import withdrawal_sql as sql
from gateway.store.interface.withdrawal import (
    ListedWithdrawal,
    UnacknowledgedNotice,
    Withdrawal,
    WithdrawalStore,
)
from gateway.store.postgres.database import Connection, Database, Transaction


def _withdrawal(row: tuple[Any, ...]) -> Withdrawal:
    return Withdrawal(*row)


async def _find(conn: Connection, signal_id: str) -> Withdrawal | None:
    cursor = await conn.execute(sql.WITHDRAWAL.format(p="%s"), (signal_id,))
    row = await cursor.fetchone()
    return None if row is None else _withdrawal(row)


class PostgresWithdrawal(Database, WithdrawalStore):
    async def withdraw_signal(
        self,
        signal_id: str,
        *,
        reason: str,
        by: str,
        event: Callable[[Withdrawal], AuditEvent],
        replaced_by: str | None = None,
    ) -> Withdrawal | None:
        async def write(tx: Transaction) -> Withdrawal | None:
            conn = tx.conn
            sent = await conn.execute(sql.SENT_BY.format(p="%s") + " FOR UPDATE", (signal_id, by))
            if await sent.fetchone() is None:
                return None
            earlier = await _find(conn, signal_id)
            if earlier is not None:
                return earlier
            now = tx.now()
            cancelled = (
                await conn.execute(sql.CANCEL_COPIES.format(p="%s"), (signal_id,))
            ).rowcount
            review_items = (
                await conn.execute(sql.WITHDRAW_REVIEW_ITEMS.format(p="%s"), (signal_id,))
            ).rowcount
            cursor = await conn.execute(sql.SEALED_FOR.format(p="%s"), (signal_id,))
            recipients = [row[0] for row in await cursor.fetchall()]
            for recipient_id in recipients:
                latest = await conn.execute(
                    sql.LATEST_VERSION.format(p="%s"), (signal_id, recipient_id)
                )
                (version,) = await latest.fetchone() or (0,)
                await conn.execute(
                    sql.QUEUE_NOTICE.format(p="%s"),
                    (str(uuid6.uuid7()), signal_id, recipient_id, version + 1, now, now, reason),
                )
            version = None
            if replaced_by is not None:
                own = await conn.execute(sql.VERSION_OF.format(p="%s"), (signal_id,))
                (before,) = await own.fetchone() or (1,)
                version = before + 1
            done = (
                signal_id,
                reason,
                by,
                now,
                cancelled,
                review_items,
                len(recipients),
                replaced_by,
                version,
            )
            await conn.execute(sql.RECORD.format(p="%s"), done)
            withdrawn = _withdrawal(done)
            await tx.append(event(withdrawn))
            return withdrawn

        return await self.write(write)

    async def withdrawal(self, signal_id: str) -> Withdrawal | None:
        async def read(conn: Connection) -> Withdrawal | None:
            return await _find(conn, signal_id)

        return await self.read(read)

    async def withdrawals(self, *, offset: int, limit: int) -> list[ListedWithdrawal]:
        async def read(conn: Connection) -> list[ListedWithdrawal]:
            cursor = await conn.execute(sql.LISTED.format(p="%s"), (limit, offset))
            return [
                ListedWithdrawal(_withdrawal(row[:9]), row[9]) for row in await cursor.fetchall()
            ]

        return await self.read(read)

    async def unacknowledged_notices(
        self, *, sealed_before: datetime, limit: int
    ) -> list[UnacknowledgedNotice]:
        async def read(conn: Connection) -> list[UnacknowledgedNotice]:
            cursor = await conn.execute(sql.UNACKNOWLEDGED.format(p="%s"), (sealed_before, limit))
            return [UnacknowledgedNotice(*row) for row in await cursor.fetchall()]

        return await self.read(read)
