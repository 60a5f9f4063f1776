"""The PostgreSQL database's schema, created once and migrated forward by version (the versions,
for both backends, are in :mod:`gateway.store.migrations`)."""

from __future__ import annotations

import hashlib
from typing import Any, Final

from psycopg import AsyncConnection

from gateway.infra.errors import SchemaOutdated, SchemaTooNew
from gateway.store.interface.maintenance import SchemaChange
from gateway.store.migrations import SCHEMA_VERSION, after

__all__ = ["SCHEMA_LOCK", "SchemaTooNew", "create_schema", "run_afterwards", "schema_version"]

SCHEMA_LOCK: Final = int.from_bytes(
    hashlib.sha256(b"euregate schema").digest()[:8], "big", signed=True
)
"""The advisory lock a process holds while it creates or migrates the schema, so that
instances started together migrate one after the other (the later ones find nothing to do)."""


async def schema_version(conn: AsyncConnection[tuple[Any, ...]]) -> int:
    """The version recorded in ``meta``; 0 for a database without one."""
    cursor = await conn.execute("SELECT to_regclass('meta') IS NOT NULL")
    exists = await cursor.fetchone()
    if not (exists and exists[0]):
        return 0
    cursor = await conn.execute("SELECT value FROM meta WHERE key = 'schema_version'")
    row = await cursor.fetchone()
    return 0 if row is None else int(row[0])


async def create_schema(
    conn: AsyncConnection[tuple[Any, ...]], *, migrate: bool = False
) -> SchemaChange:
    """Create the schema in a database without one, in one transaction under
    :data:`SCHEMA_LOCK`; refuse a schema of a newer version (:class:`SchemaTooNew`) and, unless
    ``migrate``, one of an older version (:class:`SchemaOutdated`), so that an upgrade happens
    only when an operator asks for it; with ``migrate``, run the pending migrations, forward
    only, in the same transaction."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        version = await schema_version(conn)
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(found=version, known=SCHEMA_VERSION)
        if 0 < version < SCHEMA_VERSION and not migrate:
            raise SchemaOutdated(found=version, known=SCHEMA_VERSION)
        for migration in after(version):
            for statement in migration.postgres:
                await conn.execute(statement.encode())
        await conn.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(SCHEMA_VERSION),),
        )
    return SchemaChange(before=version or None, after=SCHEMA_VERSION)


async def run_afterwards(conn: AsyncConnection[tuple[Any, ...]], *, since: int) -> None:
    """Run what each migration after version ``since`` left for after its commit
    (``postgres_afterwards``: ``VACUUM`` cannot run in a transaction), on ``conn`` in
    autocommit."""
    for migration in after(since):
        for statement in migration.postgres_afterwards:
            await conn.execute(statement.encode())
