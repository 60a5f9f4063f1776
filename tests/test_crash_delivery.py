"""Killed while delivering: after a SIGKILL and a restart on the same data directory every
envelope is still delivered, pushed or pulled, until it is acknowledged; nothing is lost.

The gateway runs as ``euregate serve`` in its own process (``gateway_process``); the webhook
is a real HTTPS receiver in the test's process, with a certificate from the data directory's
CA, admitting the gateway's own client certificate.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from euregate_client import ClientFailure, EuregateClient

from gateway.infra import audit
from gateway.infra.audit import refs
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.registry.admin.partners import change_webhook
from gateway.store import InboxEnvelope
from gateway.store.sqlite import SqliteStore
from tests.conftest import client_context, free_port, gateway_process
from tests.test_webhooks import LANAKEN, PATIENCE, ReceiverFor

SENDER, RECIPIENT = "be-pol-lanaken", "nl-pol-limburg"
SIGNALS = 6


async def post_signals(url: str, layout: DataDir, document: dict[str, Any], tag: str) -> list[str]:
    body = {**document, "recipients": {"partners": [RECIPIENT]}}
    async with EuregateClient(url, ssl_context=client_context(layout, SENDER)) as client:
        return [
            str((await client.post_signal({**body, "sender_reference": f"{tag}-{n}"}))["signal_id"])
            for n in range(SIGNALS)
        ]


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait for ``check`` to hold, at most ``PATIENCE`` seconds (a bound, not a claim)."""
    async with asyncio.timeout(PATIENCE):
        while not await check():  # noqa: ASYNC110 - it polls the database, not an event
            await asyncio.sleep(0.05)


async def sealed(layout: DataDir, signal_ids: list[str]) -> list[InboxEnvelope]:
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        return [e for s in signal_ids for e in await store.envelopes_of_signal(s)]


async def audit_chain_intact(layout: DataDir) -> bool:
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        return audit.verify(await store.audit_entries()).ok


async def test_killed_during_webhook_delivery_every_envelope_is_pushed_after_the_restart(
    layout: DataDir,
    example: Callable[[str], dict[str, Any]],
    receiver_for: ReceiverFor,
) -> None:
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    async with receiver_for(holding=True) as webhook:
        async with SqliteStore(layout.database, clock=SystemClock()) as store:
            await change_webhook(store, RECIPIENT, webhook.url, actor=refs.admin("test"))

        async with gateway_process(layout, port) as process:
            signal_ids = await post_signals(url, layout, example(LANAKEN), "PUSH")

            async def pushes_in_flight() -> bool:
                return webhook.waiting == 2

            await until(pushes_in_flight)
            process.send_signal(signal.SIGKILL)
            await process.wait()

        before = await sealed(layout, signal_ids)
        assert before, "some envelopes were sealed before the kill"
        assert all(e.acked_at is None for e in before), "no push was answered before the kill"
        webhook.hold.set()  # the webhook answers from now on

        async with gateway_process(layout, port):

            async def all_acknowledged() -> bool:
                envelopes = await sealed(layout, signal_ids)
                return len(envelopes) == SIGNALS and all(e.acked_at for e in envelopes)

            await until(all_acknowledged)
            async with EuregateClient(url, ssl_context=client_context(layout, RECIPIENT)) as inbox:
                assert (await inbox.inbox_page())["envelopes"] == []

    envelopes = await sealed(layout, signal_ids)
    assert {e.signal_id for e in envelopes} == set(signal_ids)
    assert set(webhook.envelope_ids()) == {e.id for e in envelopes}
    assert await audit_chain_intact(layout)


async def test_killed_during_inbox_pulls_every_unacknowledged_envelope_comes_again(
    layout: DataDir, example: Callable[[str], dict[str, Any]]
) -> None:
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    handed_out: list[str] = []  # every envelope the partner received before the kill
    acknowledged: list[str] = []  # and those whose acknowledgement it heard confirmed
    async with gateway_process(layout, port) as process:
        signal_ids = await post_signals(url, layout, example(LANAKEN), "PULL")
        client = EuregateClient(url, ssl_context=client_context(layout, RECIPIENT))
        async with client:
            for _ in range(2):
                (entry,) = (await client.inbox_page(limit=1, wait=10))["envelopes"]
                handed_out.append(entry["id"])
                await client.acknowledge(entry["id"])
                acknowledged.append(entry["id"])
            (held,) = (await client.inbox_page(limit=1, wait=10))["envelopes"]  # fetched, not acked
            handed_out.append(held["id"])

            async def pull_and_acknowledge(after: int) -> None:
                while True:
                    for item in (await client.inbox_page(after=after, limit=1, wait=10))[
                        "envelopes"
                    ]:
                        handed_out.append(item["id"])
                        await client.acknowledge(item["id"])
                        acknowledged.append(item["id"])
                        after = item["position"]

            puller = asyncio.create_task(pull_and_acknowledge(held["position"]))

            async def pulling() -> bool:
                assert not puller.done(), "pulling stopped before the kill"
                return len(acknowledged) > 2

            await until(pulling)
            process.send_signal(signal.SIGKILL)
            await process.wait()
            try:
                await asyncio.wait_for(puller, PATIENCE)
            except ClientFailure:
                pass  # cut off mid-pull by the kill, as intended
            else:
                raise AssertionError("pulling went on after the kill")

    async with (
        gateway_process(layout, port),
        EuregateClient(url, ssl_context=client_context(layout, RECIPIENT)) as client,
    ):
        again: list[str] = []

        async def drained() -> bool:
            for item in (await client.inbox_page(limit=100, wait=1))["envelopes"]:
                again.append(item["id"])
                await client.acknowledge(item["id"])
            envelopes = await sealed(layout, signal_ids)
            return len(envelopes) == SIGNALS and all(e.acked_at for e in envelopes)

        await until(drained)
        assert (await client.inbox_page())["envelopes"] == []

    envelopes = await sealed(layout, signal_ids)
    assert len(envelopes) == SIGNALS
    assert {e.id for e in envelopes} == set(handed_out) | set(again)
    assert all(e.acked_at for e in envelopes)
    assert held["id"] not in acknowledged
    assert held["id"] in again, "fetched but not acknowledged before the kill: it comes again"
    assert not set(acknowledged) & set(again), "acknowledged before the kill: never again"
    assert await audit_chain_intact(layout)
