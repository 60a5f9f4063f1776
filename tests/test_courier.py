"""The courier: pending copies sealed for their recipients, and a clean stop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from gateway.flow.courier import FIRST_PAUSE, LONGEST_PAUSE, Courier, pause_after
from gateway.flow.prepare import Preparer
from gateway.infra import datafiles
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.store import Store
from gateway.store.sqlite import SqliteStore
from gateway.translate import NoTranslation


@pytest.fixture
async def store(layout: DataDir) -> AsyncIterator[Store]:
    async with SqliteStore(layout.database, clock=SystemClock()) as opened:
        yield opened


@pytest.fixture
def courier(layout: DataDir, store: Store) -> Courier:
    key = datafiles.load_master_key(layout)
    return Courier(
        store=store,
        preparer=Preparer(store=store, master_key=key, translator=NoTranslation()),
        signer=datafiles.load_signer(layout, key),
        gateway_id="euregate.test",
        clock=SystemClock(),
        poll=0.01,
    )


async def test_the_courier_stops_when_cancelled_even_while_it_is_woken_all_the_time(
    courier: Courier,
) -> None:
    """Intake wakes the courier after every signal; stopping the gateway must still stop it,
    whatever moment the cancellation comes at."""

    async def wake_all_the_time() -> None:
        while True:
            courier.wake()
            await asyncio.sleep(0)

    waker = asyncio.create_task(wake_all_the_time())
    try:
        for _ in range(30):
            running = asyncio.create_task(courier.run())
            await asyncio.sleep(0.02)
            running.cancel()
            done, _ = await asyncio.wait({running}, timeout=2)
            assert running in done, "the courier went on after it was cancelled"
            assert running.cancelled()
    finally:
        waker.cancel()


def test_a_copy_that_cannot_be_sealed_waits_longer_each_time_up_to_an_hour() -> None:
    pauses = [pause_after(attempts) for attempts in range(40)]
    assert pauses[0] == FIRST_PAUSE
    assert pauses == sorted(pauses)
    assert max(pauses) == LONGEST_PAUSE
