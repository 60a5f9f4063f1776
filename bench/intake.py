"""Intake benchmark: ``POST /v1/signals`` over mutual TLS, against a bare TLS baseline.

The gateway (``python -m gateway serve`` on a fresh demo data directory), the same gateway
without its audit tree (``no-tree``: ``EUREGATE_AUDIT_SEQUENCER=false`` on a copy of that
data directory, so that nothing integrates its entries into the Merkle tree or signs
checkpoints), the gateway as two worker processes on the same listeners and store
(``workers-2``: ``EUREGATE_WORKERS=2`` on another copy), the gateway on PostgreSQL (``pg-1``:
another copy moved with ``euregate migrate-store`` into a database of a throwaway cluster that
the benchmark starts; ``pg-2``: two ``serve`` processes on their own ports and one database,
the load generator spreading its connections over both as a TCP load balancer would; skipped
with ``--no-postgres``) and the baseline (``python
bench/common.py baseline-server``: the same TLS 1.3 context and certificates, reads the body,
parses the JSON, answers 202, stores nothing) each run in their own process; the load
generator is this process. For every round and every concurrency level every system gets the
same number of distinct valid signals, after a warm-up on the same keep-alive connections;
the order alternates from round to round (baseline first, then gateway first), and each
system's median over the rounds is reported, so drift on a shared machine touches all alike.
After the closed-loop levels, each system takes an open-loop run at half its own peak
throughput, for the p50 and p99 latency at that steady rate.

Reports throughput, p50 and p99 latency, the gateway/baseline throughput ratio, the
servers' CPU per request, the gateway's peak RSS (``VmHWM``), whether every response
was a 202 and every accepted signal is in the database with an intact audit chain, and
whether the goals are met. Writes everything to ``bench/results/intake-<time>.json``.

    .venv/bin/python bench/intake.py            # full run, a few minutes
    .venv/bin/python bench/intake.py --quick    # smoke run, about a minute
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import (
    BASELINE_READY,
    GATEWAY_READY,
    HOST,
    PYTHON,
    REPO,
    ROOMY_PARTNER_LIMITS,
    LoadGenerator,
    LoadResult,
    Sender,
    ServerProcess,
    baseline_command,
    count_rows,
    describe_machine,
    free_port,
    gateway_command,
    gateway_environment,
    init_demo_data_dir,
    machine_summary,
    median,
    partner_sender,
    start_server,
)

LEVELS = (1, 16, 64)
FULL_COUNTS = (400, 2000, 4000)
QUICK_COUNTS = (40, 200, 400)
TEMPLATE = REPO / "examples" / "nl-drug-waste-maastricht.json"
RESULTS = REPO / "bench" / "results"
SYSTEMS = ("baseline", "gateway", "no-tree", "workers-2", "pg-1", "pg-2")
POSTGRES_SYSTEMS = ("pg-1", "pg-2")
SCALING = (("workers-2", "gateway"), ("pg-2", "pg-1"))
"""Pairs (two processes, one process) whose throughput ratio is what a second core buys."""
PREFERRED_SENDERS = ("nl-pol-limburg", "de-pol-aachen", "be-pol-lanaken", "nl-gem-maastricht")
GOAL_RATIO = 0.5
GOAL_RATIO_LEVEL = 64
GOAL_PEAK_RSS_BYTES = 150_000_000
GOAL_TREE_RATIO = 0.9
"""The gateway with its audit tree within 10% of its throughput without (issue 11)."""
GOAL_WORKERS_RATIO = 1.8
"""Two worker processes (or two instances on PostgreSQL) at least 1.8 times one process's
throughput (issue 12)."""
GOAL_SCALED_RATIO = 0.2
"""Two processes at least 20% of the baseline's throughput (issue 12)."""
GOAL_HALF_PEAK_P99_MS = 50.0
"""p99 latency below 50 ms at half of each system's peak throughput (issue 12)."""
FULL_OPEN_LOOP_S = 10.0
QUICK_OPEN_LOOP_S = 3.0
MB = 1_000_000


@dataclass(frozen=True)
class Options:
    levels: tuple[int, ...]
    counts: tuple[int, ...]
    rounds: int
    warmup: int
    senders: int
    time_limit_s: float
    work_dir: Path | None
    keep: bool
    quick: bool
    systems: tuple[str, ...] = SYSTEMS
    open_loop_s: float = FULL_OPEN_LOOP_S


