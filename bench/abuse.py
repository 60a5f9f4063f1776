"""Abuse benchmark: one partner floods the gateway with the costliest signals Signal v1 allows;
how much does that cost another partner posting ordinary signals?

The gateway (``python -m gateway serve`` on a fresh ``init --demo`` data directory, with its
default settings unless told otherwise) runs in its own process, and so does each partner:

- **the flooder** (``nl-pol-limburg``, ``python bench/abuse.py flood ...``, a process of its
  own) posts worst-case legal bodies at full speed: a closed loop of ``--flood-connections``
  keep-alive connections, each posting again as soon as it has an answer, whatever the answer
  (429 and its ``Retry-After`` ignored). Every body is the largest and costliest valid signal
  that fits in the body limit (see :func:`worst_case`), each with its own
  ``sender_reference``;
- **the normal partner** (``be-pol-lanaken``, this process) posts
  ``examples/nl-drug-waste-maastricht.json`` (each with its own reference) at a steady
  ``--rate`` per second, an open loop: post *i* starts at *i*/rate whatever the answers. A
  partner's signals come from its casework, not from how fast the gateway answers; 8 per
  second is below its own default limit (10) and some hundred times what the busiest police
  force sends.

Quiet runs (the normal partner alone) and flooded runs alternate (quiet first in odd rounds);
the table gives medians over the rounds and the flooded/quiet ratios. Goal: flooded, the
normal partner's p99 stays under 200 ms and its throughput within 80% of the quiet figure.
Everything runs on one machine, so the flooder's own work (TLS and 200 KB bodies at full
speed) takes CPU from the gateway too.

    .venv/bin/python bench/abuse.py            # about two minutes
    .venv/bin/python bench/abuse.py --quick    # about thirty seconds
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from common import (
    GATEWAY_READY,
    HOST,
    REPO,
    LoadGenerator,
    LoadResult,
    Sender,
    ServerProcess,
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
from stdnum import iban as stdnum_iban
from stdnum.iso7064 import mod_11_10

from gateway.contract import codelists
from gateway.contract.signal import MAX_ITEMS
from gateway.flow.intake import examine
from gateway.infra.errors import ClientError

FLOODER = "nl-pol-limburg"
NORMAL = "be-pol-lanaken"
TEMPLATE = REPO / "examples" / "nl-drug-waste-maastricht.json"
RESULTS = REPO / "bench" / "results"
BODY_LIMIT = 256 * 1024
MARKER = "EUREGATE-ABUSE-REFERENCE"
GOAL_P99_MS = 200.0
GOAL_THROUGHPUT_RATIO = 0.8


@dataclass(frozen=True)
class Options:
    rate: float
    flood_body: str
    duration_s: float
    rounds: int
    flood_connections: int
    worker_kind: str | None
    settings: dict[str, str]
    work_dir: Path | None
    keep: bool


# --- the costliest legal body ------------------------------------------------------------------


def _bsn(seed: int) -> str:
    prefix = 10_000_000 + seed * 7
    while True:
        total = sum((9 - i) * int(d) for i, d in enumerate(f"{prefix:08d}"))
        if total % 11 != 10:
            return f"{prefix:08d}{total % 11}"
        prefix += 1


def _german_vat(seed: int) -> str:
    number = str(10_000_000 + seed)
    return f"DE{number}{mod_11_10.calc_check_digit(number)}"


def _iban(seed: int) -> str:
    bban = f"ABNA{seed:010d}"
    return "NL" + stdnum_iban.calc_check_digits("NL00" + bban) + bban


def worst_case(*, valid: bool = True) -> dict[str, Any]:
    """The costliest signal Signal v1 accepts, as a document (``sender_reference`` is
    :data:`MARKER`; :func:`encode` fills the rest of the byte budget). With ``valid=False``
    its last link names an entity that is not there: the whole body is examined, then
    refused (422), so nothing is kept or delivered.

    Every list at its most items, every text at its longest, every person with ten checked
    national numbers and every organisation with ten EU VAT numbers (python-stdnum's costliest
    checks), every account an IBAN, 200 links; every place with integral coordinates (50.0),
    which the fast canonical encoder cannot take, so the whole body goes through the
    pure-Python RFC 8785 encoder; routed to every partner of every country and agency type.
    """
    template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    place = {
        "country": "NL",
        "municipality_code": "GM0935",
        "municipality_name": "M" * 100,
        "postal_code": "6222 NV",
        "street": "S" * 200,
        "house_number": "1" * 20,
        "coordinates": {"lat": 50.0, "lon": 5.0},
    }
    persons = [
        {
            "ref": f"P{i}",
            "role": "suspect",
            "family_name": "F" * 100,
            "given_names": "G" * 200,
            "date_of_birth": "1987-06-02",
            "place_of_birth": "B" * 100,
            "nationalities": ["NL", "BE", "DE", "FR", "LU", "GB", "US", "MA", "TR", "PL"],
            "gender": "male",
            "identifiers": [
                {"type": "nl.bsn", "value": _bsn(i * 10 + k), "issuing_country": "NL"}
                for k in range(10)
            ],
        }
        for i in range(MAX_ITEMS["persons"])
    ]
    organisations = [
        {
            "ref": f"O{i}",
            "role": "subject",
            "name": "N" * 200,
            "legal_form": "L" * 50,
            "sector": "car_wash",
            "address": place,
            "identifiers": [{"type": "vat", "value": _german_vat(i * 10 + k)} for k in range(10)],
        }
        for i in range(MAX_ITEMS["organisations"])
    ]
    vehicles = [
        {
            "ref": f"V{i}",
            "registration": f"AB-{i:03d}-C",
            "registration_country": "NL",
            "make": "K" * 50,
            "model": "m" * 50,
            "colour": "c" * 30,
        }
        for i in range(MAX_ITEMS["vehicles"])
    ]
    accounts = [
        {"ref": f"A{i}", "iban": _iban(i), "holder_ref": f"P{i}"}
        for i in range(MAX_ITEMS["accounts"])
    ]
    links = [
        {"from": f"P{i % 50}", "to": f"{kind}{i % 50}", "relation": relation}
        for i, (kind, relation) in enumerate(
            [("V", "driver")] * 50 + [("A", "holder")] * 50 + [("O", "director")] * 100
        )
    ]
    if not valid:
        links[-1]["to"] = "O999"
    return {
        **template,
        "sender_reference": MARKER,
        "handling_code": "H3",
        "handling_conditions": "h" * 500,
        "summary": "s" * 280,
        "description": "d" * 8000,
        "location": place,
        "persons": persons,
        "organisations": organisations,
        "vehicles": vehicles,
        "accounts": accounts,
        "links": links,
        "recipients": {
            "countries": codelists.codes("country"),
            "agency_types": codelists.codes("agency_type"),
        },
    }


_PADDED = ("description", "handling_conditions", "summary")


def encode(document: dict[str, Any], limit: int = BODY_LIMIT) -> bytes:
    """``document`` as JSON of at most ``limit`` bytes, its free text written with ``\\u00e9``
    escapes (six bytes each, and a step of the parser's surrogate check each) where the
    budget allows: the most work per byte the parser can be given in a valid body."""
    body = json.dumps(document, ensure_ascii=True).encode()
    budget = limit - len(body) - 32  # room for the longest reference the benchmark writes
    padded = dict(document)
    for member in _PADDED:
        text = str(padded[member])
        escapes = min(len(text), max(budget, 0) // 5)
        padded[member] = "é" * escapes + text[escapes:]
        budget -= escapes * 5
    return json.dumps(padded, ensure_ascii=True).encode()


class Bodies:
    """Distinct bodies from one encoded template: the marker replaced by ``<tag>-<n>``."""

    def __init__(self, encoded: bytes, tag: str) -> None:
        self._head, self._tail = encoded.split(MARKER.encode())
        self._tag = tag

    def __call__(self, n: int) -> bytes:
        return self._head + f"{self._tag}-{n:06d}".encode() + self._tail


def normal_template() -> bytes:
    document = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    return json.dumps({**document, "sender_reference": MARKER}, ensure_ascii=False).encode()


def examine_cost(body: bytes, repeats: int = 5) -> float:
    """Milliseconds of CPU to parse, validate and canonicalise ``body`` here (the median);
    raises if it is not a valid signal."""
    now = datetime.now(UTC)
    times = []
    for _ in range(repeats):
        started = time.process_time()
        try:
            examine(body, now)
        except ClientError as refused:
            raise RuntimeError(f"the worst-case body is not valid: {refused}") from refused
        times.append((time.process_time() - started) * 1000)
    return median(times)


# --- the normal partner ---------------------------------------------------------------------


async def steady(
    url: str, sender: Sender, bodies: Callable[[int], bytes], rate: float, duration_s: float
) -> LoadResult:
    """Open loop: post *i* starts at *i*/``rate`` s, whatever the answers; then wait for the
    stragglers (at most 30 s)."""
    count = int(rate * duration_s)
    result = LoadResult(planned=count, concurrency=0)
    connector = aiohttp.TCPConnector(ssl=sender.ssl_context, limit=64)
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession(
        connector=connector, headers=headers, timeout=aiohttp.ClientTimeout(total=60)
    ) as session:

        async def one(n: int) -> None:
            started = time.perf_counter()
            try:
                async with session.post(url, data=bodies(n)) as response:
                    answer = await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError, ssl.SSLError, OSError) as exc:
                result.exceptions[type(exc).__name__] += 1
                result.note_failure(f"{type(exc).__name__}: {exc}")
                return
            result.statuses[status] += 1
            if status == 202:
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                result.note_failure(f"{status}: {answer[:200].decode(errors='replace')}")

        cpu_before, started = time.process_time(), time.perf_counter()
        tasks = []
        for n in range(count):
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.wait(tasks, timeout=30)
        result.elapsed_s = max(duration_s, time.perf_counter() - started)
        result.client_cpu_s = time.process_time() - cpu_before
    return result


# --- the flooder, in a process of its own ------------------------------------------------------


def flood_command(
    url: str, data_dir: Path, tag: str, *, seconds: float, connections: int, body: str
) -> list[str]:
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "flood",
        "--url",
        url,
        "--data-dir",
        str(data_dir),
        "--tag",
        tag,
        "--seconds",
        str(seconds),
        "--connections",
        str(connections),
        "--body",
        body,
    ]


def run_flood(
    url: str, data_dir: Path, tag: str, *, seconds: float, connections: int, body: str
) -> int:
    """The flooder's closed loop for ``seconds``; prints what it was answered, as JSON."""
    sender = partner_sender(data_dir, FLOODER)
    bodies = Bodies(encode(worst_case(valid=body == "valid")), tag)

    async def flood() -> LoadResult:
        async with LoadGenerator(url, [sender], concurrency=connections) as load:
            return await load.run(bodies, 10_000_000, seconds)

    result = asyncio.run(flood())
    print(json.dumps(_load_json(result)), flush=True)
    return 0


# --- one run: the normal partner, alone or beside the flood ------------------------------------


@dataclass
class Run:
    flooded: bool
    round: int
    normal: LoadResult
    flood: dict[str, Any] | None
    server_cpu_s: float

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "flooded": self.flooded,
            "round": self.round,
            "normal": _load_json(self.normal),
            "server_cpu_s": round(self.server_cpu_s, 3),
            "server_cores_busy": round(self.server_cpu_s / self.normal.elapsed_s, 3)
            if self.normal.elapsed_s
            else None,
        }
        if self.flood is not None:
            data["flood"] = self.flood
        return data


