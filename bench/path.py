"""The whole path at saturation: intake, and the courier sealing every copy, against intake alone.

One partner (``nl-pol-limburg``) posts distinct copies of ``examples/nl-drug-waste-maastricht
.json`` at a fixed concurrency for a fixed time, with 1 or 9 recipients named per signal:

* **sealed**: recipients whose copies need no review (partners reading Dutch under the
  reference policy: ``be-pol-lanaken`` under rule 2, ``nl-gem-maastricht`` and
  ``nl-riec-limburg`` in the same country, and six Dutch police forces the benchmark enrols as
  an operator does, with ``euregate partner add`` and ``euregate partner key add``), so that
  the courier seals each copy at once, in the same process, while intake goes on;
* **intake only**: recipients whose copies wait for a liaison officer (the free text reaches
  them in a language they did not list: ``be-pol-liege``, ``de-pol-aachen``,
  ``de-zoll-aachen`` and six French-reading Belgian forces enrolled likewise), so that the
  courier has nothing to seal: the same signal, the same number of copies queued at intake,
  a review item for each instead of an envelope. The gateway has no switch to stop its courier;
  this is the honest "intake alone" it offers.

Each run is a fresh copy of one prepared data directory, on SQLite, with ``serve`` as one
process (``gateway``) and with ``--workers 2`` (``workers-2``). The courier's backlog (copies
queued but not sealed) is what the ``euregate_courier_pending_copies`` gauge counts, read
through the store's own counting read (``operations_snapshot``) every second during the run
and until it reaches zero after posting stops: ``/metrics`` serves that count as a snapshot
up to 5 s old, too coarse for a drain time. After each run the benchmark checks that every
202 is a stored signal with an envelope per recipient (sealed) or none (intake only), and
measures the database's growth per signal and recipient.

    .venv/bin/python bench/path.py            # full run, about six minutes
    .venv/bin/python bench/path.py --quick    # smoke run, about two minutes
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import (
    GATEWAY_READY,
    HOST,
    REPO,
    ROOMY_PARTNER_LIMITS,
    LoadGenerator,
    ServerProcess,
    count_rows,
    describe_machine,
    free_port,
    gateway_command,
    gateway_environment,
    init_demo_data_dir,
    machine_summary,
    partner_sender,
    run_euregate,
    start_server,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from intake import SignalBodies

from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir, Settings
from gateway.store import OperationsSnapshot
from gateway.store.backend import store_for

TEMPLATE = REPO / "examples" / "nl-drug-waste-maastricht.json"
RESULTS = REPO / "bench" / "results"
SENDER = "nl-pol-limburg"
EXTRA = 6
SEALED_RECIPIENTS = (
    "be-pol-lanaken",
    "nl-gem-maastricht",
    "nl-riec-limburg",
    *(f"nl-pol-bench{n}" for n in range(1, EXTRA + 1)),
)
"""Read Dutch, and the reference policy shares the whole signal with them: no review."""
REVIEWED_RECIPIENTS = (
    "be-pol-liege",
    "de-pol-aachen",
    "de-zoll-aachen",
    *(f"be-pol-bench{n}" for n in range(1, EXTRA + 1)),
)
"""Police and customs across the border that do not read Dutch: each copy waits for review."""
ENROLLED = (
    *((f"nl-pol-bench{n}", "Politie (benchmark)", "NL", "nl") for n in range(1, EXTRA + 1)),
    *((f"be-pol-bench{n}", "Police (benchmark)", "BE", "fr") for n in range(1, EXTRA + 1)),
)
RECIPIENT_COUNTS = (1, 9)
SYSTEMS = ("gateway", "workers-2")
MODES = ("intake-only", "sealed")
GOAL_RATIO = 0.5
"""Sealing never halves intake (issue 12)."""
DRAIN_LIMIT_S = 600.0


@dataclass(frozen=True)
class Options:
    seconds: float
    concurrency: int
    recipient_counts: tuple[int, ...]
    systems: tuple[str, ...]
    work_dir: Path | None
    keep: bool
    quick: bool


@dataclass
class Run:
    """One system, one number of recipients, one mode."""

    system: str
    recipients: int
    mode: str
    accepted: int = 0
    not_202: int = 0
    first_failure: str | None = None
    posting_s: float = 0.0
    drain_s: float | None = None
    server_cpu_s: float = 0.0
    backlog: list[tuple[float, int]] = field(default_factory=list)
    review_waiting_at_end: int | None = None
    signals_stored: int = 0
    envelopes_stored: int = 0
    database_growth_bytes: int = 0

    @property
    def intake_rps(self) -> float:
        return self.accepted / self.posting_s if self.posting_s else 0.0

    @property
    def copies(self) -> int:
        return self.signals_stored * self.recipients

    @property
    def max_backlog(self) -> int:
        return max((n for _, n in self.backlog), default=0)

    @property
    def sealed_per_s(self) -> float | None:
        """Envelopes sealed per second from the first post until the backlog was gone."""
        if self.mode != "sealed" or self.drain_s is None or not self.posting_s:
            return None
        return self.accepted * self.recipients / (self.posting_s + self.drain_s)

    @property
    def cpu_ms_per_signal(self) -> float | None:
        return self.server_cpu_s * 1000 / self.accepted if self.accepted else None

    @property
    def bytes_per_copy(self) -> float | None:
        return self.database_growth_bytes / self.copies if self.copies else None

    @property
    def consistent(self) -> bool:
        """Every signal stored, with an envelope per copy when sealed, none when reviewed."""
        expected = self.copies if self.mode == "sealed" else 0
        return self.envelopes_stored == expected and self.drain_s is not None

    def as_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "recipients": self.recipients,
            "mode": self.mode,
            "accepted": self.accepted,
            "not_202": self.not_202,
            "first_failure": self.first_failure,
            "posting_s": round(self.posting_s, 3),
            "intake_rps": round(self.intake_rps, 2),
            "drain_s": _rounded(self.drain_s),
            "sealed_per_s": _rounded(self.sealed_per_s),
            "max_backlog": self.max_backlog,
            "backlog_samples": [[round(t, 1), n] for t, n in self.backlog],
            "review_waiting_at_end": self.review_waiting_at_end,
            "server_cpu_s": round(self.server_cpu_s, 3),
            "cpu_ms_per_signal": _rounded(self.cpu_ms_per_signal),
            "signals_stored": self.signals_stored,
            "envelopes_stored": self.envelopes_stored,
            "database_growth_bytes": self.database_growth_bytes,
            "bytes_per_signal_per_recipient": _rounded(self.bytes_per_copy),
            "consistent": self.consistent,
        }


# --- the data directory -------------------------------------------------------------------------


def prepare_data_dir(data_dir: Path) -> None:
    """The demo network, and the extra partners enrolled with an encryption key each."""
    init_demo_data_dir(data_dir)
    keys = data_dir.parent / "bench-keys"
    keys.mkdir()
    for partner_id, name, country, language in ENROLLED:
        directory = ("--data-dir", str(data_dir))
        run_euregate("partner", "add", partner_id, "--name", name, "--country", country,
                 "--agency-type", "police", "--languages", language, *directory)  # fmt: skip
        public = X25519PrivateKey.generate().public_key()
        pem = keys / f"{partner_id}.pem"
        pem.write_bytes(
            public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        run_euregate("partner", "key", "add", partner_id, "--public-key", str(pem), *directory)


def database_bytes(data_dir: Path) -> int:
    return sum(
        path.stat().st_size
        for path in data_dir.glob("euregate.db*")
        if path.name in {"euregate.db", "euregate.db-wal"}
    )


# --- the courier's backlog ----------------------------------------------------------------------


class Backlog:
    """What the ``euregate_courier_pending_copies`` and ``euregate_review_waiting`` gauges
    count (the store's :class:`OperationsSnapshot`), read from the store itself.

    ``/metrics`` serves a snapshot at most 5 s old whoever asks, too coarse to sample every
    second or to time a drain; the same counting read, made here at each sample, is exact.
    """

    def __init__(self, data_dir: Path) -> None:
        self._store = store_for(
            Settings(data_dir=data_dir), DataDir(data_dir).database, clock=SystemClock()
        )
        self._clock = SystemClock()

    async def __aenter__(self) -> Backlog:
        await self._store.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._store.close()

    async def snapshot(self) -> OperationsSnapshot:
        return await self._store.operations_snapshot(self._clock.now())

    async def pending(self) -> int:
        return (await self.snapshot()).pending_copies


async def sample_backlog(backlog: Backlog, run: Run, started: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        run.backlog.append((time.perf_counter() - started, await backlog.pending()))
        try:
            async with asyncio.timeout(1.0):
                await stop.wait()
        except TimeoutError:
            pass


async def drained(backlog: Backlog, limit_s: float) -> float | None:
    """Seconds until the backlog is zero, or None if it does not within ``limit_s``."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        if await backlog.pending() == 0:
            return time.perf_counter() - started
        await asyncio.sleep(0.25)
    return None


# --- one run --------------------------------------------------------------------------------------


def start_gateway(system: str, data_dir: Path, work: Path) -> ServerProcess:
    port = free_port()
    settings = {**ROOMY_PARTNER_LIMITS, **({"workers": "2"} if system == "workers-2" else {})}
    return start_server(
        system,
        gateway_command(data_dir, port),
        url=f"https://{HOST}:{port}",
        ready_marker=GATEWAY_READY,
        log_path=work / f"{system}.log",
        env=gateway_environment(settings),
    )


async def post_and_seal(server: ServerProcess, data_dir: Path, run: Run, options: Options) -> None:
    """Warm up and let the courier catch up; then post for ``options.seconds`` while the
    backlog is sampled, and wait for it to drain."""
    template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    chosen = SEALED_RECIPIENTS if run.mode == "sealed" else REVIEWED_RECIPIENTS
    template["recipients"] = {"partners": list(chosen[: run.recipients])}
    sender = partner_sender(data_dir, SENDER)
    url = f"{server.url}/v1/signals"
    async with (
        Backlog(data_dir) as backlog,
        LoadGenerator(url, [sender], concurrency=options.concurrency) as load,
    ):
        warm = await load.run(SignalBodies(template, "warm"), 2 * options.concurrency)
        if warm.failed or warm.unsent:
            raise RuntimeError(f"warm-up refused: {warm.first_failure}")
        if await drained(backlog, DRAIN_LIMIT_S) is None:
            raise RuntimeError("the warm-up's copies were not sealed in time")
        cpu_before, started = server.cpu_seconds(), time.perf_counter()
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_backlog(backlog, run, started, stop))
        result = await load.run(
            SignalBodies(template, "path"), 10_000_000, time_limit_s=options.seconds
        )
        run.accepted, run.posting_s = result.ok, result.elapsed_s
        run.not_202, run.first_failure = result.failed, result.first_failure
        run.drain_s = await drained(backlog, DRAIN_LIMIT_S)
        run.server_cpu_s = server.cpu_seconds() - cpu_before
        stop.set()
        await sampler
        run.review_waiting_at_end = sum((await backlog.snapshot()).review_waiting.values())


