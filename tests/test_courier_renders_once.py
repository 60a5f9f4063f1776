"""Copies of one signal that read the same render once: the Dutch police forces a Belgian
signal goes to under the same rules share one rendering, and each still opens its own
envelope to the same text."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.edges.cli import main
from gateway.flow import prepare
from gateway.infra import seal
from gateway.infra.config import DataDir, Settings
from gateway.render.renderer import RenderedDocument, render
from tests.conftest import gateway_in_process
from tests.polling import until

LANAKEN = "be-cannabis-lanaken.json"
EXTRA_FORCES = ("nl-pol-extra1", "nl-pol-extra2", "nl-pol-extra3")
RECIPIENTS = ("nl-pol-limburg", *EXTRA_FORCES)


def enrol(layout: DataDir, partner_id: str, tmp_path: Path) -> seal.RecipientPrivateKey:
    """A Dutch police force with an encryption key, as an administrator enrols one."""
    private, public = seal.generate_key_pair()
    pem = tmp_path / f"{partner_id}.pem"
    pem.write_bytes(public)
    directory = ("--data-dir", str(layout.root))
    assert main(["partner", "add", partner_id, "--name", "Politie", "--country", "NL",
                 "--agency-type", "police", "--languages", "nl", *directory]) == 0  # fmt: skip
    assert main(["partner", "key", "add", partner_id, "--public-key", str(pem), *directory]) == 0
    return seal.load_private_key(private)


@pytest.fixture
def keys(layout: DataDir, tmp_path: Path) -> dict[str, seal.RecipientPrivateKey]:
    """The recipients' private keys, the extra forces enrolled (the command line runs its own
    event loop, so before the test's)."""
    found = {p: enrol(layout, p, tmp_path) for p in EXTRA_FORCES}
    limburg = layout.partner_encryption_key("nl-pol-limburg").read_bytes()
    return {**found, "nl-pol-limburg": seal.load_private_key(limburg)}


async def test_copies_that_read_the_same_render_once_and_open_to_the_same_text(
    layout: DataDir,
    keys: dict[str, seal.RecipientPrivateKey],
    monkeypatch: pytest.MonkeyPatch,
    example: Callable[[str], dict[str, Any]],
) -> None:
    rendered: list[str] = []

    def counted(*args: Any, **kwargs: Any) -> RenderedDocument:
        document = render(*args, **kwargs)
        rendered.append(document.recipient_id)
        return document

    monkeypatch.setattr(prepare, "render", counted)
    document = example(LANAKEN)
    document["recipients"] = {"partners": list(RECIPIENTS)}
    settings = Settings(data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0)
    async with gateway_in_process(settings) as gateway:
        async with gateway.client("be-pol-lanaken") as sender:
            signal_id = str((await sender.post_signal(document))["signal_id"])
            gateway_keys = await sender.gateway_keys()

        async def all_sealed() -> bool:
            return len(await gateway.store.envelopes_of_signal(signal_id)) == len(RECIPIENTS)

        await until(all_sealed)
        envelopes = await gateway.store.envelopes_of_signal(signal_id)

    opened = {
        e.recipient_id: json.loads(
            seal.open_envelope(
                e.envelope,
                private_key=keys[e.recipient_id],
                recipient_id=e.recipient_id,
                signal_id=signal_id,
                gateway_public_keys=gateway_keys,
            )
        )
        for e in envelopes
    }
    assert len(rendered) == 1
    assert set(opened) == set(RECIPIENTS)
    assert len({message["text"] for message in opened.values()}) == 1
    assert {message["document"]["recipient"] for message in opened.values()} == set(RECIPIENTS)
    assert all(message["recipient"] == p for p, message in opened.items())
