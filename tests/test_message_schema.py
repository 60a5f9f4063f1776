"""``schemas/message-1.schema.json`` against real messages: every example signal posted to a
real gateway, what waits for review released at the desks, and every copy the courier seals
(each recipient's, each version) opened as its recipient opens it and validated. Texts still in
a language the recipient does not read are released as written (the first) or withheld."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from jsonschema import Draft202012Validator

from gateway.contract.codelists import SCHEMAS_DIR
from tests.conftest import RunningGateway, load_example
from tests.sealed_copies import opened_by_recipient

SCHEMA = json.loads((SCHEMAS_DIR / "message-1.schema.json").read_text(encoding="utf-8"))
SENDERS = {
    "be-cannabis-lanaken.json": "be-pol-lanaken",
    "be-fr-liege-stockage.json": "be-pol-liege",
    "de-shisha-aachen.json": "de-pol-aachen",
    "nl-care-vulnerable-youth-maastricht.json": "nl-pol-limburg",
    "nl-drug-waste-maastricht.json": "nl-pol-limburg",
}
OFFICERS = (("j.peeters", "BE"), ("k.schmidt", "DE"), ("a.devries", "NL"))
PATIENCE = 60


def test_the_schema_is_valid_json_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["format"] == {"const": "euregate.message/1"}


async def test_every_message_the_courier_seals_for_the_examples_validates(
    gateway: RunningGateway, staff_token: Callable[..., Awaitable[str]]
) -> None:
    expected: dict[str, set[str]] = {}
    for name, sender in SENDERS.items():
        async with gateway.client(sender) as client:
            receipt = await client.post_signal(load_example(name))
        expected[receipt["signal_id"]] = {
            r["partner"] for r in receipt["recipients"] if r["verdict"] != "deny"
        }
    desks = [await staff_token(officer, desk=country) for officer, country in OFFICERS]

    async def sealed() -> dict[str, set[str]]:
        return {
            signal_id: {e.recipient_id for e in await gateway.store.envelopes_of_signal(signal_id)}
            for signal_id in expected
        }

    async with asyncio.timeout(PATIENCE):  # a bound, not a claim about speed
        while await sealed() != expected:
            for token in desks:
                async with gateway.staff_client(token) as desk:
                    for item in await desk.queue():
                        case = await desk.item(item["id"])
                        untranslated = [f["pointer"] for f in case["untranslated"]]
                        await desk.release(
                            item["id"], as_written=untranslated[:1], withheld=untranslated[1:]
                        )
            await asyncio.sleep(0.1)

    validator = Draft202012Validator(SCHEMA)
    opened: list[dict[str, Any]] = []
    for signal_id in expected:
        for stored in await gateway.store.envelopes_of_signal(signal_id):
            message = await opened_by_recipient(gateway, stored)
            errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(message)]
            assert errors == [], (signal_id, stored.recipient_id)
            opened.append(message)
    assert len(opened) >= sum(len(recipients) for recipients in expected.values()) >= 5
    assert {m["review"] for m in opened} >= {"none", "released"}
    fields = [f for m in opened for s in m["document"]["sections"] for f in s["fields"]]
    assert any("untranslated" in f for f in fields)
    assert any(m["removed"].get("withheld_texts") for m in opened)
