"""The audit log's tiles and checkpoints in SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from gateway.infra.audit import AuditEntry, timestamp
from gateway.infra.audit.tiles import Tile, TileAddress
from gateway.infra.errors import AuditTreeMoved
from gateway.infra.lock_file import LockFile
from gateway.store.interface.audit_tree import AuditTreeStore, Leadership, StoredCheckpoint
from gateway.store.sqlite.database import AUDIT_COLUMNS, Database, Transaction, audit_entry
from gateway.store.sqlite.times import moment

_CHECKPOINT_COLUMNS = "size, root, note, published_at"
_TILES_PER_QUERY = 400
"""Tiles read by one statement: two bound numbers each, well under SQLite's limit."""
_IDS_PER_QUERY = 800


class SqliteAuditTree(Database, AuditTreeStore):
    async def sequencer_leadership(self, lock_file: Path) -> Leadership:
        return LockFile(lock_file)

    async def tiles(self, addresses: Sequence[TileAddress]) -> list[bytes]:
        if not addresses:
            return []

        def read(conn: sqlite3.Connection) -> list[bytes]:
            wanted = sorted(set(addresses))
            found: dict[TileAddress, bytes] = {}
            for start in range(0, len(wanted), _TILES_PER_QUERY):
                chunk = wanted[start : start + _TILES_PER_QUERY]
                rows = conn.execute(
                    "SELECT level, idx, hashes FROM audit_tiles WHERE (level, idx) IN "
                    f"(VALUES {', '.join('(?, ?)' for _ in chunk)})",
                    [number for address in chunk for number in (address.level, address.index)],
                )
                found.update((TileAddress(row[0], row[1]), bytes(row[2])) for row in rows)
            return [found.get(address, b"") for address in addresses]

        return await self.read(read)

    async def latest_checkpoint(self) -> StoredCheckpoint | None:
        return await self.read(_latest)

    async def checkpoint(self, size: int) -> StoredCheckpoint | None:
        def read(conn: sqlite3.Connection) -> StoredCheckpoint | None:
            row = conn.execute(
                f"SELECT {_CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE size = ?", (size,)
            ).fetchone()
            return None if row is None else _checkpoint(row)

        return await self.read(read)

    async def checkpoint_roots(self) -> list[tuple[int, bytes]]:
        def read(conn: sqlite3.Connection) -> list[tuple[int, bytes]]:
            rows = conn.execute("SELECT size, root FROM audit_checkpoints ORDER BY size")
            return [(row[0], bytes(row[1])) for row in rows]

        return await self.read(read)

    async def extend_tree(
        self, *, from_size: int, tiles: Sequence[Tile], checkpoint: StoredCheckpoint
    ) -> StoredCheckpoint:
        def write(tx: Transaction) -> StoredCheckpoint:
            _expect_size(tx.conn, from_size)
            tx.conn.executemany(
                "INSERT INTO audit_tiles (level, idx, hashes) VALUES (?, ?, ?) "
                "ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes",
                [(tile.level, tile.index, tile.hashes) for tile in tiles],
            )
            _insert_checkpoint(tx.conn, checkpoint)
            return checkpoint

        return await self.write(write)

    async def signal_entries(self, signal_ids: Collection[str]) -> dict[str, AuditEntry]:
        wanted = sorted(set(signal_ids))

        def read(conn: sqlite3.Connection) -> dict[str, AuditEntry]:
            found: dict[str, AuditEntry] = {}
            for start in range(0, len(wanted), _IDS_PER_QUERY):
                chunk = wanted[start : start + _IDS_PER_QUERY]
                rows = conn.execute(
                    f"SELECT s.id, {AUDIT_COLUMNS} FROM signals s "
                    "JOIN audit a ON a.seq = s.audit_seq "
                    f"WHERE s.id IN ({', '.join('?' for _ in chunk)})",
                    chunk,
                )
                found.update((row[0], audit_entry(row[1:])) for row in rows)
            return found

        return await self.read(read)

    async def republish_checkpoint(self, checkpoint: StoredCheckpoint) -> StoredCheckpoint:
        def write(tx: Transaction) -> StoredCheckpoint:
            _expect_size(tx.conn, checkpoint.size)
            tx.conn.execute(
                "UPDATE audit_checkpoints SET note = ?, published_at = ? WHERE size = ?",
                (checkpoint.note, timestamp(checkpoint.published_at), checkpoint.size),
            )
            return checkpoint

        return await self.write(write)


def _latest(conn: sqlite3.Connection) -> StoredCheckpoint | None:
    row = conn.execute(
        f"SELECT {_CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY size DESC LIMIT 1"
    ).fetchone()
    return None if row is None else _checkpoint(row)


def _expect_size(conn: sqlite3.Connection, size: int) -> None:
    """The latest checkpoint is of ``size`` entries (none at all for 0), or the tree moved."""
    latest = _latest(conn)
    found = latest.size if latest is not None else 0
    if found != size:
        raise AuditTreeMoved(expected=size, found=found)


def _insert_checkpoint(conn: sqlite3.Connection, checkpoint: StoredCheckpoint) -> None:
    conn.execute(
        f"INSERT INTO audit_checkpoints ({_CHECKPOINT_COLUMNS}) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (size) DO UPDATE SET root = excluded.root, note = excluded.note, "
        "published_at = excluded.published_at",
        (checkpoint.size, checkpoint.root, checkpoint.note, timestamp(checkpoint.published_at)),
    )


def _checkpoint(row: tuple[Any, ...]) -> StoredCheckpoint:
    return StoredCheckpoint(
        size=row[0], root=bytes(row[1]), note=bytes(row[2]), published_at=moment(row[3])
    )
