"""A liaison officer of one desk cannot plant text that another country's police read unreviewed.

The attack, over real TLS against the real gateway: a Belgian officer releases the copy for
the city of Eupen (Dutch to German) with a /summary of their own choosing, which the
translation memory learns. A later ``immediate`` signal from the Dutch police to the Aachen
police holds the same Dutch sentence; its first copy goes out at once, before any German
officer has seen it. It must not carry the Belgian officer's words: an entry serves its own
desk's recipients, other desks only once a second officer of its desk confirmed it, and then
only in copies an officer of the recipient's desk reviews before release.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from euregate_client import Message, Problem

from gateway.infra.config import DataDir
from tests.conftest import RunningGateway
from tests.review_release import release_as_written
from tests.test_delivery import post, pull

DUTCH = "nl-drug-waste-maastricht.json"
SENTENCE = (
    "Drugsafval (ca. 40 vaten) gedumpt langs de Lage Kanaaldijk; bestelbus met "
    "Belgisch-Nederlandse bemanning gezien"
)
PLANTED = "Routinekontrolle ohne Befund; keine Maßnahmen erforderlich"
GERMAN = (
    "Drogenabfälle (ca. 40 Fässer) an der Lage Kanaaldijk abgeladen; Lieferwagen mit "
    "belgisch-niederländischer Besatzung gesehen"
)
Example = Callable[[str], dict[str, Any]]
Officers = dict[str, str]


@pytest.fixture
async def officers(staff_token: Callable[..., Awaitable[str]]) -> Officers:
    """API tokens of two Belgian and two German liaison officers."""
    return {
        "m.dubois": await staff_token("m.dubois", desk="BE"),
        "j.peeters": await staff_token("j.peeters", desk="BE"),
        "k.schmidt": await staff_token("k.schmidt", desk="DE"),
        "a.weber": await staff_token("a.weber", desk="DE"),
    }


def signal_to(example: Example, recipient: str, reference: str, *, immediate: bool) -> Any:
    document = copy.deepcopy(example(DUTCH))
    document["recipients"] = {"partners": [recipient]}
    document["sender_reference"] = reference
    document["urgency"] = "immediate" if immediate else "urgent"
    assert document["summary"] == SENTENCE
    return document


async def item_for(gateway: RunningGateway, token: str, signal_id: str) -> dict[str, Any]:
    async with gateway.staff_client(token) as desk:
        (item,) = [i for i in await desk.queue() if i["signal_id"] == signal_id]
        return await desk.item(item["id"])


async def release(
    gateway: RunningGateway, token: str, signal_id: str, corrections: dict[str, str]
) -> None:
    case = await item_for(gateway, token, signal_id)
    async with gateway.staff_client(token) as desk:
        await release_as_written(desk, case["id"], corrections)


async def plant(gateway: RunningGateway, officers: Officers, example: Example) -> None:
    """The Belgian officer's move: release Eupen's copy with a summary of their choosing."""
    eupen = await post(
        gateway, "nl-pol-limburg", signal_to(example, "be-gem-eupen", "EUP-1", immediate=False)
    )
    await release(gateway, officers["m.dubois"], eupen, {"/summary": PLANTED})


def summary_field(message: Message) -> dict[str, Any]:
    return next(
        field
        for section in message.content["document"]["sections"]
        for field in section["fields"]
        if field["pointer"] == "/summary"
    )


async def aachen_reads(gateway: RunningGateway, signal_id: str) -> Message:
    """The next copy of ``signal_id`` that the Aachen police pull and open."""
    while True:
        for message in await pull(gateway, "de-pol-aachen"):
            if message.signal_id == signal_id:
                return message


async def belgian_entry(gateway: RunningGateway, officers: Officers) -> dict[str, Any]:
    async with gateway.staff_client(officers["j.peeters"]) as desk:
        (entry,) = [e for e in await desk.memory() if e["target"] == PLANTED]
        return entry


# --- the attack --------------------------------------------------------------------------------


async def test_a_belgian_officers_text_does_not_reach_aachen_in_an_unreviewed_copy(
    gateway: RunningGateway, officers: Officers, example: Example
) -> None:
    await plant(gateway, officers, example)

    signal_id = await post(
        gateway, "nl-pol-limburg", signal_to(example, "de-pol-aachen", "AC-1", immediate=True)
    )
    unreviewed = await aachen_reads(gateway, signal_id)

    assert unreviewed.content["review"] == "pending"
    everything = json.dumps(unreviewed.content, ensure_ascii=False) + unreviewed.text
    assert PLANTED not in everything
    summary = summary_field(unreviewed)
    assert (summary["value"], summary["provenance"]) == (SENTENCE, {"kind": "original"})
    assert summary["origin"] == "Originaltext auf Niederländisch"
    assert summary["untranslated"] == {
        "language": "nl",
        "marker": "[im Wortlaut, auf Niederländisch]",
    }
    assert f"Zusammenfassung: [im Wortlaut, auf Niederländisch] {SENTENCE}" in unreviewed.text
    case = await item_for(gateway, officers["k.schmidt"], signal_id)
    assert PLANTED not in json.dumps(case, ensure_ascii=False)
    assert case["translation"]["fields"]["/summary"]["provenance"] == {"kind": "original"}


async def test_a_confirmed_entry_reaches_another_desk_only_through_its_own_officers_review(
    gateway: RunningGateway, officers: Officers, example: Example
) -> None:
    await plant(gateway, officers, example)
    entry = await belgian_entry(gateway, officers)
    assert (entry["desk"], entry["officer"], entry["confirmed_by"]) == ("BE", "m.dubois", None)
    assert entry["source"] == SENTENCE

    async with gateway.staff_client(officers["m.dubois"]) as author:
        with pytest.raises(Problem) as own:
            await author.confirm_memory(entry["id"])
    async with gateway.staff_client(officers["k.schmidt"], language="de") as german:
        with pytest.raises(Problem) as foreign:
            await german.confirm_memory(entry["id"])
        assert await german.memory() == []
    assert own.value.status == 403
    assert own.value.document["type"] == "urn:euregate:problem:memory-confirmation-refused"
    assert foreign.value.status == 404
    async with gateway.staff_client(officers["j.peeters"]) as second:
        confirmed = await second.confirm_memory(entry["id"])
        with pytest.raises(Problem) as again:
            await second.confirm_memory(entry["id"])
    assert confirmed["confirmed_by"] == "j.peeters"
    assert again.value.status == 409

    signal_id = await post(
        gateway, "nl-pol-limburg", signal_to(example, "de-pol-aachen", "AC-2", immediate=True)
    )
    unreviewed = await aachen_reads(gateway, signal_id)
    assert PLANTED not in json.dumps(unreviewed.content, ensure_ascii=False) + unreviewed.text

    case = await item_for(gateway, officers["k.schmidt"], signal_id)
    suggested = case["translation"]["fields"]["/summary"]
    assert suggested["text"] == PLANTED
    assert suggested["provenance"] == {
        "kind": "memory",
        "desk": "BE",
        "officer": "m.dubois",
        "confirmed_by": "j.peeters",
    }
    await release(gateway, officers["k.schmidt"], signal_id, {})
    reviewed = await aachen_reads(gateway, signal_id)

    assert (reviewed.content["review"], reviewed.version) == ("released", 2)
    origin = (
        "übersetzt (Ausgangssprache: Niederländisch) mit dem Übersetzungsspeicher des "
        "Zuständigkeitsbereichs BE (verfasst von m.dubois, bestätigt von j.peeters)"
    )
    assert summary_field(reviewed)["value"] == PLANTED
    assert summary_field(reviewed)["origin"] == origin
    assert f"Zusammenfassung: {PLANTED}\n    [{origin}]" in reviewed.text


async def test_each_desk_keeps_its_own_entry_and_its_own_recipients_get_it(
    gateway: RunningGateway, officers: Officers, example: Example
) -> None:
    """The German desk's own correction serves the next unreviewed copy to Aachen (the memory
    is not simply switched off), and neither desk's entry overwrites the other's."""
    await plant(gateway, officers, example)
    first = await post(
        gateway, "nl-pol-limburg", signal_to(example, "de-pol-aachen", "AC-3", immediate=False)
    )
    await release(gateway, officers["k.schmidt"], first, {"/summary": GERMAN})
    await aachen_reads(gateway, first)

    signal_id = await post(
        gateway, "nl-pol-limburg", signal_to(example, "de-pol-aachen", "AC-4", immediate=True)
    )
    unreviewed = await aachen_reads(gateway, signal_id)

    summary = summary_field(unreviewed)
    assert summary["value"] == GERMAN
    assert summary["provenance"] == {"kind": "memory", "desk": "DE", "officer": "k.schmidt"}
    assert summary["origin"] == (
        "übersetzt (Ausgangssprache: Niederländisch) mit dem Übersetzungsspeicher des "
        "Zuständigkeitsbereichs DE (verfasst von k.schmidt, nicht von einem zweiten "
        "Verbindungsbeamten bestätigt)"
    )
    assert (await belgian_entry(gateway, officers))["target"] == PLANTED
    async with gateway.staff_client(officers["a.weber"]) as german:
        (own,) = await german.memory()
    assert (own["target"], own["desk"], own["officer"]) == (GERMAN, "DE", "k.schmidt")


async def test_listing_and_confirming_are_audited_without_the_text(
    gateway: RunningGateway, officers: Officers, example: Example
) -> None:
    await plant(gateway, officers, example)
    entry = await belgian_entry(gateway, officers)
    async with gateway.staff_client(officers["j.peeters"]) as second:
        await second.confirm_memory(entry["id"])

    events = [
        (e.kind, e.actor, e.data)
        for e in await gateway.store.audit_entries()
        if e.kind in {"memory.listed", "memory.confirmed"}
    ]
    assert events == [
        ("memory.listed", "staff:j.peeters", {"desk": "BE", "entries": 1}),
        (
            "memory.confirmed",
            "staff:j.peeters",
            {
                "entry": entry["id"],
                "desk": "BE",
                "author": "m.dubois",
                "source_language": "nl",
                "target_language": "de",
            },
        ),
    ]
    log = b"".join(e.canonical for e in await gateway.store.audit_entries()).decode()
    assert PLANTED not in log
    assert SENTENCE not in log


# --- an entry moved or confirmed by hand in the database ---------------------------------------


@pytest.mark.parametrize(
    "forgery",
    [
        "UPDATE translation_memory SET desk = 'DE'",
        "UPDATE translation_memory SET confirmed_by = 'x'",
    ],
    ids=["moved-to-another-desk", "confirmed-by-hand"],
)
async def test_an_entry_changed_in_the_database_serves_nobody(
    gateway: RunningGateway,
    officers: Officers,
    example: Example,
    forgery: str,
) -> None:
    await plant(gateway, officers, example)
    forge(gateway.layout, forgery)

    signal_id = await post(
        gateway, "nl-pol-limburg", signal_to(example, "de-pol-aachen", "AC-5", immediate=True)
    )
    unreviewed = await aachen_reads(gateway, signal_id)
    case = await item_for(gateway, officers["k.schmidt"], signal_id)

    assert PLANTED not in json.dumps(unreviewed.content, ensure_ascii=False)
    assert PLANTED not in json.dumps(case, ensure_ascii=False)


def forge(layout: DataDir, statement: str) -> None:
    with sqlite3.connect(layout.database) as conn:
        assert conn.execute(statement).rowcount == 1
