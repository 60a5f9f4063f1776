"""Crypto-shredding, end to end, with the gateway's clock moved: a signal is erased on the day
its retention terms give and not before; afterwards its content is nowhere (the store hands
out nothing, the database file holds neither its wrapped data key nor its ciphertext nor its
envelopes, so no backup made afterwards can), the recipients' inboxes no longer hold it, the
data-subject index no longer finds the person, and the audit log still verifies, proves the
entries about it, and never held its content."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from gateway.decide.policy import load_policy
from gateway.edges.cli.status import status_text
from gateway.flow.retention import run_retention
from gateway.flow.subjects import SUBJECT_SECRET, identifier_key, name_key
from gateway.infra import datafiles
from gateway.infra.audit import merkle
from gateway.infra.clock import FixedClock
from gateway.infra.config import DataDir, Settings
from gateway.infra.vault import SealedBlob
from gateway.store.interface.audit_log import verify_chain
from gateway.transparency.verify import decode_proof
from tests.conftest import RunningGateway, gateway_in_process
from tests.polling import until
from tests.test_audit_api import integrated

SENDER = "be-pol-lanaken"
DELIVERED = "nl-pol-limburg"
"""Gets its copy at once; Aachen's waits for a German liaison officer (machine translation)."""
PERSONAL = (
    "Lemmens",
    "271828183",
    "5612398745",
    "1991-02-17",
    "Claes",
    "Jan Pieter",
    "88031412761",
    "2-GHK-318",
)
"""What the example says about people, as written in it."""


@asynccontextmanager
async def gateway_with_clock(layout: DataDir) -> AsyncIterator[tuple[RunningGateway, FixedClock]]:
    """The gateway of ``layout`` in this process, on a clock the test moves, from a minute on
    (the partners' keys are valid from init on)."""
    clock = FixedClock(datetime.now(UTC) + timedelta(minutes=1))
    settings = Settings(data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0)
    async with gateway_in_process(settings, clock=clock) as gateway:
        yield gateway, clock


def pieces(blob: bytes, size: int = 32) -> list[bytes]:
    """Slices of ``blob`` to look for in a file: none of them occurs by chance."""
    return [blob[at : at + size] for at in range(0, len(blob) - size, max(size, len(blob) // 8))]


def on_disk(path: Path) -> bytes:
    """The database file and whatever is beside it (its write-ahead log), as a backup copies
    them."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


async def posted_and_delivered(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> str:
    async with gateway.client(SENDER) as sender:
        receipt = await sender.post_signal(example("be-cannabis-lanaken.json"))
    signal_id: str = receipt["signal_id"]

    async def delivered() -> bool:
        return len(await gateway.store.envelopes_of_signal(signal_id)) == 1

    await until(delivered)
    return signal_id


async def test_a_signal_is_erased_on_its_day_and_then_cannot_be_read_by_any_path(
    layout: DataDir,
    example: Callable[[str], dict[str, Any]],
    staff_token: Callable[..., Awaitable[str]],
) -> None:
    master_key = datafiles.load_master_key(layout)
    policy = load_policy(layout.policy)
    async with gateway_with_clock(layout) as (gateway, clock):
        start = clock.now()
        store = gateway.store
        signal_id = await posted_and_delivered(gateway, example)
        sealed = await store.sealed_body(signal_id)
        assert sealed is not None
        envelopes = [e.envelope for e in await store.envelopes_of_signal(signal_id)]
        blob = SealedBlob.from_bytes(sealed)
        secret = master_key.derive(SUBJECT_SECRET)
        person = {identifier_key(secret, "271828183"), name_key(secret, "Lemmens", "1991")}
        assert [m.signal_id for m in await store.signals_with_keys(person - {None})] == [signal_id]
        officer = await staff_token("k.schmidt", desk="DE")
        async with gateway.staff_client(officer) as desk:
            assert [item["signal_id"] for item in await desk.queue()] == [signal_id]
        due = start.date() + timedelta(days=90)  # K0: 90 days after the last delivery

        day_before = await run_retention(store, policy, today=due - timedelta(days=1))
        assert day_before.due == ()
        assert await store.sealed_body(signal_id) == sealed
        assert b"Lemmens" in master_key.open(blob, context=signal_id.encode())

        clock.set(start + timedelta(days=90))
        on_the_day = await run_retention(store, policy, today=due)

        assert [(d.signal_id, d.rule, d.due) for d in on_the_day.due] == [(signal_id, "K0", due)]
        assert [e.signal_id for e in on_the_day.erased] == [signal_id]
        assert (on_the_day.envelopes, on_the_day.review_items) == (1, 1)
        assert await store.sealed_body(signal_id) is None
        assert await store.envelopes_of_signal(signal_id) == []
        async with gateway.client(DELIVERED) as client:
            assert (await client.inbox_page())["envelopes"] == []
        async with gateway.staff_client(officer) as desk:
            assert await desk.queue() == []
        async with gateway.client(SENDER) as sender:
            receipt = await sender.signal_status(signal_id)
        said = status_text(receipt, "de", ZoneInfo("Europe/Berlin"))
        assert "nach den Speicherfristen gelöscht" in said
        assert await store.signals_with_keys(person - {None}) == []
        kept = on_disk(layout.database)
        assert not [p for p in pieces(blob.wrapped_key) + pieces(blob.ciphertext) if p in kept]
        assert not [p for envelope in envelopes for p in pieces(envelope) if p in kept]

        assert (await verify_chain(store)).ok
        entries = await store.audit_entries()
        erased = [e for e in entries if e.kind == "signal.erased"]
        assert len(erased) == 1
        assert json.loads(erased[0].canonical)["data"]["rule"] == "K0"
        accepted = next(e for e in entries if e.kind == "signal.accepted")
        size = await integrated(gateway)
        root = (await store.checkpoint(size)).root  # type: ignore[union-attr]
        async with gateway.client(SENDER) as sender:
            for entry in (accepted, erased[0]):
                proof = await sender.inclusion_proof(entry.seq - 1, size)
                assert merkle.verify_inclusion(
                    merkle.leaf_hash(entry.canonical),
                    entry.seq - 1,
                    size,
                    decode_proof(proof["proof"]),
                    root,
                )
        logged = b"".join(entry.canonical for entry in entries)
        assert [word for word in PERSONAL if word.encode() in logged] == []
        assert base64.b64encode(b"Lemmens") not in logged


async def test_a_dry_run_lists_what_is_due_and_changes_nothing(
    layout: DataDir, example: Callable[[str], dict[str, Any]]
) -> None:
    policy = load_policy(layout.policy)
    async with gateway_with_clock(layout) as (gateway, clock):
        start = clock.now()
        signal_id = await posted_and_delivered(gateway, example)
        entries = len(await gateway.store.audit_entries())

        later = start.date() + timedelta(days=365)
        dry = await run_retention(gateway.store, policy, today=later, dry_run=True)

        assert [d.signal_id for d in dry.due] == [signal_id]
        assert dry.erased == ()
        assert await gateway.store.sealed_body(signal_id) is not None
        assert len(await gateway.store.audit_entries()) == entries