def measure(
    template_dir: Path, work: Path, system: str, *, recipients: int, mode: str, options: Options
) -> Run:
    data_dir = work / f"data-{system}-{recipients}-{mode}"
    shutil.copytree(template_dir, data_dir)
    before = database_bytes(data_dir)
    signals_before = count_rows(data_dir / "euregate.db", "SELECT count(*) FROM signals")
    run = Run(system, recipients, mode)
    server = start_gateway(system, data_dir, work)
    try:
        asyncio.run(post_and_seal(server, data_dir, run, options))
    finally:
        server.stop()
    database = data_dir / "euregate.db"
    run.signals_stored = count_rows(database, "SELECT count(*) FROM signals") - signals_before
    run.envelopes_stored = count_rows(database, "SELECT count(*) FROM envelopes")
    run.database_growth_bytes = database_bytes(data_dir) - before
    if not options.keep:
        shutil.rmtree(data_dir, ignore_errors=True)
    print_run(run)
    return run


# --- report ---------------------------------------------------------------------------------------


def print_run(run: Run) -> None:
    sealed = "" if run.sealed_per_s is None else f", {run.sealed_per_s:7.1f} envelopes/s"
    drain = "never" if run.drain_s is None else f"{run.drain_s:5.1f} s"
    print(
        f"  {run.system:<9} {run.recipients} recipient(s) {run.mode:<11} "
        f"{run.intake_rps:7.1f} req/s{sealed}, backlog max {run.max_backlog}, drained in "
        f"{drain}, {_ms(run.cpu_ms_per_signal)} CPU ms/signal"
        f"{'' if run.consistent else ' INCONSISTENT'}"
        f"{f', {run.not_202} WITHOUT 202 ({run.first_failure})' if run.not_202 else ''}",
        flush=True,
    )


