"""Rotating the gateway's signing key: both keys listed through the grace period, what the old
one signed still verifies, and the new one signs what is sealed after the gateway restarts."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from euregate_client import EnvelopeSignatureInvalid, EuregateClient, open_message

from gateway.infra import seal
from gateway.infra.audit import refs
from gateway.infra.audit.kinds import EventKind
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.infra.datafiles import load_signer
from gateway.registry.admin.signing_key import rotate_signing_key
from gateway.store.sqlite import SqliteStore
from tests.conftest import REPO, client_context, free_port, gateway_process
from tests.polling import until

SENDER, READER, EXAMPLE = "be-pol-lanaken", "nl-pol-limburg", "be-cannabis-lanaken.json"


async def inbox_of_reader(url: str, layout: DataDir, count: int) -> list[dict[str, Any]]:
    async with EuregateClient(url, ssl_context=client_context(layout, READER)) as reader:

        async def sealed() -> bool:
            return len((await reader.inbox_page())["envelopes"]) >= count

        await until(sealed)
        envelopes: list[dict[str, Any]] = (await reader.inbox_page())["envelopes"]
        return envelopes


async def served_keys(url: str, layout: DataDir) -> list[dict[str, Any]]:
    connector = aiohttp.TCPConnector(ssl=client_context(layout, READER))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get(f"{url}/v1/gateway/keys") as response,
    ):
        listed: list[dict[str, Any]] = (await response.json())["keys"]
        return listed


def signed_by(entry: dict[str, Any]) -> str:
    return seal.Envelope.from_json(entry["envelope"]).header.signing_key_id


async def test_partners_verify_the_old_keys_envelopes_in_the_grace_period_and_the_new_key_signs(
    layout: DataDir, example: Callable[[str], dict[str, Any]]
) -> None:
    template = example(EXAMPLE)
    old = load_signer(layout)
    private = seal.load_private_key(layout.partner_encryption_key(READER).read_bytes())
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    async with gateway_process(layout, port):
        async with EuregateClient(url, ssl_context=client_context(layout, SENDER)) as sender:
            await sender.post_signal({**template, "sender_reference": "SIGN-OLD"})
        (before,) = await inbox_of_reader(url, layout, 1)
        assert signed_by(before) == old.key_id

        rotation = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "gateway", "keys", "rotate-signing", "--grace-days", "3"),
            *("--data-dir", str(layout.root)),
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
        )
        output, _ = await rotation.communicate()
        assert rotation.returncode == 0, output.decode()
        new = load_signer(layout)
        assert new.key_id != old.key_id
        assert new.key_id in output.decode()

        listed = {key["key_id"]: key for key in await served_keys(url, layout)}
        assert set(listed) == {old.key_id, new.key_id}
        assert listed[new.key_id]["retired_at"] is None
        retires = datetime.fromisoformat(listed[old.key_id]["retired_at"])
        assert timedelta(days=3) - timedelta(minutes=5) < retires - datetime.now(UTC)
        assert retires - datetime.now(UTC) <= timedelta(days=3)

        async with EuregateClient(url, ssl_context=client_context(layout, READER)) as reader:
            keys = await reader.gateway_keys()
        opened = open_message(before, private_key=private, recipient_id=READER, gateway_keys=keys)
        assert "Lanaken" in opened.text

    async with gateway_process(layout, port):
        async with EuregateClient(url, ssl_context=client_context(layout, SENDER)) as sender:
            await sender.post_signal({**template, "sender_reference": "SIGN-NEW"})
        envelopes = await inbox_of_reader(url, layout, 2)
        after = next(e for e in envelopes if e["id"] != before["id"])
        assert signed_by(after) == new.key_id
        async with EuregateClient(url, ssl_context=client_context(layout, READER)) as reader:
            keys = await reader.gateway_keys()
        for entry in (before, after):
            assert open_message(entry, private_key=private, recipient_id=READER, gateway_keys=keys)
        without_old = {k: v for k, v in keys.items() if k != old.key_id}
        with pytest.raises(EnvelopeSignatureInvalid):
            open_message(before, private_key=private, recipient_id=READER, gateway_keys=without_old)

    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        rotated = [
            e for e in await store.audit_entries() if e.kind == EventKind.GATEWAY_KEY_ROTATED
        ]
    assert len(rotated) == 1
    assert rotated[0].subject == f"gateway_key:{new.key_id}"


async def test_a_second_rotation_during_the_grace_period_retires_the_key_in_use(
    layout: DataDir,
) -> None:
    now = datetime.now(UTC)
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        first = await rotate_signing_key(
            layout, store, now=now, grace=timedelta(days=1), actor=refs.admin("t")
        )
        second = await rotate_signing_key(
            layout, store, now=now, grace=timedelta(days=2), actor=refs.admin("t")
        )
        keys = {key.key_id: key for key in await store.gateway_keys()}
    assert second.old.key_id == first.new.key_id
    assert keys[first.old.key_id].retired_at == now + timedelta(days=1)
    assert keys[first.new.key_id].retired_at == now + timedelta(days=2)
    assert keys[second.new.key_id].retired_at is None
    assert load_signer(layout).key_id == second.new.key_id