def _load_json(load: LoadResult) -> dict[str, Any]:
    return {
        "planned": load.planned,
        "ok": load.ok,
        "statuses": {str(k): v for k, v in sorted(load.statuses.items())},
        "exceptions": dict(load.exceptions),
        "first_failure": load.first_failure,
        "elapsed_s": round(load.elapsed_s, 3),
        "throughput_rps": round(load.throughput, 2),
        "p50_ms": _round(load.percentile_ms(50)),
        "p99_ms": _round(load.percentile_ms(99)),
        "max_ms": _round(max(load.latencies_ms, default=None)),
        "client_cpu_s": round(load.client_cpu_s, 3),
    }


@dataclass
class Bench:
    server: ServerProcess
    data_dir: Path
    normal: Sender
    flooder: Sender
    worst: bytes
    options: Options
    stamp: str
    runs: list[Run] = field(default_factory=list)


def measure(bench: Bench, *, flooded: bool, round_number: int) -> Run:
    url = f"{bench.server.url}/v1/signals"
    tag = f"{bench.stamp}-{'f' if flooded else 'q'}{round_number}"
    duration = bench.options.duration_s
    lead = min(2.0, duration / 4)  # the flood is under way before the normal partner starts
    flood = None
    if flooded:
        command = flood_command(
            url,
            bench.data_dir,
            f"F{tag}",
            seconds=lead + duration + 1,
            connections=bench.options.flood_connections,
            body=bench.options.flood_body,
        )
        flood = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
        time.sleep(lead)
    cpu_before = bench.server.cpu_seconds()
    bodies = Bodies(normal_template(), f"N{tag}")
    normal = asyncio.run(steady(url, bench.normal, bodies, bench.options.rate, duration))
    server_cpu = bench.server.cpu_seconds() - cpu_before
    flood_result = None
    if flood is not None:
        output, _ = flood.communicate(timeout=120)
        if flood.returncode != 0:
            raise RuntimeError(f"the flooder failed ({flood.returncode})")
        flood_result = json.loads(output.strip().splitlines()[-1])
    return Run(flooded, round_number, normal, flood_result, server_cpu)