@dataclass
class Run:
    """One measured run of one system at one concurrency level."""

    system: str
    concurrency: int
    round: int
    load: LoadResult
    server_cpu_s: float

    def as_json(self) -> dict[str, Any]:
        load = self.load
        return {
            "system": self.system,
            "concurrency": self.concurrency,
            "round": self.round,
            "planned": load.planned,
            "ok": load.ok,
            "failed": load.failed,
            "unsent": load.unsent,
            "statuses": {str(k): v for k, v in sorted(load.statuses.items())},
            "exceptions": dict(load.exceptions),
            "first_failure": load.first_failure,
            "elapsed_s": round(load.elapsed_s, 4),
            "throughput_rps": round(load.throughput, 2),
            "p50_ms": _rounded(load.percentile_ms(50)),
            "p90_ms": _rounded(load.percentile_ms(90)),
            "p99_ms": _rounded(load.percentile_ms(99)),
            "max_ms": _rounded(max(load.latencies_ms, default=None)),
            "server_cpu_s": round(self.server_cpu_s, 4),
            "server_cpu_ms_per_request": _per_request_ms(self.server_cpu_s, load.ok),
            "server_cores_busy": round(self.server_cores_busy, 3),
            "client_cores_busy": round(self.client_cores_busy, 3),
        }

    @property
    def not_ok(self) -> int:
        return self.load.failed + self.load.unsent

    @property
    def server_cores_busy(self) -> float:
        return self.server_cpu_s / self.load.elapsed_s if self.load.elapsed_s else 0.0

    @property
    def client_cores_busy(self) -> float:
        return self.load.client_cpu_s / self.load.elapsed_s if self.load.elapsed_s else 0.0


@dataclass
class Summary:
    """One system at one level: medians over the rounds, failures summed."""

    system: str
    concurrency: int
    runs: list[Run]

    @property
    def throughput(self) -> float:
        return median([run.load.throughput for run in self.runs])

    def latency_ms(self, q: float) -> float | None:
        values = [v for run in self.runs if (v := run.load.percentile_ms(q)) is not None]
        return median(values) if values else None

    @property
    def not_ok(self) -> int:
        """Requests without a 202: other statuses, errors, and any left unsent."""
        return sum(run.not_ok for run in self.runs)

    @property
    def server_cpu_ms_per_request(self) -> float | None:
        values = [
            v
            for run in self.runs
            if (v := _per_request_ms(run.server_cpu_s, run.load.ok)) is not None
        ]
        return median(values) if values else None

    @property
    def server_cores_busy(self) -> float:
        return median([run.server_cores_busy for run in self.runs])

    @property
    def client_cores_busy(self) -> float:
        return median([run.client_cores_busy for run in self.runs])

    def as_json(self) -> dict[str, Any]:
        return {
            "rounds": len(self.runs),
            "throughput_rps": round(self.throughput, 2),
            "p50_ms": _rounded(self.latency_ms(50)),
            "p99_ms": _rounded(self.latency_ms(99)),
            "not_202": self.not_ok,
            "server_cpu_ms_per_request": _rounded(self.server_cpu_ms_per_request),
            "server_cores_busy": round(self.server_cores_busy, 3),
            "client_cores_busy": round(self.client_cores_busy, 3),
        }


@dataclass
class Instances:
    """One system's server processes: one, or two instances on one database."""

    name: str
    members: list[ServerProcess]

    @property
    def urls(self) -> list[str]:
        return [f"{member.url}/v1/signals" for member in self.members]

    def cpu_seconds(self) -> float:
        return sum(member.cpu_seconds() for member in self.members)

    def alive(self) -> bool:
        return all(member.alive() for member in self.members)

    def log_tail(self) -> str:
        return "\n".join(member.log_tail() for member in self.members)

    def peak_rss_bytes(self) -> int | None:
        return self.members[0].peak_rss_bytes()

    def rss_bytes(self) -> int | None:
        return self.members[0].rss_bytes()


@dataclass
class HalfPeak:
    """One system's open-loop run at half its peak throughput."""

    system: str
    rate: float
    load: LoadResult

    def as_json(self) -> dict[str, Any]:
        return {
            "rate_rps": round(self.rate, 1),
            "seconds": round(self.load.elapsed_s, 2),
            "ok": self.load.ok,
            "not_202": self.load.failed + self.load.unsent,
            "achieved_rps": round(self.load.throughput, 1),
            "p50_ms": _rounded(self.load.percentile_ms(50)),
            "p99_ms": _rounded(self.load.percentile_ms(99)),
            "first_failure": self.load.first_failure,
        }


