"""The code lists under schemas/codelists/ are the source of truth for every coded value."""

from __future__ import annotations

import json

import babel
import pytest

from gateway.contract import codelists
from gateway.contract.signal import LINK_ENDS, ORGANISATION_NUMBERS, PERSON_NUMBERS


@pytest.mark.parametrize("name", codelists.names())
def test_every_list_is_named_after_its_file_and_lists_each_code_once(name: str) -> None:
    document = json.loads((codelists.CODELISTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert document["name"] == name
    assert set(document) == {"name", "codes"}
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
