"""The tree stored as C2SP tlog-tiles: addressing, integration in batches, proofs from tiles."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.infra.audit import merkle, tiles
from gateway.infra.audit.merkle import HASH_SIZE, Node, leaf_hash
from gateway.infra.audit.tiles import (
    TILE_WIDTH,
    BatchTileHashReader,
    MemoryTiles,
    TileAddress,
    TileHashReader,
    edge_tiles,
    tile_path,
    tile_span,
    tile_width,
)
from gateway.infra.errors import AuditTreeIncomplete


class CountingTiles:
    """A :class:`MemoryTiles` that counts what is read."""

    def __init__(self, memory: MemoryTiles) -> None:
        self.memory = memory
        self.calls: list[list[TileAddress]] = []

    async def tiles(self, addresses: Sequence[TileAddress]) -> list[bytes]:
        self.calls.append(list(addresses))
        return await self.memory.tiles(addresses)


def leaves(start: int, end: int) -> list[bytes]:
    return [leaf_hash(n.to_bytes(4, "big")) for n in range(start, end)]


def log_of(size: int, batch: int = 1000) -> MemoryTiles:
    memory = MemoryTiles()
    for start in range(0, size, batch):
        memory.append(leaves(start, min(size, start + batch)))
    return memory


# --- addressing, from the tlog-tiles specification -------------------------------------------


def test_tile_paths_split_the_index_in_groups_of_three() -> None:
    assert tile_path(TileAddress(0, 1234067)) == "tile/0/x001/x234/067"
    assert tile_path(TileAddress(1, 0)) == "tile/1/000"
    assert tile_path(TileAddress(2, 1000), width=17) == "tile/2/x001/000.p/17"


def test_a_tree_of_70000_has_the_partial_tiles_the_specification_lists() -> None:
    """ "273 full level 0 tiles, one partial level 0 tile of width 112, one full level 1
    tile, one partial level 1 tile of width 17, and one partial level 2 tile of width 1"."""
    size = 70_000
    partial = edge_tiles(size)
    assert partial == [TileAddress(0, 273), TileAddress(1, 1), TileAddress(2, 0)]
    assert [tile_width(address, size) for address in partial] == [112, 17, 1]
    assert tile_width(TileAddress(0, 272), size) == TILE_WIDTH
    assert tile_width(TileAddress(1, 0), size) == TILE_WIDTH
    assert tile_width(TileAddress(0, 274), size) == 0


def test_a_tree_of_256_has_a_full_tile_and_a_partial_one_above() -> None:
    assert edge_tiles(256) == [TileAddress(1, 0)]
    assert tile_width(TileAddress(0, 0), 256) == 256
    assert tile_width(TileAddress(1, 0), 256) == 1


def test_each_node_lies_in_one_tile() -> None:
    assert tile_span(Node(0, 300)) == (TileAddress(0, 1), 44, 1)
    assert tile_span(Node(3, 40)) == (TileAddress(0, 1), 64, 8)
    assert tile_span(Node(8, 5)) == (TileAddress(1, 0), 5, 1)
    assert tile_span(Node(15, 3)) == (TileAddress(1, 1), 128, 128)
    assert tile_span(Node(16, 0)) == (TileAddress(2, 0), 0, 1)


# --- integration -----------------------------------------------------------------------------


def test_tiles_hold_the_leaf_hashes_and_the_hash_of_each_full_tile_below() -> None:
    memory = log_of(600)
    stored = memory.stored()
    assert set(stored) == {
        TileAddress(0, 0),
        TileAddress(0, 1),
        TileAddress(0, 2),
        TileAddress(1, 0),
    }
    assert stored[TileAddress(0, 2)] == b"".join(leaves(512, 600))
    level_one = stored[TileAddress(1, 0)]
    assert len(level_one) == 2 * HASH_SIZE
    assert level_one[:HASH_SIZE] == mth_of(leaves(0, 256))
    assert level_one[HASH_SIZE:] == mth_of(leaves(256, 512))
    assert memory.root == mth_of(leaves(0, 600))


def mth_of(hashes: list[bytes]) -> bytes:
    row = hashes
    while len(row) > 1:
        row = merkle.hash_pairs(row) + ([row[-1]] if len(row) % 2 else [])
    return row[0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 700), min_size=1, max_size=6))
def test_any_batches_store_the_same_tiles_as_one(batches: list[int]) -> None:
    total = sum(batches)
    whole = MemoryTiles()
    whole.append(leaves(0, total))
    parts = MemoryTiles()
    start = 0
    for count in batches:
        parts.append(leaves(start, start + count))
        start += count
    assert parts.stored() == whole.stored()
    expected_root = mth_of(leaves(0, total)) if total else merkle.EMPTY_ROOT
    assert (parts.size, parts.root) == (whole.size, whole.root) == (total, expected_root)


def test_a_partial_tile_only_grows() -> None:
    memory = MemoryTiles()
    seen: dict[TileAddress, bytes] = {}
    for start in range(0, 2000, 37):
        memory.append(leaves(start, start + 37))
        for address, hashes in memory.stored().items():
            before = seen.get(address, b"")
            assert hashes.startswith(before)
            seen[address] = hashes


def test_a_batch_writes_only_the_tiles_it_changes() -> None:
    memory = log_of(70_000, batch=10_000)
    grown = memory.append(leaves(70_000, 70_100))
    assert [(t.level, t.index, t.width) for t in grown.tiles] == [(0, 273, 212)]
    grown = memory.append(leaves(70_100, 70_400))
    assert [(t.level, t.index, t.width) for t in grown.tiles] == [
        (0, 273, 256),
        (0, 274, 256),
        (1, 1, 19),
    ]


