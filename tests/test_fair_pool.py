"""The fair pool: partners take turns for the workers, and one partner's backlog never sits in
front of another partner's job. Order and counts only; threads held by events, never timed."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import psutil
import pytest
from euregate_client import EuregateClient
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.flow.fair_pool import FairPool, start_executor
from gateway.flow.intake import examine
from gateway.infra.config import DataDir
from gateway.infra.errors import InternalError, PartnerBusy, SignalInvalid
from tests.conftest import client_context, free_port, gateway_process, load_example

HANG_GUARD = 60


class Recorder:
    """Jobs that note their name when they run; the first job may wait for a gate."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.gate = threading.Event()
        self.held = threading.Event()

    def job(self, name: str, hold: bool = False) -> str:
        if hold:
            self.held.set()
            assert self.gate.wait(HANG_GUARD)
        self.order.append(name)
        return name


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    made = Recorder()
    yield made
    made.gate.set()


def threads(workers: int) -> FairPool:
    return FairPool(lambda: ThreadPoolExecutor(workers), workers=workers, queue_limit=100)


async def test_a_partner_with_a_backlog_does_not_sit_in_front_of_another(
    recorder: Recorder,
) -> None:
    pool = threads(1)
    try:
        first = asyncio.ensure_future(pool.run("a", recorder.job, "a0", True))
        assert await asyncio.to_thread(recorder.held.wait, HANG_GUARD)
        backlog = [asyncio.ensure_future(pool.run("a", recorder.job, f"a{n}")) for n in (1, 2, 3)]
        await asyncio.sleep(0)
        other = asyncio.ensure_future(pool.run("b", recorder.job, "b0"))
        await asyncio.sleep(0)
        assert (pool.waiting("a"), pool.waiting("b"), pool.running) == (3, 1, 1)
        recorder.gate.set()
        await asyncio.wait_for(asyncio.gather(first, *backlog, other), HANG_GUARD)
    finally:
        pool.close()

    assert recorder.order == ["a0", "a1", "b0", "a2", "a3"]


@given(st.lists(st.sampled_from("abcd"), min_size=1, max_size=30))
@settings(max_examples=40, deadline=None)
def test_partners_with_work_waiting_are_served_in_turn(arrivals: list[str]) -> None:
    """Whatever the order jobs arrive in while the one worker is busy, each partner's next job
    waits behind at most one job of every other partner."""

    async def scenario() -> list[str]:
        recorder = Recorder()
        pool = threads(1)
        try:
            first = asyncio.ensure_future(pool.run("z", recorder.job, "z", True))
            assert await asyncio.to_thread(recorder.held.wait, HANG_GUARD)
            jobs = [
                asyncio.ensure_future(pool.run(owner, recorder.job, f"{owner}{n}"))
                for n, owner in enumerate(arrivals)
            ]
            await asyncio.sleep(0)
            recorder.gate.set()
            await asyncio.wait_for(asyncio.gather(first, *jobs), HANG_GUARD)
        finally:
            recorder.gate.set()
            pool.close()
        return recorder.order[1:]

    order = asyncio.run(scenario())
    assert sorted(order) == sorted(f"{owner}{n}" for n, owner in enumerate(arrivals))
    served = [name[0] for name in order]
    for owner in set(arrivals):
        mine = [i for i, who in enumerate(served) if who == owner]
        for earlier, later in itertools.pairwise(mine):
            between = served[earlier + 1 : later]
            assert len(between) == len(set(between)), (owner, served)
        for who in set(served[: mine[0]]):
            assert served[: mine[0]].count(who) <= 1, (owner, served)


async def test_at_most_workers_jobs_run_at_once_and_queues_are_bounded(
    recorder: Recorder,
) -> None:
    pool = FairPool(lambda: ThreadPoolExecutor(4), workers=2, queue_limit=2)
    try:
        held = [asyncio.ensure_future(pool.run(o, recorder.job, o, True)) for o in "ab"]
        assert await asyncio.to_thread(recorder.held.wait, HANG_GUARD)
        waiting = [asyncio.ensure_future(pool.run("a", recorder.job, f"a{n}")) for n in (1, 2)]
        await asyncio.sleep(0)
        assert (pool.running, pool.waiting("a")) == (2, 2)
        with pytest.raises(PartnerBusy):
            await pool.run("a", recorder.job, "a3")
        recorder.gate.set()
        await asyncio.wait_for(asyncio.gather(*held, *waiting), HANG_GUARD)
    finally:
        pool.close()
    assert "a3" not in recorder.order


async def test_a_caller_that_gives_up_leaves_the_queue(recorder: Recorder) -> None:
    pool = threads(1)
    try:
        first = asyncio.ensure_future(pool.run("a", recorder.job, "a0", True))
        assert await asyncio.to_thread(recorder.held.wait, HANG_GUARD)
        gone = asyncio.ensure_future(pool.run("b", recorder.job, "b0"))
        await asyncio.sleep(0)
        gone.cancel()
        await asyncio.sleep(0)
        assert pool.waiting("b") == 0
        recorder.gate.set()
        await asyncio.wait_for(first, HANG_GUARD)
    finally:
        pool.close()
    assert recorder.order == ["a0"]


async def test_worker_processes_examine_bodies_and_hand_back_refusals() -> None:
    """The real worker kind: a valid body comes back examined, an invalid one as the same
    refusal the gateway would give on its own (errors survive the trip by pickling)."""
    valid = json.dumps(load_example("nl-drug-waste-maastricht.json")).encode()
    pool = FairPool(
        lambda: start_executor("process", 1, preload=["gateway.flow.intake"]),
        workers=1,
        queue_limit=4,
    )
    now = datetime.now(UTC)
    try:
        examined = await asyncio.wait_for(pool.run("a", examine, valid, now), HANG_GUARD)
        with pytest.raises(SignalInvalid) as refused:
            await asyncio.wait_for(pool.run("a", examine, b'{"persons": [0]}', now), HANG_GUARD)
    finally:
        pool.close()
    assert examined.signal.sender_reference == "PL2400-2026-041877"
    assert refused.value.count == len(refused.value.issues) > 1


async def test_a_worker_process_that_dies_fails_its_job_and_the_next_job_runs() -> None:
    pool = FairPool(lambda: start_executor("process", 1), workers=1, queue_limit=4)
    try:
        with pytest.raises(InternalError):
            await asyncio.wait_for(pool.run("a", os._exit, 3), HANG_GUARD)
        assert await asyncio.wait_for(pool.run("a", abs, -7), HANG_GUARD) == 7
    finally:
        pool.close()


async def test_worker_processes_end_when_the_gateway_is_killed(layout: DataDir) -> None:
    """A gateway killed outright (SIGKILL, the OOM killer) leaves no worker behind."""
    port = free_port()
    async with gateway_process(layout, port) as process:
        url = f"https://127.0.0.1:{port}"
        context = client_context(layout, "nl-pol-limburg")
        async with EuregateClient(url, ssl_context=context) as client:
            await client.post_signal(load_example("nl-drug-waste-maastricht.json"))
        descendants = psutil.Process(process.pid).children(recursive=True)
        assert descendants, "the signal was examined in a worker process"
        process.send_signal(signal.SIGKILL)
        await process.wait()
        gone, alive = await asyncio.to_thread(psutil.wait_procs, descendants, HANG_GUARD)
        assert alive == [], "workers outlived the gateway (and hold its output open)"
        assert len(gone) == len(descendants)
