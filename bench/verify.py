"""The transparency log in a real data directory of a million audit entries: the sequencer
integrating it into the stored tree, and ``euregate audit verify --checkpoint``.

- a data directory (``euregate init --demo``) whose audit log is filled to ``--entries``
  (a million) with ``signal.accepted`` entries of the gateway's own making (824 bytes each,
  chained); the filling is not measured;
- **integration**: the gateway's :class:`~gateway.transparency.sequencer.Sequencer`, in
  batches of 4,096, reads the entries from SQLite, hashes them into the tiles and signs a
  checkpoint per batch, kept in the same database (entries per second);
- **verify --checkpoint**: ``euregate audit checkpoint --out`` saves the checkpoint, then
  ``euregate audit verify --checkpoint`` runs as an operator runs it, a process of its own
  (start-up included): it reads every entry, rebuilds the tree from them and compares it with
  the saved checkpoint and the kept ones the stored tree vouches for (entries per second).
  Baseline: the same process reading every entry in the same pages and nothing else.

Writes ``bench/results/verify-<time>.json``.

    .venv/bin/python bench/verify.py                  # a million entries, a few minutes
    .venv/bin/python bench/verify.py --entries 100000 # smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from common import PYTHON, REPO, describe_machine, init_demo_data_dir, machine_summary

from gateway.infra import audit
from gateway.infra.audit import events, refs
from gateway.infra.audit.checkpoint import DEFAULT_ORIGIN
from gateway.infra.audit.note import Ed25519Signer
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.registry import datadir
from gateway.store.sqlite import SqliteStore
from gateway.transparency.leadership import LockFile
from gateway.transparency.sequencer import Sequencer
from gateway.transparency.verify import PAGE

RESULTS = REPO / "bench" / "results"
GOAL_VERIFY = 50_000  # entries per second
GOAL_INTEGRATION = 20_000  # entries per second
INSERT_BATCH = 10_000


def accepted(number: int) -> events.SignalAccepted:
    return events.SignalAccepted(
        by=refs.partner("nl-pol-limburg"),
        signal_id=f"01a242fd-3555-79f3-855e-{number:012x}",
        sender_reference=f"PL2400-2026-{number:06d}",
        body_sha256=f"{number:064x}",
        recipients=("be-pol-liege", "de-pol-aachen"),
        schema="signal/1.0",
        language="nl",
        category="undermining.drug_waste",
        urgency="urgent",
        purpose="prevention",
        handling_code="police-only",
        policy_sha256="b" * 64,
        decisions=tuple(
            events.Decided(recipient=r, verdict="review", rules=("2", "7"))
            for r in ("be-pol-liege", "de-pol-aachen")
        ),
    )


def fill(layout: DataDir, total: int) -> int:
    """Chain entries onto the log until it holds ``total``; how many it holds."""
    with sqlite3.connect(layout.database) as conn:
        seq, previous = conn.execute(
            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        at = datetime.now(UTC)
        while seq < total:
            rows = []
            for _ in range(min(INSERT_BATCH, total - seq)):
                seq += 1
                entry = audit.chain(accepted(seq), seq=seq, prev_hash=previous, at=at)
                previous = entry.hash
                rows.append(
                    (seq, entry.at, entry.kind, entry.actor, entry.subject, entry.canonical,
                     entry.hash)
                )  # fmt: skip
            conn.executemany("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            conn.commit()
            print(f"  filled {seq:,} of {total:,}", end="\r", flush=True)
    print()
    return seq


async def integrate(layout: DataDir) -> tuple[int, float]:
    """The sequencer's catch-up over the whole log: the tree's size and the seconds it took."""
    signer = Ed25519Signer(DEFAULT_ORIGIN, datadir.load_signer(layout))
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        sequencer = Sequencer(
            store=store,
            signer=signer,
            clock=SystemClock(),
            leadership=LockFile(layout.sequencer_lock),
        )
        started = time.perf_counter()
        latest = await sequencer.catch_up()
        elapsed = time.perf_counter() - started
    assert latest is not None
    return latest.size, elapsed


async def read_only(layout: DataDir) -> float:
    """The baseline: every entry read in the pages the verification reads, nothing else."""
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        started, last = time.perf_counter(), 0
        while page := await store.audit_entries(after=last, limit=PAGE):
            last = page[-1].seq
        return time.perf_counter() - started


def euregate(*argv: str) -> tuple[int, str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-m", "gateway", *argv], cwd=REPO, capture_output=True, text=True, check=False
    )
    return done.returncode, (done.stdout + done.stderr).strip(), time.perf_counter() - started


def run(total: int, work: Path) -> dict[str, object]:
    layout = DataDir(work / "data")
    init_demo_data_dir(layout.root)
    machine = describe_machine(layout.root)
    print(f"Machine: {machine_summary(machine)}")
    size = fill(layout, total)
    tree_size, integrating = asyncio.run(integrate(layout))
    saved = work / "saved.checkpoint"
    data = ("--data-dir", str(layout.root))
    code, output, _ = euregate("audit", "checkpoint", "--out", str(saved), *data)
    if code != 0:
        raise RuntimeError(f"audit checkpoint failed: {output}")
    reading = asyncio.run(read_only(layout))
    code, output, verifying = euregate("audit", "verify", "--checkpoint", str(saved), *data)
    result = {
        "benchmark": "verify",
        "machine": machine,
        "entries": size,
        "integration": {
            "tree_size": tree_size,
            "seconds": round(integrating, 3),
            "entries_per_second": round(tree_size / integrating),
            "goal": GOAL_INTEGRATION,
        },
        "verify_checkpoint": {
            "exit_code": code,
            "output": output,
            "seconds": round(verifying, 3),
            "entries_per_second": round(size / verifying),
            "goal": GOAL_VERIFY,
        },
        "baseline_read_only": {
            "seconds": round(reading, 3),
            "entries_per_second": round(size / reading),
        },
    }
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="entries in the log")
    parser.add_argument("--work-dir", type=Path, help="where the data directory goes (tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="euregate-verify-", dir=args.work_dir))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        result = run(args.entries, work)
    finally:
        if args.keep:
            print(f"Kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    path = RESULTS / f"verify-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"Results: {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
