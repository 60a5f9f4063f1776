"""Labels: every code a person may read has a label in each language, in officials' terms.

The terms the glossary fixes (``locales/glossary.csv``) are read from the glossary itself, so
that a label drifting from the glossary, or the glossary from the labels, fails here.
"""

from __future__ import annotations

import csv
import re

import pytest

from gateway.contract import codelists
from gateway.decide.decision import LABELS as DECISION_LABELS
from gateway.decide.decision import DataClass, Outcome, Verdict
from gateway.infra.i18n import LANGUAGES, LOCALES_DIR, translate
from gateway.render import labels

EVERY_CODE = [(name, code) for name in labels.lists() for code in labels.codes(name)]
TRANSLATED = ("nl", "fr", "de")
PLAIN_ENGLISH_WORD = re.compile(r"^[a-z]+$")


def glossary() -> dict[str, dict[str, str]]:
    with (LOCALES_DIR / "glossary.csv").open(encoding="utf-8", newline="") as handle:
        return {row["key"]: row for row in csv.DictReader(handle)}


def test_labels_know_every_code_list_and_the_lists_of_the_decision() -> None:
    assert set(labels.lists()) == {*codelists.names(), "data_class", "verdict", "outcome"}
    assert labels.codes("verdict") == ("deliver", "review", "deny")
    assert labels.codes("category") == codelists.codes("category")


def test_the_written_labels_are_exactly_those_of_the_codes_of_the_lists() -> None:
    written = set(labels.CODE_LABELS)
    expected = {
        (name, code)
        for name in labels.lists()
        if name not in labels.CLDR_LISTS and name not in codelists.labelled_names()
        for code in labels.codes(name)
    }
    assert sorted(written - expected) == [], "labels for codes no list has"
    assert sorted(expected - written) == [], "codes without a label"


