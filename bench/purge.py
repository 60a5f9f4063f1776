"""What purging erased signals' keys costs on PostgreSQL: ``VACUUM FULL signal_keys`` at a
hundred thousand keys, and what it does to an intake writing at the same time.

A throwaway cluster with PostgreSQL's durable defaults (:mod:`pg`) holds the gateway's schema
with ``--keys`` signals and their key rows; one in a hundred keys is deleted, as a retention
run's erasures do. Then:

- **rewrite**: the store's :meth:`purge_old_versions` alone, ``--repeat`` times (it rewrites
  ``review_items`` and ``translation_memory`` too, empty here);
- **intake**: a writer inserting a signal and its key row per transaction, its latency before
  and while the purge runs (the rewrite's exclusive lock makes it wait);
- **busy**: the same while a transaction holds ``signal_keys`` open for longer than the purge
  waits (:data:`PURGE_LOCK_WAIT`): the purge gives up and says so, and intake waits at most that
  long.

Writes ``bench/results/purge-<time>.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from common import REPO, describe_machine, median, percentile
from pg import postgres_installed, throwaway_cluster

sys.path.insert(0, str(REPO))

# the repository's root is on the path only now
from gateway.infra.clock import SystemClock
from gateway.store.postgres import PostgresStore
from gateway.store.postgres.database import PURGE_LOCK_WAIT

RESULTS = REPO / "bench" / "results"
KEY = (
    "substring(sha256(convert_to({n}, 'UTF8')) || sha256(convert_to({n} || 'k', 'UTF8')) "
    "|| sha256(convert_to(clock_timestamp()::text, 'UTF8')) from 1 for 68)"
)
"""68 bytes that differ from row to row, as wrapped keys do (``{n}``: a text expression)."""
BODY = "convert_to(repeat(md5(({n})::text), 38), 'UTF8')"
SEED = (
    "INSERT INTO partners (id, name, country, agency_type, languages, state, created_at) "
    "VALUES ('nl-pol-limburg', 'Politie', 'NL', 'police', '[\"nl\"]', 'active', now())",
    "INSERT INTO signals (id, sender_id, sender_reference, body_sha256, received_at, "
    "sealed_body) SELECT 'sig-' || lpad(n::text, 8, '0'), 'nl-pol-limburg', 'ref-' || n, "
    f"'d', now(), {BODY.format(n='n::text')} FROM generate_series(1, %(keys)s) n",
    f"INSERT INTO signal_keys (signal_id, sealed_key) SELECT id, {KEY.format(n='id')} FROM signals",
    "DELETE FROM signal_keys WHERE right(signal_id, 2) = '00'",
)


@dataclass
class Writer:
    """Inserts a signal and its key per transaction until stopped; each one's latency."""

    url: str
    prefix: str
    latencies_ms: list[tuple[float, float]] = field(default_factory=list)
    """(seconds since the writer started, milliseconds the transaction took)."""

    async def run(self, stop: asyncio.Event) -> None:
        started = time.perf_counter()
        async with await psycopg.AsyncConnection.connect(self.url) as conn:
            n = 0
            while not stop.is_set():
                n += 1
                began = time.perf_counter()
                async with conn.transaction():
                    await conn.execute(
                        "INSERT INTO signals (id, sender_id, sender_reference, body_sha256, "
                        "received_at, sealed_body) VALUES (%(id)s, 'nl-pol-limburg', %(id)s, "
                        f"'d', now(), {BODY.format(n='%(id)s')})",
                        {"id": f"{self.prefix}-{n}"},
                    )
                    await conn.execute(
                        "INSERT INTO signal_keys (signal_id, sealed_key) "
                        f"VALUES (%(id)s, {KEY.format(n='%(id)s')})",
                        {"id": f"{self.prefix}-{n}"},
                    )
                now = time.perf_counter()
                self.latencies_ms.append((now - started, (now - began) * 1000))


def summary(latencies: Sequence[float]) -> dict[str, float]:
    return {
        "count": len(latencies),
        "p50_ms": round(median(latencies), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(max(latencies), 2),
    }


async def purge_during_intake(
    store: PostgresStore, url: str, *, hold_open: float | None
) -> dict[str, Any]:
    """Intake alone for a second, then the purge (after ``hold_open`` seconds of another
    transaction holding the keys' table, if given) while intake goes on."""
    writer = Writer(url, "busy" if hold_open else "intake")
    stop = asyncio.Event()
    writing = asyncio.create_task(writer.run(stop))
    await asyncio.sleep(1.0)
    purge_from = writer.latencies_ms[-1][0] if writer.latencies_ms else 0.0
    holder: psycopg.AsyncConnection[Any] | None = None
    if hold_open is not None:
        holder = await psycopg.AsyncConnection.connect(url)
        await holder.execute("SELECT 1 FROM signal_keys LIMIT 1")  # a transaction, left open
    began = time.perf_counter()
    purging = asyncio.create_task(store.purge_old_versions())
    if holder is not None and hold_open is not None:
        await asyncio.sleep(hold_open)
        await holder.rollback()
        await holder.close()
    purged = await purging
    took = time.perf_counter() - began
    await asyncio.sleep(1.0)
    stop.set()
    await writing
    before = [ms for at, ms in writer.latencies_ms if at <= purge_from]
    during = [ms for at, ms in writer.latencies_ms if at > purge_from]
    return {
        "purge_s": round(took, 3),
        "postponed": list(purged.postponed),
        "intake_before": summary(before),
        "intake_during_and_after": summary(during),
    }


async def measure(url: str, *, repeat: int) -> dict[str, Any]:
    async with PostgresStore(url, clock=SystemClock(), pool_size=4) as store:
        rewrites = []
        for _ in range(repeat):
            began = time.perf_counter()
            purged = await store.purge_old_versions()
            rewrites.append(time.perf_counter() - began)
            assert purged.postponed == (), purged
        intake = await purge_during_intake(store, url, hold_open=None)
        busy = await purge_during_intake(
            store, url, hold_open=PURGE_LOCK_WAIT.total_seconds() + 1.0
        )
    return {
        "rewrite_s": {"median": round(median(rewrites), 3), "max": round(max(rewrites), 3)},
        "intake": intake,
        "busy": busy,
    }


async def create_schema(url: str) -> None:
    async with PostgresStore(url, clock=SystemClock(), pool_size=1):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if not postgres_installed():
        print("PostgreSQL is not installed: nothing to measure", file=sys.stderr)
        return 2
    with throwaway_cluster() as cluster:
        cluster.admin("CREATE DATABASE purge TEMPLATE template0")
        url = cluster.url("purge")
        asyncio.run(create_schema(url))
        with psycopg.connect(url, autocommit=True) as conn:
            for statement in SEED:
                conn.execute(statement.encode(), {"keys": args.keys})
            size = conn.execute("SELECT pg_total_relation_size('signal_keys')").fetchone()
        result = asyncio.run(measure(url, repeat=args.repeat))
    result = {"keys": args.keys, "signal_keys_bytes": size[0] if size else None, **result}
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"purge-{stamp}.json"
    path.write_text(json.dumps({"machine": describe_machine(), **result}, indent=2))
    print(json.dumps(result, indent=2))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
