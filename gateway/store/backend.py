"""Where the store's backend is chosen: SQLite in the data directory unless the settings name a
PostgreSQL database (``database_url``). The one place that builds a store; the gateway and its
commands speak to the :class:`Store` it returns."""

from __future__ import annotations

from pathlib import Path

from gateway.infra.clock import Clock
from gateway.infra.config import Settings
from gateway.store.interface import Store
from gateway.store.postgres import PostgresStore
from gateway.store.sqlite import SqliteStore


def store_for(settings: Settings, database: Path, *, clock: Clock) -> Store:
    """The store ``settings`` choose (not started): PostgreSQL at ``database_url`` when it is
    set, else the SQLite file ``database`` (the data directory's)."""
    if settings.database_url is not None:
        # Abstract to mypy until every concern is ported: the rest are placeholders, set at
        # import (gateway.store.postgres.UNPORTED), and start() refuses while there are any.
        return PostgresStore(  # type: ignore[abstract]
            settings.database_url, clock=clock, pool_size=settings.database_pool_size
        )
    return SqliteStore(
        database,
        clock=clock,
        group_commit_max=settings.group_commit_max,
        read_threads=settings.store_read_threads,
    )
