"""Signal 1.1: indicators, refs of places and coded colours; a signal/1.0 stays valid unchanged.

The gateway's rules (``validate_signal``) and the published JSON Schema are checked on the same
documents, so that a partner validating against the schema refuses what the gateway refuses.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator

from gateway.contract import codelists
from gateway.contract.codelists import SCHEMAS_DIR
from gateway.contract.validate import validate_signal
from gateway.contract.versions import minor_version, version_issues
from gateway.infra.errors import SignalInvalid
from tests.conftest import EXAMPLES
from tests.strategies import valid_signals

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SCHEMA = Draft202012Validator(
    json.loads((SCHEMAS_DIR / "signal-1.schema.json").read_text(encoding="utf-8"))
)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REWRITTEN = ("nl-drug-waste-maastricht", "be-cannabis-lanaken", "de-shisha-aachen")


def example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text("utf-8"))
    return document


def issues(document: dict[str, Any]) -> list[tuple[str, str]]:
    try:
        validate_signal(document, now=NOW)
    except SignalInvalid as refused:
        return [(issue.pointer, issue.code) for issue in refused.issues]
    return []


def schema_accepts(document: dict[str, Any]) -> bool:
    return SCHEMA.is_valid(json.loads(json.dumps(document)))


def as_signal_1_0(document: dict[str, Any], colour: str = "wit") -> dict[str, Any]:
    """A 1.1 document as a partner on 1.0 wrote it: no indicators or place refs, colour as text."""
    older = copy.deepcopy(document) | {"schema": "signal/1.0"}
    older.pop("indicators", None)
    older["location"].pop("ref", None)
    for organisation in older.get("organisations", ()):
        organisation.get("address", {}).pop("ref", None)
    for vehicle in older.get("vehicles", ()):
        vehicle["colour"] = colour
    return older


# --- the rewritten examples ------------------------------------------------------------------


@pytest.mark.parametrize("name", REWRITTEN)
def test_the_rewritten_examples_are_signal_1_1_with_indicators(name: str) -> None:
    document = example(name)
    assert document["schema"] == "signal/1.1"
    assert len(document["indicators"]) >= 2
    assert issues(document) == []
    assert schema_accepts(document)


@pytest.mark.parametrize("name", REWRITTEN)
def test_each_example_as_signal_1_0_with_a_colour_in_words_is_valid_unchanged(name: str) -> None:
    older = as_signal_1_0(example(name))
    assert issues(older) == []
    assert schema_accepts(older)
    signal = validate_signal(older, now=NOW)
    assert signal.indicators == ()
    assert [v.colour for v in signal.vehicles] == ["wit"] * len(older.get("vehicles", ()))


@PROPERTY
@given(document=valid_signals(NOW))
def test_a_valid_signal_of_any_minor_version_validates_and_the_schema_agrees(
    document: dict[str, Any],
) -> None:
    assert issues(document) == []
    assert schema_accepts(document)
    if minor_version(document) == 0:
        assert "indicators" not in document
        assert version_issues(document) == []


# --- what signal/1.1 adds, refused under 1.0 --------------------------------------------------


def test_indicators_and_place_refs_need_signal_1_1() -> None:
    document = example("de-shisha-aachen") | {"schema": "signal/1.0"}
    document["location"]["ref"] = "L0"
    for vehicle in document.get("vehicles", ()):
        vehicle["colour"] = "schwarz"
    assert issues(document) == [
        ("/location/ref", "needs_minor_version"),
        ("/organisations/0/address/ref", "needs_minor_version"),
        ("/indicators", "needs_minor_version"),
    ]
    assert not schema_accepts(document)


def test_an_empty_list_of_indicators_is_still_signal_1_0() -> None:
    document = as_signal_1_0(example("nl-drug-waste-maastricht")) | {"indicators": []}
    assert issues(document) == []
    assert schema_accepts(document)


@pytest.mark.parametrize("version", ["signal/1.1", "signal/1.7"])
def test_from_signal_1_1_a_colour_is_a_code(version: str) -> None:
    document = example("nl-drug-waste-maastricht") | {"schema": version}
    document["vehicles"][0]["colour"] = "wit"
    assert issues(document) == [("/vehicles/0/colour", "colour_code")]
    assert not schema_accepts(document)
    for colour in codelists.codes("colour"):
        document["vehicles"][0]["colour"] = colour
        assert issues(document) == []
        assert schema_accepts(document)


def test_the_colour_refusal_lists_the_codes_and_quotes_what_was_sent() -> None:
    document = example("nl-drug-waste-maastricht")
    document["vehicles"][0]["colour"] = "lichtblauw metallic gestreept"
    with pytest.raises(SignalInvalid) as refused:
        validate_signal(document, now=NOW)
    [issue] = refused.value.issues
    assert issue.params["expected"] == ", ".join(codelists.codes("colour"))
    assert issue.params["found"] == '"lichtblauw metallic gestreept"'


# --- indicators: codes, dates, refs -----------------------------------------------------------


def with_indicators(*indicators: dict[str, Any]) -> dict[str, Any]:
    document = example("de-shisha-aachen")
    document["indicators"] = list(indicators)
    return document


@pytest.mark.parametrize(
    ("indicator", "expected"),
    [
        ({"code": "drugs.cannabis_smell"}, []),
        ({"code": "drugs.cannabis_smell", "location_ref": "L1", "entity_ref": "P1"}, []),
        ({"code": "drugs.cannabis_smell", "date": "2026-11-25"}, []),
        ({"code": "drugs.weed"}, [("/indicators/0/code", "enum")]),
        ({"code": "drugs.cannabis_smell", "date": "2026-02-30"}, [("/indicators/0/date", "x")]),
        ({"code": "drugs.cannabis_smell", "date": "2026-11-26"}, [("/indicators/0/date", "y")]),
        ({"code": "drugs.cannabis_smell", "date": "2026"}, [("/indicators/0/date", "x")]),
        (
            {"code": "drugs.cannabis_smell", "location_ref": "L9"},
            [("/indicators/0/location_ref", "unknown_place_ref")],
        ),
        (
            {"code": "drugs.cannabis_smell", "location_ref": "O1"},
            [("/indicators/0/location_ref", "indicator_ref_kind")],
        ),
        (
            {"code": "drugs.cannabis_smell", "entity_ref": "L1"},
            [("/indicators/0/entity_ref", "indicator_ref_kind")],
        ),
        (
            {"code": "drugs.cannabis_smell", "entity_ref": "V9"},
            [("/indicators/0/entity_ref", "unknown_ref")],
        ),
        ({"code": "drugs.cannabis_smell", "colour": "red"}, [("/indicators/0/colour", "z")]),
    ],
)
def test_an_indicator_is_checked_with_a_precise_pointer(
    indicator: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    codes = {"x": "indicator_date_format", "y": "indicator_date_in_future", "z": "extra_forbidden"}
    wanted = [(pointer, codes.get(code, code)) for pointer, code in expected]
    document = with_indicators(indicator)
    assert issues(document) == wanted
    if wanted and wanted[0][1] in ("enum", "extra_forbidden"):
        assert not schema_accepts(document)


def test_a_place_ref_is_unique_among_every_ref_of_the_signal() -> None:
    """The place is met first (the location comes before the persons), so P1 names a place."""
    document = with_indicators({"code": "business.unusual_opening_hours", "entity_ref": "P1"})
    document["location"]["ref"] = "P1"
    document["links"] = []
    assert issues(document) == [
        ("/persons/0/ref", "duplicate_ref"),
        ("/indicators/0/entity_ref", "indicator_ref_kind"),
    ]


def test_a_link_cannot_name_a_place() -> None:
    document = example("de-shisha-aachen")
    document["links"].append({"from": "P1", "to": "L1", "relation": "owner"})
    assert issues(document) == [("/links/2/to", "wrong_ref_kind")]


def test_too_many_indicators_are_refused_by_their_number_alone() -> None:
    document = with_indicators(*[{"code": "drugs.cannabis_smell", "location_ref": "L9"}] * 101)
    assert issues(document) == [("/indicators", "too_long")]
    assert not schema_accepts(document)
