"""The staff listener's review API, over real HTTPS against the real gateway and its store.

A Dutch municipality's signal waits for the Belgian and German desks because its free text
is in a language neither recipient listed; officers open, correct, release and reject it,
and what they correct is what the translation memory serves next time.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from euregate_client import Problem

from gateway.infra.audit import refs
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir, Settings
from gateway.registry.admin import staff as staff_admin
from gateway.staff import StaffState
from gateway.store.sqlite import SqliteStore
from tests.conftest import RunningGateway, client_context, gateway_in_process

DUTCH_SIGNAL = "nl-drug-waste-maastricht.json"
FRENCH_SUMMARY = (
    "Déchets de production de drogues (env. 40 fûts) déversés le long de la Lage Kanaaldijk ; "
    "camionnette avec un équipage belgo-néerlandais aperçue"
)


async def post(gateway: RunningGateway, document: dict[str, Any]) -> dict[str, Any]:
    async with gateway.client("nl-pol-limburg") as partner:
        return await partner.post_signal(document)


def another(document: dict[str, Any], reference: str) -> dict[str, Any]:
    """The same signal under a new sender reference: a new signal, not a retry."""
    again = copy.deepcopy(document)
    again["sender_reference"] = reference
    return again


async def queue_for(gateway: RunningGateway, token: str) -> list[dict[str, Any]]:
    async with gateway.staff_client(token) as desk:
        return await desk.queue()


async def item_for(
    gateway: RunningGateway, token: str, signal_id: str, recipient: str
) -> dict[str, Any]:
    items = [
        item
        for item in await queue_for(gateway, token)
        if item["signal_id"] == signal_id and item["recipient"] == recipient
    ]
    assert len(items) == 1, items
    return items[0]


@pytest.fixture
async def dutch_signal(gateway: RunningGateway, example: Callable[[str], dict[str, Any]]) -> str:
    receipt = await post(gateway, example(DUTCH_SIGNAL))
    return str(receipt["signal_id"])


async def test_each_desk_sees_only_its_own_countrys_copies(
    gateway: RunningGateway, dutch_signal: str, staff_token: Callable[..., Awaitable[str]]
) -> None:
    belgian = await queue_for(gateway, await staff_token("m.dubois", desk="BE"))
    german = await queue_for(gateway, await staff_token("k.schmidt", desk="DE"))

    assert {(i["signal_id"], i["recipient"]) for i in belgian} == {(dutch_signal, "be-pol-liege")}
    assert {(i["signal_id"], i["recipient"]) for i in german} == {(dutch_signal, "de-pol-aachen")}
    assert belgian[0]["reasons"][0]["code"] == "language"


async def test_the_queue_reason_is_in_the_officers_language(
    gateway: RunningGateway, dutch_signal: str, staff_token: Callable[..., Awaitable[str]]
) -> None:
    async with gateway.staff_client(
        await staff_token("m.dubois", desk="BE"), language="fr"
    ) as desk:
        (item,) = await desk.queue()
    assert item["reasons"][0]["label"] == (
        "texte libre dans une langue que le destinataire n'a pas indiquée"
    )


async def test_an_opened_copy_shows_the_original_beside_the_recipients_rendering(
    gateway: RunningGateway,
    dutch_signal: str,
    staff_token: Callable[..., Awaitable[str]],
    example: Callable[[str], dict[str, Any]],
) -> None:
    token = await staff_token("m.dubois", desk="BE")
    item = await item_for(gateway, token, dutch_signal, "be-pol-liege")
    async with gateway.staff_client(token) as desk:
        case = await desk.item(item["id"])

    assert case["original"] == {
        "language": "nl",
        "fields": {
            pointer: example(DUTCH_SIGNAL)[pointer[1:]]
            for pointer in ("/summary", "/description", "/handling_conditions")
            if pointer[1:] in example(DUTCH_SIGNAL)
        },
    }
    assert case["translation"]["language"] == "fr"
    assert case["sender"] == "nl-pol-limburg"
    assert case["decision"]["recipient"] == "be-pol-liege"
    assert case["rendering"]["language"] == "fr"
    assert case["rendering"]["locale"] == "fr_BE"
    assert case["rendering"]["time_zone"] == "Europe/Brussels"
    assert case["rendering_text"].startswith(case["rendering"]["title"])


async def test_opening_a_copy_is_audited_with_the_officers_id(
    gateway: RunningGateway, dutch_signal: str, staff_token: Callable[..., Awaitable[str]]
) -> None:
    token = await staff_token("m.dubois", desk="BE")
    item = await item_for(gateway, token, dutch_signal, "be-pol-liege")
    async with gateway.staff_client(token) as desk:
        await desk.item(item["id"])

    opened = [e for e in await gateway.store.audit_entries() if e.kind == "review.opened"]
    assert [(e.actor, e.data["item"]) for e in opened] == [("staff:m.dubois", item["id"])]


async def test_a_correction_released_is_served_from_memory_for_the_next_identical_sentence(
    gateway: RunningGateway,
    dutch_signal: str,
    staff_token: Callable[..., Awaitable[str]],
    example: Callable[[str], dict[str, Any]],
) -> None:
    token = await staff_token("m.dubois", desk="BE")
    first = await item_for(gateway, token, dutch_signal, "be-pol-liege")
    async with gateway.staff_client(token) as desk:
        released = await desk.release(
            first["id"], {"/summary": FRENCH_SUMMARY}, as_written=["/description"]
        )
    assert released["state"] == "released"
    assert released["officer"] == "m.dubois"

    receipt = await post(gateway, another(example(DUTCH_SIGNAL), "MAA-2026-0412-B"))
    second = await item_for(gateway, token, receipt["signal_id"], "be-pol-liege")
    async with gateway.staff_client(token) as desk:
        case = await desk.item(second["id"])

    summary = case["translation"]["fields"]["/summary"]
    assert summary["text"] == FRENCH_SUMMARY
    assert summary["provenance"]["kind"] == "memory"
    assert summary["language"] == "fr"


async def test_a_release_is_audited_without_the_text(
    gateway: RunningGateway, dutch_signal: str, staff_token: Callable[..., Awaitable[str]]
) -> None:
    token = await staff_token("m.dubois", desk="BE")
    item = await item_for(gateway, token, dutch_signal, "be-pol-liege")
    async with gateway.staff_client(token) as desk:
        await desk.release(item["id"], {"/summary": FRENCH_SUMMARY}, withheld=["/description"])

    (event,) = [e for e in await gateway.store.audit_entries() if e.kind == "review.released"]
    assert event.actor == "staff:m.dubois"
    assert event.data["corrected"] == ["/summary"]
    assert (event.data["as_written"], event.data["withheld_texts"]) == ([], ["/description"])
    assert FRENCH_SUMMARY not in json.dumps(event.data, ensure_ascii=False)


async def test_a_released_copy_leaves_the_queue_and_cannot_be_released_twice(
    gateway: RunningGateway, dutch_signal: str, staff_token: Callable[..., Awaitable[str]]
) -> None:
    token = await staff_token("m.dubois", desk="BE")
    item = await item_for(gateway, token, dutch_signal, "be-pol-liege")
    async with gateway.staff_client(token) as desk:
        await desk.release(item["id"], as_written=["/summary", "/description"])
        assert await desk.queue() == []
        with pytest.raises(Problem) as refused:
            await desk.release(item["id"])
    assert refused.value.status == 409
    assert refused.value.document["type"].endswith("review-decided")


async def test_a_rejection_needs_a_reason(
    gateway: RunningGateway, dutch_signal: str, staff_token: Callable[..., Awaitable[str]]
) -> None:
    token = await staff_token("k.schmidt", desk="DE")
    item = await item_for(gateway, token, dutch_signal, "de-pol-aachen")
    async with gateway.staff_client(token) as desk:
        with pytest.raises(Problem) as refused:
            await desk.reject(item["id"], "   ", "other")
        assert refused.value.status == 422
        rejected = await desk.reject(
            item["id"], "Zuständig ist die Staatsanwaltschaft Aachen.", "purpose_mismatch"
        )
    assert rejected["state"] == "rejected"
    kinds = [e.kind for e in await gateway.store.audit_entries()]
    assert "review.rejected" in kinds


async def test_another_desks_copy_is_not_found_and_other_roles_are_refused(
    gateway: RunningGateway, dutch_signal: str, staff_token: Callable[..., Awaitable[str]]
) -> None:
    belgian = await staff_token("m.dubois", desk="BE")
    item = await item_for(gateway, belgian, dutch_signal, "be-pol-liege")

    async with gateway.staff_client(await staff_token("k.schmidt", desk="DE")) as german:
        with pytest.raises(Problem) as hidden:
            await german.item(item["id"])
        with pytest.raises(Problem) as not_theirs:
            await german.release(item["id"])
    async with gateway.staff_client(
        await staff_token("c.peeters", role="compliance")
    ) as compliance:
        with pytest.raises(Problem) as forbidden:
            await compliance.queue()

    assert hidden.value.status == 404
    assert not_theirs.value.status == 404
    assert forbidden.value.status == 403


async def test_corrections_must_name_free_text_the_message_has(
    gateway: RunningGateway, dutch_signal: str, staff_token: Callable[..., Awaitable[str]]
) -> None:
    token = await staff_token("m.dubois", desk="BE")
    item = await item_for(gateway, token, dutch_signal, "be-pol-liege")
    async with gateway.staff_client(token, language="nl") as desk:
        with pytest.raises(Problem) as refused:
            await desk.release(item["id"], {"/persons/0/family_name": "Jansen"})
    assert refused.value.status == 422
    assert refused.value.document["pointer"] == "/persons/0/family_name"
    assert "/persons/0/family_name" in refused.value.document["detail"]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (b"[]", ""),
        (b'{"corrections": {"/summary": "x"}, "approve": true}', "/approve"),
        (b'{"corrections": ["/summary"]}', "/corrections"),
        (b'{"corrections": {"/summary": 3}}', "/corrections/~1summary"),
        (b'{"corrections": {}, "a/b~c": 1}', "/a~1b~0c"),
        (b'{"as_written": "/summary"}', "/as_written"),
        (b'{"withheld": ["/summary", 3]}', "/withheld/1"),
    ],
)
async def test_a_release_body_of_the_wrong_shape_is_a_problem_naming_where(
    gateway: RunningGateway,
    dutch_signal: str,
    staff_token: Callable[..., Awaitable[str]],
    body: bytes,
    pointer: str,
) -> None:
    token = await staff_token("m.dubois", desk="BE")
    item = await item_for(gateway, token, dutch_signal, "be-pol-liege")
    status, document = await raw(
        gateway, f"/v1/review/{item['id']}/release", token=token, body=body
    )
    assert status == 400
    assert document["pointer"] == pointer


async def raw(
    gateway: RunningGateway,
    path: str,
    *,
    token: str | None,
    body: bytes | None = None,
    content_type: str = "application/json",
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    connector = aiohttp.TCPConnector(ssl=client_context(gateway.layout, None))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.request(
            "GET" if body is None else "POST",
            gateway.staff_url + path,
            data=body,
            headers=headers,
        ) as response,
    ):
        document = await response.json(content_type=None)
        if response.status == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        return response.status, document


@pytest.mark.parametrize("token", [None, "", "not-a-token", "eur_" + "A" * 43])
async def test_without_a_valid_token_nothing_is_answered(
    gateway: RunningGateway, token: str | None
) -> None:
    status, document = await raw(gateway, "/v1/review", token=token)
    assert status == 401
    assert document["type"].endswith("staff-not-authenticated")


async def test_a_partner_certificate_is_no_way_into_the_staff_listener(
    gateway: RunningGateway,
) -> None:
    connector = aiohttp.TCPConnector(ssl=client_context(gateway.layout, "be-pol-liege"))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get(gateway.staff_url + "/v1/review") as response,
    ):
        assert response.status == 401


async def test_a_disabled_account_stops_at_once(
    gateway: RunningGateway, dutch_signal: str, staff_token: Callable[..., Awaitable[str]]
) -> None:
    token = await staff_token("m.dubois", desk="BE")
    assert await queue_for(gateway, token)

    await staff_admin.set_state(
        gateway.store, "m.dubois", StaffState.DISABLED, actor=refs.admin("test")
    )
    with pytest.raises(Problem) as refused:
        await queue_for(gateway, token)
    assert refused.value.status == 401


async def test_a_refused_token_is_audited_without_the_token(layout: DataDir) -> None:
    """Refusals are summarised per address and minute (tests/test_abuse_audit_flood.py); the
    summary, written when the gateway stops, names the reason and never the token."""
    attempt = "egt_" + "q" * 52
    settings = Settings(data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0)
    async with gateway_in_process(settings) as gateway:
        status, _ = await raw(gateway, "/v1/review", token=attempt)
    assert status == 401

    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        (event,) = [e for e in await store.audit_entries() if e.kind == "authentication.refused"]
    assert event.data["reasons"] == {"unknown": 1}
    assert attempt not in event.canonical.decode()
