"""How the tree's hashes are stored: C2SP tlog-tiles, 256 hashes to a tile.

A tile at level ``L`` and index ``N`` holds the hashes of the complete subtrees of height
``8·L`` numbered ``N·256`` to ``N·256 + 255``: at level 0 the leaf hashes, at level 1 the
hash of each full level-0 tile, and so on (``c2sp.org/tlog-tiles``). The rightmost tile of
each level is *partial* (1 to 255 hashes) and only grows: a wider tile begins with the
narrower one, so one row per tile, rewritten as it fills, serves every tree size. Any
:class:`~gateway.infra.audit.merkle.Node` is in one tile: a node of height ``8·L + k`` is the
hash of ``2^k`` consecutive hashes of a level-``L`` tile (:func:`tile_span`), computed
from them with at most 127 hashings.

Why tiles rather than a table of every complete subtree ``(level, index, hash)``
(measured by ``bench/tlog.py --storage`` with a million entries in SQLite):

- **size**: tiles hold 32 bytes per entry plus 1/255 for the levels above, one row per 256
  entries (ten million entries: 39,217 rows, 321 MB of hashes); on disk 34.2 bytes per
  entry against 84.8 for a node table, which has about two rows per entry;
- **writes**: a batch of ``b`` entries writes ``b/256`` new tiles and rewrites at most one
  partial tile per level (three at ten million), against ``2b`` row inserts (a million
  entries: 0.11 s against 4.5 s);
- **reads**: an inclusion proof at ten million entries reads at most five tiles (the path's
  tile and the right edge's partial one, per level) and hashes about 750 pairs to compute
  the nodes inside them, 0.75 ms of CPU; a node table needs 25 rows;
- **interoperability**: the rows are the tlog-tiles resources (:func:`tile_path`), so the
  gateway can serve them to witnesses and monitors as they are, and Go's ``sumdb/tlog`` and
  Tessera's clients read them.

The store implements :class:`TileReader`; :class:`TileHashReader` turns it into the
:class:`~gateway.infra.audit.merkle.HashReader` that proofs read from (:class:`BatchTileHashReader`
for many proofs at once), and :func:`integrate` is the sequencer's step in tiles.
:class:`MemoryTiles` is the in-memory implementation for tests and benchmarks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from gateway.infra.audit import merkle
from gateway.infra.audit.merkle import HASH_SIZE, Node
from gateway.infra.errors import AuditTreeIncomplete

TILE_HEIGHT: Final = 8
TILE_WIDTH: Final = 1 << TILE_HEIGHT


@dataclass(frozen=True, slots=True, order=True)
class TileAddress:
    level: int
    index: int


@dataclass(frozen=True)
class Tile:
    """A tile's hashes, 32 bytes each, concatenated (as tlog-tiles serves them)."""

    level: int
    index: int
    hashes: bytes

    @property
    def address(self) -> TileAddress:
        return TileAddress(self.level, self.index)

    @property
    def width(self) -> int:
        return len(self.hashes) // HASH_SIZE


class TileReader(Protocol):
    """Reads stored tiles (what the store implements)."""

    async def tiles(self, addresses: Sequence[TileAddress]) -> list[bytes]:
        """Each tile's hashes as stored, in the order of ``addresses``; ``b""`` for a tile
        that does not exist."""
        ...


