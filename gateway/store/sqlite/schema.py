"""Connections to the SQLite file, and its schema created once and migrated forward by version
(the versions, for both backends, are in :mod:`gateway.store.migrations`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

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


def create_schema(path: Path) -> None:
    """Create the database, or bring an existing one up to :data:`SCHEMA_VERSION`."""
    conn = connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        db = sqlite_utils.Database(conn)
        conn.execute("BEGIN IMMEDIATE")
        if "meta" not in db.table_names():
            MIGRATIONS[0].sqlite(db)
        version = int(db.table("meta").get("schema_version")["value"])
        for migration in after(version):
            migration.sqlite(db)
        db.table("meta").upsert({"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")
        conn.execute("COMMIT")
    finally:
        conn.close()