def test_the_edge_must_be_the_partial_tiles() -> None:
    with pytest.raises(ValueError, match="partial tiles"):
        tiles.integrate(300, [], leaves(300, 301))


# --- proofs from tiles -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def log() -> MemoryTiles:
    return log_of(70_000, batch=7_000)


def expected(plan: merkle.Plan) -> list[bytes]:
    """The plan's hashes from the leaves themselves."""
    nodes = [leaves(n.index << n.level, (n.index + 1) << n.level) for n in plan.nodes]
    return plan.assemble([mth_of(hashes) for hashes in nodes])


def test_every_root_and_a_spread_of_proofs_match_the_definition() -> None:
    memory = log_of(300, batch=7)
    reader = TileHashReader(memory)
    for size in range(1, 301):
        assert asyncio.run(merkle.tree_root(reader, size)) == mth_of(leaves(0, size))
    for size in (1, 2, 3, 255, 256, 257, 300):
        for index in range(0, size, 7):
            proof = asyncio.run(merkle.inclusion_proof(reader, index, size))
            assert proof == expected(merkle.inclusion_plan(index, size))
        for first in range(1, size + 1, 5):
            proof = asyncio.run(merkle.consistency_proof(reader, first, size))
            assert proof == expected(merkle.consistency_plan(first, size))


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_proofs_from_tiles_verify_against_the_root_at_every_size(
    log: MemoryTiles, data: st.DataObject
) -> None:
    size = data.draw(st.integers(1, log.size), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    first = data.draw(st.integers(1, size), label="first")
    reader = TileHashReader(log)
    root = asyncio.run(merkle.tree_root(reader, size))
    proof = asyncio.run(merkle.inclusion_proof(reader, index, size))
    assert merkle.verify_inclusion(leaves(index, index + 1)[0], index, size, proof, root)
    consistency = asyncio.run(merkle.consistency_proof(reader, first, size))
    first_root = asyncio.run(merkle.tree_root(reader, first))
    assert merkle.verify_consistency(first, size, consistency, first_root, root)


def test_a_proof_reads_its_tiles_in_one_call_at_most_two_per_level(log: MemoryTiles) -> None:
    counting = CountingTiles(log)
    reader = TileHashReader(counting)
    for index in (0, 12_345, 65_535, 69_999):
        asyncio.run(merkle.inclusion_proof(reader, index, 70_000))
    asyncio.run(merkle.consistency_proof(reader, 4_321, 70_000))
    assert len(counting.calls) == 5
    for addresses in counting.calls:
        assert len(addresses) == len(set(addresses)) <= 2 * 3


def test_a_missing_tile_is_an_internal_error() -> None:
    class Empty:
        async def tiles(self, addresses: Sequence[TileAddress]) -> list[bytes]:
            return [b"" for _ in addresses]

    with pytest.raises(AuditTreeIncomplete):
        asyncio.run(merkle.inclusion_proof(TileHashReader(Empty()), 3, 10))


# --- naming where a log diverged from checkpoints trusted earlier ---------------------------


def roots_at(memory: MemoryTiles, sizes: Sequence[int]) -> list[tuple[int, bytes]]:
    reader = TileHashReader(memory)
    return [(size, asyncio.run(merkle.tree_root(reader, size))) for size in sizes]


TRUSTED_SIZES = (10, 50, 100, 200, 250, 300)


def tampered(changed: int | None = None, size: int = 300) -> MemoryTiles:
    hashes = leaves(0, size)
    if changed is not None:
        hashes[changed] = leaf_hash(b"rewritten")
    memory = MemoryTiles()
    memory.append(hashes)
    return memory


def test_an_intact_log_agrees_with_every_trusted_checkpoint() -> None:
    trusted = roots_at(tampered(), TRUSTED_SIZES)
    log = tampered(size=320)
    assert asyncio.run(merkle.first_divergence(TileHashReader(log), 320, trusted)) is None


@pytest.mark.parametrize(
    ("changed", "expected"),
    [(0, (0, 10)), (9, (0, 10)), (10, (10, 50)), (120, (100, 200)), (299, (250, 300))],
)
def test_a_changed_entry_is_placed_between_two_trusted_checkpoints(
    changed: int, expected: tuple[int, int]
) -> None:
    trusted = roots_at(tampered(), TRUSTED_SIZES)
    counting = CountingTiles(tampered(changed))
    found = asyncio.run(merkle.first_divergence(TileHashReader(counting), 300, trusted))
    assert found == merkle.Divergence(*expected)
    assert len(counting.calls) <= 3


def test_a_truncated_log_differs_from_the_first_checkpoint_beyond_its_end() -> None:
    trusted = roots_at(tampered(), TRUSTED_SIZES)
    log = tampered(size=150)
    found = asyncio.run(merkle.first_divergence(TileHashReader(log), 150, trusted))
    assert found == merkle.Divergence(agrees_up_to=100, differs_at=200)


@given(st.integers(1, 3000), st.lists(st.integers(0, 2999), min_size=1, max_size=40))
def test_many_proofs_at_once_are_the_proofs_one_at_a_time(size: int, picked: list[int]) -> None:
    memory = MemoryTiles()
    memory.append([merkle.leaf_hash(b"%d" % n) for n in range(size)])
    indices = sorted({index % size for index in picked})

    async def both() -> tuple[dict[int, list[bytes]], dict[int, list[bytes]]]:
        batch = await merkle.inclusion_proofs(BatchTileHashReader(memory), indices, size)
        single = {i: await merkle.inclusion_proof(TileHashReader(memory), i, size) for i in indices}
        return batch, single

    batch, single = asyncio.run(both())
    assert batch == single
