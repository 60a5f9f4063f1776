"""Shared helpers for Euregate's benchmarks.

* servers in their own processes: :func:`init_demo_data_dir`, :func:`start_server`
  with :func:`gateway_command` or :func:`baseline_command` (and :func:`gateway_environment`
  for settings such as :data:`ROOMY_PARTNER_LIMITS`), and :class:`ServerProcess` for a
  server's pid, peak RSS (``VmHWM``) and CPU time (its worker processes included);
* the baseline, a bare aiohttp endpoint with the gateway's own TLS settings and
  certificates that parses the JSON body and answers 202 without storing anything
  (``python bench/common.py baseline-server --data-dir DIR --port N``);
* load generation: :class:`LoadGenerator` posts bodies over keep-alive mutual-TLS
  connections at a fixed concurrency and records every status and latency;
* statistics and the machine description: :func:`percentile`, :func:`describe_machine`.

Everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import signal
import socket
import sqlite3
import ssl
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import psutil
from aiohttp import web

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
GATEWAY_READY = "Euregate listening on"
BASELINE_READY = "Baseline listening on"

BodyFactory = Callable[[int], bytes]

ROOMY_PARTNER_LIMITS: Mapping[str, object] = {
    "partner_concurrency": 1000,
    "partner_rate": 1_000_000,
    "partner_burst": 1_000_000,
}
"""Partner limits no benchmark sender reaches: for benchmarks that measure throughput, not
each partner's share (``bench/abuse.py`` measures that with the defaults)."""


# --- servers in subprocesses -----------------------------------------------------------------


def free_port(host: str = HOST) -> int:
    """A TCP port that was free a moment ago (the server binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def init_demo_data_dir(data_dir: Path) -> None:
    """``euregate init --demo``: CA, server certificate, database and the demo partners."""
    done = subprocess.run(
        [PYTHON, "-m", "gateway", "init", "--demo", "--data-dir", str(data_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"euregate init failed ({done.returncode}):\n{done.stderr[-2000:]}")


def run_euregate(*args: str) -> str:
    """``python -m gateway ARGS`` as an operator runs it; its output, or an error with the
    end of what it said."""
    done = subprocess.run(
        [PYTHON, "-m", "gateway", *args], cwd=REPO, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"euregate {' '.join(args[:2])} failed ({done.returncode}):\n{done.stderr[-2000:]}"
        )
    return done.stdout


def gateway_command(data_dir: Path, port: int, host: str = HOST) -> list[str]:
    return [
        PYTHON,
        "-m",
        "gateway",
        "serve",
        "--data-dir",
        str(data_dir),
        "--host",
        host,
        "--port",
        str(port),
        "--staff-port",
        "0",
        "--operations-port",
        "0",
    ]


def gateway_environment(settings: Mapping[str, object]) -> dict[str, str]:
    """This process's environment with ``settings`` as ``EUREGATE_*`` variables."""
    return {**os.environ, **{f"EUREGATE_{k.upper()}": str(v) for k, v in settings.items()}}


def baseline_command(data_dir: Path, port: int, host: str = HOST) -> list[str]:
    return [
        PYTHON,
        str(Path(__file__).resolve()),
        "baseline-server",
        "--data-dir",
        str(data_dir),
        "--host",
        host,
        "--port",
        str(port),
    ]


@dataclass
class ServerProcess:
    """A server running in its own process, its output going to ``log_path``."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the process (all its threads) and of its descendants
        (the gateway's intake worker processes), the ones still running and those it waited
        for."""
        process = psutil.Process(self.pid)
        times = process.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        for child in process.children(recursive=True):
            try:
                child_times = child.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += child_times.user + child_times.system
        return float(total)

    def peak_rss_bytes(self) -> int | None:
        """The kernel's high-water mark of the resident set (``VmHWM``); exact, Linux only."""
        return _proc_status_bytes(self.pid, "VmHWM")

    def rss_bytes(self) -> int | None:
        return _proc_status_bytes(self.pid, "VmRSS")

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 15.0) -> int:
        """Interrupt (graceful shutdown), or kill if it does not end within ``timeout``."""
        if self.alive():
            self.process.send_signal(signal.SIGINT)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


def start_server(
    name: str,
    argv: Sequence[str],
    *,
    url: str,
    ready_marker: str,
    log_path: Path,
    timeout: float = 60.0,
    env: Mapping[str, str] | None = None,
) -> ServerProcess:
    """Start ``argv`` (in ``env``, else this process's environment) and return once its
    output contains ``ready_marker``."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env)
    server = ServerProcess(name=name, url=url, process=process, log_path=log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready_marker.encode() in log_path.read_bytes():
            return server
        if not server.alive():
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{server.log_tail()}")
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"{name} was not ready within {timeout:.0f} s:\n{server.log_tail()}")


def _proc_status_bytes(pid: int, key: str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) * 1024  # the kernel reports kB
    return None


def count_rows(database: Path, sql: str) -> int:
    """One ``SELECT count(*)`` on a database opened read-only."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        count: int = conn.execute(sql).fetchone()[0]
        return count
    finally:
        conn.close()


