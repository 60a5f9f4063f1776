"""Readiness checks as a registry others add to, each bounded; the store's probe and snapshot;
and the bounds that keep monitoring from loading the store however often it asks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from gateway.edges.readiness import TIMED_OUT, CheckResult, Readiness
from gateway.edges.store_gauges import Snapshots
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.store import OperationsSnapshot
from gateway.store.sqlite import SqliteStore, StoreClosed
from tests.conftest import RunningGateway, load_example

SENDER = "be-pol-lanaken"


class CountingStore(SqliteStore):
    """The real SQLite store, counting the snapshots it is asked for."""

    snapshots_read = 0

    async def operations_snapshot(self, now: datetime) -> OperationsSnapshot:
        self.snapshots_read += 1
        return await super().operations_snapshot(now)


@pytest.fixture
async def store(layout: DataDir) -> AsyncIterator[CountingStore]:
    async with CountingStore(layout.database, clock=SystemClock()) as opened:
        yield opened


# --- the registry -------------------------------------------------------------------------------


async def test_a_check_added_by_name_is_reported_by_that_name() -> None:
    readiness = Readiness()

    async def storage_not_full() -> CheckResult:
        return CheckResult(False, {"free_bytes": 0})

    readiness.add("storage_not_full", storage_not_full)
    report = await readiness.report()
    assert readiness.names == ("storage_not_full",)
    assert not report.ready
    assert report.failing() == ["storage_not_full"]
    assert report.as_json() == {
        "status": "not ready",
        "checks": {"storage_not_full": {"ok": False, "free_bytes": 0}},
    }


async def test_a_name_is_taken_once() -> None:
    readiness = Readiness()

    async def passing() -> CheckResult:
        return CheckResult(True)

    readiness.add("store_writable", passing)
    with pytest.raises(ValueError, match="store_writable"):
        readiness.add("store_writable", passing)


async def test_a_check_that_raises_fails_naming_only_the_kind_of_error() -> None:
    readiness = Readiness()

    async def quoting() -> CheckResult:
        raise RuntimeError("Verhoeven, Roel Mathieu")

    readiness.add("quoting", quoting)
    report = await readiness.report()
    assert report.checks["quoting"].as_json() == {"ok": False, "error": "RuntimeError"}
    assert "Verhoeven" not in str(report.as_json())


async def test_a_check_that_never_answers_fails_at_its_timeout() -> None:
    readiness = Readiness(timeout=0.05)
    never = asyncio.Event()

    async def hanging() -> CheckResult:
        await never.wait()
        return CheckResult(True)

    async def passing() -> CheckResult:
        return CheckResult(True)

    readiness.add("hanging", hanging)
    readiness.add("passing", passing)
    report = await readiness.report()
    assert report.checks["hanging"].as_json() == {"ok": False, "error": TIMED_OUT}
    assert report.checks["passing"].ok


async def test_callers_at_once_share_one_round_of_checks() -> None:
    readiness = Readiness(reuse_for=60)
    rounds = 0
    release = asyncio.Event()

    async def counted() -> CheckResult:
        nonlocal rounds
        rounds += 1
        await release.wait()
        return CheckResult(True)

    readiness.add("counted", counted)
    waiting = [asyncio.ensure_future(readiness.report()) for _ in range(50)]
    await asyncio.sleep(0)
    release.set()
    reports = await asyncio.gather(*waiting)
    await readiness.report()
    assert rounds == 1
    assert all(report.ready for report in reports)


# --- the store's probe and snapshot -------------------------------------------------------------


async def test_the_probe_writes_and_reads_and_fails_once_the_store_is_closed(
    store: CountingStore,
) -> None:
    before = store.batches_committed
    await store.probe()
    assert store.batches_committed == before + 1
    await store.close()
    with pytest.raises(StoreClosed):
        await store.probe()


async def test_many_scrapes_at_once_read_one_snapshot(store: CountingStore) -> None:
    snapshots = Snapshots(store, SystemClock(), max_age=60)
    taken = await asyncio.gather(*(snapshots.fresh() for _ in range(50)))
    await snapshots.fresh()
    assert store.snapshots_read == 1
    assert all(snapshot is taken[0] is not None for snapshot in taken)


async def test_a_store_that_cannot_answer_leaves_the_last_snapshot_and_says_so(
    store: CountingStore,
) -> None:
    snapshots = Snapshots(store, SystemClock(), max_age=0)
    first = await snapshots.fresh()
    assert first is not None
    await store.close()
    assert await snapshots.fresh() is None
    assert snapshots.failed
    assert snapshots.latest is first


async def test_the_snapshot_counts_open_and_overdue_requests_by_deadline_kind(
    gateway: RunningGateway,
) -> None:
    async with gateway.client(SENDER) as client:
        await client.post_signal(load_example("be-cannabis-lanaken.json"))
    now = SystemClock().now()
    snapshot = await gateway.store.operations_snapshot(now)
    assert snapshot.requests_open == {"urgent_indirect": 1}
    assert snapshot.requests_overdue == {"urgent_indirect": 0}
    later = await gateway.store.operations_snapshot(now + timedelta(days=3, minutes=1))
    assert later.requests_overdue == {"urgent_indirect": 1}
    assert set(later.certificates_expire) >= {SENDER, "nl-pol-limburg"}
    assert later.audit_entries >= snapshot.audit_entries > 0


async def test_a_stopping_gateway_is_not_ready_whatever_its_checks_say() -> None:
    readiness = Readiness()

    async def passing() -> CheckResult:
        return CheckResult(True)

    readiness.add("store_writable", passing)
    assert (await readiness.report()).ready
    readiness.stopping()
    report = await readiness.report()
    assert not report.ready
    assert report.as_json() == {
        "status": "not ready",
        "checks": {"accepting": {"ok": False, "stopping": True}},
    }
