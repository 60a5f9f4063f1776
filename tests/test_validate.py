"""The validate stage: strict JSON in, a Signal or every problem with its pointer out."""

from __future__ import annotations

import contextlib
import copy
import json
import string
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.contract import validate
from gateway.contract.signal import RULE_MESSAGES, Signal
from gateway.contract.validate import (
    FALLBACK_MESSAGE,
    MAX_DEPTH,
    MESSAGES,
    issue_from_error,
    json_type,
    parse_json,
    reference_issues,
    validate_signal,
)
from gateway.edges.cli import main
from gateway.edges.cli.schema import environment_language
from gateway.edges.problems import problem_document
from gateway.infra.errors import (
    BodyNotUtf8,
    BodyTooDeep,
    DuplicateMember,
    FieldIssue,
    MalformedJson,
    SignalInvalid,
)
from tests.strategies import DEMO_PARTNERS, mutations, near, valid_signals

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "examples").glob("*.json"))
BROKEN = REPO / "examples" / "broken" / "nl-several-errors.json"
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def issues_of(document: object, now: datetime = NOW) -> list[FieldIssue]:
    try:
        validate_signal(document, now=now)
    except SignalInvalid as invalid:
        return list(invalid.issues)
    return []


def found(document: object) -> set[tuple[str, str]]:
    return {(issue.pointer, issue.code) for issue in issues_of(document)}


def assert_well_formed(issue: FieldIssue) -> None:
    """An issue has a known code, our own message, and params for every placeholder."""
    assert issue.code in MESSAGES, issue
    assert issue.message != FALLBACK_MESSAGE, issue
    assert "Input should" not in issue.message
    assert issue.message.format(**issue.params)
    json.dumps(dict(issue.params))


# --- parse_json ----------------------------------------------------------------------------


def test_strict_json_parses_to_python_values() -> None:
    assert parse_json(b' {"a": [1, 2.5, "\\u00e9\\ud83d\\ude00", true, null]} \n') == {
        "a": [1, 2.5, "é😀", True, None]
    }


@pytest.mark.parametrize(
    ("body", "line", "column"),
    [
        (b'{\n  "schema": "signal/1.0",\n  "x": }', 3, 8),
        (b'{"a": 1,}', 1, 9),
        (b'{"a": 1', 1, 8),
        (b"", 1, 1),
        (b'{"a": 1} {"b": 2}', 1, 10),
        (b"{'a': 1}", 1, 2),
        (b'{"a": "tab\there"}', 1, 11),
    ],
)
def test_a_syntax_error_is_malformed_json_with_line_and_column(
    body: bytes, line: int, column: int
) -> None:
    with pytest.raises(MalformedJson) as caught:
        parse_json(body)
    assert (caught.value.params["line"], caught.value.params["column"]) == (line, column)


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e999"])
def test_numbers_json_cannot_carry_are_refused(literal: bytes) -> None:
    with pytest.raises(MalformedJson) as caught:
        parse_json(b'{"lat": ' + literal + b"}")
    assert (caught.value.params["line"], caught.value.params["column"]) == (1, 9)


