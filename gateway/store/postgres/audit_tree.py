"""The audit log's tiles and checkpoints in PostgreSQL.

The tree grows only from the size a sequencer read. With several instances on one database,
checking that size and keeping the grown tree are one step: a write that extends the tree or
publishes its checkpoint again first takes :data:`TREE_LOCK`, then reads the latest
checkpoint (every statement sees what committed before it), so of two sequencers that read
the same size, the second finds the tree moved and keeps nothing."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any, Final

from gateway.infra.audit import AuditEntry
from gateway.infra.audit.tiles import Tile, TileAddress
from gateway.infra.errors import AuditTreeMoved
from gateway.store.interface.audit_tree import AuditTreeStore, Leadership, StoredCheckpoint
from gateway.store.postgres.database import (
    AUDIT_COLUMNS,
    Connection,
    Database,
    Transaction,
    audit_entry,
)
from gateway.store.postgres.leadership import SessionLock
from gateway.store.postgres.locks import advisory_key, lock_for_transaction

TREE_LOCK: Final = advisory_key("euregate audit tree")
"""Held by a write from its check of the latest checkpoint's size until it commits."""

SEQUENCER_LOCK: Final = "euregate audit sequencer"
"""The advisory lock the sequencing instance holds, for as long as it leads."""

_CHECKPOINT_COLUMNS = "size, root, note, published_at"


class PostgresAuditTree(Database, AuditTreeStore):
    async def sequencer_leadership(self, lock_file: Path) -> Leadership:
        """The instances share the database, not a host: the lock is in the database."""
        return SessionLock(self.url, SEQUENCER_LOCK)

    async def tiles(self, addresses: Sequence[TileAddress]) -> list[bytes]:
        if not addresses:
            return []

        async def read(conn: Connection) -> list[bytes]:
            wanted = sorted(set(addresses))
            cursor = await conn.execute(
                "SELECT t.level, t.idx, t.hashes FROM audit_tiles t "
                "JOIN unnest(%s::integer[], %s::bigint[]) AS w(level, idx) "
                "ON t.level = w.level AND t.idx = w.idx",
                ([a.level for a in wanted], [a.index for a in wanted]),
            )
            found = {TileAddress(row[0], row[1]): bytes(row[2]) for row in await cursor.fetchall()}
            return [found.get(address, b"") for address in addresses]

        return await self.read(read)

    async def latest_checkpoint(self) -> StoredCheckpoint | None:
        return await self.read(_latest)

    async def checkpoint(self, size: int) -> StoredCheckpoint | None:
        async def read(conn: Connection) -> StoredCheckpoint | None:
            cursor = await conn.execute(
                f"SELECT {_CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE size = %s", (size,)
            )
            row = await cursor.fetchone()
            return None if row is None else _checkpoint(row)

        return await self.read(read)

    async def checkpoint_roots(self) -> list[tuple[int, bytes]]:
        async def read(conn: Connection) -> list[tuple[int, bytes]]:
            cursor = await conn.execute("SELECT size, root FROM audit_checkpoints ORDER BY size")
            return [(row[0], bytes(row[1])) for row in await cursor.fetchall()]

        return await self.read(read)

    async def extend_tree(
        self, *, from_size: int, tiles: Sequence[Tile], checkpoint: StoredCheckpoint
    ) -> StoredCheckpoint:
        async def write(tx: Transaction) -> StoredCheckpoint:
            await _expect_size(tx.conn, from_size)
            async with tx.conn.cursor() as cursor:
                await cursor.executemany(
                    "INSERT INTO audit_tiles (level, idx, hashes) VALUES (%s, %s, %s) "
                    "ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes",
                    [(tile.level, tile.index, tile.hashes) for tile in tiles],
                )
            await tx.conn.execute(
                f"INSERT INTO audit_checkpoints ({_CHECKPOINT_COLUMNS}) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (size) DO UPDATE SET root = excluded.root, note = excluded.note, "
                "published_at = excluded.published_at",
                (checkpoint.size, checkpoint.root, checkpoint.note, checkpoint.published_at),
            )
            return checkpoint

        return await self.write(write, audited=False)

    async def signal_entries(self, signal_ids: Collection[str]) -> dict[str, AuditEntry]:
        wanted = sorted(set(signal_ids))

        async def read(conn: Connection) -> dict[str, AuditEntry]:
            cursor = await conn.execute(
                f"SELECT s.id, {AUDIT_COLUMNS} FROM signals s "
                "JOIN audit a ON a.seq = s.audit_seq WHERE s.id = ANY(%s)",
                (wanted,),
            )
            return {row[0]: audit_entry(row[1:]) for row in await cursor.fetchall()}

        return await self.read(read)

    async def republish_checkpoint(self, checkpoint: StoredCheckpoint) -> StoredCheckpoint:
        async def write(tx: Transaction) -> StoredCheckpoint:
            await _expect_size(tx.conn, checkpoint.size)
            await tx.conn.execute(
                "UPDATE audit_checkpoints SET note = %s, published_at = %s WHERE size = %s",
                (checkpoint.note, checkpoint.published_at, checkpoint.size),
            )
            return checkpoint

        return await self.write(write, audited=False)


async def _latest(conn: Connection) -> StoredCheckpoint | None:
    cursor = await conn.execute(
        f"SELECT {_CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY size DESC LIMIT 1"
    )
    row = await cursor.fetchone()
    return None if row is None else _checkpoint(row)


async def _expect_size(conn: Connection, size: int) -> None:
    """Lock the tree; its latest checkpoint is of ``size`` entries (none at all for 0), or the
    tree moved."""
    await lock_for_transaction(conn, TREE_LOCK)
    latest = await _latest(conn)
    found = latest.size if latest is not None else 0
    if found != size:
        raise AuditTreeMoved(expected=size, found=found)


def _checkpoint(row: tuple[Any, ...]) -> StoredCheckpoint:
    return StoredCheckpoint(
        size=row[0], root=bytes(row[1]), note=bytes(row[2]), published_at=row[3]
    )
