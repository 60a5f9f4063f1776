"""Sentences and their normal form: what the translation memory remembers and finds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.translate.segments import is_question, normalise, plain, split, terminal_marks
from tests.strategies import text

SENTENCES = st.lists(
    st.sampled_from(
        [
            "De verdachte reed naar Luik.",
            "Il a dit : « pas maintenant ».",
            "Am 12. März sah Hr. Müller z.B. zwei Pkw.",
            "Waarom?",
            "J. Janssen woont op nr. 12.",
            "„Wer?“, fragte sie.",
            "…",
            "(Zie bijlage.)",
        ]
    )
    | text(120),
    min_size=1,
    max_size=5,
)
SPACE = st.sampled_from([" ", "  ", "\n", "\r\n", "\t", " \n\n "])


@pytest.mark.parametrize(
    ("written", "segments"),
    [
        ("Een zin. Nog een zin.", ["Een zin.", "Nog een zin."]),
        ("Waar? Daar! Hier.", ["Waar?", "Daar!", "Hier."]),
        ("regel een\nregel twee", ["regel een", "regel twee"]),
        ("Hij zag J. Janssen op nr. 12 staan.", ["Hij zag J. Janssen op nr. 12 staan."]),
        ("Am 12. März kam er.", ["Am 12. März kam er."]),
        ("Er sah z.B. Herrn Schmidt.", ["Er sah z.B. Herrn Schmidt."]),
        ("Mme. Dubois habite à Liège.", ["Mme. Dubois habite à Liège."]),
        ("Hij zei: “Weg.” Toen ging hij.", ["Hij zei: “Weg.”", "Toen ging hij."]),
        ("Fin de la phrase. 12 personnes.", ["Fin de la phrase.", "12 personnes."]),
        ("geen hoofdletter. daarna", ["geen hoofdletter. daarna"]),
        ("   ", []),
    ],
)
def test_a_text_is_cut_into_its_sentences_and_lines(written: str, segments: list[str]) -> None:
    assert list(split(written).segments) == segments


def test_the_whitespace_around_segments_is_kept() -> None:
    segmented = split("  Een.\n\nTwee.  ")

    assert (segmented.lead, segmented.segments, segmented.gaps) == (
        "  ",
        ("Een.", "Twee."),
        ("\n\n", "  "),
    )
    assert segmented.join(["Un.", "Deux."]) == "  Un.\n\nDeux.  "


def test_joining_needs_one_replacement_per_segment() -> None:
    with pytest.raises(ValueError, match="one replacement per segment"):
        split("Een. Twee.").join(["Un."])


@settings(max_examples=300)
@given(parts=SENTENCES, spaces=st.lists(SPACE, min_size=6, max_size=6))
def test_segmentation_loses_nothing(parts: list[str], spaces: list[str]) -> None:
    written = spaces[0] + "".join(p + s for p, s in zip(parts, spaces[1:], strict=False))

    segmented = split(written)

    assert segmented.join(segmented.segments) == written
    for segment in segmented.segments:
        assert segment
        assert segment == segment.strip()


@given(written=st.text(max_size=200))
def test_segmentation_loses_nothing_of_any_text(written: str) -> None:
    segmented = split(written)

    assert segmented.join(segmented.segments) == written
    assert all(not gap.strip() for gap in (segmented.lead, *segmented.gaps))
    assert all(segment.strip() == segment != "" for segment in segmented.segments)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("De Verdachte", "de verdachte"),
        ("“Nee”, zei hij.", '"Nee", zei hij.'),
        ("Pourquoi ?", "Pourquoi?"),
        ("Tussen  twee\n woorden", "Tussen twee woorden"),
        ("12–14 uur", "12-14 uur"),
        ("( zie bijlage )", "(zie bijlage)"),
        ("Straße", "STRASSE"),
    ],
)
def test_the_normal_form_ignores_case_quotes_dashes_and_spacing(one: str, other: str) -> None:
    assert normalise(one) == normalise(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("12 personen", "13 personen"),
        ("Hij kwam.", "Hij kwam?"),
        ("Hij kwam niet.", "Hij kwam."),
        ("kenteken 1-ABC-23", "kenteken 1-ABC-24"),
    ],
)
def test_the_normal_form_keeps_digits_words_and_punctuation(one: str, other: str) -> None:
    assert normalise(one) != normalise(other)


def test_plain_keeps_case_and_only_plains_quotes_and_dashes() -> None:
    assert plain("„Wer?“ – ﬁn") == '"Wer?" - fin'


@pytest.mark.parametrize(
    ("segment", "marks"),
    [("Klaar.", "."), ("Echt?!", "?!"), ("Hij zei: “Weg.”", ".”"), ("Geen einde", "")],
)
def test_terminal_marks_are_the_closing_punctuation(segment: str, marks: str) -> None:
    assert terminal_marks(segment) == marks


def test_a_question_is_known_by_its_mark_even_inside_quotes() -> None:
    assert is_question(normalise("Hij vroeg: “Waar?”"))
    assert not is_question(normalise("Hij wist waar."))
