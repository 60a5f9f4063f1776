"""Text a reader cannot see is refused (issue 9, finding 13).

A right-to-left override (U+202E) makes "Verhoeven gdc.exe" read differently from what it
holds; a zero-width space makes two equal-looking names differ. Such characters are refused
in every text of a signal, one issue per field with its own code (``invisible_character``)
and a message in the sender's language, by the gateway over real mutual TLS, by the offline
validator and by the JSON Schema alike. Joiners (U+200C, U+200D) stay allowed: scripts and
emoji sequences need them, and they neither hide text nor turn it around.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.contract.codelists import SCHEMAS_DIR
from gateway.contract.signal import LINE_PATTERN, TEXT_PATTERN
from gateway.contract.validate import validate_signal
from gateway.edges.cli import main
from gateway.infra.errors import SignalInvalid
from tests.conftest import RunningGateway, client_context, load_example
from tests.test_validate import NOW

INVISIBLE = [
    "\u061c",  # arabic letter mark
    "\u180e",  # mongolian vowel separator
    "\u200b",  # zero width space
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    *map(chr, range(0x202A, 0x202F)),  # embeddings and overrides
    *map(chr, range(0x2060, 0x2065)),  # word joiner, invisible operators
    *map(chr, range(0x2066, 0x2070)),  # isolates, deprecated format characters
    "\ufeff",  # byte order mark, zero width no-break space
    *map(chr, range(0xFFF9, 0xFFFC)),  # interlinear annotation
]
SEEN_AS_IS = ["\u200c", "\u200d", "é", "ß", "ĳ", "\u0645\u062d\u0645\u062f", "👨\u200d👩\u200d👧"]
MESSAGES = {
    "en": "Must not contain invisible characters or characters that change the direction of the "
    "text; found U+202E at character 11.",
    "nl": "Mag geen onzichtbare tekens of tekens die de schrijfrichting van de tekst veranderen "
    "bevatten; U+202E gevonden op teken 11.",
    "fr": "Ne doit pas contenir de caractères invisibles ni de caractères qui changent le sens "
    "d’écriture du texte ; U+202E trouvé au caractère 11.",
    "de": "Darf keine unsichtbaren Zeichen und keine Zeichen enthalten, die die Schreibrichtung "
    "des Textes ändern; U+202E an Zeichen 11 gefunden.",
}


def signal(**changes: Any) -> dict[str, Any]:
    return {**load_example("nl-drug-waste-maastricht.json"), **changes}


def with_name(document: dict[str, Any], name: str) -> dict[str, Any]:
    persons = [dict(person) for person in document["persons"]]
    persons[0]["family_name"] = name
    return {**document, "persons": persons}


def issues(document: object) -> list[tuple[str, str]]:
    try:
        validate_signal(document, now=NOW)
    except SignalInvalid as refusal:
        return [(issue.pointer, issue.code) for issue in refusal.issues]
    return []


async def post(gateway: RunningGateway, document: object, language: str) -> tuple[int, Any]:
    connector = aiohttp.TCPConnector(ssl=client_context(gateway.layout, "nl-pol-limburg"))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.post(
            f"{gateway.url}/v1/signals",
            data=json.dumps(document).encode(),
            headers={"Content-Type": "application/json", "Accept-Language": language},
        ) as response,
    ):
        return response.status, await response.json(content_type=None)


@pytest.mark.parametrize("language", sorted(MESSAGES))
async def test_the_gateway_refuses_a_hidden_direction_change_in_each_field_it_is_in(
    gateway: RunningGateway, language: str
) -> None:
    document = with_name(
        signal(
            summary="Drugsafval\u202egnipmuD",
            description="Regel een.\n\u2067Regel twee\u2069.",
        ),
        "Verhoeven\u200b",
    )
    status, problem = await post(gateway, document, language)

    assert status == 422
    assert problem["type"] == "urn:euregate:problem:signal-invalid"
    assert [(e["pointer"], e["code"]) for e in problem["errors"]] == [
        ("/summary", "invisible_character"),
        ("/description", "invisible_character"),
        ("/persons/0/family_name", "invisible_character"),
    ]
    assert problem["errors"][0]["detail"] == MESSAGES[language]
    assert "U+2067" in problem["errors"][1]["detail"]
    assert "U+200B" in problem["errors"][2]["detail"]


@pytest.mark.parametrize("character", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_every_invisible_character_is_refused_in_one_line_and_in_free_text(
    character: str,
) -> None:
    document = signal(summary=f"Vaten{character} gedumpt", handling_code="H3")
    document["handling_conditions"] = f"Niet{character} verder verstrekken."
    assert issues(document) == [
        ("/handling_conditions", "invisible_character"),
        ("/summary", "invisible_character"),
    ]


@pytest.mark.parametrize("text", SEEN_AS_IS)
def test_joiners_and_other_letters_are_accepted(text: str) -> None:
    assert issues(with_name(signal(summary=f"Vaten {text} gedumpt"), f"Naam{text}")) == []


def test_tab_and_line_breaks_stay_allowed_in_free_text_and_other_controls_do_not() -> None:
    assert issues(signal(description="Een\tlijn.\r\nNog een.")) == []
    assert issues(signal(summary="Een\tlijn")) == [("/summary", "control_character")]
    assert issues(signal(description="Een\u0085lijn")) == [("/description", "control_character")]


@given(
    st.text(st.characters(codec="utf-8", exclude_categories=("C",)), min_size=1, max_size=40),
    st.sampled_from(INVISIBLE),
    st.data(),
)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_wherever_an_invisible_character_stands_it_is_found_and_named(
    text: str, character: str, data: st.DataObject
) -> None:
    position = data.draw(st.integers(0, len(text)))
    summary = f"x{text[:position]}{character}{text[position:]}"
    first = next(i for i, c in enumerate(summary) if c in INVISIBLE)
    try:
        validate_signal(signal(summary=summary[:280]), now=NOW)
    except SignalInvalid as refusal:
        found = refusal.issues
    else:
        found = ()
    assert [(i.pointer, i.code) for i in found] == [("/summary", "invisible_character")]
    assert found[0].params == {"character": f"U+{ord(summary[first]):04X}", "position": first + 1}


@given(st.text(st.characters(codec="utf-8"), max_size=30))
@settings(max_examples=300, deadline=None)
def test_the_json_schema_refuses_exactly_what_the_gateway_refuses(text: str) -> None:
    schema = json.loads((SCHEMAS_DIR / "signal-1.schema.json").read_text(encoding="utf-8"))
    summary_pattern = schema["properties"]["summary"]["pattern"]
    assert summary_pattern == LINE_PATTERN
    for pattern, member in ((LINE_PATTERN, "summary"), (TEXT_PATTERN, "description")):
        accepted = issues(signal(**{member: text})) == []
        assert accepted == (re.fullmatch(pattern, text) is not None and len(text) >= 1)


def test_the_offline_validator_names_the_field_and_the_character(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hidden.json"
    path.write_text(json.dumps(signal(summary="Drugsafval\u202egnipmuD")), encoding="utf-8")

    code = main(["schema", "validate", "--lang", "de", str(path)])

    assert code == 1
    assert capsys.readouterr().out == f"{path}: /summary: {MESSAGES['de']}\n"
