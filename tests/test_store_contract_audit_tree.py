"""The store's contract, whatever its backend: the audit log's Merkle tree, kept as tiles, and
its signed checkpoints."""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta

import pytest

from gateway.infra.audit import merkle
from gateway.infra.audit.merkle import EMPTY_ROOT
from gateway.infra.audit.tiles import (
    MemoryTiles,
    Tile,
    TileAddress,
    TileHashReader,
    TileIntegration,
)
from gateway.infra.clock import FixedClock
from gateway.infra.errors import AuditTreeMoved
from gateway.store import Store, StoredCheckpoint
from tests.store_backends import START


def leaves(first: int, count: int) -> list[bytes]:
    return [merkle.leaf_hash(b"entry %d" % n) for n in range(first, first + count)]


def checkpoint_of(grown: TileIntegration, clock: FixedClock) -> StoredCheckpoint:
    return StoredCheckpoint(
        size=grown.size,
        root=grown.root,
        note=b"note of %d\n" % grown.size,
        published_at=clock.now(),
    )


async def grow(
    store: Store, memory: MemoryTiles, count: int, clock: FixedClock
) -> StoredCheckpoint:
    """Integrate ``count`` more leaves in memory and keep what changed in the store."""
    size = memory.size
    grown = memory.append(leaves(size, count))
    return await store.extend_tree(
        from_size=size, tiles=grown.tiles, checkpoint=checkpoint_of(grown, clock)
    )


async def test_an_empty_store_has_no_tiles_and_no_checkpoint(empty_store: Store) -> None:
    assert await empty_store.tiles([]) == []
    assert await empty_store.tiles([TileAddress(0, 0), TileAddress(1, 3)]) == [b"", b""]
    assert await empty_store.latest_checkpoint() is None
    assert await empty_store.checkpoint(0) is None
    assert await empty_store.checkpoint_roots() == []


async def test_the_empty_tree_is_published_with_no_tiles(
    empty_store: Store, store_clock: FixedClock
) -> None:
    empty = StoredCheckpoint(0, EMPTY_ROOT, b"empty\n", store_clock.now())

    assert await empty_store.extend_tree(from_size=0, tiles=(), checkpoint=empty) == empty
    assert await empty_store.latest_checkpoint() == empty
    assert await empty_store.checkpoint(0) == empty


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_tiles_read_back_as_the_tree_wrote_them_batch_after_batch(
    empty_store: Store, store_clock: FixedClock, seed: int
) -> None:
    """Partial tiles are rewritten as they fill; whatever the batches, the store holds exactly
    the tiles of the tree and answers every proof as the tree in memory does."""
    memory = MemoryTiles()
    batches = random.Random(seed).choices([1, 2, 255, 256, 257, 700], k=8)
    for count in batches:
        store_clock.set(store_clock.now() + timedelta(seconds=1))
        kept = await grow(empty_store, memory, count, store_clock)
        assert kept == await empty_store.latest_checkpoint()
        assert (kept.size, kept.root) == (memory.size, memory.root)

    stored = memory.stored()
    addresses = sorted(stored)
    assert await empty_store.tiles(addresses) == [stored[a] for a in addresses]
    size = memory.size
    from_store, in_memory = TileHashReader(empty_store), TileHashReader(memory)
    for index in random.Random(seed).sample(range(size), 20):
        older = random.Random(index).randint(index + 1, size)
        assert await merkle.inclusion_proof(from_store, index, older) == (
            await merkle.inclusion_proof(in_memory, index, older)
        )
        assert await merkle.consistency_proof(from_store, index + 1, size) == (
            await merkle.consistency_proof(in_memory, index + 1, size)
        )
    assert await merkle.tree_root(from_store, size) == memory.root


async def test_a_tile_read_again_and_in_any_order_is_read_as_kept(
    empty_store: Store, store_clock: FixedClock
) -> None:
    memory = MemoryTiles()
    await grow(empty_store, memory, 600, store_clock)
    wanted = [TileAddress(0, 2), TileAddress(0, 0), TileAddress(9, 9), TileAddress(0, 2)]

    stored = memory.stored()
    assert await empty_store.tiles(wanted) == [
        stored[wanted[0]],
        stored[wanted[1]],
        b"",
        stored[wanted[0]],
    ]


async def test_many_tiles_are_read_in_one_call(empty_store: Store, store_clock: FixedClock) -> None:
    """The store keeps tiles as it is given them (the sequencer computed them)."""
    tiles = [Tile(0, index, hashlib.sha256(b"%d" % index).digest() * 256) for index in range(1001)]
    checkpoint = StoredCheckpoint(256 * 1001, b"r" * 32, b"n\n", store_clock.now())
    await empty_store.extend_tree(from_size=0, tiles=tiles, checkpoint=checkpoint)

    found = await empty_store.tiles([tile.address for tile in reversed(tiles)])

    assert found == [tile.hashes for tile in reversed(tiles)]


async def test_a_tree_extended_from_another_size_keeps_nothing(
    empty_store: Store, store_clock: FixedClock
) -> None:
    memory = MemoryTiles()
    first = await grow(empty_store, memory, 10, store_clock)
    behind = MemoryTiles()
    grown = behind.append(leaves(100, 5))

    for from_size in (0, 9, 11):
        with pytest.raises(AuditTreeMoved):
            await empty_store.extend_tree(
                from_size=from_size, tiles=grown.tiles, checkpoint=checkpoint_of(grown, store_clock)
            )

    assert await empty_store.latest_checkpoint() == first
    assert await empty_store.tiles([TileAddress(0, 0)]) == [memory.stored()[TileAddress(0, 0)]]


async def test_every_checkpoint_is_kept_by_its_size(
    empty_store: Store, store_clock: FixedClock
) -> None:
    memory = MemoryTiles()
    kept = []
    for count in (3, 4, 300):
        store_clock.set(store_clock.now() + timedelta(minutes=1))
        kept.append(await grow(empty_store, memory, count, store_clock))

    assert await empty_store.checkpoint_roots() == [(c.size, c.root) for c in kept]
    assert [await empty_store.checkpoint(c.size) for c in kept] == kept
    assert await empty_store.checkpoint(8) is None
    assert (await empty_store.latest_checkpoint()) == kept[-1]


async def test_the_latest_checkpoint_is_published_again_signed_anew(
    empty_store: Store, store_clock: FixedClock
) -> None:
    memory = MemoryTiles()
    older = await grow(empty_store, memory, 3, store_clock)
    latest = await grow(empty_store, memory, 3, store_clock)
    store_clock.set(START + timedelta(hours=1))
    again = StoredCheckpoint(latest.size, latest.root, b"signed anew\n", store_clock.now())

    assert await empty_store.republish_checkpoint(again) == again
    assert await empty_store.latest_checkpoint() == again
    with pytest.raises(AuditTreeMoved):
        await empty_store.republish_checkpoint(
            StoredCheckpoint(older.size, older.root, b"x\n", store_clock.now())
        )
    assert await empty_store.checkpoint(older.size) == older