# --- the baseline: TLS, read, parse, 202 -----------------------------------------------------


async def _baseline_post(request: web.Request) -> web.Response:
    document = json.loads(await request.read())
    reference = document.get("sender_reference") if isinstance(document, dict) else None
    return web.json_response({"status": "accepted", "sender_reference": reference}, status=202)


def baseline_app() -> web.Application:
    app = web.Application()
    app.router.add_post("/v1/signals", _baseline_post)
    return app


def serve_baseline(data_dir: Path, host: str, port: int) -> None:
    """The gateway's TLS context (TLS 1.3 only, client certificate required), nothing else."""
    from gateway.infra import pki
    from gateway.infra.config import DataDir

    layout = DataDir(data_dir)
    context = pki.server_ssl_context(
        certificate=layout.server_certificate,
        private_key=layout.server_key,
        client_ca=layout.ca_certificate,
    )
    url = f"https://{host}:{port}"
    web.run_app(
        baseline_app(),
        host=host,
        port=port,
        ssl_context=context,
        access_log=None,
        print=lambda _: print(f"{BASELINE_READY} {url}", flush=True),
    )


# --- load generation --------------------------------------------------------------------------


@dataclass(frozen=True)
class Sender:
    """A partner as seen by the load generator: its id and its client TLS context."""

    partner_id: str
    ssl_context: ssl.SSLContext


def partner_sender(data_dir: Path, partner_id: str) -> Sender:
    from gateway.infra import pki
    from gateway.infra.config import DataDir

    layout = DataDir(data_dir)
    context = pki.client_ssl_context(
        certificate=layout.partner_certificate(partner_id),
        private_key=layout.partner_key(partner_id),
        server_ca=layout.ca_certificate,
    )
    return Sender(partner_id, context)


@dataclass
class LoadResult:
    """What one load run saw. Latencies are of the responses with the expected status."""

    planned: int
    concurrency: int
    elapsed_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    exceptions: Counter[str] = field(default_factory=Counter)
    first_failure: str | None = None
    client_cpu_s: float = 0.0

    @property
    def ok(self) -> int:
        return len(self.latencies_ms)

    @property
    def failed(self) -> int:
        """Answers with another status, and requests that got no answer at all."""
        return sum(self.statuses.values()) + sum(self.exceptions.values()) - self.ok

    @property
    def unsent(self) -> int:
        """Requests not sent because the time limit came first."""
        return self.planned - sum(self.statuses.values()) - sum(self.exceptions.values())

    @property
    def throughput(self) -> float:
        """Responses with the expected status per second."""
        return self.ok / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def percentile_ms(self, q: float) -> float | None:
        return percentile(self.latencies_ms, q) if self.latencies_ms else None

    def note_failure(self, what: str) -> None:
        if self.first_failure is None:
            self.first_failure = what[:300]


class LoadGenerator:
    """Keep-alive mutual-TLS sessions that POST bodies to ``url`` with ``concurrency`` workers.

    Worker *i* posts as ``senders[i % len(senders)]``, to ``url`` or, given several
    (instances behind a TCP load balancer), to ``url[i % len(url)]``; each sender has one
    session whose connection limit is its number of workers, so at most ``concurrency``
    connections are open, and they stay open from one :meth:`run` to the next (warm-up, then
    measurement).

        async with LoadGenerator(url, senders, concurrency=16) as load:
            await load.run(warm_up_bodies, 50)
            result = await load.run(bodies, 2000)
    """

    def __init__(
        self,
        url: str | Sequence[str],
        senders: Sequence[Sender],
        *,
        concurrency: int,
        expected_status: int = 202,
        headers: dict[str, str] | None = None,
    ) -> None:
        if not senders or concurrency < 1:
            raise ValueError("need at least one sender and one worker")
        self.urls = [url] if isinstance(url, str) else list(url)
        self.concurrency = concurrency
        self.expected_status = expected_status
        self._senders = senders
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        self._sessions: list[aiohttp.ClientSession] = []

    async def __aenter__(self) -> LoadGenerator:
        workers_of = Counter(i % len(self._senders) for i in range(self.concurrency))
        self._sessions = [
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=sender.ssl_context, limit=workers_of[index]),
                timeout=aiohttp.ClientTimeout(total=60),
                headers=self._headers,
            )
            for index, sender in enumerate(self._senders)
            if workers_of[index]
        ]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.gather(*(session.close() for session in self._sessions))
        self._sessions = []

    async def run(self, bodies: BodyFactory, count: int, time_limit_s: float = 300.0) -> LoadResult:
        """POST ``bodies(0)`` … ``bodies(count - 1)``; stop sending at ``time_limit_s``.

        Requests not sent by then are not counted: ``planned`` minus the responses says how
        many there were.
        """
        if not self._sessions:
            raise RuntimeError("use LoadGenerator in `async with`")
        result = LoadResult(planned=count, concurrency=self.concurrency)
        numbers = itertools.count()
        deadline = time.perf_counter() + time_limit_s

        async def worker(session: aiohttp.ClientSession, url: str) -> None:
            while (n := next(numbers)) < count and time.perf_counter() < deadline:
                await _post_one(session, url, bodies(n), self.expected_status, result)

        sessions, urls = self._sessions, self.urls
        cpu_before, started = time.process_time(), time.perf_counter()
        await asyncio.gather(
            *(
                worker(sessions[i % len(sessions)], urls[i % len(urls)])
                for i in range(self.concurrency)
            )
        )
        result.elapsed_s = time.perf_counter() - started
        result.client_cpu_s = time.process_time() - cpu_before
        return result

    async def open_loop(self, bodies: BodyFactory, *, rate: float, seconds: float) -> LoadResult:
        """POST ``rate`` requests a second for ``seconds``, each at its planned moment however
        the earlier ones fare (an open loop: a slow answer holds no later request back).

        A request's latency counts from its planned moment, so that time spent waiting for
        one of the ``concurrency`` connections counts too (no coordinated omission).
        """
        if not self._sessions:
            raise RuntimeError("use LoadGenerator in `async with`")
        count = max(int(rate * seconds), 1)
        result = LoadResult(planned=count, concurrency=self.concurrency)
        sessions, urls = self._sessions, self.urls
        tasks = []
        cpu_before, started = time.process_time(), time.perf_counter()
        for n in range(count):
            planned = started + n / rate
            await asyncio.sleep(max(0.0, planned - time.perf_counter()))
            session, url = sessions[n % len(sessions)], urls[n % len(urls)]
            tasks.append(
                asyncio.create_task(
                    _post_one(
                        session, url, bodies(n), self.expected_status, result, planned=planned
                    )
                )
            )
        await asyncio.gather(*tasks)
        result.elapsed_s = time.perf_counter() - started
        result.client_cpu_s = time.process_time() - cpu_before
        return result