async def preflight(bench: Bench) -> None:
    """One signal from each partner, unmeasured: the worker processes and the connections are
    up before anything is timed, and each partner is known to be admitted."""
    url = f"{bench.server.url}/v1/signals"
    for sender, bodies in (
        (bench.normal, Bodies(normal_template(), f"N{bench.stamp}-pre")),
        (bench.flooder, Bodies(bench.worst, f"F{bench.stamp}-pre")),
    ):
        async with LoadGenerator(url, [sender], concurrency=1) as load:
            result = await load.run(bodies, 1)
        if not result.ok:
            raise RuntimeError(f"{sender.partner_id} was refused: {result.first_failure}")
    await asyncio.sleep(3)  # the courier seals the flooder's copies; its tokens come back


def schedule(options: Options) -> list[tuple[int, bool]]:
    plan = []
    for round_number in range(1, options.rounds + 1):
        order = (False, True) if round_number % 2 else (True, False)
        plan.extend((round_number, flooded) for flooded in order)
    return plan


# --- summary -------------------------------------------------------------------------------------


def summarise(runs: Sequence[Run]) -> dict[str, Any]:
    quiet = [r for r in runs if not r.flooded]
    flooded = [r for r in runs if r.flooded]

    def p(runs: list[Run], q: float) -> float | None:
        values = [v for r in runs if (v := r.normal.percentile_ms(q)) is not None]
        return round(median(values), 2) if values else None

    quiet_rps = median([r.normal.throughput for r in quiet])
    flooded_rps = median([r.normal.throughput for r in flooded])
    statuses: Counter[str] = Counter()
    seconds = 0.0
    for run in flooded:
        if run.flood is not None:
            statuses.update(run.flood["statuses"])
            statuses.update(run.flood["exceptions"])
            seconds += run.flood["elapsed_s"]
    return {
        "quiet_throughput_rps": round(quiet_rps, 2),
        "flooded_throughput_rps": round(flooded_rps, 2),
        "throughput_ratio": round(flooded_rps / quiet_rps, 3) if quiet_rps else None,
        "quiet_p50_ms": p(quiet, 50),
        "quiet_p99_ms": p(quiet, 99),
        "flooded_p50_ms": p(flooded, 50),
        "flooded_p99_ms": p(flooded, 99),
        "flooded_max_ms": round(max(max(r.normal.latencies_ms, default=0) for r in flooded), 2),
        "normal_not_202": sum(r.normal.failed + r.normal.unsent for r in runs),
        "flood_answers": dict(statuses),
        "flood_accepted_per_s": round(statuses.get("202", 0) / seconds, 2) if seconds else None,
        "flood_requests_per_s": round(sum(statuses.values()) / seconds, 1) if seconds else None,
        "server_cores_busy_quiet": round(
            median([r.server_cpu_s / r.normal.elapsed_s for r in quiet]), 2
        ),
        "server_cores_busy_flooded": round(
            median([r.server_cpu_s / r.normal.elapsed_s for r in flooded]), 2
        ),
    }


