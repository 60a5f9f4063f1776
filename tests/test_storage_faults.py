"""A full disk under load is the operator's fault, not the partners': refusals are 507 problem
documents with Retry-After, never 500 nor a 202 for a signal not kept; the log says so once
when it begins and once when it ends; the gateway recovers by itself once space returns.

The data directory lives on a small tmpfs the test mounts (root only, as on CI); where it
cannot mount, only the cases that need the mount are skipped, saying why."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import io
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.edges.problems import MEDIA_TYPE
from gateway.infra import audit
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir, Settings
from gateway.infra.errors import (
    StorageFull,
    StorageReadOnly,
    StoreUnreachable,
)
from gateway.store.health import StoreHealth, probe_writable
from gateway.store.sqlite import SqliteStore
from gateway.store.sqlite.database import Transaction
from gateway.store.sqlite.faults import storage_fault
from tests.conftest import RunningGateway, client_context, gateway_in_process
from tests.polling import until

SENDERS = ("nl-pol-limburg", "nl-gem-maastricht", "de-zoll-aachen")
DISK = "24m"
PROBLEM = "urn:euregate:problem:"
STORAGE_FAULTS = {
    507: {PROBLEM + "storage-full"},
    503: {PROBLEM + kind for kind in ("storage-read-only", "storage-failing", "store-unreachable")},
}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of :data:`DISK`, mounted for this test and unmounted after it."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK},mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "--lazy", str(mount_point)], check=False)


@pytest.fixture
async def gateway_on_small_disk(
    layout: DataDir, small_disk: Path, log_stream: io.StringIO
) -> AsyncIterator[RunningGateway]:
    target = small_disk / "data"
    shutil.copytree(layout.root, target)
    settings = Settings(
        data_dir=target,
        host="127.0.0.1",
        port=0,
        staff_port=0,
        partner_concurrency=50,
        partner_burst=10_000,
        partner_rate=10_000.0,
    )
    async with gateway_in_process(settings) as running:
        yield running


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    retry_after: str | None
    body: dict[str, Any]


class Partners:
    """Partners posting signals, each with a reference of its own, every answer kept."""

    def __init__(self, gateway: RunningGateway, template: dict[str, Any]) -> None:
        self._gateway = gateway
        self._template = template
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        self._count = 0
        self.answers: list[Answer] = []

    async def __aenter__(self) -> Partners:
        for sender in SENDERS:
            connector = aiohttp.TCPConnector(ssl=client_context(self._gateway.layout, sender))
            self._sessions[sender] = aiohttp.ClientSession(connector=connector)
        return self

    async def __aexit__(self, *_: object) -> None:
        for session in self._sessions.values():
            await session.close()

    async def post(self) -> Answer:
        self._count += 1
        n = self._count
        sender = SENDERS[n % len(SENDERS)]
        signal = {**self._template, "sender_reference": f"DISK-{n:05d}"}
        async with self._sessions[sender].post(
            self._gateway.url + "/v1/signals",
            json=signal,
            headers={"Accept-Language": "de"},
        ) as response:
            answer = Answer(
                status=response.status,
                content_type=response.content_type,
                retry_after=response.headers.get("Retry-After"),
                body=json.loads(await response.read()),
            )
        self.answers.append(answer)
        return answer

    async def post_until(self, done: Callable[[], bool], *, most: int) -> None:
        """Post from several partners at once until ``done`` (at most ``most`` posts)."""

        async def one_partner() -> None:
            while not done() and self._count < most:
                await self.post()

        await asyncio.gather(*(one_partner() for _ in range(6)))

    def count(self, status: int) -> int:
        return sum(answer.status == status for answer in self.answers)


def fill(disk: Path) -> Path:
    """A ballast file taking every free byte of ``disk``."""
    ballast = disk / "ballast"
    descriptor = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(descriptor, bytes(size))
    finally:
        os.close(descriptor)
    return ballast


async def readiness(gateway: RunningGateway) -> tuple[int, dict[str, Any]]:
    """What the operations listener's ``/readyz`` answers now: its status and its checks."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{gateway.operations_url}/readyz") as response,
    ):
        return response.status, await response.json()


def logged(stream: io.StringIO, event: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == event]


