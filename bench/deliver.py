"""Delivery benchmark: envelopes sealed per second per HPKE suite, and post→pull latency.

**Seal.** In this process, :func:`gateway.infra.seal.seal` (HPKE to the recipient's key, then the
gateway's Ed25519 signature over header and ciphertext digest) of one message payload, for
each suite (``X25519``, ``MLKEM768_X25519``), beside a baseline of plain AES-256-GCM of the
same payload with ``cryptography`` (a fresh nonce each time, no key agreement, no
signature). Each is timed for a fixed time per round; rounds alternate the order; medians
are reported, with each suite's rate as a ratio of the baseline's and, to say where the
time goes, the rates of the HPKE step and of the signature alone.

**Post→pull.** A gateway (``python -m gateway serve`` on a fresh ``init --demo`` data
directory) and the intake baseline (``python bench/common.py baseline-server``: the same
TLS, parses the JSON, answers 202, stores nothing) in their own processes. This process
posts ``examples/be-cannabis-lanaken.json`` as ``be-pol-lanaken`` at a steady rate (open
loop: post *i* starts at *i*/rate, whatever the answers), each with its own reference,
while a partner system of ``nl-pol-limburg`` long-polls ``GET /v1/inbox`` and acknowledges
what it gets, as ``euregate inbox pull --watch`` does. Post→pull latency is from the start
of a post to the end of the pull that hands out its envelope. The baseline gets the same
posts at the same rate; its POST latency is what TLS and JSON alone cost. Ratios are of
medians (p50) and of p99.

Writes everything to ``bench/results/deliver-<time>.json``.

    .venv/bin/python bench/deliver.py            # full run, about six minutes
    .venv/bin/python bench/deliver.py --quick    # smoke run, about 30 seconds
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import ssl
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from common import (
    BASELINE_READY,
    GATEWAY_READY,
    HOST,
    REPO,
    ROOMY_PARTNER_LIMITS,
    ServerProcess,
    baseline_command,
    describe_machine,
    free_port,
    gateway_command,
    gateway_environment,
    init_demo_data_dir,
    machine_summary,
    median,
    partner_sender,
    percentile,
    start_server,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from euregate_client import open_message

from gateway.infra import seal

TEMPLATE = REPO / "examples" / "be-cannabis-lanaken.json"
SENDER = "be-pol-lanaken"
PULLER = "nl-pol-limburg"
RESULTS = REPO / "bench" / "results"
SUITES = (seal.Suite.X25519, seal.Suite.MLKEM768_X25519)


@dataclass(frozen=True)
class Options:
    seal_seconds: float
    seal_rounds: int
    rates: tuple[float, ...]
    duration_s: float
    rounds: int
    drain_s: float
    work_dir: Path | None
    keep: bool


# --- seal: envelopes per second ----------------------------------------------------------------


def payload() -> bytes:
    """About the size of a ``euregate.message/1`` payload: the view, a rendering and the
    decision; here the example signal three times over."""
    document = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    return json.dumps({"view": document, "rendering": document, "original": document}).encode()


def _rate(step: Callable[[], object], seconds: float) -> float:
    count, started = 0, time.perf_counter()
    until = started + seconds
    while True:
        for _ in range(16):
            step()
        count += 16
        now = time.perf_counter()
        if now >= until:
            return count / (now - started)


def seal_steps(plaintext: bytes) -> dict[str, Callable[[], object]]:
    """What is timed: the baseline, each suite's whole seal, and its parts."""
    signer = seal.Signer.generate()
    aes = AESGCM(AESGCM.generate_key(bit_length=256))
    steps: dict[str, Callable[[], object]] = {
        "aes256gcm": lambda: aes.encrypt(os.urandom(12), plaintext, None),
        "ed25519_sign": lambda: signer.sign(plaintext[:200]),
    }
    for suite in SUITES:
        _, public_pem = seal.generate_key_pair(suite)
        suite_read, raw = seal.read_public_key(public_pem, suite)
        key = seal.PartnerKey(
            partner_id=PULLER,
            key_id=seal.key_id(suite_read, raw),
            suite=suite_read,
            public_key=raw,
            valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        )
        public_key = seal._public_key_object(suite, raw)
        hpke_suite = suite.hpke

        def whole(key: seal.PartnerKey = key) -> object:
            return seal.seal(
                plaintext,
                recipient_key=key,
                gateway_id="bench",
                signal_id="0190f2a4-0000-7000-8000-000000000000",
                recipient_id=PULLER,
                signer=signer,
            )

        steps[f"seal_{suite}"] = whole
        steps[f"hpke_{suite}"] = lambda s=hpke_suite, k=public_key: s.encrypt(
            plaintext, k, info=b"bench"
        )
    return steps