def tile_span(node: Node) -> tuple[TileAddress, int, int]:
    """The tile that holds ``node``, the position of its first hash there and how many
    hashes (a power of two, at most 128) make it up."""
    level, height = divmod(node.level, TILE_HEIGHT)
    first = node.index << height
    return TileAddress(level, first // TILE_WIDTH), first % TILE_WIDTH, 1 << height


def node_from_tile(node: Node, hashes: bytes) -> bytes:
    """The hash of ``node`` from the hashes of the tile that holds it."""
    _, position, count = tile_span(node)
    if len(hashes) < (position + count) * HASH_SIZE:
        raise AuditTreeIncomplete(level=node.level, index=node.index)
    row = [
        hashes[offset : offset + HASH_SIZE]
        for offset in range(position * HASH_SIZE, (position + count) * HASH_SIZE, HASH_SIZE)
    ]
    while len(row) > 1:
        row = merkle.hash_pairs(row)
    return row[0]


def tiles_needed(nodes: Sequence[Node]) -> list[TileAddress]:
    """The tiles that hold ``nodes``, each once, in order."""
    return sorted({tile_span(node)[0] for node in nodes})


def edge_tiles(size: int) -> list[TileAddress]:
    """The partial tiles of a tree of ``size`` leaves, lowest level first: what
    :func:`integrate` needs besides the new leaves."""
    addresses = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        below = size >> (TILE_HEIGHT * level)
        if below % TILE_WIDTH:
            addresses.append(TileAddress(level, below // TILE_WIDTH))
        level += 1
    return addresses


def tile_width(address: TileAddress, size: int) -> int:
    """How many hashes ``address`` holds in a tree of ``size`` leaves (0 to 256)."""
    below = size >> (TILE_HEIGHT * address.level)
    return max(0, min(TILE_WIDTH, below - address.index * TILE_WIDTH))


def tile_path(address: TileAddress, width: int = TILE_WIDTH) -> str:
    """The tile's path under a tlog-tiles prefix: ``tile/<L>/<N>[.p/<W>]``, with ``N`` in
    groups of three digits, all but the last with an ``x`` (1234067 is ``x001/x234/067``)."""
    digits = f"{address.index:03d}"
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    index = "/".join([*(f"x{group}" for group in groups[:-1]), groups[-1]])
    partial = f".p/{width}" if width < TILE_WIDTH else ""
    return f"tile/{address.level}/{index}{partial}"


@dataclass(frozen=True)
class TileIntegration:
    """A batch integrated into tiles: the new size and root, and every tile it changed, in
    full (new tiles and the partial tiles it widened)."""

    size: int
    root: bytes
    tiles: tuple[Tile, ...]


def integrate(size: int, edge: Sequence[bytes], leaves: Sequence[bytes]) -> TileIntegration:
    """Append the leaf hashes ``leaves`` to the tree of ``size`` leaves whose partial tiles
    (the tiles of :func:`edge_tiles`, in that order) hold ``edge``."""
    addresses = edge_tiles(size)
    if len(edge) != len(addresses):
        raise ValueError(f"{len(addresses)} partial tiles needed, {len(edge)} given")
    partial = {
        address.level: hashes[: tile_width(address, size) * HASH_SIZE]
        for address, hashes in zip(addresses, edge, strict=True)
    }
    edge_hashes = [
        node_from_tile(node, partial[node.level // TILE_HEIGHT]) for node in merkle.edge_nodes(size)
    ]
    grown = merkle.integrate(size, edge_hashes, leaves)
    tiles: list[Tile] = []
    for level in range(0, len(grown.levels), TILE_HEIGHT):
        first, hashes = grown.levels[level]
        if hashes:
            tiles.extend(_tiles_from(level // TILE_HEIGHT, first, partial, hashes))
    return TileIntegration(size=grown.size, root=grown.root, tiles=tuple(tiles))


def _tiles_from(
    level: int, first: int, partial: dict[int, bytes], hashes: Sequence[bytes]
) -> list[Tile]:
    """The tiles of ``level`` that the hashes numbered from ``first`` on fill or widen."""
    start = first - first % TILE_WIDTH
    row = (partial.get(level, b"") if first % TILE_WIDTH else b"") + b"".join(hashes)
    step = TILE_WIDTH * HASH_SIZE
    return [
        Tile(level, (start // TILE_WIDTH) + number, row[offset : offset + step])
        for number, offset in enumerate(range(0, len(row), step))
    ]


class TileHashReader:
    """The :class:`~gateway.infra.audit.merkle.HashReader` of a :class:`TileReader`: each tile a
    proof touches is read once."""

    def __init__(self, tiles: TileReader) -> None:
        self._tiles = tiles

    async def hashes(self, nodes: Sequence[Node]) -> list[bytes]:
        addresses = tiles_needed(nodes)
        contents = dict(zip(addresses, await self._tiles.tiles(addresses), strict=True))
        return [node_from_tile(node, contents[tile_span(node)[0]]) for node in nodes]


class BatchTileHashReader:
    """A :class:`~gateway.infra.audit.merkle.HashReader` for many proofs at once (an export's): each
    tile is read once and its inner levels are hashed once, so that the proofs of ``k`` leaves
    of a tree of ``n`` cost at most about ``n`` hashings, not ``k`` times 750."""

    def __init__(self, tiles: TileReader) -> None:
        self._tiles = tiles
        self._levels: dict[TileAddress, list[list[bytes]]] = {}

    async def hashes(self, nodes: Sequence[Node]) -> list[bytes]:
        missing = [address for address in tiles_needed(nodes) if address not in self._levels]
        for address, hashes in zip(missing, await self._tiles.tiles(missing), strict=True):
            self._levels[address] = _inner_levels(hashes)
        return [self._node(node) for node in nodes]

    def _node(self, node: Node) -> bytes:
        address, position, count = tile_span(node)
        row = self._levels[address][count.bit_length() - 1]
        if position // count >= len(row):
            raise AuditTreeIncomplete(level=node.level, index=node.index)
        return row[position // count]


def _inner_levels(hashes: bytes) -> list[list[bytes]]:
    """A tile's hashes, then the hash of each pair of them, and so on up (at most 8 levels)."""
    rows = [[hashes[i : i + HASH_SIZE] for i in range(0, len(hashes), HASH_SIZE)]]
    while len(rows) <= TILE_HEIGHT and len(rows[-1]) > 1:
        rows.append(merkle.hash_pairs(rows[-1]))
    while len(rows) <= TILE_HEIGHT:
        rows.append([])
    return rows


class MemoryTiles:
    """Tiles in a dictionary: the :class:`TileReader` of tests and benchmarks."""

    def __init__(self) -> None:
        self.size = 0
        self.root = merkle.EMPTY_ROOT
        self._tiles: dict[TileAddress, bytes] = {}

    def append(self, leaves: Sequence[bytes]) -> TileIntegration:
        """Integrate the leaf hashes ``leaves`` and keep what changed."""
        edge = [self._tiles.get(address, b"") for address in edge_tiles(self.size)]
        grown = integrate(self.size, edge, leaves)
        for tile in grown.tiles:
            self._tiles[tile.address] = tile.hashes
        self.size, self.root = grown.size, grown.root
        return grown

    async def tiles(self, addresses: Sequence[TileAddress]) -> list[bytes]:
        return [self._tiles.get(address, b"") for address in addresses]

    def stored(self) -> dict[TileAddress, bytes]:
        return dict(self._tiles)
