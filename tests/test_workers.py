"""``euregate serve --workers N``: N gateway processes on the listeners the parent bound, on one
store. The parent says ``READY=1`` once every worker is ready, starts a worker again when one
dies, hands a reload to one worker while the others follow it, and on SIGTERM stops them all
and exits 0. Each test runs the real command; the workers are real processes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from euregate_client import EuregateClient, Problem

from gateway.edges import workers
from gateway.infra import audit
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.store.sqlite import SqliteStore
from tests.conftest import REPO, client_context, free_port
from tests.polling import until
from tests.test_serve_lifecycle import STARTUP, ServiceManager, service_manager

SENDER = "nl-pol-limburg"
RECIPIENT = "be-pol-lanaken"  # reads Dutch: a copy for it is sealed without review


@pytest.fixture
def manager(tmp_path: Path) -> Any:
    path = str(tmp_path / "notify")
    with service_manager(path, path) as listening:
        yield listening


@dataclass
class Workers:
    process: asyncio.subprocess.Process
    port: int
    output: list[str]

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def pids(self) -> set[int]:
        """The worker processes the parent runs now."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        found = set()
        for pid in children.read_text().split():
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except FileNotFoundError:
                continue
            if workers.INHERIT_OPTION.encode() in command:
                found.add(int(pid))
        return found

    def logged(self, event: str) -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in self.output if line.startswith("{")]
        return [line for line in lines if line.get("event") == event]

    async def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), STARTUP)


@asynccontextmanager
async def serving(
    layout: DataDir,
    manager: ServiceManager,
    count: int = 2,
    operations_port: int = 0,
    **environment: str,
) -> AsyncIterator[Workers]:
    """``euregate serve --workers count`` in its own process; yields at once. Worker k's
    operations listener is on ``operations_port`` + k (any free port when 0)."""
    port = free_port()
    command = ["-m", "gateway", "serve", "--data-dir", str(layout.root), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--staff-port", str(free_port()), "--workers", str(count)]
    command += ["--operations-port", str(operations_port)]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        cwd=REPO,
        env={**os.environ, "NOTIFY_SOCKET": manager.address, **environment},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    output: list[str] = []

    async def collect(stream: asyncio.StreamReader | None) -> None:
        assert stream is not None
        while line := await stream.readline():
            output.append(line.decode(errors="replace").rstrip("\n"))

    reading = asyncio.gather(collect(process.stdout), collect(process.stderr))
    try:
        yield Workers(process, port, output)
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
        await reading


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


async def post(
    url: str, layout: DataDir, template: dict[str, Any], references: list[str]
) -> list[str]:
    """Each reference posted over its own connection, four at a time (a partner's concurrency
    in each worker); the signal ids."""

    async def one(reference: str) -> str:
        client = EuregateClient(url, ssl_context=client_context(layout, SENDER), timeout=30)
        async with client:
            receipt = await client.post_signal({**template, "sender_reference": reference})
        return str(receipt["signal_id"])

    ids: list[str] = []
    for start in range(0, len(references), 4):
        ids += await asyncio.gather(*(one(r) for r in references[start : start + 4]))
    return ids


async def replaced(service: Workers, gone: int) -> set[int]:
    """The workers, once the parent started one in place of ``gone``."""

    async def again() -> bool:
        pids = service.pids()
        return len(pids) == 2 and gone not in pids

    await until(again, patience=STARTUP)
    return service.pids()


async def test_workers_share_the_listeners_and_a_dead_one_is_replaced(
    layout: DataDir, manager: ServiceManager, example: Callable[[str], dict[str, Any]]
) -> None:
    template = {**example("nl-drug-waste-maastricht.json"), "recipients": {"partners": [RECIPIENT]}}
    async with serving(layout, manager) as service:
        ready = await manager.until("READY")
        assert "2 workers" in ready["STATUS"]
        first, second = sorted(service.pids())
        accepted = await post(service.url, layout, template, [f"W-{n}" for n in range(8)])

        os.kill(first, signal.SIGKILL)
        accepted += await post(
            service.url, layout, template, [f"W-after-first-{n}" for n in range(4)]
        )
        now = await replaced(service, first)
        assert second in now

        os.kill(second, signal.SIGKILL)
        accepted += await post(
            service.url, layout, template, [f"W-after-second-{n}" for n in range(4)]
        )
        now = await replaced(service, second)

        exit_status = asyncio.create_task(service.stop())
        assert (await manager.until("STOPPING"))["STOPPING"] == "1"
        assert await exit_status == 0
        assert not any(alive(pid) for pid in now)
    assert [line["pid"] for line in service.logged("worker_died")] == [first, second]
    assert not layout.pid_file.exists()

    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        assert set(accepted) <= set(await store.signal_ids())
        assert len(set(accepted)) == 16
        sealed = {e.signal_id for s in accepted for e in await store.envelopes_of_signal(s)}
        envelopes = [e for s in accepted for e in await store.envelopes_of_signal(s)]
        assert len(envelopes) == len(sealed), "a copy sealed twice, by two workers"
        assert audit.verify(await store.audit_entries()).ok


async def test_a_reload_reaches_every_worker_and_is_recorded_once(
    layout: DataDir, manager: ServiceManager
) -> None:
    """``policy reload`` signals the parent; every worker re-reads the policy and the master
    key's versions, and the store records the adoption once, whichever worker came first."""
    async with serving(layout, manager) as service:
        await manager.until("READY")
        text = layout.policy.read_text(encoding="utf-8")
        layout.policy.write_text(text + "\n# revised at the Euregio\n", encoding="utf-8")
        reload = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "gateway",
            "policy",
            "reload",
            "--data-dir",
            str(layout.root),
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
        )
        said, _ = await asyncio.wait_for(reload.communicate(), STARTUP)
        assert reload.returncode == 0, said

        async def both_reloaded() -> bool:
            return len(service.logged("keyring_reloaded")) == 2

        await until(both_reloaded, patience=STARTUP)
        revised = {line["sha256"] for line in service.logged("policy_adopted")[-2:]}
        assert len(revised) == 1
        assert revised.pop() in said.decode()
        assert await service.stop() == 0

    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        kinds = [entry.kind for entry in await store.audit_entries()]
    assert kinds.count("policy.adopted") == 2, "the first policy, then the revision, once"