def goals(summary: dict[str, Any]) -> list[dict[str, Any]]:
    p99 = summary["flooded_p99_ms"]
    ratio = summary["throughput_ratio"]
    return [
        {
            "goal": f"flooded, the normal partner's p99 < {GOAL_P99_MS:.0f} ms",
            "measured": p99,
            "met": None if p99 is None else p99 < GOAL_P99_MS,
        },
        {
            "goal": f"flooded, its throughput >= {GOAL_THROUGHPUT_RATIO:.0%} of the quiet figure",
            "measured": ratio,
            "met": None if ratio is None else ratio >= GOAL_THROUGHPUT_RATIO,
        },
    ]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def print_report(summary: dict[str, Any], goal_results: Sequence[dict[str, Any]]) -> None:
    print()
    print(f"{'':<8} {'signals/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for state in ("quiet", "flooded"):
        print(
            f"{state:<8} {summary[f'{state}_throughput_rps']:9.2f} "
            f"{summary[f'{state}_p50_ms']!s:>8} {summary[f'{state}_p99_ms']!s:>8}"
        )
    print(
        f"flooded/quiet throughput {summary['throughput_ratio']}; normal partner's requests "
        f"without 202: {summary['normal_not_202']}"
    )
    print(
        f"flood: {summary['flood_requests_per_s']} requests/s, "
        f"{summary['flood_accepted_per_s']} accepted/s; answers {summary['flood_answers']}"
    )
    print(
        f"gateway cores busy: quiet {summary['server_cores_busy_quiet']}, "
        f"flooded {summary['server_cores_busy_flooded']}"
    )
    for goal in goal_results:
        verdict = {True: "met", False: "NOT MET", None: "not measured"}[goal["met"]]
        print(f"Goal: {goal['goal']}: measured {goal['measured']} -> {verdict}")


# --- the whole run -------------------------------------------------------------------------------


def run(options: Options) -> dict[str, Any]:
    worst = encode(worst_case())
    cost_ms = examine_cost(worst.replace(MARKER.encode(), b"PREFLIGHT-000000"))
    normal_cost_ms = examine_cost(normal_template().replace(MARKER.encode(), b"PREFLIGHT"))
    print(
        f"worst-case body: {len(worst):,} bytes, examined here in {cost_ms:.1f} ms of CPU "
        f"(the example signal: {normal_cost_ms:.2f} ms)",
        flush=True,
    )
    work = options.work_dir or Path(tempfile.mkdtemp(prefix="euregate-bench-abuse-"))
    data_dir = work / "data"
    stamp = datetime.now(UTC).strftime("%H%M%S")
    server = None
    try:
        init_demo_data_dir(data_dir)
        machine = describe_machine(data_dir)
        print(f"Machine: {machine_summary(machine)}", flush=True)
        port = free_port()
        settings = dict(options.settings)
        if options.worker_kind:
            settings["intake_worker_kind"] = options.worker_kind
        server = start_server(
            "gateway",
            gateway_command(data_dir, port),
            url=f"https://{HOST}:{port}",
            ready_marker=GATEWAY_READY,
            log_path=work / "gateway.log",
            env=gateway_environment(settings),
        )
        bench = Bench(
            server=server,
            data_dir=data_dir,
            normal=partner_sender(data_dir, NORMAL),
            flooder=partner_sender(data_dir, FLOODER),
            worst=worst,
            options=options,
            stamp=stamp,
        )
        asyncio.run(preflight(bench))
        for round_number, flooded in schedule(options):
            result = measure(bench, flooded=flooded, round_number=round_number)
            bench.runs.append(result)
            _print_run(result)
            if not server.alive():
                raise RuntimeError(f"the gateway died:\n{server.log_tail()}")
        peak_rss = server.peak_rss_bytes()
    finally:
        if server is not None:
            server.stop()
        if not options.keep and options.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    summary = summarise(bench.runs)
    goal_results = goals(summary)
    print_report(summary, goal_results)
    return {
        "benchmark": "abuse",
        "machine": machine,
        "options": {
            "rate_per_s": options.rate,
            "duration_s": options.duration_s,
            "rounds": options.rounds,
            "flood_connections": options.flood_connections,
            "flood_body": options.flood_body,
            "worker_kind": options.worker_kind or "default",
            "settings": options.settings,
        },
        "worst_case_body_bytes": len(worst),
        "worst_case_examine_cpu_ms": round(cost_ms, 2),
        "normal_examine_cpu_ms": round(normal_cost_ms, 3),
        "gateway_peak_rss_bytes": peak_rss,
        "summary": summary,
        "goals": goal_results,
        "runs": [r.as_json() for r in bench.runs],
    }


def _print_run(run: Run) -> None:
    load = run.normal
    line = (
        f"  round {run.round} {'flooded' if run.flooded else 'quiet':<7} "
        f"normal {load.ok}/{load.planned} 202 {load.throughput:6.2f}/s "
        f"p50 {_fmt(load.percentile_ms(50))} p99 {_fmt(load.percentile_ms(99))} "
        f"max {_fmt(max(load.latencies_ms, default=None))} ms"
    )
    if load.failed or load.unsent:
        line += f" ({load.failed + load.unsent} without 202: {load.first_failure})"
    if run.flood is not None:
        line += f"; flood {run.flood['statuses']} {run.flood['exceptions'] or ''}"
    print(line, flush=True)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short round: a smoke run")
    parser.add_argument("--rate", type=float, default=8.0, help="steady signals/s (default 8)")
    parser.add_argument("--duration", type=float, help="seconds per run (default 15; quick 6)")
    parser.add_argument("--rounds", type=int, help="rounds (default 3; quick 1)")
    parser.add_argument("--flood-connections", type=int, default=8, help="flooder's connections")
    parser.add_argument(
        "--flood-body",
        choices=("valid", "invalid"),
        default="valid",
        help="the costliest valid body, or the same with one wrong ref at its end (examined "
        "in full, then refused: no courier work)",
    )
    parser.add_argument(
        "--worker-kind", choices=("process", "thread"), help="EUREGATE_INTAKE_WORKER_KIND"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a gateway setting, e.g. partner_rate=1000000 (repeatable)",
    )
    parser.add_argument("--work-dir", type=Path, help="where the data directory goes (tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and log")
    args = parser.parse_args(argv)
    settings = dict(item.split("=", 1) for item in args.set)
    return Options(
        rate=args.rate,
        flood_body=args.flood_body,
        duration_s=args.duration or (6.0 if args.quick else 15.0),
        rounds=args.rounds or (1 if args.quick else 3),
        flood_connections=args.flood_connections,
        worker_kind=args.worker_kind,
        settings=settings,
        work_dir=args.work_dir,
        keep=args.keep,
    )


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["flood"]:
        flood = argparse.ArgumentParser(prog="abuse.py flood")
        for name in ("--url", "--data-dir", "--tag"):
            flood.add_argument(name, required=True)
        flood.add_argument("--seconds", type=float, required=True)
        flood.add_argument("--connections", type=int, required=True)
        flood.add_argument("--body", choices=("valid", "invalid"), default="valid")
        args = flood.parse_args(arguments[1:])
        return run_flood(
            args.url,
            Path(args.data_dir),
            args.tag,
            seconds=args.seconds,
            connections=args.connections,
            body=args.body,
        )
    options = parse_args(arguments)
    report = run(options)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"abuse-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nWrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
