"""Erasure reaches the translation memory, end to end, with the gateway's clock moved: a
liaison officer's correction of a signal's text is remembered and served to the next identical
text; when the signal it was learnt from is erased under its retention terms, the entry goes
with it (a signal whose time is not up yet keeps its own), the next identical text is no
longer served from memory, and no byte of the sealed entry is left in the database file."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from gateway.decide.policy import load_policy
from gateway.flow.retention import erasure_of, run_retention
from gateway.infra.config import DataDir
from tests.conftest import RunningGateway
from tests.test_retention_erasure import gateway_with_clock, on_disk, pieces
from tests.test_staff_app import DUTCH_SIGNAL, FRENCH_SUMMARY, another, item_for, post

OFFICER = "m.dubois"
LIEGE = "be-pol-liege"


async def summary_at_desk(gateway: RunningGateway, token: str, signal_id: str) -> tuple[str, str]:
    """How Liège's copy of ``signal_id`` shows its summary at the Belgian desk: where the
    translation came from, and its text."""
    item = await item_for(gateway, token, signal_id, LIEGE)
    async with gateway.staff_client(token) as desk:
        case = await desk.item(item["id"])
    summary = case["translation"]["fields"]["/summary"]
    return summary["provenance"]["kind"], summary["text"]


async def test_a_correction_is_served_until_the_signal_it_was_learnt_from_is_erased(
    layout: DataDir,
    example: Callable[[str], dict[str, Any]],
    staff_token: Callable[..., Awaitable[str]],
) -> None:
    policy = load_policy(layout.policy)
    assert policy.retention is not None
    async with gateway_with_clock(layout) as (gateway, clock):
        start = clock.now()
        store = gateway.store
        token = await staff_token(OFFICER, desk="BE")
        taught = str((await post(gateway, example(DUTCH_SIGNAL)))["signal_id"])
        item = await item_for(gateway, token, taught, LIEGE)
        async with gateway.staff_client(token) as desk:
            await desk.release(
                item["id"], {"/summary": FRENCH_SUMMARY}, as_written=["/description"]
            )
        remembered = await store.memory_records("nl", "fr")
        assert remembered

        clock.set(start + timedelta(days=10))
        served = str(
            (await post(gateway, another(example(DUTCH_SIGNAL), "MAA-2026-0412-B")))["signal_id"]
        )
        assert await summary_at_desk(gateway, token, served) == ("memory", FRENCH_SUMMARY)

        kept = await store.signal_retention(taught)
        assert kept is not None
        due = erasure_of(kept.kept, policy.retention)
        assert due is not None
        clock.set(datetime.combine(due.due, time(12), UTC))
        run = await run_retention(store, policy, today=due.due)

        assert [e.signal_id for e in run.erased] == [taught], "the later signal is not due yet"
        assert run.memory_segments == len(remembered)
        assert await store.memory_records("nl", "fr") == []
        shown = await summary_at_desk(gateway, token, served)
        assert shown[0] == "original"
        assert shown[1] != FRENCH_SUMMARY
        later = str(
            (await post(gateway, another(example(DUTCH_SIGNAL), "MAA-2026-0412-C")))["signal_id"]
        )
        assert (await summary_at_desk(gateway, token, later))[0] == "original"

        kept_bytes = on_disk(layout.database)
        assert not [p for r in remembered for p in pieces(r.sealed) if p in kept_bytes]
        (erased,) = [e for e in await store.audit_entries() if e.kind == "signal.erased"]
        data = json.loads(erased.canonical)["data"]
        assert data["memory_segments"] == len(remembered)
        assert FRENCH_SUMMARY.encode() not in erased.canonical
