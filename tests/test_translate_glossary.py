"""The glossary as the translation memory uses it: whole terms only, and never ambiguous ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.translate.glossary import (
    glossary_terms,
    glossary_translation,
    headword,
    load_glossary,
)


@pytest.mark.parametrize(
    ("segment", "source", "target", "expected"),
    [
        ("drugsafval", "nl", "fr", "déchets de production de drogues"),
        ("Drugsafval.", "nl", "de", "Drogenabfälle."),
        ("Ondermijning!", "nl", "fr", "Criminalité déstabilisante!"),
        ("bestuurlijke aanpak", "nl", "de", "administrativer Ansatz"),
        ("approche administrative", "fr", "nl", "bestuurlijke aanpak"),
    ],
)
def test_a_segment_that_is_one_term_gets_the_glossarys_translation(
    segment: str, source: str, target: str, expected: str
) -> None:
    assert glossary_translation(segment, source=source, target=target) == expected


@pytest.mark.parametrize(
    "segment",
    [
        "Er lag drugsafval in het bos.",  # a term inside a sentence is not the whole segment
        "BSN",  # per-country variants: whose number it is decides the word
        "ondernemingsnummer",
        "",
    ],
)
def test_anything_but_one_unambiguous_term_is_left_alone(segment: str) -> None:
    assert glossary_translation(segment, source="nl", target="fr") is None


def test_the_headword_drops_qualifiers_and_other_countries_words() -> None:
    assert headword("BSN (burgerservicenummer); BE: rijksregisternummer") == "BSN"
    assert headword("undermining (crime)") == "undermining"
    assert headword("partner(organisatie)") == "partner"


def test_the_terms_for_a_ui_pair_each_headword_with_its_translation() -> None:
    pairs = dict(glossary_terms("nl", "de"))

    assert pairs["ondermijning"] == "Unterwanderung durch organisierte Kriminalität"
    assert pairs["BSN"] == "Steuer-Identifikationsnummer"


def test_a_missing_glossary_is_an_empty_one(tmp_path: Path) -> None:
    assert load_glossary(tmp_path / "absent.csv") == ()