@dataclass
class Bench:
    """What every run needs: the servers, who posts, what they post, and the tally."""

    servers: dict[str, Instances]
    senders: list[Sender]
    template: dict[str, Any]
    options: Options
    stamp: str
    tally: Tally

    def bodies(self, tag: str) -> SignalBodies:
        return SignalBodies(self.template, f"B{self.stamp}-{tag}")


@dataclass
class Tally:
    """Every 202 the gateway gave, warm-ups and pre-flight included, to check the database."""

    gateway_accepted: int = 0
    warmup_failures: Counter[str] = field(default_factory=Counter)

    def add(self, system: str, load: LoadResult, *, warmup: bool) -> None:
        if system == "gateway":
            self.gateway_accepted += load.ok
        if warmup and load.failed + load.unsent:
            self.warmup_failures[system] += load.failed + load.unsent


# --- signals and senders ------------------------------------------------------------------------


class SignalBodies:
    """Distinct valid signals: the template, each with its own ``sender_reference``."""

    MARKER = "EUREGATE-BENCH-REFERENCE"

    def __init__(self, template: dict[str, Any], tag: str) -> None:
        document = {**template, "sender_reference": self.MARKER}
        encoded = json.dumps(document, ensure_ascii=False).encode()
        self._head, self._tail = encoded.split(self.MARKER.encode())
        self._tag = tag

    def __call__(self, n: int) -> bytes:
        return self._head + f"{self._tag}-{n:06d}".encode() + self._tail


def candidate_senders(data_dir: Path, template: dict[str, Any], limit: int) -> list[str]:
    """Demo partners with credentials that the template does not name as recipients."""
    named = set(template.get("recipients", {}).get("partners") or ())
    enrolled = sorted(p.name for p in (data_dir / "partners").iterdir() if p.is_dir())
    ordered = [p for p in PREFERRED_SENDERS if p in enrolled]
    ordered += [p for p in enrolled if p not in ordered]
    return [p for p in ordered if p not in named][:limit]


async def preflight(
    server: Instances, senders: Sequence[Sender], bodies: SignalBodies, tally: Tally
) -> list[Sender]:
    """The senders whose first signal every instance of the server accepts; refusals are
    reported, not hidden."""
    accepted = []
    for sender in senders:  # references are unique per sender: each may post bodies(0)
        async with LoadGenerator(server.urls, [sender], concurrency=len(server.urls)) as load:
            result = await load.run(bodies, len(server.urls))
        tally.add(server.name, result, warmup=False)
        if result.ok:
            accepted.append(sender)
        else:
            print(f"  {server.name} refused sender {sender.partner_id}: {result.first_failure}")
    return accepted


# --- measuring ----------------------------------------------------------------------------------


async def measure(
    bench: Bench, system: str, *, round_number: int, concurrency: int, count: int
) -> Run:
    """Warm up, then measure, on the same keep-alive connections."""
    server, limit = bench.servers[system], bench.options.time_limit_s
    tag = f"{system[0]}{concurrency}-r{round_number}"
    warmup = max(bench.options.warmup, 2 * concurrency)
    async with LoadGenerator(server.urls, bench.senders, concurrency=concurrency) as load:
        warm = await load.run(bench.bodies(f"{tag}-w"), warmup, limit)
        bench.tally.add(system, warm, warmup=True)
        cpu_before = server.cpu_seconds()
        result = await load.run(bench.bodies(f"{tag}-m"), count, limit)
        server_cpu = server.cpu_seconds() - cpu_before
    bench.tally.add(system, result, warmup=False)
    return Run(system, concurrency, round_number, result, server_cpu)


def schedule(options: Options) -> Iterator[tuple[int, int, int, str]]:
    """(round, concurrency, count, system): rounds outermost, the system order alternating."""
    for round_number in range(1, options.rounds + 1):
        order = options.systems if round_number % 2 else tuple(reversed(options.systems))
        for concurrency, count in zip(options.levels, options.counts, strict=True):
            for system in order:
                yield round_number, concurrency, count, system


