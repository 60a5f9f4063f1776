"""The sign-in throttle's state in SQLite, every decision taken in the writer's transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Final

from gateway.infra import audit
from gateway.infra.audit import AuditEvent
from gateway.staff import throttle
from gateway.staff.throttle import Bucket, Failures, ThrottlePolicy, Wait
from gateway.store.interface.throttle import SignInBlock, SignInThrottleStore
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.times import moment, moment_or_none, stored_or_none

PRUNE_BATCH: Final = 100
"""Rows forgotten per write at most, so pruning never makes one attempt slow."""


class SqliteThrottle(Database, SignInThrottleStore):
    async def admit_sign_in(
        self, *, address: str, name_key: str, now: datetime, policy: ThrottlePolicy
    ) -> Wait | None:

        def write(tx: Transaction) -> Wait | None:
            row = tx.conn.execute(
                "SELECT tokens, updated_at FROM sign_in_addresses WHERE address = ?", (address,)
            ).fetchone()
            bucket = None if row is None else Bucket(row[0], moment(row[1]))
            wait, spent = throttle.admit(policy, bucket, _failures(tx.conn, name_key, address), now)
            if spent is not None:
                tx.conn.execute(
                    "INSERT INTO sign_in_addresses (address, tokens, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (address) DO UPDATE SET tokens = excluded.tokens, "
                    "updated_at = excluded.updated_at",
                    (address, spent.tokens, audit.timestamp(now)),
                )
                _prune(tx.conn, now, policy)
            return wait

        return await self.write(write)

    async def sign_in_failed(
        self,
        *,
        address: str,
        name_key: str,
        now: datetime,
        policy: ThrottlePolicy,
        event_for: Callable[[Failures], AuditEvent],
    ) -> Failures:

        def write(tx: Transaction) -> Failures:
            failures = throttle.after_failure(policy, _failures(tx.conn, name_key, address), now)
            tx.conn.execute(
                "INSERT INTO sign_in_failures "
                "(name_key, address, failures, last_failure_at, blocked_until) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name_key, address) DO UPDATE SET "
                "failures = excluded.failures, last_failure_at = excluded.last_failure_at, "
                "blocked_until = excluded.blocked_until",
                (
                    name_key,
                    address,
                    failures.count,
                    audit.timestamp(failures.last_failure_at),
                    stored_or_none(failures.blocked_until),
                ),
            )
            tx.append(event_for(failures))
            return failures

        return await self.write(write)

    async def sign_in_blocks(
        self, name_keys: Iterable[str], now: datetime, policy: ThrottlePolicy
    ) -> dict[str, list[SignInBlock]]:
        keys = list(dict.fromkeys(name_keys))

        def read(conn: sqlite3.Connection) -> dict[str, list[SignInBlock]]:
            found: dict[str, list[SignInBlock]] = {key: [] for key in keys}
            since = audit.timestamp(now - policy.forget_after)
            for key in keys:
                rows = conn.execute(
                    "SELECT address, failures, last_failure_at, blocked_until "
                    "FROM sign_in_failures WHERE name_key = ? AND last_failure_at > ? "
                    "ORDER BY blocked_until IS NULL, blocked_until DESC, address",
                    (key, since),
                ).fetchall()
                found[key] = [
                    SignInBlock(
                        address=row[0],
                        failures=row[1],
                        last_failure_at=moment(row[2]),
                        blocked_until=moment_or_none(row[3]),
                    )
                    for row in rows
                ]
            return found

        return await self.read(read)

    async def lift_sign_in_blocks(
        self, name_key: str, event_for: Callable[[int], AuditEvent]
    ) -> int:

        def write(tx: Transaction) -> int:
            lifted = clear_failures(tx, name_key)
            tx.append(event_for(lifted))
            return lifted

        return await self.write(write)


def clear_failures(tx: Transaction, name_key: str, address: str | None = None) -> int:
    """Within a sign-in, a reset or an administrator's decision: forget failures with
    ``name_key`` (from ``address`` only, when given)."""
    if address is None:
        return tx.conn.execute(
            "DELETE FROM sign_in_failures WHERE name_key = ?", (name_key,)
        ).rowcount
    return tx.conn.execute(
        "DELETE FROM sign_in_failures WHERE name_key = ? AND address = ?", (name_key, address)
    ).rowcount


def _failures(conn: sqlite3.Connection, name_key: str, address: str) -> Failures | None:
    row = conn.execute(
        "SELECT failures, last_failure_at, blocked_until FROM sign_in_failures "
        "WHERE name_key = ? AND address = ?",
        (name_key, address),
    ).fetchone()
    if row is None:
        return None
    return Failures(
        row[0],
        moment(row[1]),
        moment_or_none(row[2]),
    )


def _prune(conn: sqlite3.Connection, now: datetime, policy: ThrottlePolicy) -> None:
    """Forget addresses whose attempts are full again and failures no longer counted."""
    conn.execute(
        "DELETE FROM sign_in_addresses WHERE address IN (SELECT address FROM sign_in_addresses "
        "WHERE updated_at < ? LIMIT ?)",
        (audit.timestamp(now - policy.bucket_full_after), PRUNE_BATCH),
    )
    conn.execute(
        "DELETE FROM sign_in_failures WHERE rowid IN (SELECT rowid FROM sign_in_failures "
        "WHERE last_failure_at < ? LIMIT ?)",
        (audit.timestamp(now - policy.forget_after), PRUNE_BATCH),
    )
