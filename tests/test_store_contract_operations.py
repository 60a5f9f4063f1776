"""The store's contract, whatever its backend: the probe the operations listener's readiness
check writes and reads, and the snapshot of what waits that its metrics show."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gateway.store import OperationsSnapshot, Store
from tests.store_backends import START
from tests.test_store_contract_signals import (
    LIEGE,
    accepted,
    new_signal,
    request,
    three_ways,
    with_partners,
)


@pytest.fixture
async def registry(empty_store: Store) -> Store:
    return await with_partners(empty_store)


async def test_an_empty_store_has_nothing_waiting(empty_store: Store) -> None:
    assert await empty_store.operations_snapshot(START) == OperationsSnapshot()


async def test_the_probe_writes_and_reads_without_a_trace_in_the_audit_log(
    empty_store: Store,
) -> None:
    await empty_store.probe()
    await empty_store.probe()
    assert await empty_store.audit_entries() == []


async def test_the_snapshot_counts_what_waits_and_since_when(registry: Store) -> None:
    signal = three_ways(new_signal(1))
    short = request(2, LIEGE, hours=1)
    long = request(3, LIEGE, hours=10)
    for made in (signal, short, long):
        await registry.accept_signal(made, accepted(made))

    snapshot = await registry.operations_snapshot(START + timedelta(hours=2))

    assert snapshot.pending_copies == 3
    assert snapshot.oldest_pending_copy == START
    assert snapshot.review_waiting == {"DE": 1}
    assert snapshot.review_oldest == {"DE": START}
    assert snapshot.requests_open == {"urgent_direct": 2}
    assert snapshot.requests_overdue == {"urgent_direct": 1}
    assert snapshot.deliveries == {}
    assert snapshot.audit_entries == len(await registry.audit_entries())
    assert snapshot.latest_checkpoint_at is None
    assert snapshot.latest_cosignature_at is None
    before = await registry.operations_snapshot(START)
    assert before.requests_overdue == {"urgent_direct": 0}
