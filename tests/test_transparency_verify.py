"""Checking the log from what one holds: the tree rebuilt from the entries against checkpoints
trusted earlier finds any change, removal or reordering of an entry they cover, and names
where; a receipt's entry is proven only with the proof that leads to the signed root."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.edges.cli.progress import Progress
from gateway.infra import audit
from gateway.infra.audit import AuditEntry, events, merkle, refs
from gateway.infra.audit.checkpoint import DEFAULT_ORIGIN, Checkpoint, sign_checkpoint
from gateway.infra.audit.note import Ed25519Signer
from gateway.infra.audit.tiles import MemoryTiles, TileHashReader
from gateway.infra.clock import FixedClock
from gateway.infra.errors import (
    CheckpointMalformed,
    InclusionUnproven,
    LogDiverged,
    NoteUnverified,
    ReceiptMalformed,
)
from gateway.infra.seal import Signer
from gateway.store import Store, StoredCheckpoint
from gateway.transparency.verify import (
    ReceiptLeaf,
    check_log,
    log_verifiers,
    prove_receipt,
    vouched,
)
from tests.store_backends import START

SIGNER = Ed25519Signer(DEFAULT_ORIGIN, Signer.generate())


def entries(count: int) -> list[AuditEntry]:
    made, previous = [], audit.GENESIS
    for seq in range(1, count + 1):
        event = events.PolicyExplained(
            by=refs.partner(f"p{seq}"), body_sha256=f"{seq:064x}", policy_sha256="p" * 64,
            recipients=(),
        )  # fmt: skip
        made.append(audit.chain(event, seq=seq, prev_hash=previous, at=START))
        previous = made[-1].hash
    return made


class Entries:
    """A log's entries as a reader of the store hands them out."""

    def __init__(self, kept: Sequence[AuditEntry]) -> None:
        self.kept = list(kept)

    async def audit_entries(self, *, after: int = 0, limit: int | None = None) -> list[AuditEntry]:
        later = [entry for entry in self.kept if entry.seq > after]
        return later if limit is None else later[:limit]


def roots(kept: Sequence[AuditEntry], sizes: Sequence[int]) -> list[tuple[int, bytes]]:
    return [(size, tree(kept[:size]).root) for size in sizes]


def tree(kept: Sequence[AuditEntry]) -> MemoryTiles:
    memory = MemoryTiles()
    memory.append([merkle.leaf_hash(entry.canonical) for entry in kept])
    return memory


@st.composite
def tampered_logs(draw: st.DrawFn) -> tuple[list[AuditEntry], list[int], list[AuditEntry], int]:
    """A log, the sizes of checkpoints trusted earlier (the last one covering the whole log),
    the log tampered with, and the first entry number the tampering touched."""
    count = draw(st.integers(2, 40))
    original = entries(count)
    sizes = sorted(set(draw(st.lists(st.integers(1, count), max_size=6))) | {count})
    changed = list(original)
    at = draw(st.integers(0, count - 1))
    how = draw(st.sampled_from(["byte", "remove", "swap", "cut"]))
    if how == "byte":
        entry = changed[at]
        raw = bytearray(entry.canonical)
        position = draw(st.integers(0, len(raw) - 1))
        raw[position] ^= draw(st.integers(1, 255))
        changed[at] = AuditEntry(
            entry.seq, entry.at, entry.kind, entry.actor, entry.subject, bytes(raw), entry.hash
        )
    elif how == "remove":
        del changed[at]
    elif how == "swap" and at < count - 1:
        changed[at], changed[at + 1] = changed[at + 1], changed[at]
        changed[at], changed[at + 1] = (
            AuditEntry(at + 1, *_rest(changed[at])),
            AuditEntry(at + 2, *_rest(changed[at + 1])),
        )
    else:
        changed = changed[:at]
    return original, sizes, changed, at + 1


def _rest(entry: AuditEntry) -> tuple[str, str, str, str, bytes, str]:
    return entry.at, entry.kind, entry.actor, entry.subject, entry.canonical, entry.hash


@given(tampered_logs())
def test_any_change_removal_reordering_or_cut_is_found_and_placed(
    drawn: tuple[list[AuditEntry], list[int], list[AuditEntry], int],
) -> None:
    original, sizes, changed, touched = drawn
    trusted = roots(original, sizes)
    if changed == original:
        return

    with pytest.raises(LogDiverged) as diverged:
        asyncio.run(check_log(Entries(changed), trusted))

    found = diverged.value.params
    assert found["size"] == len(changed)
    assert found["differs_at"] == min(size for size in sizes if size >= touched)
    assert found["agrees_up_to"] == max([0, *(size for size in sizes if size < touched)])


@given(st.integers(1, 60), st.lists(st.integers(1, 60), max_size=5))
def test_an_untouched_log_agrees_with_every_checkpoint_of_it(count: int, picked: list[int]) -> None:
    kept = entries(count)
    sizes = sorted({min(size, count) for size in picked} | {count})
    counted: list[int] = []

    checked = asyncio.run(check_log(Entries(kept), roots(kept, sizes), progress=counted.append))

    assert (checked.size, checked.root, checked.compared) == (count, tree(kept).root, len(sizes))
    assert counted == [count]


