"""Kill soak: ``euregate serve`` SIGKILLed again and again while partners post to it, then
every receipt counted against the signals stored. A signal that got a receipt (202) must be
in the store whatever moment the process died at; the audit chain must verify at the end.

Each cycle starts the gateway on the same data directory (SQLite, or ``--database`` for a
PostgreSQL database), lets ``--concurrency`` partners' workers post distinct signals for a
random time of up to ``--seconds``, and kills the process with SIGKILL while they go on
posting (so that requests are cut in every state: before the write, during the group commit,
after it, while the receipt is on the wire). Connection errors at the kill are expected; what
is counted is the receipts. Writes ``bench/results/soak-<time>.json``.

    .venv/bin/python bench/soak.py                 # 100 cycles, about five minutes
    .venv/bin/python bench/soak.py --cycles 10     # a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
from common import (
    GATEWAY_READY,
    HOST,
    PYTHON,
    REPO,
    ROOMY_PARTNER_LIMITS,
    Sender,
    free_port,
    gateway_command,
    gateway_environment,
    init_demo_data_dir,
    partner_sender,
    start_server,
)

TEMPLATE = REPO / "examples" / "nl-drug-waste-maastricht.json"
RESULTS = REPO / "bench" / "results"
SENDERS = ("nl-pol-limburg", "nl-gem-maastricht", "nl-riec-limburg")
"""Partners that may send the Dutch example as it is."""


@dataclass
class Tally:
    receipts: set[str] = field(default_factory=set)
    statuses: dict[str, int] = field(default_factory=dict)

    def saw(self, what: str) -> None:
        self.statuses[what] = self.statuses.get(what, 0) + 1


async def post_until(
    url: str, senders: list[Sender], template: dict[str, Any], stop: asyncio.Event, *,
    tally: Tally, cycle: int, concurrency: int,
) -> None:  # fmt: skip
    """Post distinct signals from ``concurrency`` workers until ``stop``."""

    async def worker(index: int) -> None:
        sender = senders[index % len(senders)]
        connector = aiohttp.TCPConnector(ssl=sender.ssl_context, limit=1)
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            n = 0
            while not stop.is_set():
                body = {**template, "sender_reference": f"SOAK/{cycle}/{index}/{n}"}
                n += 1
                try:
                    async with session.post(f"{url}/v1/signals", json=body) as response:
                        answer = await response.read()
                        tally.saw(str(response.status))
                        if response.status == 202:
                            tally.receipts.add(json.loads(answer)["signal_id"])
                except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                    tally.saw(type(exc).__name__)
                    await asyncio.sleep(0.05)

    await asyncio.gather(*(worker(i) for i in range(concurrency)))


async def one_cycle(
    data_dir: Path, work: Path, options: argparse.Namespace, senders: list[Sender], *,
    template: dict[str, Any], tally: Tally, cycle: int,
) -> None:  # fmt: skip
    port = free_port()
    command = gateway_command(data_dir, port)
    if options.database:
        command += ["--database", options.database]
    server = start_server(
        "gateway", command, url=f"https://{HOST}:{port}", ready_marker=GATEWAY_READY,
        log_path=work / "gateway.log", env=gateway_environment(ROOMY_PARTNER_LIMITS),
    )  # fmt: skip
    stop = asyncio.Event()
    posting = asyncio.create_task(
        post_until(
            server.url,
            senders,
            template,
            stop,
            tally=tally,
            cycle=cycle,
            concurrency=options.concurrency,
        )
    )
    await asyncio.sleep(random.uniform(0.2, options.seconds))
    server.process.send_signal(signal.SIGKILL)
    await asyncio.to_thread(server.process.wait)
    await asyncio.sleep(0.2)  # the posts under way meet the dead process
    stop.set()
    await posting


def stored_signals(data_dir: Path, database: str | None) -> set[str]:
    if database:
        with psycopg.connect(database) as conn:
            return {row[0] for row in conn.execute("SELECT id FROM signals")}
    with sqlite3.connect(data_dir / "euregate.db") as conn:
        return {row[0] for row in conn.execute("SELECT id FROM signals")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=1.5, help="longest load before a kill")
    parser.add_argument("--database", help="a PostgreSQL database made by `init --database`")
    parser.add_argument("--data-dir", type=Path, help="its data directory (with --database)")
    options = parser.parse_args()
    random.seed(20261205)
    work = Path(tempfile.mkdtemp(prefix="euregate-soak-"))
    data_dir = options.data_dir or work / "data"
    if options.data_dir is None:
        init_demo_data_dir(data_dir)
    senders = [partner_sender(data_dir, name) for name in SENDERS]
    template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    tally = Tally()
    started = time.monotonic()
    for cycle in range(options.cycles):
        asyncio.run(
            one_cycle(data_dir, work, options, senders, template=template, tally=tally, cycle=cycle)
        )
        print(f"cycle {cycle + 1}/{options.cycles}: {len(tally.receipts)} receipts", flush=True)
    stored = stored_signals(data_dir, options.database)
    verify = [PYTHON, "-m", "gateway", "audit", "verify", "--data-dir", str(data_dir)]
    if options.database:
        verify += ["--database", options.database]
    verified = subprocess.run(verify, cwd=REPO, capture_output=True, text=True, check=False)
    lost = sorted(tally.receipts - stored)
    report = {
        "date": datetime.now(UTC).isoformat(),
        "store": "postgresql" if options.database else "sqlite",
        "cycles": options.cycles,
        "concurrency": options.concurrency,
        "seconds": round(time.monotonic() - started, 1),
        "receipts": len(tally.receipts),
        "signals_stored": len(stored),
        "receipted_but_lost": len(lost),
        "stored_without_receipt": len(stored - tally.receipts),
        "answers": dict(sorted(tally.statuses.items())),
        "audit_verify": (verified.stdout + verified.stderr).strip(),
        "ok": not lost and verified.returncode == 0,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"soak-{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
