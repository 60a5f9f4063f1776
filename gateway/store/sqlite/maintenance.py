"""The SQLite store as a whole: its schema brought forward, copied out while the gateway serves,
a copy put back, and what it holds counted.

The copy is SQLite's online backup API run inside one read transaction of its own. In WAL
mode that transaction sees one instant of the database and blocks no writer, and because the
source connection keeps it open from the first page to the last, the copy never restarts
however busily the gateway writes meanwhile (a backup that took a fresh read lock for each
step would start over after every commit of another connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sqlite3
from pathlib import Path
from typing import Final

from gateway.infra.errors import RestoreTargetNotEmpty
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
from gateway.store.sqlite.schema import connect, open_schema, schema_version

PAGES_PER_STEP: Final = 1024
"""Pages copied between two reports of progress (4 MiB at SQLite's default page size)."""


class SqliteMaintenance(StoreMaintenance):
    """The maintenance of the database file at ``path``."""

    backend = "sqlite"
    newest_schema = SCHEMA_VERSION

    def __init__(self, path: Path) -> None:
        self.path = path

    async def migrate(self) -> SchemaChange:
        return await asyncio.to_thread(functools.partial(open_schema, self.path, migrate=True))

    async def snapshot(self, destination: Path, *, copied: Copied | None = None) -> StoreFacts:
        return await asyncio.to_thread(self._snapshot, destination, copied)

    async def check_restorable(self) -> None:
        if await asyncio.to_thread(self.path.exists):
            raise RestoreTargetNotEmpty(path=str(self.path.parent))

    async def restore(self, snapshot: Path) -> StoreFacts:
        return await asyncio.to_thread(self._restore, snapshot)

    async def facts(self) -> StoreFacts | None:
        if not self.path.exists():
            return None
        return await asyncio.to_thread(_facts_of, self.path)

    def _snapshot(self, destination: Path, copied: Copied | None) -> StoreFacts:
        os.close(os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        source = connect(self.path, read_only=True)
        target = sqlite3.connect(destination, isolation_level=None)
        try:
            source.execute("BEGIN")
            source.execute("SELECT count(*) FROM sqlite_schema").fetchone()

            def step(status: int, remaining: int, total: int) -> None:
                if copied is not None:
                    copied(total - remaining, total)

            source.backup(target, pages=PAGES_PER_STEP, progress=step)
            source.execute("COMMIT")
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            source.close()
            target.close()
        fsync(destination)
        return _facts_of(destination)

    def _restore(self, snapshot: Path) -> StoreFacts:
        if self.path.exists():
            raise FileExistsError(self.path)
        _facts_of(snapshot)  # a database this release can read, before it is put in place
        snapshot.replace(self.path)
        conn = connect(self.path)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()
        fsync(self.path)
        fsync(self.path.parent)
        return _facts_of(self.path)


def _facts_of(path: Path) -> StoreFacts:
    conn = connect(path, read_only=True)
    try:
        conn.execute("BEGIN")
        version = schema_version(conn) or 0
        counts = {
            name: conn.execute(f"SELECT count(*) FROM {COUNTED_IN[name]}").fetchone()[0]
            for name in COUNTED
        }
        head = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        checkpoint = None
        with contextlib.suppress(sqlite3.OperationalError):  # before schema version 11
            checkpoint = conn.execute(
                "SELECT size, root, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1"
            ).fetchone()
        conn.execute("COMMIT")
    finally:
        conn.close()
    return StoreFacts.of_rows(version, counts, head, checkpoint)
