"""What someone who controls the host can do to the audit log behind the gateway's back, with
the database file and the gateway's own keys: remove, change, reorder and re-chain entries,
rebuild the tree and re-sign checkpoints over what is left, or restore an older copy."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

from euregate_client import canonical

from gateway.infra import datafiles
from gateway.infra.audit.checkpoint import DEFAULT_ORIGIN
from gateway.infra.audit.note import Ed25519Signer
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.store.sqlite import SqliteStore
from gateway.transparency.leadership import LockFile
from gateway.transparency.sequencer import BATCH, Sequencer

COLUMNS = ("kind", "actor", "subject", "at")
"""An entry's columns beside its bytes, as the store keeps them."""


def connect(layout: DataDir) -> sqlite3.Connection:
    return sqlite3.connect(layout.database, isolation_level=None)


def delete_last_entry(layout: DataDir) -> int:
    """Remove the last entry of the chain; its sequence number."""
    with connect(layout) as conn:
        (last,) = conn.execute("SELECT max(seq) FROM audit").fetchone()
        conn.execute("DELETE FROM audit WHERE seq = ?", (last,))
    return int(last)


def change_one_byte(layout: DataDir, seq: int) -> None:
    """One character of entry ``seq`` changed, in place (its hash column kept)."""
    with connect(layout) as conn:
        (entry,) = conn.execute("SELECT entry FROM audit WHERE seq = ?", (seq,)).fetchone()
        raw = bytearray(entry)
        at = raw.index(b'"at":"') + len(b'"at":"') + 3
        raw[at] = ord("0") if raw[at] != ord("0") else ord("1")
        conn.execute("UPDATE audit SET entry = ? WHERE seq = ?", (bytes(raw), seq))


async def delete_and_rechain(layout: DataDir, seq: int) -> None:
    """Remove entry ``seq`` and renumber and re-chain every later one, so that the chain
    verifies again; then rebuild the tree and re-sign its checkpoints (:func:`rebuild_tree`)."""
    with connect(layout) as conn:
        conn.execute("DELETE FROM audit WHERE seq = ?", (seq,))
        _rechain(conn, start=seq, renumber=-1)
    await rebuild_tree(layout)


async def swap_and_rechain(
    layout: DataDir, first: int, second: int, *, up_to: int | None = None
) -> None:
    """Exchange the places of entries ``first`` and ``second``, re-chain from the first and
    rebuild the tree (of the first ``up_to`` entries only, when given)."""
    with connect(layout) as conn:
        rows = dict(
            conn.execute("SELECT seq, entry FROM audit WHERE seq IN (?, ?)", (first, second))
        )
        for seq, other in ((first, second), (second, first)):
            body = json.loads(rows[other])
            body["seq"] = seq
            conn.execute(
                "UPDATE audit SET entry = ?, kind = ?, actor = ?, subject = ?, at = ? "
                "WHERE seq = ?",
                (
                    canonical.dumps(body),
                    *(body[k] for k in ("kind", "actor", "subject", "at")),
                    seq,
                ),
            )
        _rechain(conn, start=min(first, second), renumber=0)
    await rebuild_tree(layout, up_to=up_to)


def _rechain(conn: sqlite3.Connection, *, start: int, renumber: int) -> None:
    """From ``start`` on, give each entry the previous one's hash (and move its number by
    ``renumber``), as the gateway would have written them."""
    row = conn.execute("SELECT hash FROM audit WHERE seq = ?", (start - 1,)).fetchone()
    previous = row[0] if row else "0" * 64
    later = conn.execute(
        "SELECT seq, entry FROM audit WHERE seq >= ? ORDER BY seq", (start,)
    ).fetchall()
    for old_seq, entry in later:
        body = json.loads(entry)
        body["seq"], body["prev"] = old_seq + renumber, previous
        raw = canonical.dumps(body)
        previous = hashlib.sha256(raw).hexdigest()
        conn.execute(
            "UPDATE audit SET seq = ?, entry = ?, hash = ? WHERE seq = ?",
            (old_seq + renumber, raw, previous, old_seq),
        )
        conn.execute(
            "UPDATE signals SET audit_seq = ?, audit_hash = ? WHERE audit_seq = ?",
            (old_seq + renumber, previous, old_seq),
        )


async def rebuild_tree(layout: DataDir, *, up_to: int | None = None) -> None:
    """Throw the tree away and let the gateway's own sequencer, with the gateway's own key,
    build and sign it anew over the entries as they are now (the first ``up_to`` of them,
    when given)."""
    with connect(layout) as conn:
        conn.execute("DELETE FROM audit_tiles")
        conn.execute("DELETE FROM audit_checkpoints")
    signer = Ed25519Signer(DEFAULT_ORIGIN, datafiles.load_signer(layout))
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        sequencer = Sequencer(
            store=store,
            signer=signer,
            clock=SystemClock(),
            leadership=LockFile(layout.sequencer_lock),
            batch=up_to or BATCH,
        )
        await (sequencer.step() if up_to else sequencer.catch_up())


def back_up(layout: DataDir, target: Path) -> None:
    """A copy of the database as it is now (SQLite's online backup: whole and consistent)."""
    with connect(layout) as source, sqlite3.connect(target) as copy:
        source.backup(copy)


def restore(layout: DataDir, backup: Path) -> None:
    """The older copy put back over the newer database, as a restore from backup does."""
    for suffix in ("-wal", "-shm"):
        Path(f"{layout.database}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(backup, layout.database)
