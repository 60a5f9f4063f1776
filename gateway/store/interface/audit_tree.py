"""The audit log's Merkle tree as the store keeps it: its tiles and its signed checkpoints.

The tree's hashes are kept as C2SP tlog-tiles (:mod:`gateway.infra.audit.tiles`), so the store is a
:class:`~gateway.infra.audit.tiles.TileReader`: one read per call, whatever a proof needs. One
sequencer extends the tree (:mod:`gateway.transparency.sequencer`): the tiles a batch of
entries changed and the checkpoint signed for the new size go in one transaction, and only
from the size that sequencer read, so two sequencers can never both extend it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from gateway.infra.audit import AuditEntry
from gateway.infra.audit.tiles import Tile, TileAddress


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint as the gateway signed it: the tree's size and root, the signed note (the
    gateway's signature only; cosignatures are kept apart), and when it was last published."""

    size: int
    root: bytes
    note: bytes
    published_at: datetime


class Leadership(Protocol):
    """The right to sequence the audit log, held by one instance at a time."""

    async def acquire(self) -> None:
        """Return once this instance leads, waiting as long as another one does."""
        ...

    def holds(self) -> bool:
        """Whether this instance leads now."""
        ...

    async def release(self) -> None:
        """Lead no more, so that another instance may."""
        ...


class AuditTreeStore(Protocol):
    async def sequencer_leadership(self, lock_file: Path) -> Leadership:
        """Who may sequence among the instances sharing this store: on one host, the holder of
        ``lock_file`` (beside the database); where the database is shared between hosts, the
        holder of a lock in the database."""
        ...

    async def tiles(self, addresses: Sequence[TileAddress]) -> list[bytes]:
        """Each tile's hashes as kept, in the order of ``addresses``; ``b""`` for a tile that
        is not kept (yet). One read, however many tiles."""
        ...

    async def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The checkpoint of the largest tree, if any was published."""
        ...

    async def checkpoint(self, size: int) -> StoredCheckpoint | None:
        """The checkpoint published for a tree of ``size`` entries, if one was."""
        ...

    async def checkpoint_roots(self) -> list[tuple[int, bytes]]:
        """The size and root of every checkpoint kept, smallest first."""
        ...

    async def extend_tree(
        self, *, from_size: int, tiles: Sequence[Tile], checkpoint: StoredCheckpoint
    ) -> StoredCheckpoint:
        """Keep the tiles a batch changed (each in full, replacing the narrower one) and the
        checkpoint of the grown tree, in one transaction; only if the latest checkpoint is
        still of ``from_size`` entries (none for 0), else
        :class:`~gateway.infra.errors.AuditTreeMoved` and nothing is kept."""
        ...

    async def signal_entries(self, signal_ids: Collection[str]) -> dict[str, AuditEntry]:
        """The ``signal.accepted`` entry of each of the signals kept, by signal id (one read,
        however many): the leaves an export of their exchanges is proven by."""
        ...

    async def republish_checkpoint(self, checkpoint: StoredCheckpoint) -> StoredCheckpoint:
        """Publish the latest checkpoint again, signed anew (its note and time replaced); only
        for the size of the latest one, else :class:`~gateway.infra.errors.AuditTreeMoved`."""
        ...