async def test_a_full_disk_under_load_refuses_with_507_and_recovers_by_itself(
    gateway_on_small_disk: RunningGateway,
    small_disk: Path,
    log_stream: io.StringIO,
    example: Callable[[str], dict[str, Any]],
) -> None:
    gateway = gateway_on_small_disk
    # Immediate signals are sealed at once, unreviewed: the courier works through the fault.
    template = {**example("nl-drug-waste-maastricht.json"), "urgency": "immediate"}
    async with Partners(gateway, template) as partners:
        await partners.post_until(lambda: partners.count(202) >= 20, most=200)
        ballast = await asyncio.to_thread(fill, small_disk)
        await partners.post_until(
            lambda: partners.count(507) + partners.count(503) >= 50, most=3000
        )
        assert gateway.store.health.degraded is not None
        assert "storage-full" in gateway.store.health.degraded.kinds
        not_ready = await readiness(gateway)

        ballast.unlink()
        before = len(partners.answers)
        await partners.post_until(
            lambda: any(a.status == 202 for a in partners.answers[before + 6 :]), most=6000
        )
        after = len(partners.answers)
        # The writer probes the disk at most once a second while degraded, under load too.
        await partners.post_until(
            lambda: len(partners.answers) >= after + 20 and gateway.store.health.degraded is None,
            most=20_000,
        )
        recovered = partners.answers[after:]

        async def ready_again() -> bool:  # /readyz keeps a result for a second
            status, body = await readiness(gateway)
            return status == 200 and body["checks"]["storage"] == {"ok": True}

        await until(ready_again)

    assert not_ready[0] == 503
    assert not_ready[1]["checks"]["storage"]["ok"] is False
    assert not_ready[1]["checks"]["storage"]["degraded"] in {"storage-full", "storage-failing"}
    statuses = {answer.status for answer in partners.answers}
    assert 500 not in statuses
    assert statuses <= {202, 503, 507}
    for answer in partners.answers:
        if answer.status != 202:
            assert answer.content_type == MEDIA_TYPE
            assert answer.retry_after is not None
            assert int(answer.retry_after) > 0
            assert answer.body["type"] in STORAGE_FAULTS[answer.status]
        if answer.status == 507:
            assert answer.body["title"] == "Speicher erschöpft"
    assert all(answer.status == 202 for answer in recovered)

    accepted = {a.body["signal_id"] for a in partners.answers if a.status == 202}
    assert accepted <= set(await gateway.store.signal_ids())
    assert audit.verify(await gateway.store.audit_entries()).ok

    degraded = logged(log_stream, "store_degraded")
    ended = logged(log_stream, "store_recovered")
    assert len(degraded) == len(ended) == 1
    assert "storage-full" in ended[0]["kinds"]
    assert ended[0]["refused"] >= partners.count(507) + partners.count(503)
    assert gateway.store.health.degraded is None
    for _ in range(300):  # the courier outlived the fault: it seals what is due
        if not await gateway.store.pending_copies(due=datetime.now(UTC)):
            break
        await asyncio.sleep(0.1)
    assert await gateway.store.pending_copies(due=datetime.now(UTC)) == []
    assert await gateway.store.inbox("be-pol-liege", after=0, limit=500)
    print(  # the closing note's numbers
        f"\nfull disk: {partners.count(202)} accepted (202), {partners.count(507)} refused (507), "
        f"{partners.count(503)} refused (503), {partners.count(500)} internal errors (500); "
        f"log: {len(degraded)} store_degraded, "
        f"{len(ended)} store_recovered"
    )


def big_row(key: str) -> Callable[[Transaction], None]:
    """A write of a megabyte into the store's own key-value table."""

    def write(tx: Transaction) -> None:
        tx.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, "x" * (1 << 20)))

    return write


