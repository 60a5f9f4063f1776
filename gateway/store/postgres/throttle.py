"""The sign-in throttle's state in PostgreSQL, every decision taken in one transaction.

Gateway instances sharing the database decide for the same address at once. Each decision
reads the address's attempts and the name's failures, decides (:mod:`gateway.staff.throttle`)
and keeps the result; two such transactions interleaved would both spend the same attempt, or
both count a failure from the same count. So each first takes a transaction-level advisory
lock on the address (:func:`address_lock`): an address without a row yet has nothing to lock
with ``FOR UPDATE``, and an advisory lock is released with the transaction, or with the session
of an instance that died. Pruning forgets only rows nobody else is writing (``SKIP LOCKED``),
so it never waits and two instances pruning at once cannot deadlock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Final

from gateway.infra.audit import AuditEvent
from gateway.staff import throttle
from gateway.staff.throttle import Bucket, Failures, ThrottlePolicy, Wait
from gateway.store.interface.throttle import SignInBlock, SignInThrottleStore
from gateway.store.postgres.database import Connection, Database, Transaction

PRUNE_BATCH: Final = 100
"""Rows forgotten per write at most, so pruning never makes one attempt slow."""


def address_lock(address: str) -> int:
    """The advisory lock a decision about ``address`` holds until its transaction ends."""
    digest = hashlib.sha256(b"euregate sign-in address\x00" + address.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresThrottle(Database, SignInThrottleStore):
    async def admit_sign_in(
        self, *, address: str, name_key: str, now: datetime, policy: ThrottlePolicy
    ) -> Wait | None:
        async def write(tx: Transaction) -> Wait | None:
            await _lock_address(tx, address)
            cursor = await tx.conn.execute(
                "SELECT tokens, updated_at FROM sign_in_addresses WHERE address = %s", (address,)
            )
            row = await cursor.fetchone()
            bucket = None if row is None else Bucket(row[0], row[1])
            failures = await _failures(tx.conn, name_key, address)
            wait, spent = throttle.admit(policy, bucket, failures, now)
            if spent is not None:
                await tx.conn.execute(
                    "INSERT INTO sign_in_addresses (address, tokens, updated_at) "
                    "VALUES (%s, %s, %s) ON CONFLICT (address) DO UPDATE SET "
                    "tokens = excluded.tokens, updated_at = excluded.updated_at",
                    (address, spent.tokens, now),
                )
                await _prune(tx, now, policy)
            return wait

        return await self.write(write, audited=False)

    async def sign_in_failed(
        self,
        *,
        address: str,
        name_key: str,
        now: datetime,
        policy: ThrottlePolicy,
        event_for: Callable[[Failures], AuditEvent],
    ) -> Failures:
        async def write(tx: Transaction) -> Failures:
            await _lock_address(tx, address)
            before = await _failures(tx.conn, name_key, address)
            failures = throttle.after_failure(policy, before, now)
            await tx.conn.execute(
                "INSERT INTO sign_in_failures "
                "(name_key, address, failures, last_failure_at, blocked_until) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (name_key, address) DO UPDATE SET "
                "failures = excluded.failures, last_failure_at = excluded.last_failure_at, "
                "blocked_until = excluded.blocked_until",
                (
                    name_key,
                    address,
                    failures.count,
                    failures.last_failure_at,
                    failures.blocked_until,
                ),
            )
            await tx.append(event_for(failures))
            return failures

        return await self.write(write)

    async def sign_in_blocks(
        self, name_keys: Iterable[str], now: datetime, policy: ThrottlePolicy
    ) -> dict[str, list[SignInBlock]]:
        keys = list(dict.fromkeys(name_keys))

        async def read(conn: Connection) -> dict[str, list[SignInBlock]]:
            found: dict[str, list[SignInBlock]] = {key: [] for key in keys}
            cursor = await conn.execute(
                "SELECT name_key, address, failures, last_failure_at, blocked_until "
                "FROM sign_in_failures WHERE name_key = ANY(%s) AND last_failure_at > %s "
                "ORDER BY blocked_until IS NULL, blocked_until DESC NULLS LAST, address",
                (keys, now - policy.forget_after),
            )
            for row in await cursor.fetchall():
                found[row[0]].append(
                    SignInBlock(
                        address=row[1],
                        failures=row[2],
                        last_failure_at=row[3],
                        blocked_until=row[4],
                    )
                )
            return found

        return await self.read(read)

    async def lift_sign_in_blocks(
        self, name_key: str, event_for: Callable[[int], AuditEvent]
    ) -> int:
        async def write(tx: Transaction) -> int:
            lifted = await clear_failures(tx, name_key)
            await tx.append(event_for(lifted))
            return lifted

        return await self.write(write)


async def clear_failures(tx: Transaction, name_key: str, address: str | None = None) -> int:
    """Within a sign-in, a reset or an administrator's decision: forget failures with
    ``name_key`` (from ``address`` only, when given)."""
    if address is None:
        cursor = await tx.conn.execute(
            "DELETE FROM sign_in_failures WHERE name_key = %s", (name_key,)
        )
    else:
        cursor = await tx.conn.execute(
            "DELETE FROM sign_in_failures WHERE name_key = %s AND address = %s",
            (name_key, address),
        )
    return cursor.rowcount


async def _lock_address(tx: Transaction, address: str) -> None:
    await tx.conn.execute("SELECT pg_advisory_xact_lock(%s)", (address_lock(address),))


async def _failures(conn: Connection, name_key: str, address: str) -> Failures | None:
    cursor = await conn.execute(
        "SELECT failures, last_failure_at, blocked_until FROM sign_in_failures "
        "WHERE name_key = %s AND address = %s",
        (name_key, address),
    )
    row = await cursor.fetchone()
    return None if row is None else Failures(row[0], row[1], row[2])


async def _prune(tx: Transaction, now: datetime, policy: ThrottlePolicy) -> None:
    """Forget addresses whose attempts are full again and failures no longer counted."""
    await tx.conn.execute(
        "DELETE FROM sign_in_addresses WHERE address IN (SELECT address FROM sign_in_addresses "
        "WHERE updated_at < %s LIMIT %s FOR UPDATE SKIP LOCKED)",
        (now - policy.bucket_full_after, PRUNE_BATCH),
    )
    await tx.conn.execute(
        "DELETE FROM sign_in_failures WHERE (name_key, address) IN (SELECT name_key, address "
        "FROM sign_in_failures WHERE last_failure_at < %s LIMIT %s FOR UPDATE SKIP LOCKED)",
        (now - policy.forget_after, PRUNE_BATCH),
    )
