"""Seal and deliver, end to end over real HTTPS: each recipient pulls its own envelopes,
opens them with its own private key, reads them in its own language, and acknowledges.

The demo network's partners have X25519 key pairs from ``euregate init --demo``; the
gateway's courier runs inside the ``gateway`` fixture as it does in ``euregate serve``.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from euregate_client import EuregateClient, Message, Problem, open_message

from gateway.infra import seal
from gateway.infra.config import DataDir
from gateway.infra.errors import EnvelopeRefused
from tests.conftest import RunningGateway
from tests.review_release import release_as_written
from tests.test_abuse_suspended_long_poll import running

DUTCH = "nl-drug-waste-maastricht.json"
LANAKEN = "be-cannabis-lanaken.json"
GUARD = 30  # seconds; against a hang only
WAIT = 60


def private_key(gateway: RunningGateway, partner_id: str) -> seal.RecipientPrivateKey:
    return seal.load_private_key(gateway.layout.partner_encryption_key(partner_id).read_bytes())


async def post(gateway: RunningGateway, sender: str, document: dict[str, Any]) -> str:
    async with gateway.client(sender) as partner:
        return str((await partner.post_signal(document))["signal_id"])


async def pull(
    gateway: RunningGateway, partner_id: str, *, wait: int = 10, ack: bool = True
) -> list[Message]:
    """What ``partner_id`` finds in its inbox, opened; waits for at least one envelope."""
    async with gateway.client(partner_id) as client:
        keys = await client.gateway_keys()
        answer = await client.inbox_page(wait=wait)
        messages = [
            open_message(
                entry,
                private_key=private_key(gateway, partner_id),
                recipient_id=partner_id,
                gateway_keys=keys,
            )
            for entry in answer["envelopes"]
        ]
        if ack:
            for message in messages:
                await client.acknowledge(message.envelope_id)
        return messages


async def release_all(gateway: RunningGateway, staff_token: Callable[..., Awaitable[str]]) -> None:
    """A Belgian and a German liaison officer release what waits at their desks, unchanged."""
    for officer, country in (("m.dubois", "BE"), ("k.schmidt", "DE")):
        async with gateway.staff_client(await staff_token(officer, desk=country)) as desk:
            for item in await desk.queue():
                await release_as_written(desk, item["id"])


async def test_a_copy_that_needs_no_review_is_sealed_and_delivered_at_once(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    signal_id = await post(gateway, "be-pol-lanaken", example(LANAKEN))

    (message,) = await pull(gateway, "nl-pol-limburg")

    assert message.signal_id == signal_id
    assert message.content["format"] == "euregate.message/1"
    assert message.content["recipient"] == "nl-pol-limburg"
    assert message.content["review"] == "none"
    assert message.content["document"]["language"] == "nl"
    assert message.content["signal"]["summary"] == example(LANAKEN)["summary"]
    rules = message.content["decision"]["rules"]
    assert rules
    assert all(set(rule["reason"]) == set(rule["legal_basis"]) == {"nl"} for rule in rules)


async def test_the_dutch_signal_reaches_liege_in_french_and_aachen_in_german_after_review(
    gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    staff_token: Callable[..., Awaitable[str]],
) -> None:
    signal_id = await post(gateway, "nl-pol-limburg", example(DUTCH))
    assert await pull(gateway, "be-pol-liege", wait=0) == []

    await release_all(gateway, staff_token)
    (french,) = await pull(gateway, "be-pol-liege")
    (german,) = await pull(gateway, "de-pol-aachen")

    assert (french.signal_id, german.signal_id) == (signal_id, signal_id)
    assert french.content["document"]["locale"] == "fr_BE"
    assert german.content["document"]["locale"] == "de_DE"
    assert french.content["review"] == german.content["review"] == "released"
    assert french.text != german.text


async def test_redacted_classes_are_absent_from_the_plaintext(
    gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    staff_token: Callable[..., Awaitable[str]],
) -> None:
    """The city of Aachen may not receive the persons' identities, numbers or the vehicle
    from the Dutch police (rule 4): none of them is in what it decrypts."""
    document = example(DUTCH)
    document["recipients"] = {"partners": ["de-stadt-aachen"]}
    await post(gateway, "nl-pol-limburg", document)
    await release_all(gateway, staff_token)

    (message,) = await pull(gateway, "de-stadt-aachen")

    withheld = set(message.content["removed"]["withheld"])
    assert {"person_identity", "person_national_id", "vehicle"} <= withheld
    plaintext = json.dumps(message.content, ensure_ascii=False)
    for person in document["persons"]:
        assert person["family_name"] not in plaintext
        for identifier in person.get("identifiers", []):
            assert identifier["value"] not in plaintext
    for vehicle in document["vehicles"]:
        assert vehicle["registration"] not in plaintext


async def test_one_recipient_cannot_open_anothers_envelope(
    gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    staff_token: Callable[..., Awaitable[str]],
) -> None:
    await post(gateway, "nl-pol-limburg", example(DUTCH))
    await release_all(gateway, staff_token)
    async with gateway.client("de-pol-aachen") as aachen:
        keys = await aachen.gateway_keys()
        (entry,) = (await aachen.inbox_page(wait=10))["envelopes"]

    with pytest.raises(EnvelopeRefused):
        open_message(
            entry,
            private_key=private_key(gateway, "be-pol-liege"),
            recipient_id="be-pol-liege",
            gateway_keys=keys,
        )
    async with gateway.client("be-pol-liege") as liege:
        with pytest.raises(Problem) as refused:
            await liege.acknowledge(entry["id"])
    assert refused.value.status == 404


async def test_unacknowledged_envelopes_come_again_and_acknowledged_ones_do_not(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    await post(gateway, "be-pol-lanaken", example(LANAKEN))

    first = await pull(gateway, "nl-pol-limburg", ack=False)
    again = await pull(gateway, "nl-pol-limburg", ack=True)
    after = await pull(gateway, "nl-pol-limburg", wait=0)

    assert [m.envelope_id for m in first] == [m.envelope_id for m in again]
    assert len(first) == 1
    assert after == []


async def test_acknowledging_twice_is_harmless(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    await post(gateway, "be-pol-lanaken", example(LANAKEN))
    (message,) = await pull(gateway, "nl-pol-limburg", ack=False)
    async with gateway.client("nl-pol-limburg") as client:
        once = await client.acknowledge(message.envelope_id)
        twice = await client.acknowledge(message.envelope_id)
    assert once == twice
    acks = [e for e in await gateway.store.audit_entries() if e.kind == "inbox.acknowledged"]
    assert len(acks) == 1


async def test_a_long_poll_wakes_when_a_copy_is_sealed(
    layout: DataDir, example: Callable[[str], dict[str, Any]]
) -> None:
    """With one long-poll allowed, a second one's refusal shows the first is waiting; the
    checks a waiting long-poll makes are spaced beyond the guard, so only the copy being
    sealed can answer it in time."""
    async with running(layout, recheck=WAIT) as gateway:
        polls = [asyncio.create_task(pull(gateway, "nl-pol-limburg", wait=WAIT)) for _ in "ab"]
        done, waiting = await asyncio.wait(polls, timeout=GUARD, return_when="FIRST_COMPLETED")
        assert len(done) == 1, "neither long-poll was refused"
        with pytest.raises(Problem) as refused:
            done.pop().result()
        assert refused.value.status == 429
        signal_id = await post(gateway, "be-pol-lanaken", example(LANAKEN))
        (message,) = await asyncio.wait_for(waiting.pop(), GUARD)
    assert message.signal_id == signal_id


async def test_the_cursor_skips_what_was_seen(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    first = example(LANAKEN)
    second = copy.deepcopy(first)
    second["sender_reference"] = first["sender_reference"] + "-2"
    await post(gateway, "be-pol-lanaken", first)
    await post(gateway, "be-pol-lanaken", second)
    async with gateway.client("nl-pol-limburg") as client:
        answer = await client.inbox_page(wait=10)
        while len(answer["envelopes"]) < 2:
            answer = await client.inbox_page(wait=10)
        positions = [entry["position"] for entry in answer["envelopes"]]
        later = await client.inbox_page(after=positions[0])
    assert positions == sorted(positions)
    assert [e["position"] for e in later["envelopes"]] == positions[1:]


@pytest.mark.parametrize(
    "query", ["after=-1", "limit=0", "limit=501", "wait=61", "after=x", "wait=1.5"]
)
async def test_inbox_query_parameters_out_of_range_are_a_problem_naming_the_parameter(
    gateway: RunningGateway, query: str
) -> None:
    async with gateway.client("nl-pol-limburg") as client:
        with pytest.raises(Problem) as refused:
            await client._request("GET", f"/v1/inbox?{query}")
    assert refused.value.status == 400
    assert refused.value.document["parameter"] == query.split("=", maxsplit=1)[0]


async def test_the_audit_log_tells_the_whole_story_of_a_delivery(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    signal_id = await post(gateway, "be-pol-lanaken", example(LANAKEN))
    await pull(gateway, "nl-pol-limburg")

    story = [
        e.kind
        for e in await gateway.store.audit_entries()
        if e.subject == f"signal:{signal_id}" or signal_id in str(e.data)
    ]
    assert story == ["signal.accepted", "copy.sealed", "inbox.fetched", "inbox.acknowledged"]


async def test_a_client_of_another_partner_sees_nothing_of_it(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    await post(gateway, "be-pol-lanaken", example(LANAKEN))
    await pull(gateway, "nl-pol-limburg", ack=False)
    async with EuregateClient(
        gateway.url, ssl_context=gateway.client("de-zoll-aachen")._ssl
    ) as customs:
        answer = await customs.inbox_page()
    assert answer["envelopes"] == []


async def test_an_immediate_signal_goes_out_unreviewed_and_the_reviewed_version_follows(
    gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    staff_token: Callable[..., Awaitable[str]],
) -> None:
    document = example(DUTCH)
    document["urgency"] = "immediate"
    signal_id = await post(gateway, "nl-pol-limburg", document)

    (unreviewed,) = await pull(gateway, "be-pol-liege")
    assert (unreviewed.signal_id, unreviewed.version) == (signal_id, 1)
    assert unreviewed.content["review"] == "pending"

    await release_all(gateway, staff_token)
    (reviewed,) = await pull(gateway, "be-pol-liege")
    assert (reviewed.signal_id, reviewed.version) == (signal_id, 2)
    assert reviewed.content["review"] == "released"


async def test_the_recipient_reads_the_officers_correction_marked_as_human(
    gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    staff_token: Callable[..., Awaitable[str]],
) -> None:
    corrected = "Déchets de production de drogues déversés le long de la Lage Kanaaldijk"
    await post(gateway, "nl-pol-limburg", example(DUTCH))
    async with gateway.staff_client(await staff_token("m.dubois", desk="BE")) as desk:
        (item,) = await desk.queue()
        await release_as_written(desk, item["id"], {"/summary": corrected})

    (message,) = await pull(gateway, "be-pol-liege")

    summary = next(
        field
        for section in message.content["document"]["sections"]
        for field in section["fields"]
        if field["pointer"] == "/summary"
    )
    assert summary["value"] == corrected
    assert summary["provenance"]["kind"] == "human"
    assert summary["provenance"]["officer"] == "m.dubois"
    assert corrected in message.text
