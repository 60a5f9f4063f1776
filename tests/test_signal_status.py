"""What happened to my signal, per copy: a signal followed through each stage against the real
gateway, as its sender sees it in ``GET /v1/signals/{id}`` and in ``euregate status`` (its own
process); the sender's list of its own signals, paged; a request's deadline overdue.

Background work (the courier sealing, the pusher pushing) is waited for with
:func:`tests.polling.until`, a bound and not a claim about speed.
"""

from __future__ import annotations

import asyncio
import copy
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from euregate_client import Problem

from gateway.infra.clock import FixedClock
from gateway.infra.config import DataDir
from tests.conftest import REPO, RunningGateway, load_example
from tests.polling import until
from tests.review_release import release_as_written
from tests.test_requests import dutch_request, running_gateway
from tests.test_webhooks import ReceiverFor, set_webhook

LIMBURG = "nl-pol-limburg"
REASON = "names a minor witness"


async def euregate_status(url: str, layout: DataDir, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "status", *args,
        "--url", url, "--data-dir", str(layout.root),
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def status_of(gateway: RunningGateway, signal_id: str, sender: str = LIMBURG) -> Any:
    async with gateway.client(sender) as client:
        return await client.signal_status(signal_id)


def copy_of(receipt: dict[str, Any], partner: str) -> dict[str, Any]:
    (found,) = [entry for entry in receipt["recipients"] if entry["partner"] == partner]
    return found


async def until_state(gateway: RunningGateway, signal_id: str, partner: str, state: str) -> Any:
    async def reached() -> bool:
        return copy_of(await status_of(gateway, signal_id), partner)["state"] == state

    await until(reached)
    return await status_of(gateway, signal_id)


async def test_a_signal_followed_from_the_desk_to_the_acknowledgement(
    gateway: RunningGateway,
    staff_token: Callable[..., Awaitable[str]],
    example: Callable[[str], dict[str, Any]],
) -> None:
    async with gateway.client(LIMBURG) as limburg:
        posted = await limburg.post_signal(example("nl-drug-waste-maastricht.json"))
    signal_id = posted["signal_id"]

    for receipt in (posted, await status_of(gateway, signal_id)):
        for partner, desk in (("be-pol-liege", "BE"), ("de-pol-aachen", "DE")):
            waiting = copy_of(receipt, partner)
            assert waiting["state"] == "waiting"
            assert (waiting["verdict"], waiting["rules"]) == ("deliver", ["2"])
            assert "copy" not in waiting
            review = waiting["review"]
            assert (review["desk"], review["reasons"], review["state"]) == (
                desk,
                ["language"],
                "pending",
            )
            assert review["since"] >= receipt["received_at"]

    belgian = await staff_token("m.dubois", desk="BE")
    german = await staff_token("k.schmidt", desk="DE")
    async with gateway.staff_client(belgian) as officer:
        (item,) = await officer.queue()
        await release_as_written(officer, item["id"])
    sealed = await until_state(gateway, signal_id, "be-pol-liege", "sealed")
    liege = copy_of(sealed, "be-pol-liege")
    assert liege["review"]["state"] == "released"
    assert "decided_at" in liege["review"]
    assert liege["copy"]["version"] == 1
    assert liege["copy"]["unreviewed"] is False
    assert liege["copy"]["fetch_count"] == 0
    assert "sealed_at" in liege["copy"]
    assert copy_of(sealed, "de-pol-aachen")["state"] == "waiting"

    async with gateway.client("be-pol-liege") as client:
        (envelope,) = (await client.inbox_page())["envelopes"]
        fetched = copy_of(await status_of(gateway, signal_id), "be-pol-liege")
        assert (fetched["state"], fetched["copy"]["fetch_count"]) == ("fetched", 1)
        assert "last_fetched_at" in fetched["copy"]
        await client.acknowledge(envelope["id"])
    acknowledged = copy_of(await status_of(gateway, signal_id), "be-pol-liege")
    assert acknowledged["state"] == "acknowledged"
    assert "acknowledged_at" in acknowledged["copy"]

    async with gateway.staff_client(german) as officer:
        (item,) = await officer.queue()
        await officer.reject(item["id"], REASON, "purpose_mismatch")
    final = await status_of(gateway, signal_id)
    rejected = copy_of(final, "de-pol-aachen")
    assert rejected["state"] == "rejected"
    assert rejected["review"]["state"] == "rejected"
    assert rejected["review"]["rejection_category"] == {
        "code": "purpose_mismatch",
        "label": "the purpose does not match the recipient's tasks",
    }
    assert "copy" not in rejected

    async def limburg_in_dutch() -> Any:
        """As ``euregate status --as`` asks: in the partner's language, Limburg's Dutch."""
        async with gateway.client(LIMBURG, language="nl") as limburg:
            return await limburg.signal_status(signal_id)

    in_dutch = copy_of(await limburg_in_dutch(), "de-pol-aachen")
    async with gateway.client(LIMBURG, language="nl") as limburg:
        (listed,) = [
            s for s in (await limburg.list_signals())["signals"] if s["signal_id"] == signal_id
        ]
    assert in_dutch["review"]["rejection_category"] == {
        "code": "purpose_mismatch",
        "label": "het doel past niet bij de taken van de ontvanger",
    }
    assert copy_of(listed, "de-pol-aachen") == in_dutch
    whole = json.dumps(final)
    for staff_only in (REASON, "m.dubois", "k.schmidt"):
        assert staff_only not in whole

    code, out, _ = await euregate_status(
        gateway.url, gateway.layout, signal_id, "--as", LIMBURG, "--json"
    )
    assert code == 0
    assert json.loads(out)["recipients"] == (await limburg_in_dutch())["recipients"]

    code, out, _ = await euregate_status(
        gateway.url, gateway.layout, signal_id, "--as", LIMBURG, "--lang", "fr"
    )
    assert code == 0, out
    assert out.startswith(f"Signalement {signal_id} (votre réf. PL2400-2026-041877), reçu le ")
    assert "be-pol-liege: réception confirmée" in out
    assert "libéré par le bureau de liaison BE, le " in out
    assert "relevé 1 fois, dernière fois le " in out
    assert "de-pol-aachen: rejeté" in out
    assert "rejeté par le bureau de liaison DE, le " in out
    assert " : la finalité ne correspond pas aux missions du destinataire" in out
    assert " CET" in out or " CEST" in out, "times in Europe/Brussels, the zone named"
    assert REASON not in out


async def test_a_denied_recipient_is_shown_denied_and_nothing_more(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    signal = example("nl-drug-waste-maastricht.json")
    signal["recipients"] = {"partners": ["de-pol-aachen", "be-gem-eupen"]}
    async with gateway.client("nl-gem-maastricht") as maastricht:
        posted = await maastricht.post_signal(signal)
    status = await status_of(gateway, posted["signal_id"], sender="nl-gem-maastricht")

    denied = copy_of(status, "de-pol-aachen")
    assert set(denied) == {"partner", "verdict", "rules", "state"}
    assert (denied["verdict"], denied["state"]) == ("deny", "denied")
    assert denied["rules"] == copy_of(posted, "de-pol-aachen")["rules"]
    assert copy_of(status, "be-gem-eupen")["state"] != "denied"


async def test_a_pushed_copy_is_shown_pushed_with_its_time(
    gateway: RunningGateway, receiver_for: ReceiverFor
) -> None:
    document = load_example("be-cannabis-lanaken.json")
    document["recipients"] = {"partners": [LIMBURG]}
    async with receiver_for() as receiver:
        await set_webhook(gateway, LIMBURG, receiver.url)
        async with gateway.client("be-pol-lanaken") as lanaken:
            posted = await lanaken.post_signal(document)

        async def pushed() -> bool:
            status = await status_of(gateway, posted["signal_id"], sender="be-pol-lanaken")
            return copy_of(status, LIMBURG)["state"] == "pushed"

        await until(pushed)
    status = await status_of(gateway, posted["signal_id"], sender="be-pol-lanaken")
    shown = copy_of(status, LIMBURG)
    assert "review" not in shown
    assert "pushed_at" in shown["copy"]
    assert len(receiver.received) == 1


async def test_a_signal_is_shown_to_its_sender_only(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    async with gateway.client(LIMBURG) as limburg:
        posted = await limburg.post_signal(example("nl-drug-waste-maastricht.json"))
    for other in ("be-pol-liege", "de-pol-aachen", "be-pol-lanaken"):
        async with gateway.client(other) as client:
            with pytest.raises(Problem) as refused:
                await client.signal_status(posted["signal_id"])
        assert refused.value.status == 404, other
    code, _, err = await euregate_status(
        gateway.url, gateway.layout, posted["signal_id"], "--as", "be-pol-liege", "--lang", "de"
    )
    assert code == 1
    assert "404" in err


async def test_a_sender_lists_its_own_signals_newest_first_in_pages(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    sent = []
    async with gateway.client(LIMBURG) as limburg:
        for number in range(3):
            signal = copy.deepcopy(example("nl-drug-waste-maastricht.json"))
            signal["sender_reference"] = f"PL-LIST-{number}"
            sent.append((await limburg.post_signal(signal))["signal_id"])
        first = await limburg.list_signals(limit=2)
        second = await limburg.list_signals(after=first["cursor"], limit=2)
        for wrong in (0, 201):
            with pytest.raises(Problem) as refused:
                await limburg.list_signals(limit=wrong)
            assert refused.value.status == 400, wrong
    async with gateway.client("be-pol-lanaken") as lanaken:
        others = await lanaken.list_signals()

    listed = first["signals"] + second["signals"]
    assert [s["signal_id"] for s in listed] == sent[::-1]
    assert [s["sender_reference"] for s in listed] == ["PL-LIST-2", "PL-LIST-1", "PL-LIST-0"]
    assert second["cursor"] is None
    assert {c["state"] for s in listed for c in s["recipients"]} == {"waiting"}
    assert others == {"signals": [], "cursor": None}


async def test_the_sender_learns_that_a_request_is_overdue(layout: DataDir) -> None:
    now = datetime.now(UTC)
    clock = FixedClock(now - timedelta(hours=9))
    async with running_gateway(layout, clock) as gateway:
        async with gateway.client(LIMBURG) as limburg:
            posted = await limburg.post_signal(dutch_request("urgent_direct"))
        assert posted["request"]["state"] == "open"
        assert "seconds_overdue" not in posted["request"]
        clock.set(now)
        status = await status_of(gateway, posted["signal_id"])
        code, out, _ = await euregate_status(
            gateway.url, layout, posted["signal_id"], "--as", LIMBURG, "--lang", "nl"
        )
    request = status["request"]
    assert (request["kind"], request["state"], request["seconds_overdue"]) == (
        "urgent_direct",
        "overdue",
        3600,
    )
    assert code == 0
    assert "verzoek om informatie" in out
    assert "TE LAAT met 01:00" in out
