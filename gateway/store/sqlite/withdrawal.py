"""Withdrawal by the sender in SQLite (:mod:`gateway.store.interface.withdrawal`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any

import uuid6

from gateway.infra.audit import AuditEvent, timestamp
from gateway.store import withdrawal_sql as sql
from gateway.store.interface.withdrawal import (
    ListedWithdrawal,
    UnacknowledgedNotice,
    Withdrawal,
    WithdrawalStore,
)
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.times import moment


def _withdrawal(row: tuple[Any, ...]) -> Withdrawal:
    return Withdrawal(
        row[0], row[1], row[2], moment(row[3]), row[4], row[5], row[6], row[7], row[8]
    )


def _find(conn: sqlite3.Connection, signal_id: str) -> Withdrawal | None:
    row = conn.execute(sql.WITHDRAWAL.format(p="?"), (signal_id,)).fetchone()
    return None if row is None else _withdrawal(row)


class SqliteWithdrawal(Database, WithdrawalStore):
    async def withdraw_signal(
        self,
        signal_id: str,
        *,
        reason: str,
        by: str,
        event: Callable[[Withdrawal], AuditEvent],
        replaced_by: str | None = None,
    ) -> Withdrawal | None:
        def write(tx: Transaction) -> Withdrawal | None:
            conn = tx.conn
            if conn.execute(sql.SENT_BY.format(p="?"), (signal_id, by)).fetchone() is None:
                return None
            earlier = _find(conn, signal_id)
            if earlier is not None:
                return earlier
            now = tx.now()
            cancelled = conn.execute(sql.CANCEL_COPIES.format(p="?"), (signal_id,)).rowcount
            review_items = conn.execute(
                sql.WITHDRAW_REVIEW_ITEMS.format(p="?"), (signal_id,)
            ).rowcount
            recipients = [r[0] for r in conn.execute(sql.SEALED_FOR.format(p="?"), (signal_id,))]
            for recipient_id in recipients:
                (latest,) = conn.execute(
                    sql.LATEST_VERSION.format(p="?"), (signal_id, recipient_id)
                ).fetchone()
                conn.execute(
                    sql.QUEUE_NOTICE.format(p="?"),
                    (str(uuid6.uuid7()), signal_id, recipient_id, latest + 1, now, now, reason),
                )
            version = None
            if replaced_by is not None:
                (own,) = conn.execute(sql.VERSION_OF.format(p="?"), (signal_id,)).fetchone()
                version = own + 1
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
            conn.execute(sql.RECORD.format(p="?"), done)
            withdrawn = _withdrawal(done)
            tx.append(event(withdrawn))
            return withdrawn

        return await self.write(write)

    async def withdrawal(self, signal_id: str) -> Withdrawal | None:
        def read(conn: sqlite3.Connection) -> Withdrawal | None:
            return _find(conn, signal_id)

        return await self.read(read)

    async def withdrawals(self, *, offset: int, limit: int) -> list[ListedWithdrawal]:
        def read(conn: sqlite3.Connection) -> list[ListedWithdrawal]:
            rows = conn.execute(sql.LISTED.format(p="?"), (limit, offset)).fetchall()
            return [ListedWithdrawal(_withdrawal(row), row[9]) for row in rows]

        return await self.read(read)

    async def unacknowledged_notices(
        self, *, sealed_before: datetime, limit: int
    ) -> list[UnacknowledgedNotice]:
        def read(conn: sqlite3.Connection) -> list[UnacknowledgedNotice]:
            rows = conn.execute(
                sql.UNACKNOWLEDGED.format(p="?"), (timestamp(sealed_before), limit)
            ).fetchall()
            return [
                UnacknowledgedNotice(row[0], row[1], row[2], row[3], moment(row[4])) for row in rows
            ]

        return await self.read(read)
