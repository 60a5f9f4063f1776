"""Where the store's backend is chosen: SQLite in the data directory unless the settings name a
PostgreSQL database (``database_url``). The one place that builds a store; the gateway and its
commands speak to the :class:`Store` it returns."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gateway.infra.clock import Clock
from gateway.infra.config import Settings
from gateway.infra.errors import MaintenanceUnsupported
from gateway.store.interface import Store
from gateway.store.interface.inspection import StoreFacts
from gateway.store.interface.maintenance import StoreMaintenance
from gateway.store.postgres import PostgresStore, transfer
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
            settings.database_url, clock=clock, pool_size=settings.database_pool_size
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


async def inspect_for(settings: Settings, database: Path) -> StoreFacts | None:
    """What a deployment's check (``euregate doctor``) reads of the store ``settings`` choose,
    changing nothing; None for PostgreSQL, not inspected yet."""
    if settings.database_url is not None:
        return None
    return await SqliteStore.inspect(database)


def maintenance_for(settings: Settings, database: Path) -> StoreMaintenance:
    """The upkeep (migrations, backups, restores) of the store ``settings`` choose; the SQLite
    file ``database`` unless they name a PostgreSQL database, whose upkeep is not built yet
    (:class:`~gateway.infra.errors.MaintenanceUnsupported`)."""
    if settings.database_url is not None:
        raise MaintenanceUnsupported(backend="PostgreSQL")
    return SqliteMaintenance(database)


def data_dir_store(database: Path, *, clock: Clock) -> Store:
    """The SQLite store of a data directory's own file, whatever the settings name: what a
    restore writes and then checks."""
    return SqliteStore(database, clock=clock)


def data_dir_maintenance(database: Path) -> StoreMaintenance:
    """The upkeep of a data directory's own SQLite file, whatever the settings name: where a
    restore writes, and a data directory it is compared with."""
    return SqliteMaintenance(database)


def move_to_postgresql(
    database: Path, url: str, *, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy the SQLite store ``database`` into the empty PostgreSQL database at ``url`` (whose
    schema a store started on it made); the rows copied per table. Blocks: run it in a thread."""
    return transfer(database, url, progress=progress)