# Colours written the same in several languages: beige, orange and gold are so in German.
SAME_AS_IN_ENGLISH_COLOURS = {
    ("nl", "colour", "beige"),
    ("fr", "colour", "beige"),
    ("de", "colour", "beige"),
    ("fr", "colour", "orange"),
    ("de", "colour", "orange"),
    ("de", "colour", "gold"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_code_has_a_label_that_is_not_the_code(language: str) -> None:
    """In English a code that is itself a plain English word (``suspect``, ``share``) may be
    its own label, and so may a colour written alike in English and another language; every
    other label differs from its code in every language."""
    same = [
        (name, code)
        for name, code in EVERY_CODE
        if ((text := labels.label(name, code, language)) == code or not text.strip())
        and (language, name, code) not in SAME_AS_IN_ENGLISH_COLOURS
    ]
    if language == "en":
        same = [(name, code) for name, code in same if not PLAIN_ENGLISH_WORD.match(code)]
    assert same == []


SAME_AS_IN_ENGLISH = {
    ("fr", "data_class", "organisation"),  # "organisations" in both
    *SAME_AS_IN_ENGLISH_COLOURS,
}


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_label_is_translated_from_english(language: str) -> None:
    untranslated = [
        (name, code)
        for name, code in EVERY_CODE
        if name not in labels.CLDR_LISTS
        and labels.label(name, code, language) == labels.label(name, code, "en")
        and (language, name, code) not in SAME_AS_IN_ENGLISH
    ]
    assert untranslated == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("list_name", labels.lists())
def test_distinct_codes_of_one_list_have_distinct_labels(list_name: str, language: str) -> None:
    texts = [labels.label(list_name, code, language) for code in labels.codes(list_name)]
    assert sorted(t for t in set(texts) if texts.count(t) > 1) == []


@pytest.mark.parametrize(
    ("list_name", "code", "language", "expected"),
    [
        (
            "category",
            "undermining.drug_waste",
            "fr",
            "déversement de déchets de production de drogues",
        ),
        ("category", "undermining.drug_waste", "nl", "dumping van drugsafval"),
        ("category", "undermining.drug_waste", "de", "illegale Entsorgung von Drogenabfällen"),
        ("category", "undermining.drug_waste", "en", "dumped drug waste"),
        ("agency_type", "police", "fr", "services de police"),
        ("agency_type", "prosecution", "fr", "parquet (ministère public)"),
        ("person_role", "suspect", "fr", "personne soupçonnée"),
        ("person_role", "suspect", "nl", "verdachte"),
        ("person_identifier_type", "be.nn", "fr", "numéro de registre national"),
        ("person_identifier_type", "be.nn", "de", "Nationalregisternummer"),
        (
            "request_deadline",
            "standard",
            "fr",
            "standard\u00a0: 7 jours calendrier à compter de la réception",
        ),
        ("gender", "other", "de", "divers"),
        ("urgency", "routine", "nl", "regulier"),
        ("language", "nl", "de", "Niederländisch"),
    ],
)
def test_labels_read_as_officials_write_them(
    list_name: str, code: str, language: str, expected: str
) -> None:
    assert labels.label(list_name, code, language) == expected


# (list, code) -> (glossary key, the country whose term it is, where the cell names several)
GLOSSARY_TERMS: dict[tuple[str, str], tuple[str, str | None]] = {
    ("category", "undermining.drug_waste"): ("drug_waste", None),
    ("category", "undermining.drug_production"): ("cannabis_plantation", None),
    ("category", "undermining.front_business"): ("front_business", None),
    ("category", "undermining.money_laundering"): ("money_laundering", None),
    ("purpose", "administrative_approach"): ("administrative_approach", None),
    ("agency_type", "expertise_centre"): ("expertise_centre", None),
    ("agency_type", "safety_house"): ("safety_house", None),
    ("agency_type", "prosecution"): ("prosecution", None),
    ("agency_type", "police"): ("police", None),
    ("agency_type", "municipality"): ("municipality", None),
    ("agency_type", "customs"): ("customs", None),
    ("organisation_role", "subject"): ("signal", None),
    ("person_identifier_type", "be.nn"): ("national_number", "BE"),
    ("person_identifier_type", "nl.bsn"): ("national_number", "NL"),
    ("organisation_identifier_type", "be.kbo"): ("enterprise_number", "BE"),
    ("organisation_identifier_type", "nl.kvk"): ("enterprise_number", "NL"),
    ("organisation_identifier_type", "de.handelsregister"): ("enterprise_number", "DE"),
    ("organisation_identifier_type", "vat"): ("vat_number", None),
    ("data_class", "operational"): ("operational_data", None),
    ("data_class", "free_text"): ("free_text", None),
    ("data_class", "special_category"): ("special_categories", None),
    ("outcome", "pseudonymise"): ("pseudonymise", None),
    ("outcome", "redact"): ("redact", None),
    ("verdict", "review"): ("deliver_after_review", None),
    ("indicator", "drugs.waste_dumping"): ("drug_waste", None),
    ("indicator", "ownership.straw_man"): ("straw_man", None),
    ("indicator", "ownership.de_facto_manager"): ("de_facto_manager", None),
    ("indicator", "drugs.cannabis_smell"): ("cannabis", None),
    ("indicator", "drugs.precursors_and_equipment"): ("precursors", None),
    ("indicator", "vehicles.hidden_compartment"): ("hidden_compartment", None),
}
"""Codes whose label must carry a glossary term.

A cell such as ``BSN (burgerservicenummer); BE: rijksregisternummer`` gives the term of the
language's own country first and other countries' terms after ``XX:``; a number of one
country must carry that country's term. English names the kind of number only."""

HOME: dict[str, str] = {"nl": "NL", "fr": "BE", "de": "DE"}


def glossary_term(cell: str, language: str, country: str | None) -> str | None:
    terms = [term.strip() for term in cell.split(";")]
    if country is None:
        return terms[0]
    if language == "en":
        return None
    for term in terms[1:]:
        if term.startswith(f"{country}:"):
            return term.split(":", 1)[1].strip()
    return terms[0] if HOME[language] == country else None


@pytest.mark.parametrize("language", LANGUAGES)
def test_labels_use_the_glossary_terms(language: str) -> None:
    terms = glossary()
    checked, missing = 0, []
    for (list_name, code), (key, country) in GLOSSARY_TERMS.items():
        term = glossary_term(terms[key][language], language, country)
        if term is None:
            continue
        checked += 1
        if term.casefold() not in labels.label(list_name, code, language).casefold():
            missing.append((list_name, code, term))
    assert missing == []
    assert checked >= 23


def test_country_names_come_from_the_cldr_in_the_reader_s_language() -> None:
    assert [labels.label("country", "BE", lang) for lang in LANGUAGES] == [
        "België",
        "Belgique",
        "Belgien",
        "Belgium",
    ]
    assert labels.label("iso_country", "NL", "fr") == "Pays-Bas"
    assert labels.label("iso_country", "DE", "nl") == "Duitsland"
    assert labels.label("iso_country", "CH", "de") == "Schweiz"


def test_the_decision_s_own_labels_are_those_of_the_decision() -> None:
    for member in (*DataClass, *Verdict, *Outcome):
        list_name = {DataClass: "data_class", Verdict: "verdict", Outcome: "outcome"}[type(member)]
        for language in LANGUAGES:
            expected = translate(DECISION_LABELS[member], language)
            assert labels.label(list_name, member.value, language) == expected


def test_a_code_outside_its_list_or_a_language_we_do_not_speak_is_the_caller_s_mistake() -> None:
    with pytest.raises(KeyError):
        labels.label("category", "undermining.piracy", "nl")
    with pytest.raises(KeyError):
        labels.label("country", "FR", "nl")  # a signal's country is NL, BE or DE
    with pytest.raises(KeyError):
        labels.label("no_such_list", "x", "nl")
    with pytest.raises(ValueError, match="languages are"):
        labels.label("category", "undermining.drug_waste", "es")
