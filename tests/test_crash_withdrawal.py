"""Killed around a withdrawal: the withdrawal, its audit entry and the notices it owes are
kept in one transaction, and the courier seals the notices from there, so a gateway killed
after answering a withdrawal (with its notices sealed or not yet) sends each notice once
after the restart, and never loses one.

The gateway runs as ``euregate serve`` in its own process (``gateway_process``), killed with
SIGKILL; the recipient pulls its inbox with the partner client.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

from euregate_client import EuregateClient

from gateway.flow.withdrawal import WithdrawalReason, withdraw
from gateway.infra import seal
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.store.sqlite import SqliteStore
from tests.conftest import client_context, free_port, gateway_process
from tests.test_crash_delivery import audit_chain_intact, sealed, until
from tests.test_webhooks import LANAKEN

SENDER, RECIPIENT = "be-pol-lanaken", "nl-pol-limburg"


def client(url: str, layout: DataDir, partner: str) -> EuregateClient:
    key = seal.load_private_key(layout.partner_encryption_key(partner).read_bytes())
    return EuregateClient(
        url,
        ssl_context=client_context(layout, partner),
        decryption_key=key,
        partner_id=partner,
    )


async def notices_sealed(layout: DataDir, signal_id: str) -> int:
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        envelopes = await store.envelopes_of_signal(signal_id)
    return len([e for e in envelopes if e.version > 1])


async def test_a_withdrawal_cut_short_by_a_kill_sends_each_notice_once_after_the_restart(
    layout: DataDir, example: Callable[[str], dict[str, Any]]
) -> None:
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    body = {**example(LANAKEN), "recipients": {"partners": [RECIPIENT]}}
    async with gateway_process(layout, port) as process:
        async with client(url, layout, SENDER) as sender:
            asked = await sender.post_signal({**body, "sender_reference": "CRASH-1"})
            answered = await sender.post_signal({**body, "sender_reference": "CRASH-2"})

        async def both_delivered() -> bool:
            return len(await sealed(layout, [asked["signal_id"], answered["signal_id"]])) == 2

        await until(both_delivered)
        async with client(url, layout, RECIPIENT) as recipient:
            pulled = [m.signal_id async for m in recipient.inbox()]
        assert sorted(pulled) == sorted([asked["signal_id"], answered["signal_id"]])
        async with client(url, layout, SENDER) as sender:
            withdrawn = await sender.withdraw(answered["signal_id"], "data_incorrect")
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert withdrawn["notices"] == 1

    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        done = await withdraw(store, SENDER, asked["signal_id"], WithdrawalReason.SENT_IN_ERROR)
        assert done is not None
        assert done.notices == 1
        assert await notices_sealed(layout, asked["signal_id"]) == 0, "the gateway was down"
    assert await notices_sealed(layout, answered["signal_id"]) in (0, 1)

    async with gateway_process(layout, port):

        async def both_sealed() -> bool:
            counts = [await notices_sealed(layout, s["signal_id"]) for s in (asked, answered)]
            return counts == [1, 1]

        await until(both_sealed)
        async with client(url, layout, RECIPIENT) as recipient:
            notices = [m async for m in recipient.inbox()]

    assert sorted((m.signal_id, m.kind, m.notice["reason"]) for m in notices) == sorted(
        [
            (asked["signal_id"], "notice", "sent_in_error"),
            (answered["signal_id"], "notice", "data_incorrect"),
        ]
    )
    assert await audit_chain_intact(layout)