def test_an_integer_with_absurdly_many_digits_is_refused_quickly() -> None:
    started = time.perf_counter()
    with pytest.raises(MalformedJson, match="longer than"):
        parse_json(b'{"lat": ' + b"9" * 1_000_000 + b"}")
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    ("body", "reason", "line", "column"),
    [
        (b'{\n  "a": NaN}', "NaN is not a JSON number", 2, 8),
        (b"[1,\n 2,\n  1e999]", "number too large for a double", 3, 3),
        (b'{"a": "x\\ud800"}', "unpaired UTF-16 surrogate escape", 1, 9),
        (b'{\n"a": "\\udc00"}', "unpaired UTF-16 surrogate escape", 2, 7),
        (b'["\\ud800\\ud800"]', "unpaired UTF-16 surrogate escape", 1, 3),
        (b"[" + b"1" * 65 + b"]", "number longer than 64 characters", 1, 2),
        (b"[0, " + b"1." + b"5" * 63 + b"]", "number longer than 64 characters", 1, 5),
        (b"\n[NaN]", "NaN is not a JSON number", 2, 2),
        (b"[NaN,\n1]", "NaN is not a JSON number", 1, 2),
        (b'["\\udfff"]', "unpaired UTF-16 surrogate escape", 1, 3),
        (b'["\\udc00\\udc00"]', "unpaired UTF-16 surrogate escape", 1, 3),
        (b'["\\udbff\\ue000"]', "unpaired UTF-16 surrogate escape", 1, 3),
        (b'["\\ud800\\n"]', "unpaired UTF-16 surrogate escape", 1, 3),
    ],
)
def test_a_refused_literal_is_named_at_its_line_and_column(
    body: bytes, reason: str, line: int, column: int
) -> None:
    with pytest.raises(MalformedJson) as caught:
        parse_json(body)
    document = problem_document(caught.value, language="en")
    assert document["detail"] == (
        f"The body is not valid JSON: {reason} at line {line}, column {column}."
    )
    assert (document["line"], document["column"]) == (line, column)


def test_every_surrogate_pair_is_fine() -> None:
    pairs = b'["\\ud800\\udc00", "\\udbff\\udfff", "\\ud83d\\ude00", "\\ud7ff\\ue000"]'
    assert parse_json(pairs) == ["\U00010000", "\U0010ffff", "\U0001f600", "\ud7ff\ue000"]


def test_numbers_of_up_to_64_characters_are_fine() -> None:
    assert parse_json(b"[" + b"1" * 64 + b"]") == [int("1" * 64)]
    assert parse_json(b"[" + b"1." + b"5" * 62 + b"]") == [float("1." + "5" * 62)]


def test_a_member_twice_in_one_object_is_refused_by_name() -> None:
    with pytest.raises(DuplicateMember) as caught:
        parse_json(b'{"location": {"country": "NL", "country": "BE"}}')
    assert caught.value.params == {"name": "country"}
    with pytest.raises(DuplicateMember) as caught:
        parse_json(b'{"a": 1, "b": 2, "c": 3, "b": 4}')
    assert caught.value.params == {"name": "b"}


@pytest.mark.parametrize(
    ("body", "offset"),
    [
        (b'{"a": "caf\xe9"}', 10),
        (b"\xff{}", 0),
        ('{"a": 1}'.encode("utf-16"), 0),
        (b'{"a": "\xed\xa0\x80"}', 7),
    ],
)
def test_bytes_that_are_not_utf8_are_refused_at_their_offset(body: bytes, offset: int) -> None:
    with pytest.raises(BodyNotUtf8) as caught:
        parse_json(body)
    assert caught.value.params == {"offset": offset}


def test_a_byte_order_mark_is_refused() -> None:
    with pytest.raises(MalformedJson) as caught:
        parse_json(b'\xef\xbb\xbf{"a": 1}')
    assert caught.value.params == {
        "reason": "byte order mark before the JSON text",
        "line": 1,
        "column": 1,
    }


@pytest.mark.parametrize("escape", [b"\\ud800", b"\\udc00", b"\\ud800x", b"\\ud800\\u0041"])
def test_an_unpaired_surrogate_escape_is_refused(escape: bytes) -> None:
    with pytest.raises(MalformedJson, match="surrogate"):
        parse_json(b'{"a": "' + escape + b'"}')


def test_an_escaped_backslash_before_u_is_not_an_escape() -> None:
    assert parse_json(b'{"a": "\\\\ud800"}') == {"a": "\\ud800"}