def comparisons(runs: Sequence[Run]) -> list[dict[str, Any]]:
    """For each system and number of recipients: intake with sealing over intake alone."""
    found = {(run.system, run.recipients, run.mode): run for run in runs}
    results = []
    for (system, recipients, mode), sealed in found.items():
        alone = found.get((system, recipients, "intake-only"))
        if mode != "sealed" or alone is None:
            continue
        ratio = sealed.intake_rps / alone.intake_rps if alone.intake_rps else None
        results.append(
            {
                "system": system,
                "recipients": recipients,
                "intake_only_rps": round(alone.intake_rps, 2),
                "sealed_rps": round(sealed.intake_rps, 2),
                "ratio": _rounded(ratio),
                "goal_met": None if ratio is None else ratio >= GOAL_RATIO,
                "sealed_per_s": _rounded(sealed.sealed_per_s),
                "max_backlog": sealed.max_backlog,
                "drain_s": _rounded(sealed.drain_s),
                "cpu_ms_per_signal_sealed": _rounded(sealed.cpu_ms_per_signal),
                "cpu_ms_per_signal_intake_only": _rounded(alone.cpu_ms_per_signal),
                "bytes_per_signal_per_recipient": _rounded(sealed.bytes_per_copy),
            }
        )
    return results


def print_report(machine: dict[str, object], table: list[dict[str, Any]], runs: list[Run]) -> None:
    print()
    print(f"Machine: {machine_summary(machine)}")
    print(f"Date: {machine['date']}; load average at start {machine['load_average']}")
    print()
    header = (
        f"{'system':<9} {'rcpt':>4} {'alone r/s':>9} {'sealed r/s':>10} {'ratio':>5} "
        f"{'env/s':>7} {'backlog max':>11} {'drain s':>7} {'CPU ms/sig':>10} {'B/sig/rcpt':>10}"
    )
    print(header)
    print("-" * len(header))
    for row in table:
        print(
            f"{row['system']:<9} {row['recipients']:>4} {row['intake_only_rps']:9.1f} "
            f"{row['sealed_rps']:10.1f} {_num(row['ratio'], 5, 2)} "
            f"{_num(row['sealed_per_s'], 7, 1)} {row['max_backlog']:>11} "
            f"{_num(row['drain_s'], 7, 1)} {_num(row['cpu_ms_per_signal_sealed'], 10, 2)} "
            f"{_num(row['bytes_per_signal_per_recipient'], 10, 0)}"
        )
    print()
    consistent = all(run.consistent for run in runs)
    print(f"Integrity: every run's envelopes as expected -> {'OK' if consistent else 'MISMATCH'}")
    for row in table:
        verdict = {True: "met", False: "NOT MET", None: "not measured"}[row["goal_met"]]
        print(
            f"Goal: {row['system']}, {row['recipients']} recipient(s): intake with sealing >= "
            f"{GOAL_RATIO:.0%} of intake alone: measured {row['ratio']} -> {verdict}"
        )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _num(value: float | None, width: int, decimals: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:{width}.{decimals}f}"


