"""The code lists under schemas/codelists/ are the source of truth for every coded value."""

from __future__ import annotations

import json
import re

import babel
import pytest

from gateway.contract import codelists
from gateway.contract.signal import LINK_ENDS, ORGANISATION_NUMBERS, PERSON_NUMBERS


@pytest.mark.parametrize("name", codelists.names())
def test_every_list_is_named_after_its_file_and_lists_each_code_once(name: str) -> None:
    document = json.loads((codelists.CODELISTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert document["name"] == name
    assert set(document) in ({"name", "codes"}, {"name", "codes", "groups"})
    listed = codelists.load(name)
    assert len(set(listed.values())) == len(listed.codes) > 0
    assert all(entry.code.isascii() and entry.meaning for entry in listed.codes)


def test_codes_come_in_the_order_of_the_file() -> None:
    assert codelists.codes("urgency") == ("routine", "urgent", "immediate")
    assert codelists.codes("handling_code") == ("H0", "H1", "H2", "H3")
    assert codelists.codes("source_reliability") == ("A", "B", "C", "X")
    assert codelists.codes("information_reliability") == ("1", "2", "3", "4")
    assert codelists.codes("country") == ("NL", "BE", "DE")
    assert codelists.codes("language") == ("nl", "fr", "de", "en")
    assert codelists.codes("request_deadline") == ("urgent_direct", "urgent_indirect", "standard")


def test_the_categories_are_those_of_the_spec() -> None:
    categories = codelists.codes("category")
    assert len(categories) == 21
    assert {c for c in categories if c.startswith("care.")} == {
        "care.confused_behaviour",
        "care.multi_problem_family",
        "care.vulnerable_youth",
    }
    assert all(
        c.split(".")[0] in {"undermining", "nuisance", "security", "care"} for c in categories
    )


def test_the_lists_the_models_check_against_cover_the_same_codes_as_the_rules() -> None:
    assert set(codelists.codes("relation")) == set(LINK_ENDS)
    assert set(codelists.codes("person_identifier_type")) == set(PERSON_NUMBERS)
    assert set(codelists.codes("organisation_identifier_type")) == set(ORGANISATION_NUMBERS)


def test_country_codes_are_real_territories_without_groupings_or_placeholders() -> None:
    countries = set(codelists.codes("iso_country"))
    territories = set(babel.Locale("en").territories)
    assert countries <= territories
    assert {"NL", "BE", "DE", "FR", "TR", "MA", "XK"} <= countries
    assert not countries & {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"}
    assert all(len(code) == 2 and code.isupper() for code in countries)


def test_a_meaning_is_english_text_for_a_code() -> None:
    assert (
        codelists.meaning("handling_code", "H2")
        == "not to be passed on without the sender's consent"
    )
    with pytest.raises(KeyError):
        codelists.meaning("handling_code", "H9")


def test_a_list_is_read_once() -> None:
    assert codelists.codes("category") is codelists.codes("category")
    assert codelists.load("sector") is codelists.load("sector")


def test_an_unknown_list_is_a_clear_error() -> None:
    with pytest.raises(codelists.CodeListError, match="no_such_list"):
        codelists.load("no_such_list")


# --- lists that carry their own labels: indicators and colours ------------------------------

LANGUAGES = ("nl", "fr", "de", "en")
INDICATOR = codelists.load("indicator")


def test_the_labelled_lists_are_the_indicators_and_the_colours() -> None:
    assert codelists.labelled_names() == ("colour", "indicator")
    assert not codelists.load("sector").labelled


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_indicator_has_a_label_and_a_one_sentence_definition_in_each_language(
    language: str,
) -> None:
    labels = [code.labels[language] for code in INDICATOR.codes]
    definitions = [code.definitions[language] for code in INDICATOR.codes]
    assert len(labels) == len(set(labels)) == len(INDICATOR.codes) >= 40
    assert all(label.strip() == label and not label.endswith(".") for label in labels)
    one_sentence = re.compile(r"[A-ZÀ-Ý][^.!?]*[.]")
    assert [d for d in definitions if not one_sentence.fullmatch(d)] == []
    assert len(set(definitions)) == len(definitions)


def test_indicators_are_grouped_by_the_category_their_code_begins_with() -> None:
    groups = {group.code for group in INDICATOR.groups}
    assert len(groups) >= 6
    assert all(code.group == code.code.split(".")[0] for code in INDICATOR.codes)
    assert {code.group for code in INDICATOR.codes} == groups
    assert all(set(group.labels) == set(LANGUAGES) for group in INDICATOR.groups)
    sizes = {g: sum(c.group == g for c in INDICATOR.codes) for g in groups}
    assert min(sizes.values()) >= 3


def test_the_red_flags_of_the_issue_are_in_the_list() -> None:
    assert {
        "business.cash_intensive_little_custom",
        "ownership.frequent_director_change",
        "ownership.straw_man",
        "real_estate.cash_purchase",
        "real_estate.foreign_company_purchase",
        "business.unusual_opening_hours",
        "drugs.waste_dumping",
        "drugs.cannabis_smell",
        "drugs.high_power_use",
        "vehicles.foreign_registered_at_local_business",
    } <= set(INDICATOR.values())


def test_contested_terms_carry_a_note_naming_each_country_s_word() -> None:
    straw_man = INDICATOR.entry("ownership.straw_man")
    assert straw_man.note is not None
    assert "katvanger" in straw_man.note
    assert "stroman" in straw_man.note
    assert sum(code.note is not None for code in INDICATOR.codes) >= 5


def test_colours_have_labels_in_each_language_and_no_definitions() -> None:
    colours = codelists.load("colour")
    assert {"white", "black", "grey", "silver", "red", "blue"} <= set(colours.values())
    assert all(set(c.labels) == set(LANGUAGES) and not c.definitions for c in colours.codes)
    assert colours.entry("white").labels["nl"] == "wit"
    assert colours.entry("grey").labels["de"] == "grau"
    assert colours.entry("black").labels["fr"] == "noir"


def _labelled(**changes: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "code": "a.b",
        "meaning": "m",
        "group": "a",
        "labels": {"nl": "x", "fr": "x", "de": "x", "en": "x"},
    }
    return {
        "name": "t",
        "groups": [{"code": "a", "labels": entry["labels"]}],
        "codes": [entry | changes],
    }


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"labels": {"nl": "x", "fr": "x", "de": "x"}}, "must give a text in nl, fr, de, en"),
        ({"labels": {"nl": "x", "fr": " ", "de": "x", "en": "x"}}, "must give a text"),
        ({"definitions": {"en": "x"}}, "definitions"),
        ({"group": "z"}, "outside its groups"),
        ({"colour": "red"}, "not {code, meaning}"),
    ],
)
def test_a_malformed_labelled_list_is_refused_with_what_is_wrong(
    changes: dict[str, object], complaint: str
) -> None:
    assert codelists.parse("t", _labelled()).labelled
    with pytest.raises(codelists.CodeListError, match=re.escape(complaint)):
        codelists.parse("t", _labelled(**changes))


def test_a_list_cannot_label_some_codes_only() -> None:
    document = _labelled()
    codes = document["codes"]
    assert isinstance(codes, list)
    codes.append({"code": "a.c", "meaning": "m", "group": "a"})
    with pytest.raises(codelists.CodeListError, match="labels for some codes only"):
        codelists.parse("t", document)