def measure_seal(options: Options) -> dict[str, Any]:
    plaintext = payload()
    steps = seal_steps(plaintext)
    names = list(steps)
    rates: dict[str, list[float]] = {name: [] for name in names}
    for name in names:  # warm-up
        _rate(steps[name], 0.1)
    for round_ in range(options.seal_rounds):
        order = names if round_ % 2 == 0 else list(reversed(names))
        for name in order:
            rates[name].append(_rate(steps[name], options.seal_seconds))
    medians = {name: median(values) for name, values in rates.items()}
    baseline = medians["aes256gcm"]
    return {
        "payload_bytes": len(plaintext),
        "rounds": options.seal_rounds,
        "seconds_each": options.seal_seconds,
        "per_second": {name: round(value, 1) for name, value in medians.items()},
        "per_second_all_rounds": {n: [round(v, 1) for v in vs] for n, vs in rates.items()},
        "ratio_to_aes256gcm": {
            str(suite): round(medians[f"seal_{suite}"] / baseline, 5) for suite in SUITES
        },
        "microseconds_each": {name: round(1e6 / value, 2) for name, value in medians.items()},
    }


# --- post→pull at steady load ------------------------------------------------------------------


@dataclass
class Flow:
    """One system at one rate: when each post started and ended, and (gateway) when its
    envelope was pulled."""

    system: str
    rate: float
    round: int
    planned: int = 0
    post_started: dict[str, float] = field(default_factory=dict)
    """Posts accepted whose envelope has not been pulled yet, by reference."""
    early: dict[str, float] = field(default_factory=dict)
    """Envelopes pulled before their post's answer was read, by signal id."""
    post_ms: list[float] = field(default_factory=list)
    pulled_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    acked: int = 0
    opened_ok: bool | None = None

    def summary(self) -> dict[str, Any]:
        def stats(values: list[float]) -> dict[str, float | None]:
            if not values:
                return {"p50_ms": None, "p90_ms": None, "p99_ms": None, "max_ms": None}
            return {
                "p50_ms": round(percentile(values, 50), 2),
                "p90_ms": round(percentile(values, 90), 2),
                "p99_ms": round(percentile(values, 99), 2),
                "max_ms": round(max(values), 2),
            }

        return {
            "system": self.system,
            "rate_per_s": self.rate,
            "round": self.round,
            "planned": self.planned,
            "posted_ok": len(self.post_ms),
            "pulled": len(self.pulled_ms),
            "acknowledged": self.acked,
            "failures": len(self.failures),
            "first_failure": self.failures[0] if self.failures else None,
            "opened_first_envelope": self.opened_ok,
            "post": stats(self.post_ms),
            "post_to_pull": stats(self.pulled_ms),
        }


def bodies(tag: str) -> Callable[[int], tuple[str, bytes]]:
    template = json.loads(TEMPLATE.read_text(encoding="utf-8"))

    def body(n: int) -> tuple[str, bytes]:
        reference = f"BENCH-{tag}-{n}"
        return reference, json.dumps({**template, "sender_reference": reference}).encode()

    return body


