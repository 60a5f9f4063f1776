"""The audit log's Merkle tree, as RFC 9162 §2.1 defines it (the tree of RFC 6962).

A leaf's hash is ``SHA-256(0x00 || entry)``, an inner node's ``SHA-256(0x01 || left || right)``,
and the tree of ``n`` leaves splits at the largest power of two below ``n``. Every hash a
proof or a root needs is the hash of a *complete* subtree, a :class:`Node` ``(level,
index)`` covering the leaves ``[index·2^level, (index+1)·2^level)``; once written, such a
hash never changes. So the work is split in three:

- **which** nodes a root, an inclusion proof or a consistency proof needs: a :class:`Plan`,
  pure arithmetic on sizes (:func:`root_plan`, :func:`inclusion_plan`,
  :func:`consistency_plan`), at most about ``2·log2(n)`` nodes;
- **reading** them: a :class:`HashReader`, which the store implements (one call per proof);
- **combining** them: :meth:`Plan.assemble`.

:func:`inclusion_proof`, :func:`consistency_proof` and :func:`tree_root` do the three in
turn. :func:`verify_inclusion` and :func:`verify_consistency`, the verification algorithms of
RFC 9162 §2.1.3.2 and §2.1.4.2, and the leaf and node hashes are the partner client's
(:mod:`euregate_client.merkle`), so that a partner checks a proof as the gateway makes it.
:func:`integrate` is the sequencer's step: the hashes of a batch of new leaves, with the
tree's right edge (the O(log n) complete subtrees that make up its current size), give every
new node and the new root without reading anything else. :func:`first_divergence` names
where a log stopped agreeing with checkpoints trusted earlier.

Why not ``pymerkle`` (7.0.0, the RFC 9162 library on PyPI), measured on the development
machine with a million 8-byte entries: its ``SqliteTree`` stores leaves only and recomputes
every subtree from them, with an in-memory cache, so a proof reads O(n) leaves (1.8 s for
an inclusion proof at one million entries after a restart, 1.4 s warm: some 18 s at ten
million); its ``InmemoryTree`` answers in 0.15 ms but keeps every node as a Python object in
memory (about 2n objects, gigabytes at ten million) and nothing on disk. Neither can store
complete-subtree hashes in the gateway's own database behind ``gateway.store``, nor prove
from an old tree size without rebuilding. The algorithms are short; this module keeps them
with the RFC's and transparency-dev's test vectors and property tests
(``tests/test_audit_merkle.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from euregate_client import merkle as _partner

# The hashes and the proofs' verification, as a partner does it.
EMPTY_ROOT = _partner.EMPTY_ROOT
HASH_SIZE = _partner.HASH_SIZE
NODE_PREFIX = _partner.NODE_PREFIX
hashes_well_formed = _partner.hashes_well_formed
leaf_hash = _partner.leaf_hash
node_hash = _partner.node_hash
verify_consistency = _partner.verify_consistency
verify_inclusion = _partner.verify_inclusion


def hash_pairs(row: Sequence[bytes]) -> list[bytes]:
    """The level above ``row``: each pair of neighbours hashed, an odd last one left out."""
    sha256 = hashlib.sha256
    return [
        sha256(NODE_PREFIX + left + right).digest()
        for left, right in zip(row[::2], row[1::2], strict=False)
    ]


@dataclass(frozen=True, slots=True, order=True)
class Node:
    """A complete subtree: the leaves ``[index << level, (index + 1) << level)``."""

    level: int
    index: int


class HashReader(Protocol):
    """Reads the stored hashes of complete subtrees (what the store implements)."""

    async def hashes(self, nodes: Sequence[Node]) -> list[bytes]:
        """The hash of each of ``nodes``, in their order; every one is complete in the log."""
        ...


def split_point(size: int) -> int:
    """The largest power of two smaller than ``size`` (``size`` > 1): where RFC 9162 splits."""
    return 1 << ((size - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[Node]:
    """The complete subtrees that make up the leaves ``[start, end)``, left to right.

    The range must be one the tree's recursion produces: ``start`` a multiple of the
    smallest power of two not below ``end - start``. Their hashes fold into the range's
    hash from the right (:func:`fold`).
    """
    width = end - start
    if width < 0 or (width and start % (1 << (width - 1).bit_length())):
        raise ValueError(f"[{start}, {end}) is not a range of the Merkle tree")
    nodes = []
    while start < end:
        level = (end - start).bit_length() - 1
        nodes.append(Node(level, start >> level))
        start += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of a range from the hashes of its :func:`range_nodes`, right to left."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


@dataclass(frozen=True)
class Plan:
    """The leaf ranges whose hashes a root or proof consists of, and the nodes they need.

    ``spans`` are the proof's elements in the order RFC 9162 lists them, each the leaf
    range ``[start, end)`` whose hash it is; ``nodes`` are the complete subtrees to read,
    span after span.
    """

    spans: tuple[tuple[int, int], ...]
    nodes: tuple[Node, ...]

    @classmethod
    def of(cls, spans: Sequence[tuple[int, int]]) -> Plan:
        nodes = tuple(node for start, end in spans for node in range_nodes(start, end))
        return cls(spans=tuple(spans), nodes=nodes)

    def assemble(self, hashes: Sequence[bytes]) -> list[bytes]:
        """One hash per span from the hashes of :attr:`nodes`, in the same order."""
        if len(hashes) != len(self.nodes):
            raise ValueError(f"{len(self.nodes)} hashes needed, {len(hashes)} given")
        result, taken = [], 0
        for start, end in self.spans:
            count = len(range_nodes(start, end))
            result.append(fold(hashes[taken : taken + count]))
            taken += count
        return result


def root_plan(size: int) -> Plan:
    """The nodes of the root of a tree of ``size`` leaves (none for the empty tree)."""
    if size < 0:
        raise ValueError("a tree size is not negative")
    return Plan.of([(0, size)] if size else [])


def inclusion_plan(index: int, size: int) -> Plan:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves: PATH(m, D[n]) of RFC
    9162 §2.1.3.1, from the leaf's sibling up to the root's other child."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    spans: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            spans.append((start + k, end))
            end = start + k
        else:
            spans.append((start, start + k))
            start += k
    return Plan.of(spans[::-1])


def consistency_plan(first: int, second: int) -> Plan:
    """The consistency proof between the trees of ``first`` and ``second`` leaves:
    PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 §2.1.4.1. Empty when the sizes are
    equal, or when ``first`` is 0 (the empty tree is a prefix of every tree)."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    spans: list[tuple[int, int]] = []
    if first == 0:
        return Plan.of(spans)
    start, end, whole = 0, second, True
    while first != end:
        k = split_point(end - start)
        if first - start <= k:
            spans.append((start + k, end))
            end = start + k
        else:
            spans.append((start, start + k))
            start, whole = start + k, False
    if not whole:
        spans.append((start, end))
    return Plan.of(spans[::-1])


