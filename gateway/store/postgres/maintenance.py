"""The PostgreSQL store as a whole: its schema brought forward, copied out while the gateway
serves, a copy put back into an empty database, and what it holds counted.

The copy is ``pg_dump --format=custom`` of a snapshot this module exports from a read-only,
repeatable-read transaction of its own (``pg_export_snapshot``): the facts are read in that
same transaction, so they describe exactly what was dumped, however busily the gateway writes
meanwhile. A restore is ``pg_restore`` in one transaction into a database that holds no table
yet, so that it never mixes a backup with rows that were there.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psycopg
from psycopg import AsyncConnection

from gateway.infra.errors import RestoreDatabaseNotEmpty, StoreUnreachable
from gateway.store.durable import fsync
from gateway.store.interface.maintenance import (
    COUNTED,
    COUNTED_IN,
    Copied,
    SchemaChange,
    StoreFacts,
    StoreMaintenance,
)
from gateway.store.migrations import SCHEMA_VERSION
from gateway.store.postgres import tools
from gateway.store.postgres.schema import create_schema, run_afterwards, schema_version

Connection = AsyncConnection[tuple[Any, ...]]


class PostgresMaintenance(StoreMaintenance):
    """The maintenance of the database at ``url``, with PostgreSQL's programs from ``bin_dir``
    (else Debian's newest, else the ``PATH``'s)."""

    backend = "postgresql"
    newest_schema = SCHEMA_VERSION

    def __init__(self, url: str, *, bin_dir: Path | None = None) -> None:
        self.url = url
        self.bin_dir = bin_dir
        self.database = tools.database_name(url)
        """The database's name, for messages: never the URL, which may hold a password."""

    async def migrate(self) -> SchemaChange:
        async with self._connected() as conn:
            change = await create_schema(conn, migrate=True)
            if change.before is not None and change.migrated:
                await run_afterwards(conn, since=change.before)
            return change

    async def snapshot(self, destination: Path, *, copied: Copied | None = None) -> StoreFacts:
        os.close(os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        try:
            facts = await self._dump(destination)
            size = await asyncio.to_thread(_made_durable, destination)
        except BaseException:
            await asyncio.to_thread(destination.unlink, missing_ok=True)
            raise
        if copied is not None:
            copied(size, size)
        return facts

    async def _dump(self, destination: Path) -> StoreFacts:
        """``pg_dump`` of a snapshot exported by a transaction of its own into
        ``destination``; the facts read in that transaction."""
        program = tools.tool("pg_dump", self.bin_dir)
        async with self._connected() as conn:
            await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor = await conn.execute("SELECT pg_export_snapshot()")
            exported = await cursor.fetchone()
            assert exported is not None  # the function always returns one row
            facts = await _facts_in(conn)
            options = ("--format=custom", f"--snapshot={exported[0]}", f"--file={destination}")
            await tools.run(tools.invocation(program, self.url, *options))
            await conn.execute("COMMIT")
        return facts

    async def check_restorable(self) -> None:
        async with self._connected() as conn:
            cursor = await conn.execute(
                "SELECT count(*) FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            )
            tables = await cursor.fetchone()
        if tables is not None and tables[0] > 0:
            raise RestoreDatabaseNotEmpty(database=self.database)

    async def restore(self, snapshot: Path) -> StoreFacts:
        await self.check_restorable()
        program = tools.tool("pg_restore", self.bin_dir)
        options = ("--no-owner", "--no-acl", "--exit-on-error", "--single-transaction")
        await tools.run(tools.invocation(program, self.url, *options, str(snapshot)))
        await asyncio.to_thread(snapshot.unlink)
        facts = await self.facts()
        assert facts is not None  # the restore created the schema
        return facts

    async def facts(self) -> StoreFacts | None:
        async with self._connected() as conn:
            await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            if await schema_version(conn) == 0:
                return None
            return await _facts_in(conn)

    @contextlib.asynccontextmanager
    async def _connected(self) -> AsyncIterator[Connection]:
        """A connection of its own (not the gateway's pool), in autocommit: each transaction
        here is begun explicitly; an unreachable database is :class:`StoreUnreachable`."""
        try:
            conn = await AsyncConnection.connect(self.url, autocommit=True)
        except psycopg.OperationalError as exc:
            raise StoreUnreachable() from exc
        async with conn:
            yield conn


async def _facts_in(conn: Connection) -> StoreFacts:
    """The facts of the store as the transaction ``conn`` is in sees it."""
    counts: dict[str, int] = {}
    for name in COUNTED:
        cursor = await conn.execute(f"SELECT count(*) FROM {COUNTED_IN[name]}")
        row = await cursor.fetchone()
        counts[name] = row[0] if row else 0
    cursor = await conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
    head = await cursor.fetchone()
    cursor = await conn.execute(
        "SELECT size, root, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1"
    )
    checkpoint = await cursor.fetchone()
    version = await schema_version(conn)
    return StoreFacts.of_rows(version, counts, head, checkpoint)


def _made_durable(path: Path) -> int:
    """``path`` flushed to stable storage; its size in bytes."""
    fsync(path)
    return path.stat().st_size