def run_all(bench: Bench) -> list[Run]:
    runs = []
    for round_number, concurrency, count, system in schedule(bench.options):
        run = asyncio.run(
            measure(bench, system, round_number=round_number, concurrency=concurrency, count=count)
        )
        runs.append(run)
        _print_run(run)
        server = bench.servers[system]
        if not server.alive():
            raise RuntimeError(f"{system} died during the run:\n{server.log_tail()}")
    return runs


def summarise(runs: Sequence[Run], options: Options) -> list[dict[str, Summary]]:
    return [
        {
            system: Summary(
                system, level, [r for r in runs if r.system == system and r.concurrency == level]
            )
            for system in options.systems
        }
        for level in options.levels
    ]


async def measure_half_peak(bench: Bench, system: str, peak: float) -> HalfPeak:
    """An open-loop run at half ``peak``, after a short warm-up at that rate."""
    server, options = bench.servers[system], bench.options
    rate = max(peak / 2, 1.0)
    concurrency = max(options.levels)
    async with LoadGenerator(server.urls, bench.senders, concurrency=concurrency) as load:
        warm = await load.open_loop(bench.bodies(f"{system[0]}-hw"), rate=rate, seconds=1.0)
        bench.tally.add(system, warm, warmup=True)
        result = await load.open_loop(
            bench.bodies(f"{system[0]}-h"), rate=rate, seconds=options.open_loop_s
        )
    bench.tally.add(system, result, warmup=False)
    return HalfPeak(system, rate, result)


def run_half_peaks(bench: Bench, levels: Sequence[dict[str, Summary]]) -> dict[str, HalfPeak]:
    runs = {}
    for system in bench.options.systems:
        peak = max(level[system].throughput for level in levels)
        run = asyncio.run(measure_half_peak(bench, system, peak))
        load = run.load
        print(
            f"  half peak  {system:<9} {run.rate:7.1f} req/s planned, {load.throughput:7.1f} "
            f"achieved  p50 {_ms(load.percentile_ms(50))}  p99 {_ms(load.percentile_ms(99))}"
            f"{f', {load.failed + load.unsent} WITHOUT 202' if load.failed + load.unsent else ''}",
            flush=True,
        )
        runs[system] = run
    return runs


# --- integrity and goals --------------------------------------------------------------------------


