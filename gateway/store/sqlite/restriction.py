"""Restriction of processing in SQLite (:mod:`gateway.store.interface.restriction`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection
from datetime import date
from typing import Any

from gateway.infra.audit import AuditEvent
from gateway.store import restriction_sql as sql
from gateway.store.interface.restriction import (
    LiftedRestriction,
    NewRestriction,
    Restriction,
    RestrictionStore,
)
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.times import moment, moment_or_none


def restrict_on_arrival(tx: Transaction, signal_id: str, keys: Collection[str]) -> None:
    """Hold a new signal under every active restriction whose keys it is indexed under, before
    its copies are queued (:func:`restricted_state`)."""
    if not keys:
        return
    wanted = sorted(keys)
    tx.conn.execute(
        "INSERT INTO restricted_signals (signal_id, restriction_id) "
        "SELECT DISTINCT ?, restriction_id FROM restriction_keys "
        f"WHERE key IN ({', '.join('?' * len(wanted))})",
        (signal_id, *wanted),
    )


def restricted_state(conn: sqlite3.Connection, signal_id: str) -> str:
    """The state a copy of ``signal_id`` is queued in: ``restricted`` while a restriction
    holds the signal, else ``pending``."""
    held = conn.execute(sql.RESTRICTED.format(p="?"), (signal_id,)).fetchone()
    return "pending" if held is None else "restricted"


def _restriction(row: tuple[Any, ...]) -> Restriction:
    return Restriction(
        id=row[0],
        reason=row[1],
        note=row[2],
        due_on=date.fromisoformat(row[3]),
        placed_by=row[4],
        placed_at=moment(row[5]),
        signals=row[6],
        lifted_by=row[7],
        lifted_at=moment_or_none(row[8]),
        decision=row[9],
    )


def _find(conn: sqlite3.Connection, restriction_id: str) -> Restriction | None:
    row = conn.execute(sql.ONE.format(p="?"), (restriction_id,)).fetchone()
    return None if row is None else _restriction(row)


class SqliteRestriction(Database, RestrictionStore):
    async def place_restriction(
        self,
        restriction: NewRestriction,
        keys: Collection[str],
        event: Callable[[Restriction], AuditEvent],
    ) -> Restriction:
        def write(tx: Transaction) -> Restriction:
            conn, now, rid = tx.conn, tx.now(), restriction.id
            conn.execute(
                sql.RECORD.format(p="?"),
                (
                    rid,
                    restriction.reason,
                    restriction.note,
                    restriction.due_on.isoformat(),
                    restriction.placed_by,
                    now,
                ),
            )
            conn.executemany(sql.KEY.format(p="?"), [(key, rid) for key in sorted(set(keys))])
            held = conn.execute(sql.HOLD_SIGNALS.format(p="?"), (rid,)).rowcount
            conn.execute(sql.COUNTED.format(p="?"), (held, rid))
            conn.execute(sql.HOLD_COPIES.format(p="?"), (rid,))
            conn.execute(sql.HOLD_ENVELOPES.format(p="?"), (now, rid))
            placed = _find(conn, rid)
            assert placed is not None
            tx.append(event(placed))
            return placed

        return await self.write(write)

    async def lift_restriction(
        self,
        restriction_id: str,
        *,
        by: str,
        decision: str,
        event: Callable[[LiftedRestriction], AuditEvent],
    ) -> LiftedRestriction | None:
        def write(tx: Transaction) -> LiftedRestriction | None:
            conn, now = tx.conn, tx.now()
            lifted = conn.execute(
                sql.LIFT.format(p="?"), (by, now, decision, restriction_id)
            ).rowcount
            if not lifted:
                return None
            released = [r[0] for r in conn.execute(sql.RELEASED.format(p="?"), (restriction_id,))]
            recipients: set[str] = set()
            for signal_id in released:
                recipients.update(
                    r[0] for r in conn.execute(sql.COPIES_HELD.format(p="?"), (signal_id,))
                )
                conn.execute(sql.RELEASE_COPIES.format(p="?"), (now, signal_id))
                held = conn.execute(sql.ENVELOPES_HELD.format(p="?"), (signal_id,)).fetchall()
                for envelope_id, recipient_id in held:
                    conn.execute(sql.RELEASE_ENVELOPE.format(p="?"), (recipient_id, envelope_id))
                    conn.execute(sql.PUSH_NOW.format(p="?"), (now, envelope_id))
                    recipients.add(recipient_id)
            for statement in sql.LET_GO:
                conn.execute(statement.format(p="?"), (restriction_id,))
            restriction = _find(conn, restriction_id)
            assert restriction is not None
            done = LiftedRestriction(restriction, len(released), tuple(sorted(recipients)))
            tx.append(event(done))
            return done

        return await self.write(write)

    async def restriction(self, restriction_id: str) -> Restriction | None:
        return await self.read(lambda conn: _find(conn, restriction_id))

    async def active_restrictions(self, *, limit: int) -> list[Restriction]:
        def read(conn: sqlite3.Connection) -> list[Restriction]:
            return [_restriction(row) for row in conn.execute(sql.ACTIVE.format(p="?"), (limit,))]

        return await self.read(read)

    async def signal_restricted(self, signal_id: str) -> bool:
        return await self.read(lambda conn: restricted_state(conn, signal_id) == "restricted")
