"""Untranslated text never leaves silently, on a real gateway: Maastricht's Dutch signal waits
for the Belgian desk on its way to Liège (French); a release that leaves a Dutch text without
the officer's choice is refused and nothing goes out, and what the officer chose reaches the
recipient said in French."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from euregate_client import Message, Problem

from tests.conftest import RunningGateway
from tests.test_delivery import pull

DUTCH_SIGNAL = "nl-drug-waste-maastricht.json"
FRENCH_SUMMARY = "Déchets de production de drogues déversés le long de la Lage Kanaaldijk"


@pytest.fixture
async def waiting(
    gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    staff_token: Callable[..., Awaitable[str]],
) -> tuple[str, str]:
    """The officer's token and the copy for Liège waiting at the Belgian desk."""
    async with gateway.client("nl-pol-limburg") as partner:
        await partner.post_signal(example(DUTCH_SIGNAL))
    token = await staff_token("m.dubois", desk="BE")
    async with gateway.staff_client(token) as desk:
        (item,) = await desk.queue()
    return token, str(item["id"])


async def released_to_liege(
    gateway: RunningGateway, waiting: tuple[str, str], **choices: list[str]
) -> tuple[Message, dict[str, Any]]:
    """Release the summary translated and the description as ``choices`` say: what Liège
    reads, and the release's audit data."""
    token, item_id = waiting
    async with gateway.staff_client(token) as desk:
        await desk.release(item_id, {"/summary": FRENCH_SUMMARY}, **choices)
    (message,) = await pull(gateway, "be-pol-liege")
    (event,) = [e for e in await gateway.store.audit_entries() if e.kind == "review.released"]
    return message, dict(event.data)


def field(message: Message, pointer: str) -> dict[str, Any]:
    (found,) = [
        item
        for section in message.content["document"]["sections"]
        for item in section["fields"]
        if item["pointer"] == pointer
    ]
    return dict(found)


async def test_a_release_leaving_dutch_text_unchosen_is_refused_and_nothing_goes_out(
    gateway: RunningGateway, waiting: tuple[str, str]
) -> None:
    token, item_id = waiting
    async with gateway.staff_client(token, language="fr") as desk:
        case = await desk.item(item_id)
        assert case["untranslated"] == [
            {"pointer": "/description", "language": "nl"},
            {"pointer": "/summary", "language": "nl"},
        ]
        with pytest.raises(Problem) as refused:
            await desk.release(item_id, {"/summary": FRENCH_SUMMARY})
        still = await desk.queue()

    assert refused.value.status == 422
    assert refused.value.document["type"].endswith("untranslated-unresolved")
    assert refused.value.document["untranslated"] == [{"pointer": "/description", "language": "nl"}]
    assert "/description" in refused.value.document["detail"]
    assert [item["id"] for item in still] == [item_id]
    kinds = [e.kind for e in await gateway.store.audit_entries()]
    assert "review.released" not in kinds


async def test_a_text_sent_as_written_reaches_liege_marked_in_french(
    gateway: RunningGateway, waiting: tuple[str, str]
) -> None:
    message, released = await released_to_liege(gateway, waiting, as_written=["/description"])
    description = field(message, "/description")
    assert description["untranslated"] == {
        "language": "nl",
        "marker": "[tel que rédigé, en néerlandais]",
    }
    assert "untranslated" not in field(message, "/summary")
    assert "[tel que rédigé, en néerlandais] Een getuige" in message.text
    assert field(message, "/language")["value"] == "français (Résumé), néerlandais (Description)"
    assert (released["corrected"], released["as_written"]) == (["/summary"], ["/description"])


async def test_a_withheld_text_is_not_in_the_copy_and_is_listed_as_withheld(
    gateway: RunningGateway, waiting: tuple[str, str]
) -> None:
    message, released = await released_to_liege(gateway, waiting, withheld=["/description"])
    assert "description" not in message.content["signal"]
    assert message.content["removed"]["withheld_texts"] == ["/description"]
    assert field(message, "/description")["note"] == (
        "retenu par un officier de liaison, non traduit"
    )
    assert "Een getuige" not in message.text
    language = field(message, "/language")
    assert (language["value"], language["note"]) == ("français", "rédigé en néerlandais")
    assert released["withheld_texts"] == ["/description"]


async def test_two_fates_for_one_field_are_refused(
    gateway: RunningGateway, waiting: tuple[str, str]
) -> None:
    token, item_id = waiting
    async with gateway.staff_client(token) as desk:
        with pytest.raises(Problem) as refused:
            await desk.release(
                item_id, as_written=["/summary", "/description"], withheld=["/description"]
            )
    assert refused.value.status == 422
    assert refused.value.document["pointer"] == "/description"