def check_integrity(data_dir: Path, tally: Tally) -> dict[str, Any]:
    """After the gateway has stopped: every 202 is a stored signal, and the audit chain holds."""
    database = data_dir / "euregate.db"
    stored = count_rows(database, "SELECT count(*) FROM signals")
    audited = count_rows(database, "SELECT count(*) FROM audit WHERE kind = 'signal.accepted'")
    entries = count_rows(database, "SELECT count(*) FROM audit")
    tree = count_rows(database, "SELECT coalesce(max(size), 0) FROM audit_checkpoints")
    verify = subprocess.run(
        [PYTHON, "-m", "gateway", "audit", "verify", "--data-dir", str(data_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "gateway_202_responses": tally.gateway_accepted,
        "signals_stored": stored,
        "signal_accepted_audit_entries": audited,
        "audit_verify": (verify.stdout + verify.stderr).strip(),
        "audit_entries": entries,
        "entries_in_the_signed_tree": tree,
        "ok": stored == audited == tally.gateway_accepted and verify.returncode == 0,
    }


def goals(
    levels: list[dict[str, Summary]], peak_rss: int | None, half_peaks: dict[str, HalfPeak]
) -> list[dict[str, Any]]:
    at_goal_level = [level for level in levels if level["gateway"].concurrency == GOAL_RATIO_LEVEL]
    ratio = _ratio(at_goal_level[0]) if at_goal_level else None
    tree = [_tree_ratio(level) for level in levels]
    return [
        *scaling_goals(at_goal_level[0] if at_goal_level else None),
        *half_peak_goals(half_peaks),
        {
            "goal": f"gateway throughput with the audit tree >= {GOAL_TREE_RATIO:.0%} of its "
            "throughput without, at every level",
            "measured": [None if r is None else round(r, 3) for r in tree],
            "met": None if None in tree else all(r >= GOAL_TREE_RATIO for r in tree if r),
        },
        {
            "goal": f"gateway throughput >= {GOAL_RATIO:.0%} of the baseline's "
            f"at concurrency {GOAL_RATIO_LEVEL}",
            "measured": None if ratio is None else round(ratio, 3),
            "met": None if ratio is None else ratio >= GOAL_RATIO,
        },
        {
            "goal": f"gateway peak RSS < {GOAL_PEAK_RSS_BYTES // MB} MB",
            "measured": None if peak_rss is None else round(peak_rss / MB, 1),
            "met": None if peak_rss is None else peak_rss < GOAL_PEAK_RSS_BYTES,
        },
    ]


def scaling_goals(level: dict[str, Summary] | None) -> list[dict[str, Any]]:
    """Two processes against one, and against the baseline, for SQLite and PostgreSQL."""
    results = []
    for two, one in SCALING:
        if level is None or two not in level:
            continue
        scaled = _over(level, two, one)
        of_baseline = _over(level, two, "baseline")
        results += [
            {
                "goal": f"{two} throughput >= {GOAL_WORKERS_RATIO}x {one}'s at concurrency "
                f"{GOAL_RATIO_LEVEL} (the load generator shares the machine's cores)",
                "measured": _rounded(scaled),
                "met": None if scaled is None else scaled >= GOAL_WORKERS_RATIO,
            },
            {
                "goal": f"{two} throughput >= {GOAL_SCALED_RATIO:.0%} of the baseline's at "
                f"concurrency {GOAL_RATIO_LEVEL}",
                "measured": _rounded(of_baseline),
                "met": None if of_baseline is None else of_baseline >= GOAL_SCALED_RATIO,
            },
        ]
    return results


def half_peak_goals(half_peaks: dict[str, HalfPeak]) -> list[dict[str, Any]]:
    results = []
    for system, run in half_peaks.items():
        if system == "baseline":
            continue
        p99 = run.load.percentile_ms(99)
        results.append(
            {
                "goal": f"{system} p99 < {GOAL_HALF_PEAK_P99_MS:.0f} ms at half its peak "
                f"({run.rate:.0f} req/s, open loop)",
                "measured": _rounded(p99),
                "met": None if p99 is None else p99 < GOAL_HALF_PEAK_P99_MS,
            }
        )
    return results


def _over(level: dict[str, Summary], system: str, other: str) -> float | None:
    """``system``'s throughput over ``other``'s, when both were measured."""
    if system not in level or other not in level or level[other].throughput <= 0:
        return None
    return level[system].throughput / level[other].throughput


def _ratio(level: dict[str, Summary]) -> float | None:
    baseline = level["baseline"].throughput
    return level["gateway"].throughput / baseline if baseline > 0 else None


def _tree_ratio(level: dict[str, Summary]) -> float | None:
    """The gateway's throughput with its audit tree over its throughput without."""
    if "no-tree" not in level:
        return None
    without = level["no-tree"].throughput
    return level["gateway"].throughput / without if without > 0 else None


def _cpu_ratio(level: dict[str, Summary]) -> float | None:
    """How many times the baseline's server CPU the gateway spends on one request.

    Less sensitive to a busy machine than the throughput ratio: when other work takes a
    core, the load generator (not the baseline server) is what slows down first.
    """
    gateway = level["gateway"].server_cpu_ms_per_request
    baseline = level["baseline"].server_cpu_ms_per_request
    return gateway / baseline if gateway is not None and baseline else None


# --- output ---------------------------------------------------------------------------------------


def _print_run(run: Run) -> None:
    load = run.load
    failed = (
        f", {run.not_ok} WITHOUT 202 (first failure: {load.first_failure})" if run.not_ok else ""
    )
    print(
        f"  round {run.round} c={run.concurrency:<3} {run.system:<9} "
        f"{load.ok:>5}/{load.planned} in {load.elapsed_s:6.2f} s  "
        f"{load.throughput:8.1f} req/s  p50 {_ms(load.percentile_ms(50))}  "
        f"p99 {_ms(load.percentile_ms(99))}{failed}",
        flush=True,
    )


def print_report(
    machine: dict[str, object],
    levels: list[dict[str, Summary]],
    memory: dict[str, int | None],
    integrity: dict[str, Any],
    goal_results: list[dict[str, Any]],
    *,
    half_peaks: dict[str, HalfPeak],
    postgres_note: str,
) -> None:
    print()
    print(f"Machine: {machine_summary(machine)}")
    print(f"Date: {machine['date']}; load average at start {machine['load_average']}")
    print(f"PostgreSQL: {postgres_note}")
    print()
    header = (
        f"{'conc':>4}  {'system':<9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'not 202':>7} "
        f"{'srv CPU ms/req':>14} {'srv cores':>9} {'client cores':>12}"
    )
    print(header)
    print("-" * len(header))
    for level in levels:
        for summary in level.values():
            print(
                f"{summary.concurrency:>4}  {summary.system:<9} {summary.throughput:8.1f} "
                f"{_ms(summary.latency_ms(50))} {_ms(summary.latency_ms(99))} "
                f"{summary.not_ok:>7} {_ms(summary.server_cpu_ms_per_request, 14)} "
                f"{summary.server_cores_busy:9.2f} {summary.client_cores_busy:12.2f}"
            )
        ratio, cpu_ratio, tree = _ratio(level), _cpu_ratio(level), _tree_ratio(level)
        print(
            f"{'':>4}  gateway/baseline throughput: {'-' if ratio is None else f'{ratio:.2f}'}; "
            f"server CPU per request: {'-' if cpu_ratio is None else f'{cpu_ratio:.1f}'}x "
            f"the baseline's; with/without the audit tree: {'-' if tree is None else f'{tree:.3f}'}"
        )
        scaled = "; ".join(
            f"{name} {'-' if value is None else f'{value:.2f}'}"
            for name, value in ratios_json(level).items()
        )
        print(f"{'':>4}  throughput ratios: {scaled}")
    print()
    print("Open loop at half of each system's peak:")
    for system, run in half_peaks.items():
        print(
            f"  {system:<9} {run.rate:7.1f} req/s: p50 {_ms(run.load.percentile_ms(50))} ms, "
            f"p99 {_ms(run.load.percentile_ms(99))} ms, "
            f"{run.load.failed + run.load.unsent} not 202"
        )
    print()
    print(
        f"Peak RSS (VmHWM): gateway {_mb(memory['gateway_peak_rss_bytes'])} "
        f"(after start-up {_mb(memory['gateway_rss_after_start_bytes'])}), "
        f"baseline {_mb(memory['baseline_peak_rss_bytes'])}"
    )
    print(
        f"Integrity: {integrity['gateway_202_responses']} gateway 202s, "
        f"{integrity['signals_stored']} signals stored, "
        f"{integrity['signal_accepted_audit_entries']} signal.accepted audit entries; "
        f"{integrity['audit_verify']} -> {'OK' if integrity['ok'] else 'MISMATCH'}; "
        f"{integrity['entries_in_the_signed_tree']} of {integrity['audit_entries']} entries in "
        "the signed tree when the gateway stopped"
    )
    for goal in goal_results:
        verdict = {True: "met", False: "NOT MET", None: "not measured"}[goal["met"]]
        print(f"Goal: {goal['goal']}: measured {goal['measured']} -> {verdict}")


def write_json(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def _ms(value: float | None, width: int = 8) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:{width}.2f}"


def _mb(value: int | None) -> str:
    return "?" if value is None else f"{value / MB:.1f} MB"


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _per_request_ms(cpu_s: float, requests: int) -> float | None:
    return round(cpu_s * 1000 / requests, 4) if requests else None


# --- the whole run ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few requests: a smoke run")
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)), help="e.g. 1,16,64")
    parser.add_argument("--counts", help="requests per level, e.g. 400,2000,4000")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 5; quick 2)")
    parser.add_argument("--warmup", type=int, default=50, help="least warm-up requests per run")
    parser.add_argument("--senders", type=int, default=4, help="demo partners posting")
    parser.add_argument("--time-limit", type=float, default=180.0, help="seconds per run, at most")
    parser.add_argument("--work-dir", type=Path, help="where the data directory goes (tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and logs")
    parser.add_argument(
        "--no-postgres", action="store_true", help="skip pg-1 and pg-2 (PostgreSQL not installed)"
    )
    parser.add_argument(
        "--systems",
        default=",".join(SYSTEMS),
        help="systems measured besides the gateway and the baseline, e.g. pg-1,pg-2",
    )
    parser.add_argument(
        "--open-loop", type=float, default=None, help="seconds at half peak (default 10; quick 3)"
    )
    args = parser.parse_args(argv)
    levels = tuple(int(x) for x in args.levels.split(","))
    default_counts = QUICK_COUNTS if args.quick else FULL_COUNTS
    counts = (
        tuple(int(x) for x in args.counts.split(","))
        if args.counts
        else tuple(default_counts[min(i, len(default_counts) - 1)] for i in range(len(levels)))
    )
    if len(counts) != len(levels):
        parser.error("give as many --counts as --levels")
    rounds = args.rounds or (2 if args.quick else 5)
    return Options(
        levels=levels,
        counts=counts,
        rounds=max(rounds, 1),
        warmup=args.warmup,
        senders=max(args.senders, 1),
        time_limit_s=args.time_limit,
        work_dir=args.work_dir,
        keep=args.keep,
        quick=args.quick,
        systems=chosen_systems(args.systems.split(","), no_postgres=args.no_postgres),
        open_loop_s=args.open_loop or (QUICK_OPEN_LOOP_S if args.quick else FULL_OPEN_LOOP_S),
    )