async def tree_root(reader: HashReader, size: int) -> bytes:
    """The root hash of the log's first ``size`` entries."""
    plan = root_plan(size)
    if not plan.nodes:
        return EMPTY_ROOT
    return plan.assemble(await reader.hashes(plan.nodes))[0]


async def inclusion_proof(reader: HashReader, index: int, size: int) -> list[bytes]:
    plan = inclusion_plan(index, size)
    return plan.assemble(await reader.hashes(plan.nodes) if plan.nodes else [])


async def consistency_proof(reader: HashReader, first: int, second: int) -> list[bytes]:
    plan = consistency_plan(first, second)
    return plan.assemble(await reader.hashes(plan.nodes) if plan.nodes else [])


async def inclusion_proofs(
    reader: HashReader, indices: Sequence[int], size: int
) -> dict[int, list[bytes]]:
    """The audit paths of several leaves of one tree, read in one call."""
    plans = {index: inclusion_plan(index, size) for index in indices}
    nodes = sorted({node for plan in plans.values() for node in plan.nodes})
    found = dict(zip(nodes, await reader.hashes(nodes) if nodes else [], strict=True))
    return {
        index: plan.assemble([found[node] for node in plan.nodes]) for index, plan in plans.items()
    }


@dataclass(frozen=True)
class Integration:
    """What a batch of leaves adds to a tree: the new size and root, the new right edge, and
    every complete subtree the batch completed.

    ``levels[level]`` is ``(index, hashes)``: the new nodes of that level, consecutive from
    ``Node(level, index)``; a level the batch completed nothing in has ``hashes`` empty.
    """

    size: int
    root: bytes
    edge: tuple[bytes, ...]
    levels: tuple[tuple[int, tuple[bytes, ...]], ...]

    def nodes(self) -> list[tuple[Node, bytes]]:
        """Every new complete subtree with its hash, level by level."""
        return [
            (Node(level, index + offset), value)
            for level, (index, hashes) in enumerate(self.levels)
            for offset, value in enumerate(hashes)
        ]