def test_nesting_up_to_the_limit_is_fine_and_one_more_level_is_refused() -> None:
    assert parse_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    with pytest.raises(BodyTooDeep) as caught:
        parse_json(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    assert caught.value.params == {"limit": 64}


def test_many_brackets_that_do_not_nest_deeply_are_fine() -> None:
    """More than the limit in all, so the depth is counted and not taken from the total."""
    shallow = b"[" + b",".join([b'{"a": [1]}'] * MAX_DEPTH) + b"]"
    assert parse_json(shallow) == [{"a": [1]}] * MAX_DEPTH
    inner = b"[" * (MAX_DEPTH - 1) + b"]" * (MAX_DEPTH - 1)
    assert parse_json(b"[[], " + inner + b", []]") is not None
    with pytest.raises(BodyTooDeep):
        parse_json(b"[[], [" + inner + b"], []]")


def test_a_signal_with_forty_persons_is_no_deeper_than_one_with_one() -> None:
    document = load(EXAMPLES[0])
    document["persons"] = [
        {"ref": f"P{index}", "role": "involved", "family_name": "Maes", "nationalities": ["BE"]}
        for index in range(40)
    ]
    document.pop("links", None)
    document.pop("accounts", None)
    signal = validate_signal(parse_json(json.dumps(document).encode()), now=NOW)
    assert len(signal.persons) == 40


def test_nesting_is_counted_down_and_up_again() -> None:
    deep = b"[" * 10 + b"[], " + b"[" * 55 + b"]" * 55 + b"]" * 10
    with pytest.raises(BodyTooDeep):
        parse_json(deep)
    assert parse_json(deep.replace(b"[" * 55, b"[" * 54).replace(b"]" * 55, b"]" * 54))


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    assert parse_json(json.dumps({"a": "[" * 1000, "b": ["{" * 1000]}).encode())


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000, b'{"a":' * 100_000, b"[" * 1_000_000 + b"]" * 1_000_000, b'[{"a": ' * 50_000],
)
def test_deep_nesting_is_refused_quickly_and_never_recurses(body: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(BodyTooDeep):
        parse_json(body)
    assert time.perf_counter() - started < 1


def test_an_unterminated_string_full_of_quotes_is_refused_in_linear_time() -> None:
    started = time.perf_counter()
    with pytest.raises(MalformedJson):
        parse_json(b'["' + b'\\"[' * 300_000)
    assert time.perf_counter() - started < 1


@given(st.binary(max_size=200))
@settings(max_examples=300, deadline=None)
def test_any_bytes_parse_or_are_refused_as_a_malformed_body(body: bytes) -> None:
    with contextlib.suppress(MalformedJson, BodyNotUtf8, BodyTooDeep, DuplicateMember):
        parse_json(body)


@given(st.text(alphabet='{}[]":,0123456789eE.-+ \\ntrufalsNI', max_size=120))
@settings(max_examples=300, deadline=None)
def test_json_like_text_parses_or_is_refused_as_a_malformed_body(text: str) -> None:
    with contextlib.suppress(MalformedJson, BodyNotUtf8, BodyTooDeep, DuplicateMember):
        parse_json(text.encode())


# --- validate_signal ----------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_every_example_is_a_valid_signal(path: Path) -> None:
    signal = validate_signal(parse_json(path.read_bytes()), now=NOW)
    assert isinstance(signal, Signal)


def test_the_examples_cover_the_three_languages_of_the_region_and_every_feature() -> None:
    documents = [load(path) for path in EXAMPLES]
    assert {"nl", "fr", "de"} <= {document["language"] for document in documents}
    assert {document["location"]["country"] for document in documents} == {"NL", "BE", "DE"}
    assert any(document.get("special_category_data") for document in documents)
    assert any("request" in document for document in documents)
    assert any("countries" in document["recipients"] for document in documents)
    assert any(document["handling_code"] == "H3" for document in documents)
    for document in documents:
        assert set(document["recipients"].get("partners", [])) <= set(DEMO_PARTNERS)


def test_the_broken_example_reports_every_one_of_its_errors() -> None:
    issues = issues_of(parse_json(BROKEN.read_bytes()))
    assert {(issue.pointer, issue.code) for issue in issues} == {
        ("/urgency", "enum"),
        ("/observed_at", "timezone_aware"),
        ("/location/municipality_code", "municipality_code_format"),
        ("/location/postal_code", "postal_code_format"),
        ("/summary", "missing"),
        ("/sumary", "extra_forbidden"),
        ("/persons/0/identifiers/0/value", "bsn_checksum"),
        ("/links/0/to", "unknown_ref"),
    }
    for issue in issues:
        assert_well_formed(issue)


def test_messages_say_what_was_expected_and_what_was_found() -> None:
    document = load(BROKEN)
    messages = {
        issue.pointer: issue.message.format(**issue.params) for issue in issues_of(document)
    }
    assert messages["/urgency"] == 'Must be one of: routine, urgent, immediate; found "whenever".'
    assert (
        messages["/sumary"]
        == "Unknown member \u201csumary\u201d; did you mean \u201csummary\u201d?"
    )
    assert messages["/summary"] == "The required member \u201csummary\u201d is missing."
    assert "GM0935" in messages["/location/municipality_code"]
    assert "V9" in messages["/links/0/to"]


def test_messages_about_numbers_never_repeat_the_number() -> None:
    document = load(BROKEN)
    for issue in issues_of(document):
        assert "123456789" not in issue.message.format(**issue.params)


def test_a_wrong_type_names_the_json_type_found() -> None:
    document = load(EXAMPLES[0])
    document["summary"] = ["a list"]
    document["special_category_data"] = "true"
    issues = {issue.pointer: issue for issue in issues_of(document)}
    assert issues["/summary"].message.format(**issues["/summary"].params) == (
        "Must be a string, not JSON array."
    )
    assert issues["/special_category_data"].params == {"found": "string"}


def test_a_top_level_that_is_not_an_object_is_one_issue_at_the_root() -> None:
    for document in ([], "signal", 1, None):
        issues = issues_of(document)
        assert [(issue.pointer, issue.code) for issue in issues] == [("", "model_type")]


def test_another_major_version_is_the_only_issue_reported() -> None:
    document = load(BROKEN)
    document["schema"] = "signal/2.0"
    issues = issues_of(document)
    assert [(issue.pointer, issue.code) for issue in issues] == [
        ("/schema", "unsupported_schema_version")
    ]
    assert issues[0].params == {"found": "signal/2.0"}


def test_the_future_is_judged_by_the_injected_clock_not_the_real_one() -> None:
    document = load(EXAMPLES[0])
    document.pop("observed_until", None)
    document["observed_at"] = "2041-06-01T12:00:00+00:00"
    assert validate_signal(document, now=datetime(2041, 6, 2, tzinfo=UTC))
    document["observed_at"] = "2020-06-01T12:00:00+00:00"
    before = datetime(2020, 5, 1, tzinfo=UTC)
    assert ("/observed_at", "observed_in_future") in {
        (issue.pointer, issue.code) for issue in issues_of(document, now=before)
    }


def test_the_clock_must_say_where_it_is() -> None:
    with pytest.raises(ValueError, match=r"^now must be timezone-aware$"):
        validate_signal(load(EXAMPLES[0]), now=datetime(2026, 11, 25, 12))


def test_a_misspelt_member_is_matched_against_the_members_of_its_own_object() -> None:
    document = load(EXAMPLES[0])
    document["persons"][0]["famly_name"] = document["persons"][0].pop("family_name")
    document["location"]["countyr"] = document["location"].pop("country")
    document["persons"][0]["zzz"] = 1
    issues = {issue.pointer: issue for issue in issues_of(document)}
    assert issues["/persons/0/famly_name"].params == {
        "name": "famly_name",
        "suggestion": "family_name",
    }
    assert issues["/location/countyr"].params == {"name": "countyr", "suggestion": "country"}
    assert issues["/persons/0/zzz"].params == {"name": "zzz"}
    assert issues["/persons/0/zzz"].message == MESSAGES["extra_forbidden"]


def test_a_member_name_only_somewhat_like_a_real_one_gets_no_suggestion() -> None:
    document = load(EXAMPLES[0])
    document["descr"] = "x"  # "description" is 62 % alike: below the 70 % that suggests it
    (issue,) = [issue for issue in issues_of(document) if issue.pointer == "/descr"]
    assert issue.params == {"name": "descr"}


def test_a_value_found_is_quoted_as_json_to_40_characters() -> None:
    document = load(EXAMPLES[0])
    document["urgency"] = "dringend-é"
    document["handling_code"] = "h" * 50
    issues = {issue.pointer: issue.params for issue in issues_of(document)}
    assert issues["/urgency"]["found"] == '"dringend-é"'
    assert issues["/handling_code"]["found"] == '"' + "h" * 38 + "\u2026"


@pytest.mark.parametrize(
    ("value", "found"), [(10**5000, "number"), ([b"\x00"], "array")], ids=["huge", "bytes"]
)
def test_a_value_json_cannot_write_is_named_by_its_json_type(value: object, found: str) -> None:
    """Only a caller in Python can hand over such a value; parsed JSON never holds one."""
    document = load(EXAMPLES[0])
    document["urgency"] = value
    (issue,) = issues_of(document)
    assert (issue.pointer, issue.code) == ("/urgency", "enum")
    assert issue.params == {"expected": "routine, urgent, immediate", "found": found}


def test_a_text_too_long_is_told_its_length_and_the_limit() -> None:
    document = load(EXAMPLES[0])
    document["summary"] = "s" * 281
    (issue,) = issues_of(document)
    assert (issue.pointer, issue.code, issue.params) == (
        "/summary",
        "string_too_long",
        {"max_length": 280, "length": 281},
    )


def test_an_error_of_a_kind_without_a_message_of_ours_names_its_code() -> None:
    error: Any = {"type": "uuid_version", "loc": ("in_reply_to",), "msg": "", "input": "x"}
    issue = issue_from_error(error)
    assert (issue.pointer, issue.code, issue.message) == (
        "/in_reply_to",
        "uuid_version",
        FALLBACK_MESSAGE,
    )
    assert issue.params == {"code": "uuid_version"}


def test_a_long_member_name_is_quoted_to_64_characters() -> None:
    document = load(EXAMPLES[0])
    document["y" * 64] = 1
    document["x" * 65] = 1
    names = {issue.params["name"] for issue in issues_of(document)}
    assert names == {"y" * 64, "x" * 63 + "\u2026"}


def test_at_most_100_issues_are_listed_and_all_are_counted() -> None:
    document = load(EXAMPLES[0])
    document["persons"] = [{"ref": f"P{index}", "role": "nope"} for index in range(50)]
    document["links"] = [{"from": "Q1", "to": "Q2", "relation": "associate"}] * 60
    with pytest.raises(SignalInvalid) as caught:
        validate_signal(document, now=NOW)
    refused = caught.value
    assert (refused.count, refused.exact, len(refused.issues)) == (50 + 120, True, 100)
    assert [issue.pointer for issue in refused.issues[48:52]] == [
        "/persons/48/role",
        "/persons/49/role",
        "/links/0/from",
        "/links/0/to",
    ]


def test_a_list_too_long_to_look_into_makes_the_count_a_lower_bound() -> None:
    document = load(EXAMPLES[0])
    document["persons"] = [{"ref": f"P{index % 2}", "role": "suspect"} for index in range(51)]
    document["links"] = [{"from": "Q1", "to": "Q2", "relation": "associate"}]
    with pytest.raises(SignalInvalid) as caught:
        validate_signal(document, now=NOW)
    assert (caught.value.count, caught.value.exact) == (1, False)
    assert [(i.pointer, i.code, i.params) for i in caught.value.issues] == [
        ("/persons", "too_long", {"max_length": 50, "actual_length": 51})
    ]


def test_a_full_list_is_still_looked_into() -> None:
    document = load(EXAMPLES[0])
    document["persons"] = [
        {"ref": f"P{index}", "role": "suspect", "family_name": "Maes"} for index in range(50)
    ]
    document["links"] = [{"from": "P1", "to": "Q2", "relation": "associate"}]
    document.pop("accounts", None)
    with pytest.raises(SignalInvalid) as caught:
        validate_signal(document, now=NOW)
    assert (caught.value.count, caught.value.exact) == (1, True)
    assert [(i.pointer, i.code) for i in caught.value.issues] == [("/links/0/to", "unknown_ref")]


def test_the_model_behind_a_member_is_found_through_tuples_unions_and_annotations() -> None:
    person = Signal.model_fields["persons"].annotation
    location = Signal.model_fields["location"].annotation
    assert validate._nested_model(person).__name__ == "Person"  # type: ignore[union-attr]
    assert validate._nested_model(location).__name__ == "Location"  # type: ignore[union-attr]
    assert validate._nested_model(Signal) is Signal
    assert validate._nested_model(tuple[str, ...]) is None
    assert validate._nested_model(str | None) is None
    assert validate._nested_model(Annotated[Signal | None, "x"]) is Signal


@pytest.mark.parametrize(
    ("value", "found"),
    [
        (None, "null"),
        (True, "boolean"),
        (0, "number"),
        (1.5, "number"),
        ("x", "string"),
        ([], "array"),
        ((), "array"),
        ({}, "object"),
    ],
)
def test_each_json_value_has_its_type_name(value: object, found: str) -> None:
    assert json_type(value) == found


def test_pointers_escape_tilde_and_slash() -> None:
    document = load(EXAMPLES[0])
    document["a/b~c"] = 1
    assert ("/a~1b~0c", "extra_forbidden") in found(document)


# --- refs across the document ----------------------------------------------------------------


def _entities() -> dict[str, Any]:
    return {
        "persons": [{"ref": "P1", "role": "suspect", "family_name": "Jansen"}],
        "organisations": [{"ref": "O1", "role": "subject", "name": "Lounge GmbH"}],
        "vehicles": [{"ref": "V1", "make": "Audi"}],
        "accounts": [{"ref": "A1", "iban": "NL91ABNA0417164300", "holder_ref": "O1"}],
    }


def test_a_ref_names_one_entity_across_all_kinds() -> None:
    document = _entities()
    document["vehicles"].append({"ref": "P1", "make": "BMW"})
    document["accounts"][0]["ref"] = "O1"
    issues = reference_issues(document)
    assert [(issue.pointer, issue.code) for issue in issues] == [
        ("/vehicles/1/ref", "duplicate_ref"),
        ("/accounts/0/ref", "duplicate_ref"),
    ]
    assert issues[0].params == {"ref": "P1", "first": "/persons/0"}


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ({"from": "P1", "to": "V1", "relation": "driver"}, []),
        ({"from": "P1", "to": "O1", "relation": "director"}, []),
        ({"from": "O1", "to": "A1", "relation": "holder"}, []),
        ({"from": "P1", "to": "X9", "relation": "driver"}, [("/links/0/to", "unknown_ref")]),
        ({"from": "P1", "to": "O1", "relation": "driver"}, [("/links/0/to", "wrong_ref_kind")]),
        ({"from": "V1", "to": "O1", "relation": "employee"}, [("/links/0/from", "wrong_ref_kind")]),
        (
            {"from": "Z1", "to": "Z2", "relation": "associate"},
            [
                ("/links/0/from", "unknown_ref"),
                ("/links/0/to", "unknown_ref"),
            ],
        ),
        ({"from": "P1", "to": "X9", "relation": "whatever"}, [("/links/0/to", "unknown_ref")]),
    ],
)
def test_a_link_joins_existing_entities_of_the_kinds_its_relation_allows(
    link: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    document = _entities() | {"links": [link]}
    assert [(issue.pointer, issue.code) for issue in reference_issues(document)] == expected


def test_an_account_holder_is_a_person_or_an_organisation_of_the_signal() -> None:
    pointer = "/accounts/0/holder_ref"
    wrong_kind = {
        "ref": "V1",
        "kind": "vehicle",
        "relation": "holder",
        "expected": "organisation, person",
    }
    for holder, expected in (
        ("P1", []),
        ("V1", [(pointer, "wrong_ref_kind", wrong_kind)]),
        ("Q7", [(pointer, "unknown_ref", {"ref": "Q7"})]),
    ):
        document = _entities()
        document["accounts"][0]["holder_ref"] = holder
        assert _described(reference_issues(document)) == expected


def _described(issues: list[FieldIssue]) -> list[tuple[str, str, dict[str, object]]]:
    return [(issue.pointer, issue.code, dict(issue.params)) for issue in issues]


def test_reference_issues_name_the_ref_its_kind_and_what_the_relation_expects() -> None:
    document = _entities() | {
        "links": [
            {"from": "P1", "to": "X9", "relation": "driver"},
            {"from": "V1", "to": "O1", "relation": "employee"},
        ]
    }
    assert _described(reference_issues(document)) == [
        ("/links/0/to", "unknown_ref", {"ref": "X9"}),
        (
            "/links/1/from",
            "wrong_ref_kind",
            {"ref": "V1", "kind": "vehicle", "relation": "employee", "expected": "person"},
        ),
    ]


def test_a_malformed_ref_hides_none_of_the_others() -> None:
    document = _entities()
    document["persons"] = [
        {"ref": 17, "role": "suspect"},
        {"ref": "P2", "role": "suspect"},
        {"ref": "P2", "role": "witness"},
    ]
    document["links"] = [
        {"from": "P2", "to": "V1", "relation": "driver"},
        {"from": None, "to": "V1", "relation": "driver"},
    ]
    document["accounts"][0]["holder_ref"] = ["P2"]
    assert _described(reference_issues(document)) == [
        ("/persons/2/ref", "duplicate_ref", {"ref": "P2", "first": "/persons/1"}),
    ]


def test_reference_checks_skip_what_is_malformed_and_report_with_the_rest() -> None:
    document = load(EXAMPLES[0])
    document["persons"][0]["ref"] = 17
    document["links"].append("not a link")
    document["urgency"] = "whenever"
    last = len(document["links"]) - 1
    assert found(document) >= {
        ("/persons/0/ref", "ref_format"),
        ("/links/0/from", "unknown_ref"),
        (f"/links/{last}", "model_type"),
        ("/urgency", "enum"),
    }


# --- properties ---------------------------------------------------------------------------


@PROPERTY
@given(valid_signals(NOW))
def test_valid_signals_validate_and_survive_a_round_trip_through_json(
    document: dict[str, Any],
) -> None:
    raw = json.dumps(document, ensure_ascii=False).encode()
    signal = validate_signal(parse_json(raw), now=NOW)
    dumped = signal.model_dump(mode="json", by_alias=True, exclude_none=True)
    again = validate_signal(parse_json(json.dumps(dumped).encode()), now=NOW)
    assert again == signal
    assert again.model_dump(mode="json", by_alias=True, exclude_none=True) == dumped


@PROPERTY
@given(valid_signals(NOW, recipients={"partners": ["de-zoll-aachen"]}))
def test_fixed_recipients_are_kept(document: dict[str, Any]) -> None:
    assert validate_signal(document, now=NOW).recipients.partners == ("de-zoll-aachen",)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations(NOW))
