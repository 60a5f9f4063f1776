"""News between the processes that share one PostgreSQL database: an envelope sealed by one is
told to the others (``NOTIFY`` in the sealing transaction, so it is heard only once the
envelope is committed), whose long-polls on that recipient's inbox then wake at once instead
of at their next look (``long_poll_recheck``).

Each process listens on a connection of its own, outside the pool, kept alive by TCP
keepalives; when it is lost (the database restarted) the listener connects again, saying so
once. News lost meanwhile costs no envelope: the long-polls still look again every few seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final

import psycopg
from psycopg import AsyncConnection
from psycopg.conninfo import make_conninfo

from gateway.infra.logs import get_logger
from gateway.store.postgres.database import Database
from gateway.store.postgres.leadership import KEEPALIVES

SEALED_CHANNEL: Final = "euregate_sealed"
"""The channel an envelope's recipient id is told on once the envelope is kept."""
RECONNECT: Final = 1.0
"""Seconds between attempts to listen again after the connection was lost."""

log = get_logger("euregate.store")


class PostgresNotices(Database):
    async def hear_sealed(self, heard: Callable[[str], None]) -> None:
        conninfo = make_conninfo(self.url, **KEEPALIVES)
        lost = False
        while True:
            try:
                async with await AsyncConnection.connect(conninfo, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {SEALED_CHANNEL}")
                    if lost:
                        log.info("sealing_news_heard_again")
                        lost = False
                    async for notice in conn.notifies():
                        heard(notice.payload)
            except psycopg.OperationalError as exc:
                if not lost:
                    log.warning("sealing_news_lost", error=type(exc).__name__)
                lost = True
                await asyncio.sleep(RECONNECT)