def edge_nodes(size: int) -> list[Node]:
    """The right edge of a tree of ``size`` leaves: its complete subtrees of one size each,
    largest first. Their hashes are all :func:`integrate` needs to grow the tree."""
    return range_nodes(0, size)


def integrate(size: int, edge: Sequence[bytes], leaves: Sequence[bytes]) -> Integration:
    """Append the leaf hashes ``leaves`` to the tree of ``size`` leaves whose right edge
    (the hashes of :func:`edge_nodes`) is ``edge``.

    One pass per level over the new nodes, each paired with at most one old node (the edge's
    node of that level, when the old size has that bit set), so the cost is one hash per new
    node: about two per leaf.
    """
    if len(edge) != size.bit_count() or not hashes_well_formed(*edge, *leaves):
        raise ValueError("the edge must be one 32-byte hash per bit set in the size")
    old_by_level = dict(zip((node.level for node in edge_nodes(size)), edge, strict=True))
    new_size = size + len(leaves)
    levels: list[tuple[int, tuple[bytes, ...]]] = []
    row, first, level = list(leaves), size, 0
    while (new_size >> level) > 0:
        levels.append((first, tuple(row)))
        if first & 1:
            row.insert(0, old_by_level[level])
            first -= 1
        row = hash_pairs(row)
        first, level = first >> 1, level + 1
    new_edge = tuple(_edge_hash(node, levels, old_by_level) for node in edge_nodes(new_size))
    root = fold(new_edge) if new_edge else EMPTY_ROOT
    return Integration(size=new_size, root=root, edge=new_edge, levels=tuple(levels))


def _edge_hash(
    node: Node,
    levels: Sequence[tuple[int, tuple[bytes, ...]]],
    old_by_level: dict[int, bytes],
) -> bytes:
    first, hashes = levels[node.level]
    if node.index >= first and hashes:
        return hashes[node.index - first]
    return old_by_level[node.level]


@dataclass(frozen=True)
class Divergence:
    """Where a log stops agreeing with checkpoints trusted earlier: it still has the tree of
    the first ``agrees_up_to`` entries (0 when no trusted checkpoint is left standing) and no
    longer the tree of the first ``differs_at``. Some entry in between was changed, removed
    or moved, or the log ends before ``differs_at``."""

    agrees_up_to: int
    differs_at: int


async def first_divergence(
    reader: HashReader, size: int, trusted: Sequence[tuple[int, bytes]]
) -> Divergence | None:
    """The first of the ``trusted`` ``(size, root)`` pairs (one root per size) that the log of
    ``size`` entries no longer matches, and the last it still matches; None if it matches all.

    A log that agrees with a tree of ``m`` leaves agrees with every smaller one of them, so a
    binary search computes O(log t) roots for ``t`` trusted checkpoints.
    """
    ordered = sorted(trusted)

    async def holds(position: int) -> bool:
        then, root = ordered[position]
        return then <= size and await tree_root(reader, then) == root

    low, high = 0, len(ordered)
    while low < high:
        middle = (low + high) // 2
        if await holds(middle):
            low = middle + 1
        else:
            high = middle
    if low == len(ordered):
        return None
    return Divergence(agrees_up_to=ordered[low - 1][0] if low else 0, differs_at=ordered[low][0])