def test_every_mutation_is_refused_at_the_place_it_broke(mutation: Any) -> None:
    before = copy.deepcopy(mutation.document)
    issues = issues_of(mutation.document)
    assert issues, f"accepted: {mutation.description}"
    assert any(near(issue.pointer, mutation.pointer) for issue in issues), (
        mutation.description,
        [(issue.pointer, issue.code) for issue in issues],
    )
    for issue in issues:
        assert_well_formed(issue)
    assert mutation.document == before


_REPLACEMENTS: tuple[object, ...] = (
    None,
    True,
    0,
    -1.5,
    10**6,
    "",
    "x",
    "x" * 9000,
    [],
    ["x"],
    {},
    {"x": 1},
)


def _every_place(value: object, pointer: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    places: list[tuple[str | int, ...]] = []
    if isinstance(value, dict):
        items: Any = value.items()
    else:
        items = enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        places.append((*pointer, key))
        places.extend(_every_place(item, (*pointer, key)))
    return places


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_every_error_a_value_of_any_json_type_can_cause_has_our_own_message(path: Path) -> None:
    original = load(path)
    seen: set[str] = set()
    for place in _every_place(original):
        for replacement in _REPLACEMENTS:
            document = copy.deepcopy(original)
            container: Any = document
            for step in place[:-1]:
                container = container[step]
            container[place[-1]] = replacement
            for issue in issues_of(document):
                assert_well_formed(issue)
                seen.add(issue.code)
    assert {"string_type", "enum", "missing", "tuple_type", "model_type"} <= seen


def test_every_code_has_a_message_that_is_a_sentence_with_named_placeholders() -> None:
    assert set(RULE_MESSAGES) <= set(MESSAGES)
    for code, message in MESSAGES.items():
        assert message[0].isupper(), code
        assert message.endswith((".", "?")), code
        names = {name for _, name, _, _ in string.Formatter().parse(message) if name}
        assert all(name.isidentifier() for name in names), code


# --- the offline CLI -------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_schema_validate_says_valid_for_each_valid_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema", "validate", *map(str, EXAMPLES))
    assert code == 0
    assert out.splitlines() == [f"{path}: valid" for path in EXAMPLES]


def test_schema_validate_lists_every_error_with_its_pointer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "schema", "validate", "--lang", "en", str(EXAMPLES[0]), str(BROKEN))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"{EXAMPLES[0]}: valid"
    unknown = "No person, organisation, vehicle or account has the ref \u201cV9\u201d."
    assert f"{BROKEN}: /links/0/to: {unknown}" in lines
    assert len(lines) == 1 + 8


