"""The one sequencer: it integrates new audit entries into the Merkle tree in batches and
publishes a signed checkpoint of each new size, as Trillian and Tessera do.

Intake never waits for it: an entry is written with its request, as before, and its receipt
names the leaf it will be (its index is its sequence number less one). Every ``interval``
the sequencer reads the entries after the tree's size, hashes them into the tree
(:func:`gateway.infra.audit.tiles.integrate`), signs the checkpoint of the new size, and keeps the
changed tiles with that checkpoint in one transaction. When nothing arrives it signs the
latest checkpoint again after ``republish_after``, so that an idle log is seen to be alive.

It signs only what it derived itself, and only a log that still continues the tree: the
stored tiles must give the root of the latest checkpoint, the entry the tree holds as its
last leaf must still be there unchanged, and each new entry must name its predecessor's hash.
Otherwise it integrates nothing from that entry on and says so in the operational log
(``audit_log_diverged``): a changed history is not signed over.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Protocol

from gateway.infra import audit
from gateway.infra.audit import AuditEntry, merkle, tiles
from gateway.infra.audit.checkpoint import Checkpoint, sign_checkpoint
from gateway.infra.audit.note import Ed25519Signer
from gateway.infra.audit.tiles import TileAddress
from gateway.infra.clock import Clock
from gateway.infra.errors import (
    AuditLogDiverged,
    AuditTreeIncomplete,
    AuditTreeMoved,
    StorageUnavailable,
)
from gateway.infra.logs import get_logger
from gateway.store import AuditReader, AuditTreeStore, StoredCheckpoint
from gateway.transparency.leadership import Leadership

BATCH: Final = 4096
"""Most entries integrated in one step; a longer backlog is worked off step after step."""
log = get_logger("euregate.sequencer")

# Why a log does not continue its tree (for the operational log; no entry's content).
LAST_LEAF_MISSING: Final = "the entry the tree holds as its last leaf is missing"
LAST_LEAF_CHANGED: Final = "the entry is not the one the tree holds as its last leaf"
ENTRY_MISSING: Final = "the entry is missing"
NOT_CHAINED: Final = "the entry does not name the hash of the entry before it"
TILES_CHANGED: Final = "the tree's tiles do not give the root of its latest checkpoint"


class TreeLog(AuditReader, AuditTreeStore, Protocol):
    """What the sequencer needs of the store: the entries, the tiles and the checkpoints."""


@dataclass(frozen=True)
class Planned:
    """What one step keeps: the changed tiles and the checkpoint to publish (none when there is
    nothing to publish), how many entries it integrates, and where the log stopped fitting."""

    tiles: tuple[tiles.Tile, ...] = ()
    checkpoint: StoredCheckpoint | None = None
    integrated: int = 0
    diverged: AuditLogDiverged | None = None


def needed_tiles(size: int) -> list[TileAddress]:
    """What a step reads of a tree of ``size`` leaves: its partial tiles, which give its root
    and its right edge, and the tile of its last leaf."""
    addresses = tiles.edge_tiles(size)
    last_tile = last_leaf_tile(size)
    if last_tile is not None and last_tile not in addresses:
        addresses.append(last_tile)
    return addresses


def root_of(found: dict[TileAddress, bytes], size: int) -> bytes | None:
    """The root of the tree of ``size`` leaves from its partial tiles; None when they do not
    hold what that size needs."""
    nodes = merkle.root_plan(size).nodes
    try:
        hashes = [tiles.node_from_tile(n, found.get(tiles.tile_span(n)[0], b"")) for n in nodes]
    except AuditTreeIncomplete:
        return None
    return merkle.fold(hashes) if hashes else merkle.EMPTY_ROOT


def last_leaf_tile(size: int) -> TileAddress | None:
    """The tile holding the tree's last leaf, for a tree of ``size`` leaves."""
    return TileAddress(0, (size - 1) // tiles.TILE_WIDTH) if size else None


def stored_leaf(hashes: bytes, index: int) -> bytes:
    """Leaf ``index``'s hash from the level-0 tile that holds it (empty if it does not)."""
    offset = (index % tiles.TILE_WIDTH) * merkle.HASH_SIZE
    return hashes[offset : offset + merkle.HASH_SIZE]


def continuing(
    size: int, last_leaf: bytes | None, entries: Sequence[AuditEntry]
) -> tuple[list[AuditEntry], AuditLogDiverged | None]:
    """The entries that continue the tree of ``size`` leaves, and why the rest do not.

    ``entries`` are the log's from sequence number ``size`` on (from 1 for an empty tree):
    the first is the entry the tree holds as its last leaf (``last_leaf``, its leaf hash),
    each one after it must follow by number and name the hash of the one before.
    """
    previous = audit.GENESIS
    following = list(entries)
    if size:
        if not following or following[0].seq != size:
            return [], AuditLogDiverged(seq=size, reason=LAST_LEAF_MISSING)
        last = following.pop(0)
        if merkle.leaf_hash(last.canonical) != last_leaf:
            return [], AuditLogDiverged(seq=size, reason=LAST_LEAF_CHANGED)
        previous = hashlib.sha256(last.canonical).hexdigest()
    kept: list[AuditEntry] = []
    for entry in following:
        expected = size + len(kept) + 1
        if entry.seq != expected:
            return kept, AuditLogDiverged(seq=expected, reason=ENTRY_MISSING)
        if _named_predecessor(entry) != previous:
            return kept, AuditLogDiverged(seq=entry.seq, reason=NOT_CHAINED)
        kept.append(entry)
        previous = hashlib.sha256(entry.canonical).hexdigest()
    return kept, None


def _named_predecessor(entry: AuditEntry) -> str | None:
    try:
        return entry.prev
    except (ValueError, KeyError, TypeError):
        return None


class Sequencer:
    """Integrates the audit log into its tree, while it holds ``leadership``."""

    def __init__(
        self,
        *,
        store: TreeLog,
        signer: Ed25519Signer,
        clock: Clock,
        leadership: Leadership,
        interval: float = 0.5,
        republish_after: timedelta = timedelta(hours=1),
        batch: int = BATCH,
    ) -> None:
        """``signer`` signs checkpoints under the log's origin; ``interval`` is the most
        seconds between steps while entries arrive."""
        self._store = store
        self._signer = signer
        self._clock = clock
        self._leadership = leadership
        self._interval = interval
        self._republish_after = republish_after
        self._batch = batch
        self._reported: AuditLogDiverged | None = None

    @property
    def leads(self) -> bool:
        """Whether this instance holds the leadership (else it waits for it: a follower)."""
        return self._leadership.holds()

    @property
    def diverged(self) -> bool:
        """Whether the last step found that the log does not continue the tree."""
        return self._reported is not None

    async def run(self) -> None:
        """Step every ``interval`` while this instance leads (waiting until it does); at once
        again after a full batch. Leadership lost (its database session ended) is sought
        again, until cancelled."""
        while True:
            await self._leadership.acquire()
            try:
                while self._leadership.holds():
                    started = time.monotonic()
                    integrated = await self._guarded_step()
                    if integrated < self._batch:
                        await asyncio.sleep(max(0.0, self._interval - (time.monotonic() - started)))
            finally:
                await self._leadership.release()
            log.warning("sequencer_leadership_lost")

    async def _guarded_step(self) -> int:
        try:
            return await self.step()
        except AuditTreeMoved as moved:
            log.warning("audit_tree_moved", **moved.params)
        except AuditLogDiverged as diverged:
            self._report(diverged)
        except StorageUnavailable:
            pass  # the store says so in the log; the next step tries again
        return 0

    def _report(self, diverged: AuditLogDiverged) -> None:
        """Log a divergence once, not at every step."""
        if self._reported is None or self._reported.params != diverged.params:
            log.error("audit_log_diverged", **diverged.params)
        self._reported = diverged

    async def step(self) -> int:
        """Integrate what arrived since the latest checkpoint (at most a batch) and publish the
        grown tree's checkpoint; or publish the latest again when it is due. How many entries
        were integrated; :class:`~gateway.infra.errors.AuditLogDiverged` when the log does not
        continue the tree (after keeping the entries before the misfit)."""
        latest = await self._store.latest_checkpoint()
        size = latest.size if latest is not None else 0
        entries = await self._store.audit_entries(
            after=max(size - 1, 0), limit=self._batch + (1 if size else 0)
        )
        addresses = needed_tiles(size)
        found = dict(zip(addresses, await self._store.tiles(addresses), strict=True))
        planned = await asyncio.to_thread(self._plan, latest, found, entries)
        if planned.checkpoint is None:
            pass
        elif latest is not None and planned.checkpoint.size == latest.size:
            await self._store.republish_checkpoint(planned.checkpoint)
        else:
            await self._store.extend_tree(
                from_size=size, tiles=planned.tiles, checkpoint=planned.checkpoint
            )
        if planned.diverged is not None:
            raise planned.diverged
        self._reported = None
        return planned.integrated

    def _plan(
        self,
        latest: StoredCheckpoint | None,
        found: dict[TileAddress, bytes],
        entries: Sequence[AuditEntry],
    ) -> Planned:
        size = latest.size if latest is not None else 0
        if latest is not None and root_of(found, size) != latest.root:
            return Planned(diverged=AuditLogDiverged(seq=size, reason=TILES_CHANGED))
        last_tile = last_leaf_tile(size)
        last_leaf = None if last_tile is None else stored_leaf(found[last_tile], size - 1)
        new, diverged = continuing(size, last_leaf, entries)
        if new or latest is None:
            edge = [found[address] for address in tiles.edge_tiles(size)]
            grown = tiles.integrate(size, edge, [merkle.leaf_hash(e.canonical) for e in new])
            signed = self._signed(grown.size, grown.root)
            return Planned(grown.tiles, signed, len(new), diverged)
        if self._clock.now() - latest.published_at >= self._republish_after:
            return Planned(checkpoint=self._signed(latest.size, latest.root), diverged=diverged)
        return Planned(diverged=diverged)

    async def catch_up(self) -> StoredCheckpoint | None:
        """Step until every entry written so far is in the tree; the latest checkpoint."""
        while await self.step() == self._batch:
            pass
        return await self._store.latest_checkpoint()

    def _signed(self, size: int, root: bytes) -> StoredCheckpoint:
        checkpoint = Checkpoint(self._signer.name, size, root)
        note = sign_checkpoint(checkpoint, self._signer).encode()
        return StoredCheckpoint(size=size, root=root, note=note, published_at=self._clock.now())
