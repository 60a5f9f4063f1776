"""Many partners at once: every post gets its own receipt, every receipt its own audit entry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from gateway.infra import audit
from gateway.infra.config import DataDir, Settings
from tests.conftest import RunningGateway, gateway_in_process

SENDERS = ("nl-pol-limburg", "nl-gem-maastricht", "nl-riec-limburg", "de-zoll-aachen")


@pytest.fixture
async def roomy_gateway(layout: DataDir) -> AsyncIterator[RunningGateway]:
    """A gateway whose partners may each have 50 signals in progress and send 200 at once:
    this is about many writes at once, not about each partner's share (see
    test_abuse_validation_amplification.py for that)."""
    settings = Settings(
        data_dir=layout.root,
        host="127.0.0.1",
        port=0,
        staff_port=0,
        partner_concurrency=50,
        partner_burst=200,
    )
    async with gateway_in_process(settings) as running:
        yield running


async def test_200_concurrent_posts_give_200_receipts_and_a_gap_free_chain(
    roomy_gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    gateway = roomy_gateway
    template = example("nl-drug-waste-maastricht.json")
    clients = {sender: gateway.client(sender) for sender in SENDERS}
    for client in clients.values():
        await client.__aenter__()
    try:

        async def post(n: int) -> dict[str, Any]:
            signal = {**template, "sender_reference": f"CONC-{n:04d}"}
            return await clients[SENDERS[n % len(SENDERS)]].post_signal(signal)

        receipts = await asyncio.gather(*(post(n) for n in range(200)))
    finally:
        for client in clients.values():
            await client.__aexit__(None, None, None)

    assert len({r["signal_id"] for r in receipts}) == 200
    assert len(await gateway.store.signal_ids()) == 200
    seqs = sorted(r["audit"]["seq"] for r in receipts)
    assert len(set(seqs)) == 200
    result = audit.verify(await gateway.store.audit_entries())
    assert result.ok
    entries = {e.seq: e for e in await gateway.store.audit_entries()}
    assert sorted(entries) == list(range(1, len(entries) + 1))
    for receipt in receipts:
        assert entries[receipt["audit"]["seq"]].hash == receipt["audit"]["hash"]
    assert gateway.store.batches_committed < 200
