"""Checking the gateway's audit log from what one holds oneself.

- :func:`prove_receipt`: a receipt's entry is in a checkpoint the gateway signed; the partner
  client's (:mod:`euregate_client.proof`), re-exported here.
- :func:`check_log`: the log kept now still has the trees of checkpoints saved earlier.
  It rebuilds the tree from the entries themselves, not from the stored tiles, and names the
  first saved size it no longer matches (:func:`gateway.infra.audit.merkle.first_divergence`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from euregate_client import proof as _partner

from gateway.infra.audit import merkle
from gateway.infra.audit.tiles import MemoryTiles, TileHashReader
from gateway.infra.errors import LogDiverged
from gateway.store import AuditReader, AuditTreeStore

# A receipt's proof, as a partner checks it.
ReceiptLeaf = _partner.ReceiptLeaf
decode_proof = _partner.decode_proof
log_verifiers = _partner.log_verifiers
open_log_checkpoint = _partner.open_log_checkpoint
prove_receipt = _partner.prove_receipt

PAGE: Final = 10_000
"""Entries read at once when the log is rebuilt."""
MOST_VOUCHED: Final = 512
"""Most kept checkpoints compared besides a saved one: a divergence is named to within their
spacing."""


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
