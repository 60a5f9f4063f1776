"""A recipient whose copy a liaison officer rejected, or that the policy denied, sees nothing of
the signal: no request, no co-recipients, no reply to it, no status.

Over real TLS against the real gateway: the Dutch police ask three police forces for
information. Lanaken reads Dutch and gets its copy at once; Liège's copy (to be translated)
waits for the Belgian desk and is rejected; Aachen's waits for the German desk. What each
partner can learn of the request is compared with what it can learn of a signal that never
existed.
"""

from __future__ import annotations

import copy
import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from euregate_client import Problem

from gateway.infra import seal
from gateway.infra.audit import refs
from gateway.infra.config import DataDir
from gateway.registry.admin.keys import add_partner_key, retire_partner_key
from tests.conftest import RunningGateway, load_example
from tests.review_release import release_as_written

STATES = ("open", "overdue", "answered")


def request_to(*recipients: str, reference: str = "PL2400-REQ-1") -> dict[str, Any]:
    signal = load_example("nl-drug-waste-maastricht.json")
    signal["sender_reference"] = reference
    signal["recipients"] = {"partners": list(recipients)}
    signal["request"] = {"type": "information_request", "deadline": "standard"}
    return signal


def reply_to(signal_id: str) -> dict[str, Any]:
    reply = load_example("be-fr-liege-stockage.json")
    reply.pop("request", None)
    reply["in_reply_to"] = signal_id
    reply["recipients"] = {"partners": ["nl-pol-limburg"]}
    return reply


async def post(gateway: RunningGateway, sender: str, document: dict[str, Any]) -> str:
    async with gateway.client(sender) as partner:
        return str((await partner.post_signal(document))["signal_id"])


