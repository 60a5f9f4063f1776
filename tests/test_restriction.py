"""Restriction of processing for a data subject, end to end on a real gateway (LED (EU)
2016/680 art. 16(3)). A signal about Roel Verhoeven goes to Lanaken, which reads Dutch and gets
it at once (its webhook failing for now), and to Aachen, whose copy waits for the German desk.
Compliance staff restrict processing for him by his BSN: Lanaken's sealed envelope leaves its
inbox and is not pushed, the German desk cannot release Aachen's copy, a new signal about him
is accepted with a receipt but not sealed, and a signal about someone else goes out as
always. Lifting the restriction lets everything held go out by itself."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from euregate_client import Problem

from gateway.infra.audit import EventKind, refs
from gateway.registry.admin.deliveries import retry
from tests.conftest import RunningGateway
from tests.polling import until
from tests.review_release import release_as_written
from tests.test_webhooks import ReceiverFor, audit_of, set_webhook

SENDER, LANAKEN, AACHEN = "nl-pol-limburg", "be-pol-lanaken", "de-pol-aachen"
NOTE = "Betrokkene betwist de juistheid van het adres; zaak bij de rechtbank"
BSN = "314159265"


def about_verhoeven(example: Callable[[str], dict[str, Any]], reference: str) -> dict[str, Any]:
    return {
        **example("nl-drug-waste-maastricht.json"),
        "sender_reference": reference,
        "recipients": {"partners": [LANAKEN, AACHEN]},
    }


def about_someone_else(example: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    signal = example("nl-drug-waste-maastricht.json")
    smeets = [p for p in signal["persons"] if p["family_name"] == "Smeets"]
    return {
        **signal,
        "sender_reference": "PL2400-2026-OTHER",
        "persons": smeets,
        "links": [],
        "recipients": {"partners": [LANAKEN]},
    }


async def push_attempted(gateway: RunningGateway, signal_id: str) -> bool:
    attempts = await audit_of(gateway.store, EventKind.DELIVERY_ATTEMPTED)
    return any(a.get("status") == 500 for a in attempts) and bool(
        await gateway.store.envelopes_of_signal(signal_id)
    )


async def test_a_restriction_holds_everything_about_the_person_until_it_is_lifted(
    gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    staff_token: Callable[..., Awaitable[str]],
    receiver_for: ReceiverFor,
) -> None:
    compliance = await staff_token("a.janssen", role="compliance")
    german_desk = await staff_token("k.schmidt", desk="DE")
    async with receiver_for(status=500) as receiver:
        await set_webhook(gateway, LANAKEN, receiver.url)
        async with gateway.client(SENDER) as sender:
            first = (await sender.post_signal(about_verhoeven(example, "PL-1")))["signal_id"]
        await until(lambda: push_attempted(gateway, first))
        (sealed,) = await gateway.store.envelopes_of_signal(first)

        async with gateway.staff_client(compliance) as staff:
            placed = await staff.restrict(
                identifier="314 159 265",
                reason="accuracy_contested",
                note=NOTE,
                due_on="2099-01-31",
            )
            assert [r["id"] for r in await staff.restrictions()] == [placed["id"]]
        assert (placed["signals"], placed["active"], placed["note"]) == (1, True, NOTE)

        async with gateway.client(LANAKEN) as lanaken:
            assert (await lanaken.inbox_page())["envelopes"] == []
        async with gateway.staff_client(german_desk, language="de") as desk:
            (item,) = [i for i in await desk.queue() if i["signal_id"] == first]
            with pytest.raises(Problem) as refused:
                await release_as_written(desk, item["id"])
        assert refused.value.status == 409
        assert refused.value.document["type"] == "urn:euregate:problem:release-restricted"
        assert refused.value.document["title"] == "Verarbeitung eingeschränkt"

        refused_pushes = len(receiver.received)
        receiver.status = 200
        await retry(gateway.store, sealed.id, actor=refs.admin("test"))
        async with gateway.client(SENDER) as sender:
            later = await sender.post_signal(about_verhoeven(example, "PL-2"))
            other = (await sender.post_signal(about_someone_else(example)))["signal_id"]
        assert [r["partner"] for r in later["recipients"]] == [LANAKEN, AACHEN]

        async def other_pushed() -> bool:
            return any(body["signal_id"] == other for body in receiver.received[refused_pushes:])

        await until(other_pushed)
        assert {body["signal_id"] for body in receiver.received[refused_pushes:]} == {other}
        assert await gateway.store.envelopes_of_signal(later["signal_id"]) == []
        async with gateway.client(SENDER) as sender:
            held = await sender.signal_status(first)
            waiting = await sender.signal_status(later["signal_id"])
            went = await sender.signal_status(other)
        assert {r["partner"]: r["state"] for r in held["recipients"]} == {
            LANAKEN: "restricted",
            AACHEN: "restricted",
        }
        assert {r["partner"]: r["state"] for r in waiting["recipients"]}[LANAKEN] == "restricted"
        assert {r["partner"]: r["state"] for r in went["recipients"]} == {LANAKEN: "pushed"}

        async with gateway.staff_client(compliance) as staff:
            lifted = await staff.lift_restriction(placed["id"])
            assert await staff.restrictions() == []
        assert (lifted["active"], lifted["decision"], lifted["released"]) == (False, "lifted", 2)

        async def all_pushed() -> bool:
            got = {body["signal_id"] for body in receiver.received[refused_pushes:]}
            return got == {first, later["signal_id"], other}

        await until(all_pushed)
        async with gateway.staff_client(german_desk) as desk:
            await release_as_written(desk, item["id"])

        async def aachen_sealed() -> bool:
            envelopes = await gateway.store.envelopes_of_signal(first)
            return AACHEN in {e.recipient_id for e in envelopes}

        await until(aachen_sealed)

    async with gateway.client(SENDER) as sender:
        after = await sender.signal_status(first)
    assert {r["partner"]: r["state"] for r in after["recipients"]}[LANAKEN] == "pushed"

    (restricted,) = await audit_of(gateway.store, EventKind.SUBJECT_RESTRICTED)
    (lifted_entry,) = await audit_of(gateway.store, EventKind.SUBJECT_RESTRICTION_LIFTED)
    assert restricted == {
        "restriction": placed["id"],
        "reason": "accuracy_contested",
        "due_on": "2099-01-31",
        "signals": 1,
    }
    assert lifted_entry == {
        "restriction": placed["id"],
        "reason": "accuracy_contested",
        "decision": "lifted",
        "signals": 2,
    }
    everything = json.dumps([e.data for e in await gateway.store.audit_entries()])
    for personal in (BSN, "314 159 265", "Verhoeven", NOTE):
        assert personal not in everything
