"""Connections to the SQLite file, and its schema created once and migrated forward by version
(the versions, for both backends, are in :mod:`gateway.store.migrations`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from gateway.infra.errors import SchemaOutdated, SchemaTooNew
from gateway.store.interface.maintenance import SchemaChange
from gateway.store.migrations import MIGRATIONS, SCHEMA_VERSION, after

BUSY_TIMEOUT_MS = 10_000


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA secure_delete = ON")
    if read_only:
        conn.execute("PRAGMA query_only = ON")
    return conn


def schema_version(conn: sqlite3.Connection) -> int | None:
    """The schema version a database was last brought to; ``None`` for one with no tables yet."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError:
        return None
    return int(row[0]) if row else None


def open_schema(path: Path, *, migrate: bool = False) -> SchemaChange:
    """Create the database if it has no tables yet; refuse one of a newer version
    (:class:`SchemaTooNew`) and, unless ``migrate``, one of an older version
    (:class:`SchemaOutdated`), so that an upgrade happens only when an operator asks for it;
    with ``migrate``, run the pending migrations, forward only, in one transaction."""
    conn = connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        db = sqlite_utils.Database(conn)
        conn.execute("BEGIN IMMEDIATE")
        found = schema_version(conn)
        if found is None:
            MIGRATIONS[0].sqlite(db)
        version = found or 1
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(found=version, known=SCHEMA_VERSION)
        if found is not None and version < SCHEMA_VERSION and not migrate:
            raise SchemaOutdated(found=version, known=SCHEMA_VERSION)
        for migration in after(version):
            migration.sqlite(db)
        db.table("meta").upsert({"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")
        conn.execute("COMMIT")
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()
    return SchemaChange(before=found, after=SCHEMA_VERSION)