def chosen_systems(names: Sequence[str], *, no_postgres: bool) -> tuple[str, ...]:
    """The systems asked for, in :data:`SYSTEMS`' order; the gateway and the baseline always."""
    wanted = {*names, "gateway", "baseline"} - (set(POSTGRES_SYSTEMS) if no_postgres else set())
    return tuple(system for system in SYSTEMS if system in wanted)


def start_servers(
    stack: ExitStack, options: Options, work: Path, data_dir: Path
) -> dict[str, Instances]:
    """The gateway and the baseline on ``data_dir``; every other system on a copy of it (the
    same certificates, a store of its own)."""
    untreed = work / "data-no-tree"
    shutil.copytree(data_dir, untreed)
    two_workers = work / "data-workers-2"
    shutil.copytree(data_dir, two_workers)
    plans: list[tuple[str, Any, str, Path, dict[str, str], list[str]]] = [
        ("gateway", gateway_command, GATEWAY_READY, data_dir, {}, []),
        ("baseline", baseline_command, BASELINE_READY, data_dir, {}, []),
        ("no-tree", gateway_command, GATEWAY_READY, untreed, {"audit_sequencer": "false"}, []),
        ("workers-2", gateway_command, GATEWAY_READY, two_workers, {"workers": "2"}, []),
    ]
    if any(system in options.systems for system in POSTGRES_SYSTEMS):
        plans += postgres_plans(stack, work, data_dir)
    plans = [plan for plan in plans if plan[0] in options.systems]
    servers: dict[str, Instances] = {}
    for name, command, marker, directory, settings, extra in plans:
        port = free_port()
        instance = len(servers.setdefault(name, Instances(name, [])).members)
        server = start_server(
            name,
            [*command(directory, port), *extra],
            url=f"https://{HOST}:{port}",
            ready_marker=marker,
            log_path=work / f"{name}-{instance}.log",
            env=gateway_environment({**ROOMY_PARTNER_LIMITS, **settings}),
        )
        stack.callback(server.stop)
        servers[name].members.append(server)
    return servers