async def test_a_worker_that_cannot_start_ends_serve_with_its_failure(
    layout: DataDir, manager: ServiceManager
) -> None:
    """The workers, not the parent, open the translation backend's settings: a worker that
    fails before it is ready is not started again and again; ``serve`` ends, not 0."""
    broken = {"EUREGATE_LIBRETRANSLATE_URL": "ftp://translation.invalid"}
    async with serving(layout, manager, **broken) as service:
        status = await asyncio.wait_for(service.process.wait(), STARTUP)
    assert status != 0
    assert service.logged("worker_failed_to_start")
    assert not service.logged("workers_ready")


async def test_a_policy_that_cannot_come_into_force_is_refused_before_any_worker_starts(
    layout: DataDir, manager: ServiceManager
) -> None:
    layout.policy.write_text('version = 1\n[[rule]]\nid = "x"\nverdict = "maybe"\n', "utf-8")
    async with serving(layout, manager) as service:
        status = await asyncio.wait_for(service.process.wait(), STARTUP)
    assert status == 1
    assert any("cannot come into force" in line for line in service.output)
    assert not service.logged("workers_ready")
    assert not service.logged("worker_failed_to_start"), "no worker was started"


async def test_workers_stop_when_their_parent_is_killed_outright(
    layout: DataDir, manager: ServiceManager
) -> None:
    """SIGKILL leaves the parent no time to stop anyone: each worker sees its lifeline close
    and stops as on SIGTERM, so none serves on, orphaned, on the listeners."""
    async with serving(layout, manager) as service:
        await manager.until("READY")
        orphans = service.pids()
        assert len(orphans) == 2
        service.process.kill()
        await service.process.wait()

        async def all_gone() -> bool:
            return not any(alive(pid) for pid in orphans)

        await until(all_gone, patience=STARTUP)
    assert len(service.logged("worker_parent_gone")) == 2


async def posts_answered(operations_port: int) -> float:
    """The signals one worker answered, as its ``/metrics`` counts them."""
    reader, writer = await asyncio.open_connection("127.0.0.1", operations_port)
    writer.write(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    text = (await reader.read()).decode()
    writer.close()
    prefix = "euregate_request_seconds_count{"
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(prefix) and 'route="/v1/signals"' in line and 'method="POST"' in line
    )


async def test_a_partners_rate_is_the_gateways_whichever_worker_answers(
    layout: DataDir, manager: ServiceManager, example: Callable[[str], dict[str, Any]]
) -> None:
    """Each worker taking the partner's burst for itself would accept up to twice it; the
    bucket is in the store, so the gateway accepts the burst once, then refuses (429 with
    Retry-After) on every worker."""
    template = {**example("nl-drug-waste-maastricht.json"), "recipients": {"partners": [RECIPIENT]}}
    first_operations = free_port()
    limits = {"EUREGATE_PARTNER_RATE": "0.001", "EUREGATE_PARTNER_BURST": "4"}
    async with serving(layout, manager, operations_port=first_operations, **limits) as service:
        await manager.until("READY")
        accepted, refused = 0, []

        async def post(n: int) -> None:
            nonlocal accepted
            client = EuregateClient(service.url, ssl_context=client_context(layout, SENDER))
            try:
                async with client:
                    await client.post_signal({**template, "sender_reference": f"R-{n}"})
                accepted += 1
            except Problem as problem:
                refused.append(problem)

        for round_ in range(50):
            # several connections at once, so that the kernel hands them to both workers
            await asyncio.gather(*(post(4 * round_ + k) for k in range(4)))
            answered = [await posts_answered(first_operations + k) for k in (0, 1)]
            if round_ >= 2 and min(answered) >= 3:
                break
        assert min(answered) >= 3, f"each worker answered some posts: {answered}"
        assert accepted == 4, "the burst, once for the gateway"
        assert {problem.status for problem in refused} == {429}
        assert {problem.document["type"] for problem in refused} == {
            "urn:euregate:problem:partner-rate-limited"
        }
        assert all(problem.document["retry_after"] >= 1 for problem in refused)
        assert await service.stop() == 0