async def _post_one(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    expected: int,
    result: LoadResult,
    *,
    planned: float | None = None,
) -> None:
    started = time.perf_counter() if planned is None else planned
    try:
        async with session.post(url, data=body) as response:
            answer = await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError, ssl.SSLError, OSError) as exc:
        result.exceptions[type(exc).__name__] += 1
        result.note_failure(f"{type(exc).__name__}: {exc}")
        return
    result.statuses[status] += 1
    if status == expected:
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
    else:
        result.note_failure(f"{status}: {answer[:250].decode(errors='replace')}")


# --- statistics -------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), interpolating linearly between the closest ranks."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


# --- the machine ------------------------------------------------------------------------------


def describe_machine(data_dir: Path | None = None) -> dict[str, object]:
    """What the numbers were measured on: CPU, cores, memory, OS, Python, libraries, disk."""
    description: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_model": _cpuinfo_value("model name") or platform.processor() or "unknown",
        "virtualised": "hypervisor" in (_cpuinfo_value("flags") or "").split(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_total_bytes": psutil.virtual_memory().total,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "openssl": ssl.OPENSSL_VERSION,
        "sqlite": sqlite3.sqlite_version,
        "aiohttp": aiohttp.__version__,
        "git_commit": _git_commit(),
    }
    if data_dir is not None:
        description["data_dir_filesystem"] = _filesystem(data_dir)
    return description


def machine_summary(machine: dict[str, object]) -> str:
    memory = machine["memory_total_bytes"]
    gib = f"{memory / 2**30:.1f} GiB" if isinstance(memory, int) else "?"
    return (
        f"{machine['cpu_model']}, {machine['usable_cpus']} usable of {machine['logical_cpus']} "
        f"logical CPUs{' (VM)' if machine.get('virtualised') else ''}, {gib} RAM; "
        f"{machine['os']}; {machine['python']}; {machine['openssl']}; "
        f"SQLite {machine['sqlite']}; aiohttp {machine['aiohttp']}; "
        f"data dir on {machine.get('data_dir_filesystem', '?')}"
    )


def _cpuinfo_value(key: str) -> str | None:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == key:
            return value.strip()
    return None


def _filesystem(path: Path) -> str:
    """``fstype (device at mountpoint)`` of the mount holding ``path``; fsync cost depends on it."""
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return "unknown"
    resolved, best = str(path.resolve()), ("", "unknown", "")
    for line in mounts:
        device, mountpoint, fstype, *_ = line.split()
        inside = resolved == mountpoint or resolved.startswith(mountpoint.rstrip("/") + "/")
        if inside and len(mountpoint) >= len(best[0]):
            best = (mountpoint, fstype, device)
    return f"{best[1]} ({best[2]} at {best[0]})"


def _git_commit() -> str | None:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{head}{' (with uncommitted changes)' if dirty else ''}"


# --- command line: the baseline server ----------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark helpers.")
    commands = parser.add_subparsers(dest="command", required=True)
    baseline = commands.add_parser("baseline-server", help="bare aiohttp TLS endpoint")
    baseline.add_argument("--data-dir", type=Path, required=True)
    baseline.add_argument("--host", default=HOST)
    baseline.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    serve_baseline(args.data_dir, args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