def postgres_plans(
    stack: ExitStack, work: Path, data_dir: Path
) -> list[tuple[str, Any, str, Path, dict[str, str], list[str]]]:
    """pg-1, one instance, and pg-2, two instances of one database and data directory: each
    a copy of ``data_dir`` moved into a database of a throwaway cluster."""
    from pg import postgres_installed, store_moved_to_postgresql, throwaway_cluster

    if not postgres_installed():
        raise RuntimeError("PostgreSQL is not installed here: run with --no-postgres")
    cluster = stack.enter_context(throwaway_cluster())
    plans = []
    for name, instances in (("pg-1", 1), ("pg-2", 2)):
        directory = work / f"data-{name}"
        shutil.copytree(data_dir, directory)
        url = store_moved_to_postgresql(cluster, directory, name.replace("-", "_"))
        plans += [(name, gateway_command, GATEWAY_READY, directory, {}, ["--database", url])]
        plans += plans[-1:] * (instances - 1)
    return plans


def prepare(stack: ExitStack, options: Options, work: Path, stamp: str) -> Bench:
    """Start both servers and keep the senders whose pre-flight signal both accept."""
    data_dir = work / "data"
    template: dict[str, Any] = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    bench = Bench(
        servers=start_servers(stack, options, work, data_dir),
        senders=[
            partner_sender(data_dir, name)
            for name in candidate_senders(data_dir, template, options.senders)
        ],
        template=template,
        options=options,
        stamp=stamp,
        tally=Tally(),
    )
    for system, server in bench.servers.items():
        bodies = bench.bodies(f"{system[0]}-pre")
        bench.senders = asyncio.run(preflight(server, bench.senders, bodies, bench.tally))
    if not bench.senders:
        raise RuntimeError("no sender got a 202 in the pre-flight; nothing to measure")
    print(f"Senders: {', '.join(s.partner_id for s in bench.senders)}")
    return bench