async def post_steadily(
    url: str,
    context: ssl.SSLContext,
    flow: Flow,
    body: Callable[[int], tuple[str, bytes]],
    *,
    duration_s: float,
    signal_ids: dict[str, str],
) -> None:
    """Open loop: post *i* starts at *i*/rate; a slow answer delays no later post."""
    flow.planned = int(flow.rate * duration_s)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=context, limit=64),
        headers={"Content-Type": "application/json"},
        timeout=aiohttp.ClientTimeout(total=60),
    ) as session:

        async def one(n: int) -> None:
            reference, data = body(n)
            started = time.perf_counter()
            try:
                async with session.post(url + "/v1/signals", data=data) as response:
                    answer = await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                flow.failures.append(f"{type(exc).__name__}: {exc}"[:300])
                return
            if status != 202:
                flow.failures.append(f"{status}: {answer[:200].decode(errors='replace')}")
                return
            flow.post_ms.append((time.perf_counter() - started) * 1000)
            signal_id = json.loads(answer).get("signal_id")
            if signal_id is None:  # the baseline's answer
                return
            signal_ids[signal_id] = reference
            if (arrived := flow.early.pop(signal_id, None)) is not None:
                flow.pulled_ms.append((arrived - started) * 1000)
            else:
                flow.post_started[reference] = started

        t0 = time.perf_counter()
        tasks = []
        for n in range(flow.planned):
            delay = t0 + n / flow.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)


async def pull_until(
    url: str,
    data_dir: Path,
    flow: Flow,
    *,
    signal_ids: dict[str, str],
    ready: asyncio.Event,
    stop: asyncio.Event,
    cursor: int,
) -> int:
    """Long-poll the inbox as the recipient does, acknowledging each envelope; returns the
    cursor to start from next time."""
    from gateway.infra.config import DataDir

    layout = DataDir(data_dir)
    context = partner_sender(data_dir, PULLER).ssl_context
    private_key = seal.load_private_key(layout.partner_encryption_key(PULLER).read_bytes())
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=context, limit=8),
        timeout=aiohttp.ClientTimeout(total=60),
    ) as session:
        async with session.get(url + "/v1/gateway/keys") as response:
            keys = {
                k["key_id"]: base64.urlsafe_b64decode(k["public_key"] + "==")
                for k in (await response.json())["keys"]
            }
        while True:  # first take what earlier runs left, unmeasured
            async with session.get(f"{url}/v1/inbox?after={cursor}&limit=500") as response:
                answer = await response.json()
            leftovers = [entry["id"] for entry in answer["envelopes"]]
            await asyncio.gather(*(_ack(session, url, e, flow, count=False) for e in leftovers))
            cursor = int(answer["cursor"])
            if not leftovers:
                break
        ready.set()
        while not stop.is_set():
            query = f"?after={cursor}&limit=100&wait=1"
            async with session.get(url + "/v1/inbox" + query) as response:
                answer = await response.json()
            arrived = time.perf_counter()
            for entry in answer["envelopes"]:
                reference = signal_ids.get(entry["signal_id"])
                if reference is None:  # pulled before this process read the post's 202
                    flow.early[entry["signal_id"]] = arrived
                elif (started := flow.post_started.pop(reference, None)) is not None:
                    flow.pulled_ms.append((arrived - started) * 1000)
                if flow.opened_ok is None:
                    message = open_message(
                        entry, private_key=private_key, recipient_id=PULLER, gateway_keys=keys
                    )
                    flow.opened_ok = message.signal_id == entry["signal_id"]
            await asyncio.gather(
                *(_ack(session, url, entry["id"], flow) for entry in answer["envelopes"])
            )
            cursor = int(answer["cursor"])
    return cursor


