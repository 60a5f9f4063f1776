"""Verifying the audit log's Merkle tree proofs, as RFC 9162 §2.1 defines them.

A leaf's hash is ``SHA-256(0x00 || entry)``, an inner node's ``SHA-256(0x01 || left ||
right)``. :func:`verify_inclusion` and :func:`verify_consistency` are the verification
algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2, step by step; the gateway builds the tree and
its proofs (``gateway.infra.audit.merkle``) with these same hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Final

HASH_SIZE: Final = 32
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()
"""The root of the tree of no leaves: the hash of the empty string (RFC 9162 §2.1.1)."""

LEAF_PREFIX: Final = b"\x00"
NODE_PREFIX: Final = b"\x01"


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def hashes_well_formed(*hashes: bytes) -> bool:
    return all(len(value) == HASH_SIZE for value in hashes)


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows that the leaf hash ``leaf`` is leaf ``index`` of the tree of
    ``size`` leaves whose root is ``root`` (RFC 9162 §2.1.3.2)."""
    if not hashes_well_formed(leaf, root, *proof) or not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> bool:
    """Whether ``proof`` shows that the tree of ``first`` leaves with root ``first_root`` is
    a prefix of the tree of ``second`` leaves with root ``second_root`` (RFC 9162 §2.1.4.2).

    Equal sizes need equal roots and an empty proof. A proof from the empty tree proves
    nothing and is refused, as transparency-dev's verifier does: a caller with no earlier
    tree has nothing to check.
    """
    if not hashes_well_formed(first_root, second_root, *proof):
        return False
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0