@dataclass
class Outcome:
    bench: Bench
    machine: dict[str, object]
    runs: list[Run]
    memory: dict[str, int | None]
    integrity: dict[str, Any]
    half_peaks: dict[str, HalfPeak]


def measure_all(options: Options, work: Path, stamp: str) -> Outcome:
    """Everything that needs the servers: set-up, every run, memory, then the integrity check."""
    data_dir = work / "data"
    init_demo_data_dir(data_dir)
    machine = describe_machine(data_dir)
    print(f"Machine: {machine_summary(machine)}")
    with ExitStack() as stack:
        bench = prepare(stack, options, work, stamp)
        rss_after_start = bench.servers["gateway"].rss_bytes()
        runs = run_all(bench)
        half_peaks = run_half_peaks(bench, summarise(runs, options))
        memory = {
            "gateway_peak_rss_bytes": bench.servers["gateway"].peak_rss_bytes(),
            "gateway_rss_after_start_bytes": rss_after_start,
            "baseline_peak_rss_bytes": bench.servers["baseline"].peak_rss_bytes(),
        }
    integrity = check_integrity(data_dir, bench.tally)
    return Outcome(bench, machine, runs, memory, integrity, half_peaks)


def benchmark(options: Options) -> dict[str, Any]:
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    work = Path(tempfile.mkdtemp(prefix="euregate-bench-", dir=options.work_dir))
    try:
        outcome = measure_all(options, work, stamp)
    finally:
        if options.keep:
            print(f"Kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    levels = summarise(outcome.runs, options)
    goal_results = goals(levels, outcome.memory["gateway_peak_rss_bytes"], outcome.half_peaks)
    print_report(
        outcome.machine,
        levels,
        outcome.memory,
        outcome.integrity,
        goal_results,
        half_peaks=outcome.half_peaks,
        postgres_note=postgres_note(options),
    )
    return {
        "benchmark": "intake",
        "stamp": stamp,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": outcome.machine,
        "settings": settings_json(outcome.bench),
        "summary": [level_json(level) for level in levels],
        "memory": outcome.memory,
        "integrity": {
            **outcome.integrity,
            "warmup_failures": dict(outcome.bench.tally.warmup_failures),
        },
        "half_peak": {system: run.as_json() for system, run in outcome.half_peaks.items()},
        "postgres": postgres_note(options),
        "goals": goal_results,
        "runs": [run.as_json() for run in outcome.runs],
    }


def postgres_note(options: Options) -> str:
    if any(system in options.systems for system in POSTGRES_SYSTEMS):
        return (
            "pg-1 and pg-2 measured on a throwaway cluster of this machine (unix socket, "
            "fsync and synchronous_commit on)"
        )
    return "pg-1 and pg-2 NOT measured (--no-postgres)"


def settings_json(bench: Bench) -> dict[str, Any]:
    options = bench.options
    return {
        "levels": options.levels,
        "counts": options.counts,
        "rounds": options.rounds,
        "warmup_min": options.warmup,
        "quick": options.quick,
        "systems": options.systems,
        "open_loop_s": options.open_loop_s,
        "senders": [s.partner_id for s in bench.senders],
        "template": str(TEMPLATE.relative_to(REPO)),
        "body_bytes": len(bench.bodies("size")(0)),
    }


def ratios_json(level: dict[str, Summary]) -> dict[str, float | None]:
    """Throughput ratios: two processes over one, and each system over the baseline."""
    pairs = [(two, one) for two, one in SCALING if two in level]
    pairs += [(system, "baseline") for system in level if system != "baseline"]
    return {f"{a}/{b}": _rounded(_over(level, a, b)) for a, b in pairs}


def level_json(level: dict[str, Summary]) -> dict[str, Any]:
    return {
        "concurrency": level["gateway"].concurrency,
        **{system: summary.as_json() for system, summary in level.items()},
        "ratios": ratios_json(level),
        "throughput_ratio": _rounded(_ratio(level)),
        "tree_throughput_ratio": _rounded(_tree_ratio(level)),
        "server_cpu_per_request_ratio": _rounded(_cpu_ratio(level)),
    }


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    report = benchmark(options)
    path = RESULTS / f"intake-{report['stamp']}.json"
    write_json(path, report)
    print(f"Results: {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