async def _ack(
    session: aiohttp.ClientSession, url: str, envelope_id: str, flow: Flow, *, count: bool = True
) -> None:
    async with session.post(f"{url}/v1/inbox/{envelope_id}/ack") as response:
        if response.status == 200:
            flow.acked += count
        else:
            flow.failures.append(f"ack {response.status}")


async def gateway_flow(
    server: ServerProcess,
    data_dir: Path,
    rate: float,
    round_: int,
    *,
    options: Options,
    cursor: int,
) -> tuple[Flow, int]:
    flow = Flow("gateway", rate, round_)
    signal_ids: dict[str, str] = {}
    ready, stop = asyncio.Event(), asyncio.Event()
    context = partner_sender(data_dir, SENDER).ssl_context
    puller = asyncio.create_task(
        pull_until(
            server.url, data_dir, flow, signal_ids=signal_ids, ready=ready, stop=stop, cursor=cursor
        )
    )
    await ready.wait()
    body = bodies(f"g{rate}-{round_}")
    await post_steadily(
        server.url, context, flow, body, duration_s=options.duration_s, signal_ids=signal_ids
    )
    drain_until = time.perf_counter() + options.drain_s
    while flow.post_started and time.perf_counter() < drain_until:  # noqa: ASYNC110 - polls two conditions
        await asyncio.sleep(0.05)
    stop.set()
    cursor = await puller
    return flow, cursor


async def baseline_flow(
    server: ServerProcess, data_dir: Path, rate: float, round_: int, options: Options
) -> Flow:
    flow = Flow("baseline", rate, round_)
    context = partner_sender(data_dir, SENDER).ssl_context
    body = bodies(f"b{rate}-{round_}")
    await post_steadily(
        server.url, context, flow, body, duration_s=options.duration_s, signal_ids={}
    )
    return flow


async def measure_flows(
    servers: dict[str, ServerProcess], data_dir: Path, options: Options
) -> list[Flow]:
    flows: list[Flow] = []
    cursor = 0
    for round_ in range(options.rounds):
        for rate in options.rates:
            order = ("baseline", "gateway") if round_ % 2 == 0 else ("gateway", "baseline")
            for system in order:
                if system == "baseline":
                    flow = await baseline_flow(servers[system], data_dir, rate, round_, options)
                else:
                    flow, cursor = await gateway_flow(
                        servers[system], data_dir, rate, round_, options=options, cursor=cursor
                    )
                _print_flow(flow)
                flows.append(flow)
    return flows


def _print_flow(flow: Flow) -> None:
    s = flow.summary()
    line = (
        f"  {flow.system:8} {flow.rate:6.0f}/s round {flow.round}: "
        f"{s['posted_ok']}/{s['planned']} posted, post p50 {s['post']['p50_ms']} ms"
    )
    if flow.system == "gateway":
        line += (
            f", pulled {s['pulled']}, post→pull p50 {s['post_to_pull']['p50_ms']} ms "
            f"p99 {s['post_to_pull']['p99_ms']} ms"
        )
    if s["failures"]:
        line += f", {s['failures']} failures ({s['first_failure']})"
    print(line, flush=True)


def summarise_flows(flows: list[Flow], rates: tuple[float, ...]) -> list[dict[str, Any]]:
    levels = []
    for rate in rates:
        mine = {
            system: [f for f in flows if f.rate == rate and f.system == system]
            for system in ("baseline", "gateway")
        }

        def med(
            system: str, what: str, q: float, mine: dict[str, list[Flow]] = mine
        ) -> float | None:
            values = [percentile(getattr(f, what), q) for f in mine[system] if getattr(f, what)]
            return round(median(values), 2) if values else None

        base50, base99 = med("baseline", "post_ms", 50), med("baseline", "post_ms", 99)
        e2e50, e2e99 = med("gateway", "pulled_ms", 50), med("gateway", "pulled_ms", 99)
        levels.append(
            {
                "rate_per_s": rate,
                "baseline_post_p50_ms": base50,
                "baseline_post_p99_ms": base99,
                "gateway_post_p50_ms": med("gateway", "post_ms", 50),
                "gateway_post_p99_ms": med("gateway", "post_ms", 99),
                "gateway_post_to_pull_p50_ms": e2e50,
                "gateway_post_to_pull_p99_ms": e2e99,
                "ratio_p50": _ratio(e2e50, base50),
                "ratio_p99": _ratio(e2e99, base99),
                "planned": sum(f.planned for f in mine["gateway"]),
                "pulled": sum(len(f.pulled_ms) for f in mine["gateway"]),
                "not_pulled": sum(len(f.post_started) for f in mine["gateway"]),
                "failures": sum(len(f.failures) for fs in mine.values() for f in fs),
            }
        )
    return levels


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 2)


