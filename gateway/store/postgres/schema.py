"""The PostgreSQL database's schema, created once and migrated forward by version (the versions,
for both backends, are in :mod:`gateway.store.migrations`)."""

from __future__ import annotations

import hashlib
from typing import Any, Final

from psycopg import AsyncConnection

from gateway.store.migrations import SCHEMA_VERSION, after

SCHEMA_LOCK: Final = int.from_bytes(
    hashlib.sha256(b"euregate schema").digest()[:8], "big", signed=True
)
"""The advisory lock a process holds while it creates or migrates the schema, so that
instances started together migrate one after the other (the later ones find nothing to do)."""


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer Euregate than this one."""

    def __init__(self, version: int) -> None:
        super().__init__(
            f"the database's schema is at version {version}, this Euregate knows {SCHEMA_VERSION}"
        )


async def schema_version(conn: AsyncConnection[tuple[Any, ...]]) -> int:
    """The version recorded in ``meta``; 0 for a database without one."""
    cursor = await conn.execute("SELECT to_regclass('meta') IS NOT NULL")
    exists = await cursor.fetchone()
    if not (exists and exists[0]):
        return 0
    cursor = await conn.execute("SELECT value FROM meta WHERE key = 'schema_version'")
    row = await cursor.fetchone()
    return 0 if row is None else int(row[0])


async def create_schema(conn: AsyncConnection[tuple[Any, ...]]) -> None:
    """Create the schema, or bring an existing one up to :data:`SCHEMA_VERSION`, in one
    transaction under :data:`SCHEMA_LOCK`."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        version = await schema_version(conn)
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(version)
        for migration in after(version):
            for statement in migration.postgres:
                await conn.execute(statement.encode())
        await conn.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(SCHEMA_VERSION),),
        )
