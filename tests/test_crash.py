"""Killed mid-stream: every signal that got a receipt is still there after a restart."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from typing import Any

from euregate_client import ClientFailure, EuregateClient

from gateway.infra import audit
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.store.sqlite import SqliteStore
from tests.conftest import REPO, client_context, free_port, gateway_process

SENDERS = ("nl-pol-limburg", "nl-gem-maastricht", "nl-riec-limburg")


async def post_until_killed(
    url: str,
    layout: DataDir,
    template: dict[str, Any],
    receipts: list[dict[str, Any]],
    stop: asyncio.Event,
) -> int:
    """Post from several partners at once until the gateway goes away; count failures."""
    failures = 0

    async def worker(sender: str, lane: int) -> None:
        nonlocal failures
        client = EuregateClient(url, ssl_context=client_context(layout, sender), timeout=10)
        async with client:
            n = 0
            while not stop.is_set():
                n += 1
                body = {**template, "sender_reference": f"CRASH-{sender}-{lane}-{n}"}
                try:
                    receipts.append(await client.post_signal(body))
                except ClientFailure:
                    failures += 1
                    return

    await asyncio.gather(*(worker(s, lane) for s in SENDERS for lane in range(4)))
    return failures


async def test_sigkill_mid_stream_loses_no_receipted_signal(
    layout: DataDir, example: Callable[[str], dict[str, Any]]
) -> None:
    template = example("nl-drug-waste-maastricht.json")
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    receipts: list[dict[str, Any]] = []
    stop = asyncio.Event()
    async with gateway_process(layout, port) as process:
        load = asyncio.create_task(post_until_killed(url, layout, template, receipts, stop))
        while len(receipts) < 150:
            await asyncio.sleep(0.01)
            assert not load.done(), "posting stopped before the kill"
        process.send_signal(signal.SIGKILL)
        await process.wait()
        failures = await asyncio.wait_for(load, timeout=30)
    assert failures > 0, "the kill must have cut requests off mid-stream"
    receipted = {r["signal_id"]: r for r in receipts}

    async with gateway_process(layout, port):
        async with SqliteStore(layout.database, clock=SystemClock()) as store:
            stored = set(await store.signal_ids())
            assert set(receipted) <= stored
            verification = audit.verify(await store.audit_entries())
            assert verification.ok, verification.reason
            entries = {e.seq: e for e in await store.audit_entries()}
        for receipt in receipted.values():
            assert entries[receipt["audit"]["seq"]].hash == receipt["audit"]["hash"]

        sample = receipts[-1]
        sender = sample["sender"]
        async with EuregateClient(url, ssl_context=client_context(layout, sender)) as client:
            status = await client.signal_status(sample["signal_id"])
            again = await client.post_signal(
                {**template, "sender_reference": sample["sender_reference"]}
            )
        assert {name: value for name, value in status.items() if name != "inclusion"} == sample
        assert again["signal_id"] == sample["signal_id"]

    verify = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "gateway", "audit", "verify", "--data-dir", str(layout.root)),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await verify.communicate()
    assert verify.returncode == 0, output.decode()
