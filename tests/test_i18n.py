"""Languages: every message the gateway can say exists in Dutch, French and German.

English is the source language: messages are written in English in the code and
marked with ``N_()``, or written ``_("...")`` in the staff pages' templates;
``locales/messages.pot`` lists them all (``locales/babel.cfg``), and each of nl, fr
and de has a complete catalog for it. A message added to the code without a
translation fails here, before it reaches a partner in English.
"""

from __future__ import annotations

import csv
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from gateway.infra.i18n import DEFAULT_LANGUAGE, LANGUAGES, LOCALES_DIR, negotiate, translate

REPO = LOCALES_DIR.parent
TEMPLATE = LOCALES_DIR / "messages.pot"
GLOSSARY = LOCALES_DIR / "glossary.csv"
TRANSLATED = tuple(language for language in LANGUAGES if language != DEFAULT_LANGUAGE)
UPDATE = "run `make update-catalogs` and translate the new messages"


def catalog_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"


def load(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def message_ids(catalog: Catalog) -> set[str]:
    return {str(message.id) for message in catalog if message.id}


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a python-brace-format message."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def sample_params(message_id: str) -> dict[str, str]:
    return {name: f"<{name}>" for name in placeholders(message_id)}


@pytest.fixture(scope="module")
def template() -> Catalog:
    return load(TEMPLATE)


# --- the template and the code -----------------------------------------------------------


def test_the_template_lists_exactly_the_messages_marked_in_the_code(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable, "-m", "babel.messages.frontend", "extract",
            "-F", "locales/babel.cfg", "-k", "N_", "-o", str(fresh),
            "--no-location", "--sort-output", "--project", "Euregate", ".",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )  # fmt: skip
    in_code, committed = message_ids(load(fresh)), message_ids(load(TEMPLATE))
    assert sorted(in_code - committed) == [], (
        f"marked in the code but not in the template: {UPDATE}"
    )
    assert sorted(committed - in_code) == [], f"in the template but gone from the code: {UPDATE}"


# --- the catalogs ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalog_holds_exactly_the_messages_of_the_template(
    language: str, template: Catalog
) -> None:
    catalog = load(catalog_path(language), language)
    assert sorted(message_ids(template) - message_ids(catalog)) == [], f"missing: {UPDATE}"
    assert sorted(message_ids(catalog) - message_ids(template)) == [], f"obsolete: {UPDATE}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(language: str) -> None:
    catalog = load(catalog_path(language), language)
    assert not catalog.fuzzy, "pybabel compile skips a catalog whose header is fuzzy"
    untranslated = sorted(str(m.id) for m in catalog if m.id and not str(m.string).strip())
    fuzzy = sorted(str(m.id) for m in catalog if m.id and m.fuzzy)
    assert untranslated == []
    assert fuzzy == [], "a fuzzy entry is a guess: check it, then remove the flag"


def test_english_is_the_source_and_its_catalog_rewords_nothing() -> None:
    catalog = load(catalog_path(DEFAULT_LANGUAGE), DEFAULT_LANGUAGE)
    reworded = sorted(str(m.id) for m in catalog if m.id and m.string not in ("", m.id))
    assert reworded == [], "change English wording in the code, not in the en catalog"


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_translation_has_the_placeholders_of_its_message(language: str) -> None:
    catalog = load(catalog_path(language), language)
    wrong = [
        (message.id, message.string)
        for message in catalog
        if message.id and placeholders(str(message.string)) != placeholders(str(message.id))
    ]
    assert wrong == []
    for message in catalog:
        if message.id:
            str(message.string).format(**sample_params(str(message.id)))


QUOTES = {
    "nl": ("„«»", "Dutch quotes “…” or ‘…’"),
    "fr": ("“”„", "French quotes « … »"),
    "de": ("”«»", "German quotes „…“"),
}


@pytest.mark.parametrize("language", TRANSLATED)
def test_quotation_marks_follow_the_typography_of_each_language(language: str) -> None:
    foreign, rule = QUOTES[language]
    catalog = load(catalog_path(language), language)
    texts = [str(message.string) for message in catalog if message.id]
    assert [text for text in texts if any(mark in text for mark in foreign)] == [], rule
    if language == "fr":
        cramped = [
            text
            for text in texts
            if text.count("«") != text.count("«\u00a0") or text.count("»") != text.count("\u00a0»")
        ]
        assert cramped == [], "« and » take a no-break space (U+00A0) inside"


