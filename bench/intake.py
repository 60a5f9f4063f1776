"""Intake benchmark: ``POST /v1/signals`` over mutual TLS, against a bare TLS baseline.

The gateway (``python -m gateway serve`` on a fresh demo data directory), the same gateway
without its audit tree (``no-tree``: ``EUREGATE_AUDIT_SEQUENCER=false`` on a copy of that
data directory, so that nothing integrates its entries into the Merkle tree or signs
checkpoints), the gateway as two worker processes on the same listeners and store
(``workers-2``: ``EUREGATE_WORKERS=2`` on another copy) and the baseline (``python
bench/common.py baseline-server``: the same TLS 1.3 context and certificates, reads the body,
parses the JSON, answers 202, stores nothing) each run in their own process; the load
generator is this process. For every round and every concurrency level every system gets the
same number of distinct valid signals, after a warm-up on the same keep-alive connections;
the order alternates from round to round (baseline first, then gateway first), and each
system's median over the rounds is reported, so drift on a shared machine touches all alike.

Reports throughput, p50 and p99 latency, the gateway/baseline throughput ratio, the
servers' CPU per request, the gateway's peak RSS (``VmHWM``), whether every response
was a 202 and every accepted signal is in the database with an intact audit chain, and
whether the goals are met. Writes everything to ``bench/results/intake-<time>.json``.

    .venv/bin/python bench/intake.py            # full run, about a minute
    .venv/bin/python bench/intake.py --quick    # smoke run, about 15 seconds
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
SYSTEMS = ("baseline", "gateway", "no-tree", "workers-2")
PREFERRED_SENDERS = ("nl-pol-limburg", "de-pol-aachen", "be-pol-lanaken", "nl-gem-maastricht")
GOAL_RATIO = 0.5
GOAL_RATIO_LEVEL = 64
GOAL_PEAK_RSS_BYTES = 150_000_000
GOAL_TREE_RATIO = 0.9
"""The gateway with its audit tree within 10% of its throughput without (issue 11)."""
GOAL_WORKERS_RATIO = 1.8
"""Two worker processes at least 1.8 times one process's throughput (issue 12)."""
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
class Bench:
    """What every run needs: the servers, who posts, what they post, and the tally."""

    servers: dict[str, ServerProcess]
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
    server: ServerProcess, senders: Sequence[Sender], bodies: SignalBodies, tally: Tally
) -> list[Sender]:
    """The senders whose first signal the server accepts; refusals are reported, not hidden."""
    accepted = []
    for sender in senders:  # references are unique per sender: each may post bodies(0)
        async with LoadGenerator(f"{server.url}/v1/signals", [sender], concurrency=1) as load:
            result = await load.run(bodies, 1)
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
    url = f"{server.url}/v1/signals"
    async with LoadGenerator(url, bench.senders, concurrency=concurrency) as load:
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
        order = SYSTEMS if round_number % 2 else tuple(reversed(SYSTEMS))
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
            for system in SYSTEMS
        }
        for level in options.levels
    ]


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