# --- the run ---------------------------------------------------------------------------------


def run(options: Options) -> dict[str, Any]:
    print("sealing, in this process:", flush=True)
    sealed = measure_seal(options)
    for name, value in sealed["per_second"].items():
        print(f"  {name:24} {value:12,.0f}/s  {sealed['microseconds_each'][name]:9.1f} µs")
    print(f"  seal/AES-256-GCM ratio: {sealed['ratio_to_aes256gcm']}", flush=True)

    work = options.work_dir or Path(tempfile.mkdtemp(prefix="euregate-bench-deliver-"))
    data_dir = work / "data"
    servers: dict[str, ServerProcess] = {}
    try:
        init_demo_data_dir(data_dir)
        for name, command, marker in (
            ("gateway", gateway_command, GATEWAY_READY),
            ("baseline", baseline_command, BASELINE_READY),
        ):
            port = free_port()
            servers[name] = start_server(
                name,
                command(data_dir, port),
                url=f"https://{HOST}:{port}",
                ready_marker=marker,
                log_path=work / f"{name}.log",
                env=gateway_environment(ROOMY_PARTNER_LIMITS),
            )
        print("post→pull at steady load:", flush=True)
        flows = asyncio.run(measure_flows(servers, data_dir, options))
        machine = describe_machine(data_dir)
    finally:
        for server in servers.values():
            server.stop()
        if not options.keep and options.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    levels = summarise_flows(flows, options.rates)
    print()
    print("rate/s  baseline post p50/p99  gateway post→pull p50/p99  ratio p50  ratio p99")
    for level in levels:
        print(
            f"{level['rate_per_s']:6.0f}  "
            f"{level['baseline_post_p50_ms']!s:>8} / {level['baseline_post_p99_ms']!s:<8}     "
            f"{level['gateway_post_to_pull_p50_ms']!s:>8} / "
            f"{level['gateway_post_to_pull_p99_ms']!s:<8}        "
            f"{level['ratio_p50']!s:>6}     {level['ratio_p99']!s:>6}"
            f"   ({level['pulled']}/{level['planned']} pulled, {level['failures']} failures)"
        )
    print(f"\n{machine_summary(machine)}")
    return {
        "benchmark": "deliver",
        "options": {
            "seal_seconds": options.seal_seconds,
            "seal_rounds": options.seal_rounds,
            "rates": list(options.rates),
            "duration_s": options.duration_s,
            "rounds": options.rounds,
        },
        "machine": machine,
        "seal": sealed,
        "post_to_pull": levels,
        "flows": [flow.summary() for flow in flows],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, about 30 seconds")
    parser.add_argument("--work-dir", type=Path, default=None, help="keep the data here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args(argv)
    options = Options(
        seal_seconds=0.3 if args.quick else 1.0,
        seal_rounds=3 if args.quick else 5,
        rates=(5.0,) if args.quick else (5.0, 10.0, 20.0),
        duration_s=4.0 if args.quick else 15.0,
        rounds=1 if args.quick else 2,
        drain_s=30.0,
        work_dir=args.work_dir,
        keep=args.keep,
    )
    report = run(options)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"deliver-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written to {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
