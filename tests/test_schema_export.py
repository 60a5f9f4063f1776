"""The committed JSON Schema says exactly what the models check, in a form partners can use."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.contract import codelists
from gateway.contract.codelists import SCHEMAS_DIR
from gateway.contract.schema_export import (
    SIGNAL_SCHEMA_FILE,
    drifted_schemas,
    export_schemas,
    render_schemas,
)
from gateway.contract.signal import COUNTRY_FORMATS, PERSON_NUMBERS
from gateway.edges.cli import main


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (SCHEMAS_DIR / SIGNAL_SCHEMA_FILE).read_text(encoding="utf-8")
    )
    return loaded


def objects(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The signal itself and every model definition, by name."""
    yield "Signal", schema
    for name, definition in schema["$defs"].items():
        if definition.get("type") == "object":
            yield name, definition


def subschemas(value: object) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from subschemas(item)
    elif isinstance(value, list):
        for item in value:
            yield from subschemas(item)


def test_the_committed_schema_is_what_the_models_generate() -> None:
    assert drifted_schemas(SCHEMAS_DIR) == [], "run `euregate schema export` and commit schemas/"


def test_the_schema_file_is_stable_text() -> None:
    text = render_schemas()[SIGNAL_SCHEMA_FILE]
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert render_schemas() == render_schemas()


