"""The receipt's copies come from what intake just decided, not from reading the store again:
for any valid signal they are what ``GET /v1/signals/{id}`` shows right after.

No recipient has an encryption key here, so that the courier seals nothing between the post
and the read: every copy stays where intake put it (waiting at a desk, or queued).
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from typing import Any

from hypothesis import HealthCheck, given, settings

from gateway.infra.audit import refs
from gateway.registry.admin.keys import retire_partner_key
from tests.conftest import RunningGateway, load_example
from tests.strategies import valid_signals

NOW = datetime.now(UTC)
SENDER = "nl-pol-limburg"
RECIPIENTS = [
    "be-pol-liege",
    "de-pol-aachen",
    "be-pol-lanaken",
    "be-gem-eupen",
    "nl-gem-maastricht",
]
"""Police and municipalities on both sides of two borders: some copies go out at once, some
wait for a desk, some are denied."""
references = count()


async def without_keys(gateway: RunningGateway) -> None:
    for partner in await gateway.store.partners():
        for key in await gateway.store.partner_keys(partner.id):
            if key.retired_at is None:
                await retire_partner_key(
                    gateway.store, partner.id, key.key_id, actor=refs.admin("test")
                )


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(signal=valid_signals(NOW, recipients={"partners": RECIPIENTS}))
async def test_the_receipt_shows_each_copy_as_a_read_right_after_does(
    gateway: RunningGateway, signal: dict[str, Any]
) -> None:
    await without_keys(gateway)
    signal["sender_reference"] = f"VIEW-{next(references)}"
    signal.pop("in_reply_to", None)  # a reply must answer a signal delivered to the sender
    async with gateway.client(SENDER) as sender:
        posted = await sender.post_signal(signal)
        read = await sender.signal_status(posted["signal_id"])

    assert posted["recipients"] == read["recipients"]
    assert posted.get("request") == read.get("request")
    states = {copy["state"] for copy in posted["recipients"]}
    assert states <= {"denied", "waiting", "queued"}


async def test_a_receipt_with_every_kind_of_copy_equals_the_read(gateway: RunningGateway) -> None:
    """The same for one signal whose copies go every way: denied, waiting, queued."""
    await without_keys(gateway)
    signal = load_example("nl-drug-waste-maastricht.json")
    signal["recipients"] = {"partners": [*RECIPIENTS[:-1], SENDER]}
    signal["request"] = {"type": "information_request", "deadline": "standard"}
    async with gateway.client("nl-gem-maastricht") as sender:
        posted = await sender.post_signal(signal)
        read = await sender.signal_status(posted["signal_id"])
    assert posted["recipients"] == read["recipients"]
    assert posted["request"] == read["request"]
    assert {copy["state"] for copy in posted["recipients"]} == {"denied", "waiting", "queued"}