def test_a_log_that_grew_since_agrees_and_one_cut_before_does_not() -> None:
    kept = entries(30)
    trusted = roots(kept, [20])

    assert asyncio.run(check_log(Entries(kept), trusted)).size == 30
    with pytest.raises(LogDiverged) as cut:
        asyncio.run(check_log(Entries(kept[:19]), trusted))
    assert cut.value.params == {"size": 19, "agrees_up_to": 0, "differs_at": 20, "first_suspect": 1}
    assert str(cut.value).endswith(
        "An entry from 1 to 20 was changed, removed or moved, or the log was cut before 20 entries."
    )


# --- which checkpoints kept by the gateway count beside one saved -----------------------------


async def kept_tree(
    store: Store, clock: FixedClock, kept: Sequence[AuditEntry], sizes: Sequence[int]
) -> None:
    """The tree of ``kept`` in the store, with a checkpoint at each of ``sizes``."""
    memory = MemoryTiles()
    for size in sizes:
        before = memory.size
        grown = memory.append([merkle.leaf_hash(e.canonical) for e in kept[before:size]])
        await store.extend_tree(
            from_size=before,
            tiles=grown.tiles,
            checkpoint=StoredCheckpoint(size, grown.root, b"n\n", clock.now()),
        )


async def test_kept_checkpoints_count_only_when_the_kept_tree_gives_the_saved_root(
    empty_store: Store, store_clock: FixedClock
) -> None:
    kept = entries(50)
    await kept_tree(empty_store, store_clock, kept, [10, 20, 30, 50])
    saved = roots(kept, [30])[0]

    assert await vouched(empty_store, saved) == roots(kept, [10, 20, 30, 50])
    forged = (30, b"\x00" * 32)
    assert await vouched(empty_store, forged) == [forged]
    assert await vouched(empty_store, roots(entries(60), [60])[0]) == roots(entries(60), [60])


# --- a receipt's entry in a signed checkpoint --------------------------------------------------


def signed_note(kept: Sequence[AuditEntry]) -> bytes:
    return sign_checkpoint(Checkpoint(DEFAULT_ORIGIN, len(kept), tree(kept).root), SIGNER).encode()


async def proof_of(kept: Sequence[AuditEntry], index: int) -> list[bytes]:
    return await merkle.inclusion_proof(TileHashReader(tree(kept)), index, len(kept))


def receipt(entry: AuditEntry) -> dict[str, object]:
    leaf = base64.b64encode(merkle.leaf_hash(entry.canonical)).decode()
    return {"audit": {"seq": entry.seq, "leaf_index": entry.seq - 1, "leaf_hash": leaf}}


async def test_a_receipts_entry_is_proven_in_the_signed_checkpoint_and_nothing_else_is() -> None:
    kept = entries(25)
    note, verifiers = signed_note(kept), [SIGNER.verifier]
    leaf = ReceiptLeaf.of(receipt(kept[7]))
    proof = await proof_of(kept, 7)

    assert prove_receipt(leaf, note, proof, verifiers, origin=DEFAULT_ORIGIN).checkpoint.size == 25
    with pytest.raises(InclusionUnproven):
        prove_receipt(ReceiptLeaf(8, leaf.leaf_hash), note, proof, verifiers, origin=DEFAULT_ORIGIN)
    with pytest.raises(InclusionUnproven):
        prove_receipt(leaf, note, proof[:-1], verifiers, origin=DEFAULT_ORIGIN)
    other = [Ed25519Signer(DEFAULT_ORIGIN, Signer.generate()).verifier]
    with pytest.raises(NoteUnverified):
        prove_receipt(leaf, note, proof, other, origin=DEFAULT_ORIGIN)
    with pytest.raises(CheckpointMalformed):
        prove_receipt(leaf, note, proof, verifiers, origin="another.log/audit")
    assert log_verifiers(DEFAULT_ORIGIN, [SIGNER.verifier.public_key]) == verifiers


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"audit": []},
        {"audit": {"leaf_index": "7", "leaf_hash": base64.b64encode(bytes(32)).decode()}},
        {"audit": {"leaf_index": True, "leaf_hash": base64.b64encode(bytes(32)).decode()}},
        {"audit": {"leaf_index": -1, "leaf_hash": base64.b64encode(bytes(32)).decode()}},
        {"audit": {"leaf_index": 7, "leaf_hash": base64.b64encode(bytes(31)).decode()}},
        {"audit": {"leaf_index": 7, "leaf_hash": "not base64"}},
    ],
)
def test_what_names_no_leaf_is_not_a_receipt(document: dict[str, object]) -> None:
    with pytest.raises(ReceiptMalformed):
        ReceiptLeaf.of(document)


# --- the progress bar of long commands -------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_is_drawn_on_a_terminal_and_nowhere_else() -> None:
    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = Progress(1000, "entries", stream=stream)
        progress(250)
        progress.finish()

    drawn = "\r[########----------------------]  25%  250/1,000 entries\n"
    assert terminal.getvalue().endswith(drawn)
    assert pipe.getvalue() == ""