# --- the whole run ------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs: a smoke run")
    parser.add_argument("--seconds", type=float, help="seconds of posting per run (10; quick 4)")
    parser.add_argument("--concurrency", type=int, default=32, help="connections posting")
    parser.add_argument("--recipients", default="1,9", help="recipients per signal, e.g. 1,9")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="gateway,workers-2")
    parser.add_argument("--work-dir", type=Path, help="where the data directories go (tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the data directories and logs")
    args = parser.parse_args(argv)
    counts = tuple(int(x) for x in args.recipients.split(","))
    if any(not 1 <= n <= len(SEALED_RECIPIENTS) for n in counts):
        parser.error(f"recipients per signal: 1 to {len(SEALED_RECIPIENTS)}")
    systems = tuple(args.systems.split(","))
    if set(systems) - set(SYSTEMS):
        parser.error(f"systems: {', '.join(SYSTEMS)}")
    return Options(
        seconds=args.seconds or (4.0 if args.quick else 10.0),
        concurrency=args.concurrency,
        recipient_counts=counts,
        systems=systems,
        work_dir=args.work_dir,
        keep=args.keep,
        quick=args.quick,
    )


def benchmark(options: Options) -> dict[str, Any]:
    started = datetime.now(UTC)
    work = Path(tempfile.mkdtemp(prefix="euregate-path-", dir=options.work_dir))
    template_dir = work / "data"
    try:
        prepare_data_dir(template_dir)
        machine = describe_machine(template_dir)
        print(f"Machine: {machine_summary(machine)}")
        runs = [
            measure(template_dir, work, system, recipients=recipients, mode=mode, options=options)
            for system in options.systems
            for recipients in options.recipient_counts
            for mode in MODES
        ]
    finally:
        if options.keep:
            print(f"Kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    table = comparisons(runs)
    print_report(machine, table, runs)
    return {
        "benchmark": "path",
        "stamp": started.strftime("%Y%m%dT%H%M%SZ"),
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "settings": {
            "seconds": options.seconds,
            "concurrency": options.concurrency,
            "quick": options.quick,
            "sender": SENDER,
            "sealed_recipients": SEALED_RECIPIENTS,
            "reviewed_recipients": REVIEWED_RECIPIENTS,
            "template": str(TEMPLATE.relative_to(REPO)),
        },
        "summary": table,
        "integrity_ok": all(run.consistent for run in runs),
        "runs": [run.as_json() for run in runs],
    }


def main(argv: Sequence[str] | None = None) -> int:
    report = benchmark(parse_args(argv))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"path-{report['stamp']}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"Results: {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
