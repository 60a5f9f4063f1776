"""Transparency-log benchmark: integration, inclusion proofs at ten million, verification.

Three measurements of ``gateway.infra.audit.merkle`` and ``gateway.infra.audit.tiles`` in one
thread, each against a baseline measured in the same run:

- **integration**: a sequencer's batch (``tiles.integrate`` through ``MemoryTiles``: leaf
  hashes, the new tiles and the root) in entries per second, for batches of 1,000 and
  10,000 audit-entry-sized entries (600 bytes) on a log of a million; baseline: SHA-256 of
  the same entries and nothing else;
- **inclusion proof at 10 M**: time per ``merkle.inclusion_proof`` through
  ``TileHashReader`` from ``MemoryTiles`` holding a tree of ten million leaves (built by
  integrating leaf hashes in batches of a million), at random leaves of the whole tree and
  of older sizes; baseline: reading the same tiles without computing anything;
- **verification of a 1 M-entry log against a checkpoint**: what ``euregate audit verify
  --checkpoint`` does: hash every entry, rebuild the tree, compare the root at the
  checkpoint's size and verify the consistency proof to the current size, in entries per
  second; baseline: SHA-256 of the same entries.

With ``--storage``, also the size on disk of a million entries' hashes in SQLite, stored
as tiles and as a table of every complete subtree, and the time of one proof's read from
each (what ``gateway/infra/audit/tiles.py`` chooses between).

    .venv/bin/python bench/tlog.py              # about two minutes
    .venv/bin/python bench/tlog.py --quick      # 1 M instead of 10 M leaves, seconds
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from common import REPO, describe_machine, machine_summary, median, percentile

from gateway.infra.audit import merkle, tiles
from gateway.infra.audit.tiles import MemoryTiles, TileHashReader

RESULTS = REPO / "bench" / "results"
ENTRY_BYTES = 600
GOAL_INTEGRATION = 20_000  # entries per second
GOAL_PROOF_MS = 5.0
GOAL_VERIFY = 50_000  # entries per second


def entries(start: int, count: int) -> list[bytes]:
    """Audit-entry-sized entries, each distinct."""
    pad = b"x" * (ENTRY_BYTES - 24)
    return [b'{"seq":%12d,"d":"' % n + pad + b'"}' for n in range(start, start + count)]


def leaf_hashes(start: int, count: int) -> list[bytes]:
    return [hashlib.sha256(n.to_bytes(8, "big")).digest() for n in range(start, start + count)]


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def grow(memory: MemoryTiles, size: int, batch: int = 1_000_000) -> None:
    while memory.size < size:
        count = min(batch, size - memory.size)
        memory.append(leaf_hashes(memory.size, count))


def integration(rounds: int, base: int) -> dict[str, object]:
    memory = MemoryTiles()
    grow(memory, base)
    rows = {}
    for batch in (1_000, 10_000):
        rates, floors = [], []
        for _ in range(rounds):
            data = entries(memory.size, batch)
            floors.append(batch / timed(lambda d=data: [hashlib.sha256(e).digest() for e in d]))
            rates.append(
                batch / timed(lambda d=data: memory.append([merkle.leaf_hash(e) for e in d]))
            )
        rows[str(batch)] = {
            "entries_per_second": median(rates),
            "baseline_sha256_per_second": median(floors),
            "ratio": median(rates) / median(floors),
            "all": rates,
        }
    return {"log_size": base, "batches": rows}


def proofs(size: int, count: int, seed: int = 7) -> dict[str, object]:
    memory = MemoryTiles()
    build = timed(lambda: grow(memory, size))
    reader = TileHashReader(memory)
    rng = random.Random(seed)
    loop = asyncio.new_event_loop()
    per_proof, per_proof_cpu, per_read, per_verify, tiles_read = [], [], [], [], []
    for _ in range(count):
        tree = size if rng.random() < 0.5 else rng.randint(1, size)
        index = rng.randrange(tree)
        plan = merkle.inclusion_plan(index, tree)
        addresses = tiles.tiles_needed(plan.nodes)
        started, cpu_started = time.perf_counter(), time.thread_time()
        proof = loop.run_until_complete(merkle.inclusion_proof(reader, index, tree))
        per_proof.append(time.perf_counter() - started)
        per_proof_cpu.append(time.thread_time() - cpu_started)
        started = time.perf_counter()
        loop.run_until_complete(memory.tiles(addresses))
        per_read.append(time.perf_counter() - started)
        root = loop.run_until_complete(merkle.tree_root(reader, tree))
        leaf = leaf_hashes(index, 1)[0]
        started = time.perf_counter()
        assert merkle.verify_inclusion(leaf, index, tree, proof, root)
        per_verify.append(time.perf_counter() - started)
        tiles_read.append(len(addresses))
    loop.close()
    ms = [1000 * value for value in per_proof]
    return {
        "size": size,
        "build_seconds": build,
        "proofs": count,
        "proof_ms_p50": percentile(ms, 50),
        "proof_ms_p99": percentile(ms, 99),
        "proof_ms_mean": statistics.fmean(ms),
        "proof_cpu_ms_p50": percentile([1000 * v for v in per_proof_cpu], 50),
        "proof_cpu_ms_p99": percentile([1000 * v for v in per_proof_cpu], 99),
        "baseline_read_ms_p50": percentile([1000 * v for v in per_read], 50),
        "ratio_p50": percentile(ms, 50) / percentile([1000 * v for v in per_read], 50),
        "verify_ms_p50": percentile([1000 * v for v in per_verify], 50),
        "tiles_read_max": max(tiles_read),
        "tiles_stored": len(memory.stored()),
    }


def verification(size: int, rounds: int) -> dict[str, object]:
    """Rebuild a log of ``size`` entries and check it against a checkpoint at ``size // 2``."""
    data = entries(0, size)
    honest = MemoryTiles()
    honest.append([merkle.leaf_hash(entry) for entry in data[: size // 2]])
    saved_size, saved_root = honest.size, honest.root
    loop = asyncio.new_event_loop()

    def verify() -> None:
        rebuilt = MemoryTiles()
        rebuilt.append([merkle.leaf_hash(entry) for entry in data])
        reader = TileHashReader(rebuilt)
        proof = loop.run_until_complete(merkle.consistency_proof(reader, saved_size, size))
        root_then = loop.run_until_complete(merkle.tree_root(reader, saved_size))
        assert root_then == saved_root
        assert merkle.verify_consistency(saved_size, size, proof, saved_root, rebuilt.root)

    rates = [size / timed(verify) for _ in range(rounds)]
    floors = [
        size / timed(lambda: [hashlib.sha256(e).digest() for e in data]) for _ in range(rounds)
    ]
    loop.close()
    return {
        "size": size,
        "checkpoint_size": saved_size,
        "entries_per_second": median(rates),
        "baseline_sha256_per_second": median(floors),
        "ratio": median(rates) / median(floors),
        "all": rates,
    }


def storage(size: int, work_dir: Path) -> dict[str, object]:
    """The same tree in SQLite as tiles and as one row per complete subtree."""
    memory = MemoryTiles()
    grow(memory, size)
    grown = merkle.integrate(0, (), leaf_hashes(0, size))
    result: dict[str, object] = {"size": size}
    index, tree = size // 3, size
    plan = merkle.inclusion_plan(index, tree)
    for layout in ("tiles", "nodes"):
        path = work_dir / f"{layout}.sqlite"
        connection = sqlite3.connect(path)
        connection.execute(
            f"CREATE TABLE {layout} (level INTEGER, idx INTEGER, hashes BLOB,"
            " PRIMARY KEY (level, idx)) WITHOUT ROWID"
        )
        if layout == "tiles":
            rows: Sequence[tuple[int, int, bytes]] = [
                (a.level, a.index, h) for a, h in memory.stored().items()
            ]
        else:
            rows = [(n.level, n.index, h) for n, h in grown.nodes()]
        insert = timed(
            lambda c=connection, r=rows, t=layout: (
                c.executemany(f"INSERT INTO {t} VALUES (?, ?, ?)", r),
                c.commit(),
            )
        )
        connection.execute("VACUUM")
        keys = (
            [(a.level, a.index) for a in tiles.tiles_needed(plan.nodes)]
            if layout == "tiles"
            else [(n.level, n.index) for n in plan.nodes]
        )
        query = f"SELECT hashes FROM {layout} WHERE level = ? AND idx = ?"
        reads = []
        for _ in range(200):
            started = time.perf_counter()
            found = [connection.execute(query, key).fetchone()[0] for key in keys]
            reads.append(time.perf_counter() - started)
        assert all(found)
        connection.close()
        result[layout] = {
            "rows": len(rows),
            "bytes_on_disk": path.stat().st_size,
            "bytes_per_entry": path.stat().st_size / size,
            "insert_seconds": insert,
            "rows_read_per_proof": len(keys),
            "proof_read_ms_p50": 1000 * percentile(reads, 50),
        }
    return result


def report(results: dict[str, object], machine: dict[str, object]) -> None:
    print(f"Machine: {machine_summary(machine)}\n")
    integration_rows = results["integration"]["batches"]  # type: ignore[index]
    print("| integration | entries/s | SHA-256 alone, entries/s | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for batch, row in integration_rows.items():
        print(
            f"| batch of {int(batch):,} | {row['entries_per_second']:,.0f} | "
            f"{row['baseline_sha256_per_second']:,.0f} | {row['ratio']:.2f} |"
        )
    print()
    proof = results["proofs"]
    print(
        "| inclusion proof | p50 ms | p99 ms | CPU p50 / p99 ms | reads alone p50 ms | ratio "
        "| tiles read (max) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {proof['size']:,} leaves | {proof['proof_ms_p50']:.3f} | {proof['proof_ms_p99']:.3f} "
        f"| {proof['proof_cpu_ms_p50']:.3f} / {proof['proof_cpu_ms_p99']:.3f} "
        f"| {proof['baseline_read_ms_p50']:.4f} | {proof['ratio_p50']:.0f} | "
        f"{proof['tiles_read_max']} |"
    )
    print(
        f"(tree built in {proof['build_seconds']:.1f} s; verifying a proof: "
        f"{proof['verify_ms_p50']:.3f} ms p50)\n"
    )
    check = results["verification"]
    print("| verify against a checkpoint | entries/s | SHA-256 alone, entries/s | ratio |")
    print("| --- | ---: | ---: | ---: |")
    print(
        f"| {check['size']:,} entries, checkpoint at {check['checkpoint_size']:,} | "
        f"{check['entries_per_second']:,.0f} | {check['baseline_sha256_per_second']:,.0f} | "
        f"{check['ratio']:.2f} |"
    )
    if "storage" in results:
        kept = results["storage"]
        print(
            "\n| SQLite, 1 M entries | rows | bytes/entry | insert s | rows per proof | read ms |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for layout in ("tiles", "nodes"):
            row = kept[layout]
            print(
                f"| {layout} | {row['rows']:,} | {row['bytes_per_entry']:.1f} | "
                f"{row['insert_seconds']:.2f} | {row['rows_read_per_proof']} | "
                f"{row['proof_read_ms_p50']:.3f} |"
            )
    goals = (
        min(r["entries_per_second"] for r in integration_rows.values()) >= GOAL_INTEGRATION,
        proof["proof_ms_p99"] < GOAL_PROOF_MS,
        proof["proof_cpu_ms_p99"] < GOAL_PROOF_MS,
        check["entries_per_second"] >= GOAL_VERIFY,
    )
    verdict = ["met" if goal else "NOT met" for goal in goals]
    print(
        f"\nGoals: integration >= {GOAL_INTEGRATION:,}/s {verdict[0]}; proof < {GOAL_PROOF_MS} ms "
        f"at p99 {verdict[1]} in wall-clock time, {verdict[2]} in CPU time (load average "
        f"{results['load_average']}); verification >= {GOAL_VERIFY:,}/s {verdict[3]}."
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--proof-size", type=int, default=10_000_000)
    parser.add_argument("--proofs", type=int, default=2000)
    parser.add_argument("--verify-size", type=int, default=1_000_000)
    parser.add_argument("--storage", action="store_true", help="also SQLite sizes, 1 M entries")
    parser.add_argument("--quick", action="store_true", help="1 M leaves, 2 rounds")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.proof_size, args.proofs = 2, 1_000_000, 300
    machine = describe_machine()
    results: dict[str, object] = {
        "machine": machine,
        "load_average": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "integration": integration(args.rounds, base=1_000_000),
        "proofs": proofs(args.proof_size, args.proofs),
        "verification": verification(args.verify_size, max(1, args.rounds // 2)),
    }
    if args.storage:
        with tempfile.TemporaryDirectory() as work:
            results["storage"] = storage(1_000_000, Path(work))
    report(results, machine)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"tlog-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"Written to {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