def test_the_schema_names_its_dialect_and_itself(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "urn:euregate:schema:signal:1"
    assert schema["title"] == "Euregate Signal v1"
    assert "check digits" in schema["description"]


def test_every_object_refuses_members_it_does_not_define(schema: dict[str, Any]) -> None:
    names = {name for name, _ in objects(schema)}
    assert {
        "Signal",
        "Location",
        "Coordinates",
        "Person",
        "PersonIdentifier",
        "Organisation",
    } <= names
    assert {
        "OrganisationIdentifier",
        "Vehicle",
        "Account",
        "Link",
        "Recipients",
        "Request",
    } <= names
    for name, definition in objects(schema):
        assert definition["additionalProperties"] is False, name


def test_every_property_and_definition_is_described(schema: dict[str, Any]) -> None:
    for name, definition in objects(schema):
        assert definition.get("description"), name
        for member, property_schema in definition["properties"].items():
            assert property_schema.get("description"), f"{name}.{member}"
    for name, definition in schema["$defs"].items():
        assert definition.get("description"), name


def test_the_json_names_are_used(schema: dict[str, Any]) -> None:
    assert set(schema["$defs"]["Link"]["properties"]) == {"from", "to", "relation"}
    assert "schema" in schema["properties"]
    assert "schema_version" not in schema["properties"]


@pytest.mark.parametrize(
    ("definition", "codelist"),
    [
        ("CategoryCode", "category"),
        ("UrgencyCode", "urgency"),
        ("CountryCode", "country"),
        ("IsoCountryCode", "iso_country"),
        ("RelationCode", "relation"),
        ("RequestDeadlineCode", "request_deadline"),
    ],
)
def test_coded_values_are_enums_taken_from_the_code_lists(
    schema: dict[str, Any], definition: str, codelist: str
) -> None:
    assert schema["$defs"][definition]["enum"] == list(codelists.codes(codelist))
    assert schema["$defs"][definition]["type"] == "string"


def test_every_code_list_the_models_use_is_in_the_schema(schema: dict[str, Any]) -> None:
    defined = {name for name in schema["$defs"] if name.endswith("Code")}
    used = set(codelists.names())
    assert len(defined) == len(used) - 1, "colour is in the rule of signal/1.1, not a field"
    assert "IndicatorCode" in defined


def test_signal_1_0_has_no_indicators_nor_place_refs_and_1_1_codes_the_colour(
    schema: dict[str, Any],
) -> None:
    *_, minor = schema["allOf"]
    assert minor["if"]["properties"]["schema"] == {"const": "signal/1.0"}
    assert minor["then"]["properties"]["indicators"] == {"maxItems": 0}
    assert minor["then"]["properties"]["location"] == {"properties": {"ref": False}}
    colour, null = minor["else"]["properties"]["vehicles"]["items"]["properties"]["colour"]["anyOf"]
    assert null == {"type": "null"}
    assert colour["enum"] == list(codelists.codes("colour"))
    assert colour["title"] == "ColourCode"


def test_every_pattern_is_a_regular_expression_python_reads_too(schema: dict[str, Any]) -> None:
    patterns = [
        node["pattern"] for node in subschemas(schema) if isinstance(node.get("pattern"), str)
    ]
    assert len(patterns) > 20
    for pattern in patterns:
        assert pattern.startswith("^"), pattern
        re.compile(pattern)


def test_h3_requires_conditions_and_care_requires_the_special_category_flag(
    schema: dict[str, Any],
) -> None:
    h3, care, _ = schema["allOf"]
    assert h3["if"]["properties"]["handling_code"] == {"const": "H3"}
    assert h3["then"]["required"] == ["handling_conditions"]
    assert h3["else"]["properties"]["handling_conditions"] == {"type": "null"}
    assert re.match(care["if"]["properties"]["category"]["pattern"], "care.vulnerable_youth")
    assert care["then"]["properties"]["special_category_data"] == {"const": True}


def test_municipality_and_postal_codes_have_the_pattern_of_their_country(
    schema: dict[str, Any],
) -> None:
    rules = schema["$defs"]["Location"]["allOf"]
    by_country = {
        rule["if"]["properties"]["country"]["const"]: rule["then"]["properties"]
        for rule in rules
        if "country" in rule["if"]["properties"]
    }
    assert set(by_country) == {"NL", "BE", "DE"}
    for country, form in COUNTRY_FORMATS.items():
        assert by_country[country]["municipality_code"]["pattern"] == form.municipality_pattern
        assert by_country[country]["postal_code"]["pattern"] == form.postal_pattern
    assert re.match(by_country["NL"]["postal_code"]["pattern"], "6211 LN")
    assert not re.match(by_country["NL"]["postal_code"]["pattern"], "6211 SS")


def test_national_numbers_have_their_pattern_and_issuing_country(schema: dict[str, Any]) -> None:
    rules = schema["$defs"]["PersonIdentifier"]["allOf"]
    by_type = {
        rule["if"]["properties"]["type"]["const"]: rule["then"]["properties"] for rule in rules
    }
    assert set(by_type) == set(PERSON_NUMBERS)
    assert by_type["nl.bsn"] == {
        "value": {"pattern": "^[0-9]{9}$"},
        "issuing_country": {"const": "NL"},
    }
    assert "issuing_country" not in by_type["passport"]


def test_export_writes_what_render_gives(tmp_path: Path) -> None:
    written = export_schemas(tmp_path / "schemas")
    assert [path.name for path in written] == [SIGNAL_SCHEMA_FILE]
    assert written[0].read_text(encoding="utf-8") == render_schemas()[SIGNAL_SCHEMA_FILE]
    assert drifted_schemas(tmp_path / "schemas") == []


def test_drift_is_a_changed_or_a_missing_file(tmp_path: Path) -> None:
    assert drifted_schemas(tmp_path) == [SIGNAL_SCHEMA_FILE]
    export_schemas(tmp_path)
    path = tmp_path / SIGNAL_SCHEMA_FILE
    path.write_text(
        path.read_text(encoding="utf-8").replace("signal/1.0", "signal/1.1"), encoding="utf-8"
    )
    assert drifted_schemas(tmp_path) == [SIGNAL_SCHEMA_FILE]


def test_the_cli_exports_and_checks_the_schema_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", "export", "--check", "--dir", str(tmp_path)]) == 1
    assert main(["schema", "export", "--dir", str(tmp_path)]) == 0
    assert main(["schema", "export", "--check", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / SIGNAL_SCHEMA_FILE}" in out
    assert "differs from the models" in out