async def test_the_writer_outlives_a_full_disk_and_the_next_write_is_kept(
    small_disk: Path, log_stream: io.StringIO
) -> None:
    async with SqliteStore(small_disk / "euregate.db", clock=SystemClock()) as store:
        ballast = fill(small_disk)
        batch = [store.write(big_row(f"refused-{n}")) for n in range(5)]
        outcomes = await asyncio.gather(*batch, return_exceptions=True)
        assert all(isinstance(outcome, StorageFull) for outcome in outcomes), outcomes
        assert store.health.degraded is not None

        ballast.unlink()
        for _ in range(100):  # the writer probes the disk by itself, each second
            if store.health.degraded is None:
                break
            await asyncio.sleep(0.1)
        assert store.health.degraded is None
        await store.write(big_row("kept"))
        kept = await store.read(
            lambda conn: conn.execute("SELECT key FROM meta WHERE length(value) > 1000").fetchall()
        )
    assert kept == [("kept",)]
    assert [line["refused"] for line in logged(log_stream, "store_recovered")] == [5]


def test_a_read_only_remount_is_refused_while_the_database_is_open(small_disk: Path) -> None:
    """Linux will not remount a file system read-only while a file on it is open for writing
    (as the writer's database is): that fault cannot happen to a running gateway, so it is
    met at start, or as a read-only file system under a process that opened nothing yet."""
    database = small_disk / "open.db"
    conn = sqlite3.connect(database)
    try:
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
        remount = subprocess.run(
            ["mount", "-o", "remount,ro", str(small_disk)], capture_output=True, check=False
        )
        assert remount.returncode != 0
    finally:
        conn.close()


def test_a_read_only_file_system_is_a_read_only_fault(small_disk: Path) -> None:
    database = small_disk / "kept.db"
    with contextlib.closing(sqlite3.connect(database)) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        assert isinstance(probe_writable(small_disk), StorageReadOnly)
        with contextlib.closing(sqlite3.connect(database)) as conn:
            with pytest.raises(sqlite3.Error) as raised:
                conn.execute("INSERT INTO t VALUES (1)")
            assert isinstance(storage_fault(raised.value), StorageReadOnly)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert probe_writable(small_disk) is None


def test_a_database_that_cannot_be_opened_is_unreachable(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.Error) as raised:
        sqlite3.connect(tmp_path / "no such directory" / "gateway.db")
    assert isinstance(storage_fault(raised.value), StoreUnreachable)


def test_an_error_of_the_sql_is_no_storage_fault(tmp_path: Path) -> None:
    with contextlib.closing(sqlite3.connect(tmp_path / "gateway.db")) as conn:
        conn.execute("CREATE TABLE t (x UNIQUE)")
        conn.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(sqlite3.Error) as raised:
            conn.execute("INSERT INTO t VALUES (1)")
    assert storage_fault(raised.value) is None


def test_a_full_file_system_fails_the_probe(small_disk: Path) -> None:
    fill(small_disk)
    fault = probe_writable(small_disk)
    assert isinstance(fault, StorageFull)
    assert not (small_disk / ".euregate-probe").exists()


def test_the_log_says_a_degradation_once_when_it_begins_and_once_when_it_ends(
    log_stream: io.StringIO,
) -> None:
    health = StoreHealth(SystemClock())
    health.cleared()
    for _ in range(100):
        health.faulted(StorageFull())
    assert health.degraded is not None
    assert health.degraded.refused == 100
    health.cleared()
    health.cleared()
    assert health.degraded is None
    assert [line["kind"] for line in logged(log_stream, "store_degraded")] == ["storage-full"]
    assert [line["refused"] for line in logged(log_stream, "store_recovered")] == [100]


def test_another_kind_of_fault_while_degraded_is_not_said_again(
    log_stream: io.StringIO,
) -> None:
    health = StoreHealth(SystemClock())
    for _ in range(10):
        health.faulted(StorageFull())
        health.faulted(StorageReadOnly())
    assert health.degraded is not None
    assert health.degraded.kind == "storage-read-only"
    assert [line["kind"] for line in logged(log_stream, "store_degraded")] == ["storage-full"]
    health.cleared()
    [ended] = logged(log_stream, "store_recovered")
    assert ended["kinds"] == ["storage-full", "storage-read-only"]
    assert ended["refused"] == 20


def test_enospc_is_full_and_erofs_read_only() -> None:
    from gateway.store.health import os_fault

    assert isinstance(os_fault(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))), StorageFull)
    assert isinstance(os_fault(OSError(errno.EROFS, os.strerror(errno.EROFS))), StorageReadOnly)