def goals(levels: list[dict[str, Summary]], peak_rss: int | None) -> list[dict[str, Any]]:
    at_goal_level = [level for level in levels if level["gateway"].concurrency == GOAL_RATIO_LEVEL]
    ratio = _ratio(at_goal_level[0]) if at_goal_level else None
    tree = [_tree_ratio(level) for level in levels]
    workers = _workers_ratio(at_goal_level[0]) if at_goal_level else None
    return [
        {
            "goal": f"two workers' throughput >= {GOAL_WORKERS_RATIO}x one process's at "
            f"concurrency {GOAL_RATIO_LEVEL} (the load generator shares the machine's cores)",
            "measured": None if workers is None else round(workers, 3),
            "met": None if workers is None else workers >= GOAL_WORKERS_RATIO,
        },
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


def _ratio(level: dict[str, Summary]) -> float | None:
    baseline = level["baseline"].throughput
    return level["gateway"].throughput / baseline if baseline > 0 else None


def _tree_ratio(level: dict[str, Summary]) -> float | None:
    """The gateway's throughput with its audit tree over its throughput without."""
    without = level["no-tree"].throughput
    return level["gateway"].throughput / without if without > 0 else None


def _workers_ratio(level: dict[str, Summary]) -> float | None:
    """Two workers' throughput over one process's."""
    one = level["gateway"].throughput
    return level["workers-2"].throughput / one if one > 0 else None


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
) -> None:
    print()
    print(f"Machine: {machine_summary(machine)}")
    print(f"Date: {machine['date']}; load average at start {machine['load_average']}")
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
        workers = _workers_ratio(level)
        print(
            f"{'':>4}  gateway/baseline throughput: {'-' if ratio is None else f'{ratio:.2f}'}; "
            f"server CPU per request: {'-' if cpu_ratio is None else f'{cpu_ratio:.1f}'}x "
            f"the baseline's; with/without the audit tree: {'-' if tree is None else f'{tree:.3f}'}"
            f"; two workers/one process: {'-' if workers is None else f'{workers:.2f}'}"
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
    )


def start_servers(stack: ExitStack, work: Path, data_dir: Path) -> dict[str, ServerProcess]:
    """The gateway and the baseline on ``data_dir``, the gateway without its tree on a copy
    of it (the same certificates, a database of its own)."""
    untreed = work / "data-no-tree"
    shutil.copytree(data_dir, untreed)
    two_workers = work / "data-workers-2"
    shutil.copytree(data_dir, two_workers)
    servers = {}
    for name, command, marker, directory, settings in (
        ("gateway", gateway_command, GATEWAY_READY, data_dir, {}),
        ("baseline", baseline_command, BASELINE_READY, data_dir, {}),
        ("no-tree", gateway_command, GATEWAY_READY, untreed, {"audit_sequencer": "false"}),
        ("workers-2", gateway_command, GATEWAY_READY, two_workers, {"workers": "2"}),
    ):
        port = free_port()
        server = start_server(
            name,
            command(directory, port),
            url=f"https://{HOST}:{port}",
            ready_marker=marker,
            log_path=work / f"{name}.log",
            env=gateway_environment({**ROOMY_PARTNER_LIMITS, **settings}),
        )
        stack.callback(server.stop)
        servers[name] = server
    return servers


def prepare(stack: ExitStack, options: Options, work: Path, stamp: str) -> Bench:
    """Start both servers and keep the senders whose pre-flight signal both accept."""
    data_dir = work / "data"
    template: dict[str, Any] = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    bench = Bench(
        servers=start_servers(stack, work, data_dir),
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
        memory = {
            "gateway_peak_rss_bytes": bench.servers["gateway"].peak_rss_bytes(),
            "gateway_rss_after_start_bytes": rss_after_start,
            "baseline_peak_rss_bytes": bench.servers["baseline"].peak_rss_bytes(),
        }
    integrity = check_integrity(data_dir, bench.tally)
    return Outcome(bench, machine, runs, memory, integrity)


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
    goal_results = goals(levels, outcome.memory["gateway_peak_rss_bytes"])
    print_report(outcome.machine, levels, outcome.memory, outcome.integrity, goal_results)
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
        "goals": goal_results,
        "runs": [run.as_json() for run in outcome.runs],
    }


def settings_json(bench: Bench) -> dict[str, Any]:
    options = bench.options
    return {
        "levels": options.levels,
        "counts": options.counts,
        "rounds": options.rounds,
        "warmup_min": options.warmup,
        "quick": options.quick,
        "senders": [s.partner_id for s in bench.senders],
        "template": str(TEMPLATE.relative_to(REPO)),
        "body_bytes": len(bench.bodies("size")(0)),
    }


def level_json(level: dict[str, Summary]) -> dict[str, Any]:
    return {
        "concurrency": level["gateway"].concurrency,
        **{system: summary.as_json() for system, summary in level.items()},
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
