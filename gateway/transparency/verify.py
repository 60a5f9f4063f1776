"""Checking the gateway's audit log from what one holds oneself.

- :func:`prove_receipt`: a receipt's entry is in a checkpoint the gateway signed. A partner
  needs only its receipt (the entry's leaf index and hash), the checkpoint, the gateway's
  public key and the inclusion proof, which the gateway hands anyone and which proves
  nothing unless it leads to the signed root.
- :func:`check_log`: the log kept now still has the trees of checkpoints saved earlier.
  It rebuilds the tree from the entries themselves, not from the stored tiles, and names the
  first saved size it no longer matches (:func:`gateway.infra.audit.merkle.first_divergence`).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from gateway.infra.audit import merkle
from gateway.infra.audit.checkpoint import SignedCheckpoint, open_checkpoint
from gateway.infra.audit.note import Ed25519Verifier, strict_b64decode
from gateway.infra.audit.tiles import MemoryTiles, TileHashReader
from gateway.infra.errors import InclusionUnproven, LogDiverged, NoteUnverified, ReceiptMalformed
from gateway.store import AuditReader, AuditTreeStore

PAGE: Final = 10_000
"""Entries read at once when the log is rebuilt."""
MOST_VOUCHED: Final = 512
"""Most kept checkpoints compared besides a saved one: a divergence is named to within their
spacing."""


def log_verifiers(origin: str, public_keys: Iterable[bytes]) -> list[Ed25519Verifier]:
    """The note keys of the gateway's signing keys (raw Ed25519), under the log's origin."""
    return [Ed25519Verifier(origin, key) for key in public_keys]


def open_log_checkpoint(
    note: bytes, verifiers: Sequence[Ed25519Verifier], *, origin: str
) -> SignedCheckpoint:
    """The checkpoint in ``note`` if one of the gateway's keys signed it, for ``origin``; a
    typed :class:`~gateway.infra.errors.NoteRefused` otherwise."""
    unverified = NoteUnverified(names=origin)
    for verifier in verifiers:
        try:
            return open_checkpoint(note, verifier, origin=origin)
        except NoteUnverified as refusal:
            unverified = refusal
    raise unverified


@dataclass(frozen=True)
class ReceiptLeaf:
    """What a receipt says of its audit entry: the leaf's index and hash in the tree."""

    index: int
    leaf_hash: bytes

    @classmethod
    def of(cls, receipt: Mapping[str, Any]) -> ReceiptLeaf:
        """From a receipt (``POST /v1/signals``) or a status (``GET /v1/signals/{id}``)."""
        found = receipt.get("audit")
        index = found.get("leaf_index") if isinstance(found, dict) else None
        encoded = found.get("leaf_hash") if isinstance(found, dict) else None
        leaf = strict_b64decode(encoded) if isinstance(encoded, str) else None
        if type(index) is not int or index < 0 or leaf is None or len(leaf) != merkle.HASH_SIZE:
            raise ReceiptMalformed()
        return cls(index, leaf)


def decode_proof(encoded: object) -> list[bytes]:
    """A proof as JSON carries it: a list of base64 hashes. What is not one is left out, so
    that a proof with it does not verify."""
    nodes = encoded if isinstance(encoded, list) else []
    return [raw for node in nodes if isinstance(node, str) and (raw := strict_b64decode(node))]


def prove_receipt(
    leaf: ReceiptLeaf,
    checkpoint_note: bytes,
    proof: Sequence[bytes],
    verifiers: Sequence[Ed25519Verifier],
    *,
    origin: str,
) -> SignedCheckpoint:
    """The signed checkpoint, if ``proof`` shows the receipt's entry in it; else
    :class:`InclusionUnproven` (or a typed refusal of the checkpoint itself)."""
    signed = open_log_checkpoint(checkpoint_note, verifiers, origin=origin)
    size, root = signed.checkpoint.size, signed.checkpoint.root
    if not merkle.verify_inclusion(leaf.leaf_hash, leaf.index, size, proof, root):
        raise InclusionUnproven(
            index=leaf.index,
            leaf_hash=base64.b64encode(leaf.leaf_hash).decode(),
            size=size,
        )
    return signed


@dataclass(frozen=True)
class LogChecked:
    """The log as rebuilt from its entries: its size and root, and the checkpoints it was
    compared with."""

    size: int
    root: bytes
    compared: int


async def check_log(
    entries: AuditReader,
    trusted: Sequence[tuple[int, bytes]],
    *,
    progress: Callable[[int], None] | None = None,
) -> LogChecked:
    """Rebuild the tree from every entry kept and compare it with the ``trusted`` ``(size,
    root)`` pairs (one root per size); :class:`LogDiverged` naming the first they no longer
    match. ``progress`` hears how many entries were hashed, page after page."""
    tree, last_seq = MemoryTiles(), 0
    while page := await entries.audit_entries(after=last_seq, limit=PAGE):
        tree.append([merkle.leaf_hash(entry.canonical) for entry in page])
        last_seq = page[-1].seq
        if progress is not None:
            progress(tree.size)
    diverged = await merkle.first_divergence(TileHashReader(tree), tree.size, trusted)
    if diverged is not None:
        raise LogDiverged(
            size=tree.size, agrees_up_to=diverged.agrees_up_to, differs_at=diverged.differs_at
        )
    return LogChecked(tree.size, tree.root, len(trusted))


async def vouched(store: AuditTreeStore, saved: tuple[int, bytes]) -> list[tuple[int, bytes]]:
    """The saved checkpoint, and the checkpoints kept in the store that are provably of the same
    log: those whose roots the stored tree gives, when it gives the saved root too. A kept
    checkpoint the stored tree does not vouch for (or all of them, when the stored tree was
    rewritten) is left out: it is the gateway's word only. At most :data:`MOST_VOUCHED`, spread
    evenly, besides the saved one."""
    size, root = saved
    kept = await store.checkpoint_roots()
    latest = kept[-1][0] if kept else 0
    reader = TileHashReader(store)
    if size > latest or await merkle.tree_root(reader, size) != root:
        return [saved]
    step = max(1, len(kept) // MOST_VOUCHED)
    chosen = {kept[i] for i in range(0, len(kept), step)} | {kept[-1]} if kept else set()
    agreeing = [
        (then, then_root)
        for then, then_root in sorted(chosen)
        if then != size and await merkle.tree_root(reader, then) == then_root
    ]
    return sorted([*agreeing, saved])