# --- translate --------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_translate_gives_the_catalog_text_with_the_placeholders_filled(language: str) -> None:
    catalog = load(catalog_path(language), language)
    for message in catalog:
        if not message.id:
            continue
        params = sample_params(str(message.id))
        expected = str(message.string or message.id).format(**params)
        assert translate(str(message.id), language, **params) == expected


@pytest.mark.parametrize(
    ("language", "title", "detail"),
    [
        ("en", "Body too large", "The body may be at most 262144 bytes."),
        ("nl", "Berichtinhoud te groot", "De berichtinhoud mag hoogstens 262144 bytes groot zijn."),
        (
            "fr",
            "Corps de la requête trop volumineux",
            "Le corps de la requête ne peut pas dépasser 262144 octets.",
        ),
        ("de", "Anfrageinhalt zu groß", "Der Anfrageinhalt darf höchstens 262144 Byte groß sein."),
    ],
)
def test_a_refusal_reads_in_the_language_asked_for(language: str, title: str, detail: str) -> None:
    assert translate("Body too large", language) == title
    assert translate("The body may be at most {limit} bytes.", language, limit=262144) == detail


def test_a_message_without_translation_falls_back_to_english() -> None:
    assert translate("Not a message id {x}", "de", x=1) == "Not a message id 1"


# --- negotiate ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        (None, "en"),
        ("", "en"),
        ("nl", "nl"),
        ("fr", "fr"),
        ("de", "de"),
        ("en", "en"),
        # regions and case: the primary language decides
        ("fr-BE", "fr"),
        ("nl-BE", "nl"),
        ("de-DE", "de"),
        ("de-BE", "de"),
        ("FR-be", "fr"),
        ("de-CH-1996", "de"),
        # q-values: the highest weight wins, the first listed among equals
        ("fr-BE, fr;q=0.9, en;q=0.8", "fr"),
        ("en;q=0.5, de;q=0.9", "de"),
        ("nl;q=0.2, fr;q=0.7, de;q=0.4", "fr"),
        ("de;q=0.8, nl;q=0.8", "de"),
        ("nl ; q = 0.5 , fr ; q = 0.6", "fr"),
        ("nl;q=1.0", "nl"),
        ("fr;q=0, de", "de"),
        # the wildcard stands for any language not listed: our default
        ("*", "en"),
        ("*;q=0.1, nl;q=0.8", "nl"),
        ("pl, *;q=0.5", "en"),
        # languages we do not speak are passed over
        ("pl", "en"),
        ("pl, tr;q=0.9, es;q=0.8", "en"),
        ("pl, de;q=0.1", "de"),
        ("nld", "en"),
        # junk never breaks negotiation
        ("nl;q=abc", "en"),
        ("nl;q=0", "en"),
        ("nl;q=1.5", "en"),
        ("nl;q=-1", "en"),
        (";q=0.9", "en"),
        (",,,", "en"),
        ("nl_NL", "en"),
        ("\u00e9\u00e9, \x00", "en"),
        ("garbage!!, fr;q=0.3", "fr"),
        ("x" * 10_000, "en"),
    ],
)
def test_accept_language_picks_the_best_of_our_languages(
    accept_language: str | None, language: str
) -> None:
    assert negotiate(accept_language) == language


def test_a_huge_accept_language_header_still_gives_one_of_our_languages() -> None:
    assert negotiate(", ".join(["pl;q=0.9"] * 10_000 + ["nl"])) in LANGUAGES


# --- glossary -------------------------------------------------------------------------------


def test_the_glossary_gives_every_term_in_all_four_languages() -> None:
    with GLOSSARY.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["key", "en", *TRANSLATED, "note"]
        rows = list(reader)
    keys = [row["key"] for row in rows]
    assert len(rows) >= 30
    assert len(set(keys)) == len(keys), "each term once"
    incomplete = [row["key"] for row in rows if not all(row[lang].strip() for lang in LANGUAGES)]
    assert incomplete == []
