"""Where the store's backend is chosen: SQLite in the data directory unless the settings name a
PostgreSQL database (``database_url``). The one place that builds a store; the gateway and its
commands speak to the :class:`Store` it returns."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from gateway.infra.clock import Clock
from gateway.infra.config import Settings
from gateway.store.interface import Store
from gateway.store.interface.inspection import StoreFacts
from gateway.store.interface.maintenance import StoreMaintenance
from gateway.store.postgres import PostgresMaintenance, PostgresStore, inspect_database, transfer
from gateway.store.sqlite import SqliteMaintenance, SqliteStore


def store_for(
    settings: Settings,
    database: Path,
    *,
    clock: Clock,
    on_commit: Callable[[int, float], None] | None = None,
) -> Store:
    """The store ``settings`` choose (not started): PostgreSQL at ``database_url`` when it is
    set, else the SQLite file ``database`` (the data directory's). ``on_commit`` hears of each
    group commit of SQLite's writer (how many writes, the seconds its fsync took)."""
    if settings.database_url is not None:
        return PostgresStore(
            settings.database_url,
            clock=clock,
            pool_size=settings.database_pool_size,
            pool_timeout=timedelta(seconds=settings.database_wait),
        )
    return SqliteStore(
        database,
        clock=clock,
        group_commit_max=settings.group_commit_max,
        read_threads=settings.store_read_threads,
        on_commit=on_commit,
    )


def described(settings: Settings, database: Path) -> str:
    """Which store ``settings`` choose, for a log line: never the URL, which may hold a
    password."""
    return "postgresql" if settings.database_url is not None else f"sqlite {database}"


async def inspect_for(settings: Settings, database: Path) -> StoreFacts:
    """What a deployment's check (``euregate doctor``) reads of the store ``settings`` choose,
    changing nothing."""
    if settings.database_url is not None:
        return await asyncio.to_thread(inspect_database, settings.database_url)
    return await SqliteStore.inspect(database)


def maintenance_for(settings: Settings, database: Path) -> StoreMaintenance:
    """The upkeep (migrations, backups, restores) of the store ``settings`` choose: the
    PostgreSQL database at ``database_url`` when it is set, else the SQLite file
    ``database``."""
    if settings.database_url is not None:
        return PostgresMaintenance(settings.database_url, bin_dir=settings.pg_bin_dir)
    return SqliteMaintenance(database)


def restore_store(database: Path, database_url: str | None, *, clock: Clock) -> Store:
    """The store a restore writes and then checks: the empty PostgreSQL database at
    ``database_url`` when one is named, else the new data directory's SQLite file."""
    if database_url is not None:
        return PostgresStore(database_url, clock=clock)
    return SqliteStore(database, clock=clock)


def restore_maintenance(
    database: Path, database_url: str | None, *, bin_dir: Path | None = None
) -> StoreMaintenance:
    """The upkeep of the store a restore writes (as :func:`restore_store` chooses it)."""
    if database_url is not None:
        return database_maintenance(database_url, bin_dir=bin_dir)
    return SqliteMaintenance(database)


def database_maintenance(database_url: str, *, bin_dir: Path | None = None) -> StoreMaintenance:
    """The upkeep of the PostgreSQL database at ``database_url``, whatever the settings name:
    a database a restore writes, or is compared with."""
    return PostgresMaintenance(database_url, bin_dir=bin_dir)


def database_described(database_url: str) -> str:
    """The PostgreSQL database ``database_url`` names, for a message: never the URL, which may
    hold a password."""
    return f"postgresql:{PostgresMaintenance(database_url).database}"


def data_dir_maintenance(database: Path) -> StoreMaintenance:
    """The upkeep of a data directory's own SQLite file, whatever the settings name: a data
    directory a restore is compared with."""
    return SqliteMaintenance(database)


def move_to_postgresql(
    database: Path, url: str, *, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy the SQLite store ``database`` into the empty PostgreSQL database at ``url`` (whose
    schema a store started on it made); the rows copied per table. Blocks: run it in a thread."""
    return transfer(database, url, progress=progress)
