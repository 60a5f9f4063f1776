"""``examples/webhook_receiver.py`` as a partner runs it: its own process, mutual TLS, a real
gateway pushing to it. It keeps the message the gateway sealed, acknowledges with its 2xx,
and refuses a forged envelope and a caller without the gateway's CA's certificate."""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.flow.pusher import push_body
from gateway.infra import datafiles, pki
from gateway.infra.audit import refs
from gateway.registry.admin.partners import change_webhook
from tests.conftest import RunningGateway, free_port, issue_server_files
from tests.sealed_copies import opened_by_recipient

EXAMPLE = Path(__file__).parent.parent / "examples" / "webhook_receiver.py"
RECIPIENT = "nl-pol-limburg"
SENDER = "be-pol-lanaken"
PATIENCE = 30


class Receiver:
    def __init__(self, url: str, out: Path) -> None:
        self.url, self.out = url, out

    def kept(self) -> list[Path]:
        return sorted(self.out.glob("*.json"))


@pytest.fixture
async def receiver(gateway: RunningGateway, tmp_path: Path) -> AsyncIterator[Receiver]:
    """The example in a process of its own, its certificate from the gateway's CA, holding
    the partner's decryption key and the gateway's signing keys as served."""
    layout = gateway.layout
    certificate, key = issue_server_files(datafiles.load_authority(layout), tmp_path / "tls")
    keys = tmp_path / "gateway-keys.json"
    async with gateway.client(RECIPIENT) as client:
        status, text = await client._exchange("GET", "/v1/gateway/keys")
    assert status == 200
    keys.write_text(text, encoding="utf-8")
    port, out = free_port(), tmp_path / "inbox"
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, str(EXAMPLE), "--port", str(port), "--cert", str(certificate)),
        *("--key", str(key), "--client-ca", str(layout.ca_certificate)),
        *("--recipient-id", RECIPIENT, "--gateway-keys", str(keys), "--out", str(out)),
        *("--decryption-key", str(layout.partner_encryption_key(RECIPIENT))),
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(PATIENCE):
            while b"Running on" not in await process.stdout.readline():
                assert process.returncode is None
        yield Receiver(f"https://127.0.0.1:{port}/hook", out)
    finally:
        process.terminate()
        await process.wait()


async def push_as_gateway(
    gateway: RunningGateway, url: str, entry: dict[str, Any], *, certificate: bool = True
) -> int:
    layout = gateway.layout
    context = pki.client_ssl_context(
        certificate=layout.gateway_client_certificate if certificate else None,
        private_key=layout.gateway_client_key if certificate else None,
        server_ca=layout.ca_certificate,
    )
    connector = aiohttp.TCPConnector(ssl=context)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.post(url, json=entry) as answer,
    ):
        return answer.status


async def test_the_example_keeps_what_the_gateway_pushes_and_refuses_forgeries(
    gateway: RunningGateway, receiver: Receiver, example: Callable[[str], dict[str, Any]]
) -> None:
    await change_webhook(gateway.store, RECIPIENT, receiver.url, actor=refs.admin("test"))
    document = example("be-cannabis-lanaken.json")
    body = {**document, "recipients": {"partners": [RECIPIENT]}, "sender_reference": "HOOK-1"}
    async with gateway.client(SENDER) as sender:
        signal_id = (await sender.post_signal(body))["signal_id"]

    async def acknowledged() -> bool:
        return [d.state for d in await gateway.store.deliveries()] == ["delivered"]

    async with asyncio.timeout(PATIENCE):
        while not await acknowledged():  # noqa: ASYNC110 - the outbox has no event to wait on
            await asyncio.sleep(0.05)
    (kept,) = receiver.kept()
    (stored,) = await gateway.store.envelopes_of_signal(signal_id)
    assert kept.name == f"{stored.id}.json"
    opened = await opened_by_recipient(gateway, stored)
    entry = json.loads(push_body(stored))
    assert json.loads(kept.read_bytes()) == opened
    assert opened["format"] == "euregate.message/1"
    assert opened["signal_id"] == signal_id

    forged = json.loads(json.dumps(entry))
    forged["id"] = "00000000-0000-0000-0000-000000000001"
    forged["envelope"]["header"]["signal_id"] = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
    assert await push_as_gateway(gateway, receiver.url, forged) == 422
    assert await push_as_gateway(gateway, receiver.url, entry) == 200, "a repeat is kept again"
    with pytest.raises((aiohttp.ClientError, ssl.SSLError)):
        await push_as_gateway(gateway, receiver.url, entry, certificate=False)
    assert receiver.kept() == [kept]
