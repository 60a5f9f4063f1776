"""The sequencer: every audit entry becomes a leaf of the Merkle tree, in order, in batches,
each batch published as a signed checkpoint; a log that no longer continues its tree is not
signed over; one sequencer leads at a time."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.infra import audit
from gateway.infra.audit import events, merkle, refs
from gateway.infra.audit.checkpoint import DEFAULT_ORIGIN, open_checkpoint
from gateway.infra.audit.note import Ed25519Signer
from gateway.infra.audit.tiles import MemoryTiles, TileAddress, TileHashReader
from gateway.infra.clock import FixedClock
from gateway.infra.errors import AuditLogDiverged
from gateway.infra.seal import Signer
from gateway.store import Store
from gateway.transparency import sequencer as sequencing
from gateway.transparency.leadership import LockFile
from gateway.transparency.sequencer import Sequencer, continuing
from tests.polling import until
from tests.store_backends import START

SIGNER = Ed25519Signer(DEFAULT_ORIGIN, Signer.generate())


def explained(number: int) -> events.PolicyExplained:
    return events.PolicyExplained(
        by=refs.partner(f"p{number}"),
        body_sha256=f"{number:064x}",
        policy_sha256="p" * 64,
        recipients=(),
    )


def make_sequencer(
    store: Store,
    clock: FixedClock,
    tmp_path: Path,
    *,
    batch: int = sequencing.BATCH,
    leadership: LockFile | None = None,
) -> Sequencer:
    return Sequencer(
        store=store,
        signer=SIGNER,
        clock=clock,
        leadership=leadership or LockFile(tmp_path / "sequencer.lock"),
        interval=0.01,
        republish_after=timedelta(hours=1),
        batch=batch,
    )


def tree_of(entries: list[audit.AuditEntry]) -> MemoryTiles:
    memory = MemoryTiles()
    memory.append([merkle.leaf_hash(entry.canonical) for entry in entries])
    return memory


def tamper(store: Store, statement: str, postgres: str | None = None) -> None:
    """What someone with the database can do, behind the gateway's back: ``statement`` on
    SQLite's file, ``postgres`` (the same in PostgreSQL's words, else ``statement``) on the
    PostgreSQL database."""
    url: str | None = getattr(store, "url", None)
    if url is None:
        with sqlite3.connect(store.path) as conn:  # type: ignore[attr-defined]
            conn.execute(statement)
        return
    with psycopg.connect(url) as conn:
        conn.execute(postgres or statement)  # type: ignore[call-overload]


POSTGRES_PREV_BROKEN = (
    "UPDATE audit SET entry = convert_to(replace(convert_from(entry, 'UTF8'), "
    "'\"prev\":\"', '\"prev\":\"f'), 'UTF8') WHERE seq = 4"
)


def text_replaced(column: str, old: str, new: str) -> str:
    """PostgreSQL's ``replace`` on a column of UTF-8 bytes (SQLite's works on them as they are)."""
    return f"convert_to(replace(convert_from({column}, 'UTF8'), '{old}', '{new}'), 'UTF8')"


async def until_size(store: Store, size: int) -> None:
    """Wait until the published tree has ``size`` leaves."""

    async def grown() -> bool:
        latest = await store.latest_checkpoint()
        return latest is not None and latest.size >= size

    await until(grown)


async def test_every_entry_becomes_a_leaf_in_order_under_a_signed_checkpoint(
    empty_store: Store, store_clock: FixedClock, tmp_path: Path
) -> None:
    await empty_store.record_all([explained(n) for n in range(300)])

    latest = await make_sequencer(empty_store, store_clock, tmp_path).catch_up()

    entries = await empty_store.audit_entries()
    assert latest is not None
    assert (latest.size, latest.root) == (300, tree_of(entries).root)
    assert latest.published_at == START
    opened = open_checkpoint(latest.note, SIGNER.verifier, origin=DEFAULT_ORIGIN)
    assert (opened.checkpoint.size, opened.checkpoint.root) == (300, latest.root)
    reader = TileHashReader(empty_store)
    for index in (0, 1, 255, 256, 299):
        proof = await merkle.inclusion_proof(reader, index, 300)
        leaf = merkle.leaf_hash(entries[index].canonical)
        assert merkle.verify_inclusion(leaf, index, 300, proof, latest.root)


async def test_the_tree_grows_batch_by_batch_each_checkpoint_consistent_with_the_last(
    empty_store: Store, store_clock: FixedClock, tmp_path: Path
) -> None:
    sequencer = make_sequencer(empty_store, store_clock, tmp_path, batch=7)
    await empty_store.record_all([explained(n) for n in range(20)])

    assert [await sequencer.step() for _ in range(4)] == [7, 7, 6, 0]
    await empty_store.record_all([explained(n) for n in range(20, 23)])
    assert await sequencer.step() == 3

    roots = await empty_store.checkpoint_roots()
    assert [size for size, _ in roots] == [7, 14, 20, 23]
    reader = TileHashReader(empty_store)
    for (old, old_root), (new, new_root) in itertools.pairwise(roots):
        proof = await merkle.consistency_proof(reader, old, new)
        assert merkle.verify_consistency(old, new, proof, old_root, new_root)
    assert roots[-1][1] == tree_of(await empty_store.audit_entries()).root


async def test_an_empty_log_is_published_as_the_empty_tree(
    empty_store: Store, store_clock: FixedClock, tmp_path: Path
) -> None:
    assert await make_sequencer(empty_store, store_clock, tmp_path).step() == 0

    latest = await empty_store.latest_checkpoint()
    assert latest is not None
    assert (latest.size, latest.root) == (0, merkle.EMPTY_ROOT)


async def test_an_idle_log_is_signed_again_once_the_interval_has_passed(
    empty_store: Store, store_clock: FixedClock, tmp_path: Path
) -> None:
    await empty_store.record(explained(1))
    sequencer = make_sequencer(empty_store, store_clock, tmp_path)
    first = await sequencer.catch_up()

    store_clock.set(START + timedelta(minutes=59))
    await sequencer.step()
    assert await empty_store.latest_checkpoint() == first

    store_clock.set(START + timedelta(hours=1))
    await sequencer.step()
    again = await empty_store.latest_checkpoint()
    assert first is not None
    assert again is not None
    assert (again.size, again.root) == (first.size, first.root)
    assert again.published_at == START + timedelta(hours=1)
    open_checkpoint(again.note, SIGNER.verifier, origin=DEFAULT_ORIGIN)
    assert len(await empty_store.checkpoint_roots()) == 1


async def test_a_last_entry_removed_and_written_anew_is_not_signed_over(
    empty_store: Store, store_clock: FixedClock, tmp_path: Path
) -> None:
    """Its number is given to the next entry; the tree holds the removed one as that leaf."""
    await empty_store.record_all([explained(n) for n in range(5)])
    sequencer = make_sequencer(empty_store, store_clock, tmp_path)
    before = await sequencer.catch_up()
    tamper(empty_store, "DELETE FROM audit WHERE seq = 5")
    await empty_store.record(explained(99))

    with pytest.raises(AuditLogDiverged) as diverged:
        await sequencer.step()

    assert diverged.value.params == {"seq": 5, "reason": sequencing.LAST_LEAF_CHANGED}
    assert await empty_store.latest_checkpoint() == before


async def test_a_changed_entry_of_the_tree_stops_it_where_it_is(
    empty_store: Store, store_clock: FixedClock, tmp_path: Path
) -> None:
    await empty_store.record_all([explained(n) for n in range(5)])
    sequencer = make_sequencer(empty_store, store_clock, tmp_path)
    before = await sequencer.catch_up()
    tamper(
        empty_store,
        "UPDATE audit SET entry = replace(entry, 'p4', 'p9') WHERE seq = 5",
        f"UPDATE audit SET entry = {text_replaced('entry', 'p4', 'p9')} WHERE seq = 5",
    )
    await empty_store.record(explained(6))

    with pytest.raises(AuditLogDiverged):
        await sequencer.step()
    assert await empty_store.latest_checkpoint() == before


async def test_changed_tiles_are_not_signed_over(
    empty_store: Store, store_clock: FixedClock, tmp_path: Path
) -> None:
    await empty_store.record_all([explained(n) for n in range(5)])
    sequencer = make_sequencer(empty_store, store_clock, tmp_path)
    before = await sequencer.catch_up()
    tamper(
        empty_store,
        "UPDATE audit_tiles SET hashes = zeroblob(160) WHERE level = 0",
        "UPDATE audit_tiles SET hashes = decode(repeat('00', 160), 'hex') WHERE level = 0",
    )
    await empty_store.record(explained(6))

    with pytest.raises(AuditLogDiverged) as diverged:
        await sequencer.step()

    assert diverged.value.params["reason"] == sequencing.TILES_CHANGED
    assert await empty_store.latest_checkpoint() == before
    assert await empty_store.tiles([TileAddress(0, 0)]) == [bytes(160)]


async def test_entries_up_to_one_that_does_not_name_its_predecessor_are_integrated(
    empty_store: Store, store_clock: FixedClock, tmp_path: Path
) -> None:
    await empty_store.record_all([explained(n) for n in range(5)])
    tamper(
        empty_store,
        'UPDATE audit SET entry = replace(entry, \'"prev":"\', \'"prev":"f\') WHERE seq = 4',
        POSTGRES_PREV_BROKEN,
    )
    sequencer = make_sequencer(empty_store, store_clock, tmp_path)

    with pytest.raises(AuditLogDiverged) as diverged:
        await sequencer.step()

    assert diverged.value.params == {"seq": 4, "reason": sequencing.NOT_CHAINED}
    latest = await empty_store.latest_checkpoint()
    assert latest is not None
    assert latest.size == 3


async def test_the_sequencer_runs_while_it_leads_and_another_waits_its_turn(
    empty_store: Store, store_clock: FixedClock, tmp_path: Path
) -> None:
    leads, waits = LockFile(tmp_path / "lock", retry=0.01), LockFile(tmp_path / "lock", retry=0.01)
    first = make_sequencer(empty_store, store_clock, tmp_path, leadership=leads)
    second = make_sequencer(empty_store, store_clock, tmp_path, leadership=waits)
    running = asyncio.create_task(first.run())
    await empty_store.record_all([explained(n) for n in range(3)])
    await until_size(empty_store, 3)

    waiting = asyncio.create_task(second.run())
    await asyncio.sleep(0.05)
    assert (leads.holds(), waits.holds()) == (True, False)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert not leads.holds()
    await until(lambda: asyncio.sleep(0, waits.holds()))
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_a_lock_file_is_held_by_one_holder_at_a_time(tmp_path: Path) -> None:
    one, other = LockFile(tmp_path / "lock", retry=0.01), LockFile(tmp_path / "lock", retry=0.01)
    await one.acquire()
    waiting = asyncio.create_task(other.acquire())
    await asyncio.sleep(0.05)

    assert (one.holds(), other.holds(), waiting.done()) == (True, False, False)
    await one.release()
    await asyncio.wait_for(waiting, timeout=5)
    assert (one.holds(), other.holds()) == (False, True)
    await other.release()


# --- which entries continue the tree, for any log and any tampering -----------------------------

CLOCK = FixedClock(START)


def chained(count: int) -> list[audit.AuditEntry]:
    entries, previous = [], audit.GENESIS
    for seq in range(1, count + 1):
        entry = audit.chain(explained(seq), seq=seq, prev_hash=previous, at=START)
        entries.append(entry)
        previous = entry.hash
    return entries


@st.composite
def logs(draw: st.DrawFn) -> tuple[int, list[audit.AuditEntry], int | None]:
    """A log of ``n`` entries, a tree of its first ``size``, and the entries from ``size`` on,
    one of them (``touched``) changed, removed or swapped with the next, or none."""
    count = draw(st.integers(1, 30))
    size = draw(st.integers(0, count))
    entries = chained(count)
    following = entries[max(size - 1, 0) :]
    how = draw(st.sampled_from(["none", "change", "remove", "swap"]))
    if how == "none" or len(following) < 2:
        return size, following, None
    at = draw(st.integers(0, len(following) - 2))
    touched = following[at].seq
    if how == "change":
        entry = following[at]
        changed = entry.canonical.replace(b'"p', b'"q', 1)
        following[at] = audit.AuditEntry(
            entry.seq, entry.at, entry.kind, entry.actor, entry.subject, changed, entry.hash
        )
    elif how == "remove":
        del following[at]
    else:
        following[at], following[at + 1] = following[at + 1], following[at]
    return size, following, touched


@given(logs())
def test_only_the_entries_before_a_tampered_one_continue_the_tree(
    drawn: tuple[int, list[audit.AuditEntry], int | None],
) -> None:
    size, following, touched = drawn
    last_leaf = merkle.leaf_hash(chained(size)[-1].canonical) if size else None

    kept, diverged = continuing(size, last_leaf, following)

    first_new = size + 1
    assert [e.seq for e in kept] == list(range(first_new, first_new + len(kept)))
    if touched is None:
        assert diverged is None
        assert len(kept) == len(following) - (1 if size else 0)
        return
    assert diverged is not None
    assert first_new + len(kept) in (max(touched, first_new), touched + 1)
    assert diverged.params["seq"] in (touched, touched + 1)