def test_schema_validate_reports_malformed_json_and_unreadable_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    malformed = tmp_path / "malformed.json"
    malformed.write_bytes(b'{"schema": }')
    code, out, _ = run(capsys, "schema", "validate", str(malformed))
    assert code == 1
    detail = (
        "The body is not valid JSON: a value was expected (a string, number, object, array, "
        "true, false or null) at line 1, column 12."
    )
    assert out == f"{malformed}: {detail}\n"
    code, _, err = run(capsys, "schema", "validate", str(malformed), str(tmp_path / "missing.json"))
    assert code == 2
    assert "missing.json: cannot be read" in err


def test_schema_validate_json_gives_the_servers_problem_documents(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "schema", "validate", "--json", str(EXAMPLES[0]), str(BROKEN))
    assert code == 1
    results = json.loads(out)
    assert results[0] == {"file": str(EXAMPLES[0]), "valid": True}
    problem = results[1]["problem"]
    assert results[1]["valid"] is False
    assert problem["type"] == "urn:euregate:problem:signal-invalid"
    assert {error["pointer"] for error in problem["errors"]} >= {"/sumary", "/links/0/to"}


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({"LANGUAGE": "de_DE:en", "LANG": "nl_NL.UTF-8"}, "de"),
        ({"LANG": "fr_BE.UTF-8"}, "fr"),
        ({"LANGUAGE": "", "LANG": "nl_BE.UTF-8@euro"}, "nl"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANGUAGE": "pl:nl"}, "nl"),
        ({}, "en"),
    ],
)
def test_the_language_comes_from_the_posix_locale(environ: dict[str, str], language: str) -> None:
    assert environment_language(environ) == language


def test_an_unknown_member_with_a_huge_name_is_quoted_short() -> None:
    from gateway.infra.i18n import translate

    document = {"schema": "signal/1.0", "x" * 5000: 1}
    with pytest.raises(SignalInvalid) as caught:
        validate_signal(document, now=datetime.now(UTC))
    unknown = next(i for i in caught.value.issues if i.code == "extra_forbidden")
    assert len(translate(unknown.message, "en", **unknown.params)) < 200
