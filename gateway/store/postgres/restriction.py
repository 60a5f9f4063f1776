"""Restriction of processing in PostgreSQL (:mod:`gateway.store.interface.restriction`).

Placing and lifting take the chain's lock first, and what intake and the desk do about a
restriction runs after chaining, under the same lock (:meth:`Transaction.after_chaining`):
a signal accepted while a restriction is placed, on any instance, is either found by the
placing or finds the restriction. Lifting gives held envelopes new inbox positions under
their recipients' inbox locks, which are only taken under the chain's lock
(:mod:`.delivery`)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, Final

from gateway.infra.audit import AuditEvent
from gateway.store import restriction_sql as sql
from gateway.store.interface.restriction import (
    LiftedRestriction,
    NewRestriction,
    Restriction,
    RestrictionStore,
)
from gateway.store.postgres.database import Connection, Database, Transaction
from gateway.store.postgres.locks import INBOX_LOCK, hold
from gateway.store.postgres.notices import SEALED_CHANNEL

_ARRIVAL: Final = (
    "WITH held AS (INSERT INTO restricted_signals (signal_id, restriction_id) "
    "SELECT DISTINCT %s, restriction_id FROM restriction_keys "
    "WHERE key = ANY(%s::text[]) ON CONFLICT DO NOTHING RETURNING signal_id) "
    "UPDATE copies SET state = 'restricted' WHERE signal_id = %s "
    "AND state = 'pending' AND notice IS NULL AND EXISTS (SELECT 1 FROM held)"
)
_HELD_COPY: Final = (
    "UPDATE copies SET state = 'restricted' WHERE id = %s AND state = 'pending' "
    "AND EXISTS (SELECT 1 FROM restricted_signals WHERE signal_id = copies.signal_id)"
)


def restrict_on_arrival(tx: Transaction, signal_id: str, keys: Collection[str]) -> None:
    """Once chained: hold a new signal under every active restriction whose keys it is
    indexed under, its copies queued as ``restricted``."""
    if keys:
        tx.after_chaining(_ARRIVAL, (signal_id, sorted(keys), signal_id))


def restrict_if_held(tx: Transaction, copy_id: str) -> None:
    """Once chained: a copy just queued waits as ``restricted`` if a restriction holds its
    signal."""
    tx.after_chaining(_HELD_COPY, (copy_id,))


def _restriction(row: tuple[Any, ...]) -> Restriction:
    return Restriction(*row)


async def _find(conn: Connection, restriction_id: str) -> Restriction | None:
    cursor = await conn.execute(sql.ONE.format(p="%s"), (restriction_id,))
    row = await cursor.fetchone()
    return None if row is None else _restriction(row)


class PostgresRestriction(Database, RestrictionStore):
    async def place_restriction(
        self,
        restriction: NewRestriction,
        keys: Collection[str],
        event: Callable[[Restriction], AuditEvent],
    ) -> Restriction:
        async def write(tx: Transaction) -> Restriction:
            await tx.lock_chain()
            conn, now, rid = tx.conn, tx.now(), restriction.id
            await conn.execute(
                sql.RECORD.format(p="%s"),
                (
                    rid,
                    restriction.reason,
                    restriction.note,
                    restriction.due_on,
                    restriction.placed_by,
                    now,
                ),
            )
            async with conn.cursor() as many:
                await many.executemany(
                    sql.KEY.format(p="%s"), [(key, rid) for key in sorted(set(keys))]
                )
            held = (await conn.execute(sql.HOLD_SIGNALS.format(p="%s"), (rid,))).rowcount
            await conn.execute(sql.COUNTED.format(p="%s"), (held, rid))
            await conn.execute(sql.HOLD_COPIES.format(p="%s"), (rid,))
            await conn.execute(sql.HOLD_ENVELOPES.format(p="%s"), (now, rid))
            placed = await _find(conn, rid)
            assert placed is not None
            await tx.append(event(placed))
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
        async def write(tx: Transaction) -> LiftedRestriction | None:
            await tx.lock_chain()
            conn, now = tx.conn, tx.now()
            lifted = await conn.execute(
                sql.LIFT.format(p="%s"), (by, now, decision, restriction_id)
            )
            if not lifted.rowcount:
                return None
            cursor = await conn.execute(sql.RELEASED.format(p="%s"), (restriction_id,))
            released = [row[0] for row in await cursor.fetchall()]
            recipients: set[str] = set()
            woken: set[str] = set()
            for signal_id in released:
                waiting = await conn.execute(sql.COPIES_HELD.format(p="%s"), (signal_id,))
                recipients.update(row[0] for row in await waiting.fetchall())
                await conn.execute(sql.RELEASE_COPIES.format(p="%s"), (now, signal_id))
                held = await conn.execute(sql.ENVELOPES_HELD.format(p="%s"), (signal_id,))
                for envelope_id, recipient_id in await held.fetchall():
                    await hold(conn, INBOX_LOCK, recipient_id)
                    await conn.execute(
                        sql.RELEASE_ENVELOPE.format(p="%s"), (recipient_id, envelope_id)
                    )
                    await conn.execute(sql.PUSH_NOW.format(p="%s"), (now, envelope_id))
                    woken.add(recipient_id)
            for recipient_id in sorted(woken):
                await conn.execute("SELECT pg_notify(%s, %s)", (SEALED_CHANNEL, recipient_id))
            recipients |= woken
            for statement in sql.LET_GO:
                await conn.execute(statement.format(p="%s"), (restriction_id,))
            restriction = await _find(conn, restriction_id)
            assert restriction is not None
            done = LiftedRestriction(restriction, len(released), tuple(sorted(recipients)))
            await tx.append(event(done))
            return done

        return await self.write(write)

    async def restriction(self, restriction_id: str) -> Restriction | None:
        return await self.read(lambda conn: _find(conn, restriction_id))

    async def active_restrictions(self, *, limit: int) -> list[Restriction]:
        async def read(conn: Connection) -> list[Restriction]:
            cursor = await conn.execute(sql.ACTIVE.format(p="%s"), (limit,))
            return [_restriction(row) for row in await cursor.fetchall()]

        return await self.read(read)

    async def signal_restricted(self, signal_id: str) -> bool:
        async def read(conn: Connection) -> bool:
            cursor = await conn.execute(sql.RESTRICTED.format(p="%s"), (signal_id,))
            return await cursor.fetchone() is not None

        return await self.read(read)
