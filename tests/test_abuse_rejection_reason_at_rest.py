"""A rejection's reason is police information: it is kept sealed like the signal, never in clear.

Read as an attacker with a copy of the database would: the SQLite file and its write-ahead
log, byte by byte. The officers of the desk still read the reason beside the rejected copy,
over the real staff API with TLS; an older database's clear reasons are sealed when the
gateway starts, and their clear bytes are gone from the file.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from euregate_client import Problem

from gateway.infra.config import DataDir, Settings
from tests.conftest import RunningGateway, gateway_in_process
from tests.test_delivery import post

DUTCH = "nl-drug-waste-maastricht.json"
REASON = "Noemt minderjarige getuige Annemie Smeets (14), Boschstraat 12, Eijsden"
FRAGMENTS = (REASON, "Annemie Smeets (14)", "Boschstraat 12", "minderjarige getuige")


def on_disk(layout: DataDir) -> bytes:
    """Every byte of the database as it lies on disk: the file, its log and shared memory."""
    return b"".join(path.read_bytes() for path in sorted(layout.root.glob("euregate.db*")))


def assert_nowhere_on_disk(layout: DataDir) -> None:
    data = on_disk(layout)
    for fragment in FRAGMENTS:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert fragment.encode(encoding) not in data


async def waiting_item(gateway: RunningGateway, token: str, example: Callable[[str], Any]) -> str:
    """A Dutch signal's copy for Liège, waiting at the Belgian desk; its review item id."""
    signal_id = await post(gateway, "nl-pol-limburg", example(DUTCH))
    async with gateway.staff_client(token) as desk:
        (item,) = [i for i in await desk.queue() if i["signal_id"] == signal_id]
    return str(item["id"])


async def test_a_rejection_reason_is_nowhere_in_the_database_and_the_desk_reads_it(
    gateway: RunningGateway,
    staff_token: Callable[..., Awaitable[str]],
    example: Callable[[str], dict[str, Any]],
) -> None:
    belgian = await staff_token("m.dubois", desk="BE")
    german = await staff_token("k.schmidt", desk="DE")
    colleague = await staff_token("j.peeters", desk="BE")
    item_id = await waiting_item(gateway, belgian, example)

    async with gateway.staff_client(belgian) as desk:
        rejected = await desk.reject(item_id, REASON, "purpose_mismatch")
    assert rejected["state"] == "rejected"

    assert_nowhere_on_disk(gateway.layout)
    with sqlite3.connect(gateway.layout.database) as conn:
        sealed, clear = conn.execute(
            "SELECT rejection_sealed, rejection_reason FROM review_items WHERE id = ?", (item_id,)
        ).fetchone()
    assert clear is None
    assert isinstance(sealed, bytes)
    assert len(sealed) > len(REASON.encode())

    async with gateway.staff_client(colleague) as desk:
        case = await desk.item(item_id)
    assert case["state"] == "rejected"
    assert case["officer"] == "m.dubois"
    assert case["rejection"] == {"reason": REASON}
    async with gateway.staff_client(german) as desk:
        with pytest.raises(Problem) as elsewhere:
            await desk.item(item_id)
    assert elsewhere.value.status == 404
    log = b"".join(entry.canonical for entry in await gateway.store.audit_entries())
    assert REASON.encode() not in log


async def test_a_reason_moved_to_another_item_does_not_open(
    gateway: RunningGateway,
    staff_token: Callable[..., Awaitable[str]],
    example: Callable[[str], dict[str, Any]],
) -> None:
    """Sealed for its item: copied onto another rejected item by hand in the database, it
    is refused rather than shown beside the wrong copy."""
    belgian = await staff_token("m.dubois", desk="BE")
    first = await waiting_item(gateway, belgian, example)
    document = example(DUTCH)
    document["sender_reference"] += "-2"
    second_signal = await post(gateway, "nl-pol-limburg", document)
    async with gateway.staff_client(belgian) as desk:
        (second,) = [i["id"] for i in await desk.queue() if i["signal_id"] == second_signal]
        await desk.reject(first, REASON, "purpose_mismatch")
        await desk.reject(second, "Geen bezwaar; dubbel bericht", "duplicate")
    with sqlite3.connect(gateway.layout.database) as conn:
        conn.execute(
            "UPDATE review_items SET rejection_sealed = "
            "(SELECT rejection_sealed FROM review_items WHERE id = ?) WHERE id = ?",
            (first, second),
        )

    async with gateway.staff_client(belgian) as desk:
        with pytest.raises(Problem) as refused:
            await desk.item(second)
        assert (await desk.item(first))["rejection"] == {"reason": REASON}
    assert refused.value.status == 500
    assert REASON not in str(refused.value.document)


async def test_a_clear_reason_an_older_version_kept_is_sealed_at_start_and_erased_from_the_file(
    layout: DataDir,
    log_stream: io.StringIO,
    staff_token: Callable[..., Awaitable[str]],
    example: Callable[[str], dict[str, Any]],
) -> None:
    settings = Settings(data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0)
    belgian = await staff_token("m.dubois", desk="BE")
    async with gateway_in_process(settings) as running:
        item_id = await waiting_item(running, belgian, example)
    with sqlite3.connect(layout.database) as conn:  # what version 7 wrote on rejecting
        conn.execute(
            "UPDATE review_items SET state = 'rejected', officer_id = 'm.dubois', "
            "decided_at = '2026-10-14T07:00:00Z', rejection_reason = ? WHERE id = ?",
            (REASON, item_id),
        )
    assert REASON.encode() in on_disk(layout)

    async with gateway_in_process(settings) as running:
        upgraded = [
            e.data
            for e in await running.store.audit_entries()
            if e.kind == "gateway.at_rest_upgraded"
        ]
        async with running.staff_client(belgian) as desk:
            case = await desk.item(item_id)
    assert upgraded == [{"rejection_reasons_sealed": 1, "memory_entries_resealed": 0}]
    assert case["rejection"] == {"reason": REASON}
    assert_nowhere_on_disk(layout)
    with sqlite3.connect(layout.database) as conn:
        assert conn.execute(
            "SELECT COUNT(*) FROM review_items WHERE rejection_reason IS NOT NULL"
        ).fetchone() == (0,)