async def requests_seen(gateway: RunningGateway, partner_id: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    async with gateway.client(partner_id) as partner:
        for state in STATES:
            seen += (await partner.requests(state))["requests"]
    return seen


async def refusal(call: Any) -> Problem:
    with pytest.raises(Problem) as refused:
        await call
    return refused.value


async def what_a_stranger_learns(
    gateway: RunningGateway, partner_id: str, signal_id: str
) -> list[dict[str, Any]]:
    """The answers ``partner_id`` gets when it replies to, explains a reply to, and asks the
    status of ``signal_id``, with the id itself taken out of them."""
    reply = reply_to(signal_id)
    answers = []
    async with gateway.client(partner_id) as partner:
        for call in (
            partner.post_signal(reply),
            partner.explain(reply),
            partner.signal_status(signal_id),
        ):
            problem = await refusal(call)
            document = {k: v for k, v in problem.document.items() if k != "request_id"}
            answers.append({"status": problem.status, **_without(document, signal_id)})
    return answers


def _without(value: Any, text: str) -> Any:
    if isinstance(value, dict):
        return {k: _without(v, text) for k, v in value.items()}
    if isinstance(value, list):
        return [_without(v, text) for v in value]
    return value.replace(text, "ID") if isinstance(value, str) else value


async def reject(gateway: RunningGateway, token: str, signal_id: str, recipient: str) -> None:
    async with gateway.staff_client(token) as desk:
        (item,) = [
            i
            for i in await desk.queue()
            if i["signal_id"] == signal_id and i["recipient"] == recipient
        ]
        await desk.reject(item["id"], "Geen grondslag voor deze ontvanger", "not_lawful_to_share")


async def release(gateway: RunningGateway, token: str, signal_id: str) -> None:
    async with gateway.staff_client(token) as desk:
        (item,) = [i for i in await desk.queue() if i["signal_id"] == signal_id]
        await release_as_written(desk, item["id"])


# --- rejected ----------------------------------------------------------------------------------


async def test_a_rejected_recipient_learns_no_more_than_of_a_signal_that_never_existed(
    gateway: RunningGateway, staff_token: Callable[..., Awaitable[str]]
) -> None:
    signal_id = await post(
        gateway, "nl-pol-limburg", request_to("be-pol-lanaken", "be-pol-liege", "de-pol-aachen")
    )
    assert await requests_seen(gateway, "be-pol-liege") == []  # waiting: nothing yet

    await reject(gateway, await staff_token("m.dubois", desk="BE"), signal_id, "be-pol-liege")

    assert await requests_seen(gateway, "be-pol-liege") == []
    never = await what_a_stranger_learns(gateway, "be-pol-liege", str(uuid.uuid4()))
    assert await what_a_stranger_learns(gateway, "be-pol-liege", signal_id) == never
    assert [answer["status"] for answer in never] == [422, 422, 404]
    assert never[0]["errors"][0]["code"] == "unknown_reply"
    (own,) = await requests_seen(gateway, "nl-pol-limburg")
    assert own["recipients"] == ["be-pol-lanaken", "be-pol-liege", "de-pol-aachen"]


async def test_a_delivered_recipient_sees_only_the_co_recipients_that_received_it_too(
    gateway: RunningGateway, staff_token: Callable[..., Awaitable[str]]
) -> None:
    signal_id = await post(
        gateway, "nl-pol-limburg", request_to("be-pol-lanaken", "be-pol-liege", "de-pol-aachen")
    )
    await reject(gateway, await staff_token("m.dubois", desk="BE"), signal_id, "be-pol-liege")

    (seen,) = await requests_seen(gateway, "be-pol-lanaken")
    assert (seen["signal_id"], seen["recipients"]) == (signal_id, ["be-pol-lanaken"])

    await release(gateway, await staff_token("k.schmidt", desk="DE"), signal_id)

    (seen,) = await requests_seen(gateway, "be-pol-lanaken")
    assert seen["recipients"] == ["be-pol-lanaken", "de-pol-aachen"]
    (seen,) = await requests_seen(gateway, "de-pol-aachen")
    assert seen["recipients"] == ["be-pol-lanaken", "de-pol-aachen"]
    async with gateway.client("de-pol-aachen") as aachen:
        answer = await aachen.explain(reply_to(signal_id))
    assert answer["decisions"][0]["verdict"] == "deliver"


async def test_a_reply_from_the_rejected_recipient_is_refused_and_closes_nothing(
    gateway: RunningGateway, staff_token: Callable[..., Awaitable[str]]
) -> None:
    signal_id = await post(gateway, "nl-pol-limburg", request_to("be-pol-liege"))
    await reject(gateway, await staff_token("m.dubois", desk="BE"), signal_id, "be-pol-liege")

    problem = await refusal(post(gateway, "be-pol-liege", reply_to(signal_id)))

    assert problem.errors[0]["pointer"] == "/in_reply_to"
    assert problem.errors[0]["code"] == "unknown_reply"
    (own,) = await requests_seen(gateway, "nl-pol-limburg")
    assert (own["state"], own["answered_by"]) == ("open", None)


async def test_an_unreviewed_copy_not_yet_sealed_is_withdrawn_when_the_copy_is_rejected(
    gateway: RunningGateway, staff_token: Callable[..., Awaitable[str]]
) -> None:
    """An ``immediate`` signal's first copy goes out before review, unless it cannot be sealed
    yet (Liège has no key); rejected meanwhile, it is never sealed, even once Liège has one."""
    (key,) = await gateway.store.partner_keys("be-pol-liege")
    await retire_partner_key(gateway.store, "be-pol-liege", key.key_id, actor=refs.admin("test"))
    signal = request_to("be-pol-liege")
    signal["urgency"] = "immediate"
    signal_id = await post(gateway, "nl-pol-limburg", signal)
    assert copy_states(gateway.layout, signal_id) == ["pending"]

    await reject(gateway, await staff_token("m.dubois", desk="BE"), signal_id, "be-pol-liege")
    _, public = seal.generate_key_pair(seal.Suite.X25519)
    await add_partner_key(
        gateway.store, "be-pol-liege", public, now=datetime.now(UTC), actor=refs.admin("test")
    )

    assert copy_states(gateway.layout, signal_id) == ["withdrawn"]
    assert await gateway.store.pending_copies(due=datetime(9999, 12, 31, tzinfo=UTC)) == []
    async with gateway.client("be-pol-liege") as liege:
        assert (await liege.inbox_page())["envelopes"] == []


def copy_states(layout: DataDir, signal_id: str) -> list[str]:
    with sqlite3.connect(layout.database) as conn:
        rows = conn.execute("SELECT state FROM copies WHERE signal_id = ?", (signal_id,))
        return [row[0] for row in rows]


# --- denied ------------------------------------------------------------------------------------


async def test_a_denied_recipient_learns_no_more_than_of_a_signal_that_never_existed(
    gateway: RunningGateway,
) -> None:
    signal = request_to("be-pol-lanaken")
    signal["purpose"] = "administrative_approach"  # a municipality's: denied to the police
    signal_id = await post(gateway, "nl-gem-maastricht", copy.deepcopy(signal))

    never = await what_a_stranger_learns(gateway, "be-pol-lanaken", str(uuid.uuid4()))
    assert await what_a_stranger_learns(gateway, "be-pol-lanaken", signal_id) == never
    assert await requests_seen(gateway, "be-pol-lanaken") == []
