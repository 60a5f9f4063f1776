"""Leadership among the instances that share one PostgreSQL database: a session-level
advisory lock, held on a connection of its own for as long as the instance leads.

PostgreSQL lets go of a session's advisory locks when the session ends, however it ends: an
instance killed outright closes its socket and the lock is free at once; a host that vanished
is found out by TCP keepalives (:data:`KEEPALIVES`) within seconds. The holder asks its
connection every ``check`` seconds whether it is still there: once it is not (the database
restarted, the network broke), the lock may be someone else's, and :meth:`SessionLock.holds`
says so, so that the instance stops leading and tries again."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Final

import psycopg
from psycopg import AsyncConnection
from psycopg.conninfo import make_conninfo

from gateway.infra.logs import get_logger
from gateway.store.postgres.locks import advisory_key

log = get_logger("euregate.leadership")

KEEPALIVES: Final = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "connect_timeout": 10,
}
"""A TCP connection to a database that stopped answering is given up after about 11 s."""


class SessionLock:
    """The advisory lock ``name`` of the database at ``url``, held by one session at a time."""

    def __init__(self, url: str, name: str, *, retry: float = 1.0, check: float = 1.0) -> None:
        self._conninfo = make_conninfo(url, **KEEPALIVES)
        self._key = advisory_key(name)
        self._retry = retry
        self._check = check
        self._conn: AsyncConnection[Any] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._unreachable = False

    async def acquire(self) -> None:
        """Try now and every ``retry`` seconds until this session holds the lock; a database
        that cannot be reached is tried again as well."""
        while True:
            if await self._try():
                return
            await asyncio.sleep(self._retry)

    async def _try(self) -> bool:
        if self.holds():
            return True
        conn = None
        try:
            conn = await AsyncConnection.connect(self._conninfo, autocommit=True)
            cursor = await conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,))
            row = await cursor.fetchone()
        except psycopg.OperationalError as exc:
            if not self._unreachable:
                log.warning("leadership_unreachable", error=type(exc).__name__)
            self._unreachable = True
            if conn is not None:
                await conn.close()
            return False
        if self._unreachable:
            log.info("leadership_reachable")
            self._unreachable = False
        if row is None or not row[0]:
            await conn.close()
            return False
        self._conn = conn
        self._watch = asyncio.create_task(self._watch_session(conn))
        return True

    async def _watch_session(self, conn: AsyncConnection[Any]) -> None:
        """Ask the session whether it is there every ``check`` seconds; once it is not, close
        it, so that :meth:`holds` says the lock is lost."""
        try:
            while True:
                await asyncio.sleep(self._check)
                await asyncio.wait_for(conn.execute("SELECT 1"), timeout=max(self._check, 5.0))
        except (psycopg.Error, TimeoutError) as exc:
            log.warning("leadership_lost", error=type(exc).__name__)
            await conn.close()

    def holds(self) -> bool:
        return self._conn is not None and not self._conn.closed

    async def release(self) -> None:
        """Unlock by ending the session: its advisory locks end with it."""
        conn, self._conn = self._conn, None
        watch, self._watch = self._watch, None
        if watch is not None:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        if conn is not None:
            await conn.close()
