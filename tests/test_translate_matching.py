"""Finding a segment in memory: exactly, or nearly, but never one that states another fact."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.translate.matching import (
    DEFAULT_THRESHOLD,
    NEGATIONS,
    NUMBER_WORDS,
    PairMemory,
    Remembered,
    near_match,
)
from gateway.translate.segments import normalise

SENTENCE = "De verdachte stond met een bestelbus bij de loods aan het kanaal."
TRANSLATION = "Le suspect se trouvait avec une camionnette près du hangar au bord du canal."


def remembered(source: str, target: str = TRANSLATION) -> Remembered:
    return Remembered(
        source, target, officer="staff:nl-01", at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    )


def find(memory: PairMemory, segment: str, language: str = "nl") -> str | None:
    hit = memory.find(segment, language=language, threshold=DEFAULT_THRESHOLD)
    return None if hit is None else hit.how


# --- written out -----------------------------------------------------------------------------


def test_an_exact_match_ignores_case_and_spacing_and_names_who_corrected_it() -> None:
    memory = PairMemory([remembered(SENTENCE)])

    hit = memory.find("  de verdachte stond met een  bestelbus bij de loods aan het kanaal. ",
                      language="nl", threshold=DEFAULT_THRESHOLD)  # fmt: skip

    assert hit is not None
    assert (hit.target, hit.how, hit.officer, hit.similarity) == (
        TRANSLATION,
        "exact",
        "staff:nl-01",
        1.0,
    )


@pytest.mark.parametrize(
    "slip",
    [
        "De verdachte stond met een bestelbus bij de loods aan het kannaal.",
        "De verdachte stond met een bestelbus bij de lóods aan het kanaal.",
        "De verdachte stond, met een bestelbus, bij de loods aan het kanaal.",
        "De verdachte stond met een bestelbus bij de loods aan t kanaal.",
    ],
)
def test_a_spelling_slip_or_small_wording_change_is_a_near_match(slip: str) -> None:
    memory = PairMemory([remembered(SENTENCE)])

    hit = memory.find(slip, language="nl", threshold=DEFAULT_THRESHOLD)

    assert hit is not None
    assert (hit.target, hit.how) == (TRANSLATION, "near")
    assert DEFAULT_THRESHOLD <= hit.similarity < 1


@pytest.mark.parametrize(
    ("changed", "why"),
    [
        ("De verdachte stond niet met een bestelbus bij de loods aan het kanaal.", "negation"),
        ("De verdachte stond met geen bestelbus bij de loods aan het kanaal.", "negation"),
        ("De verdachte stond met twee bestelbussen bij de loods aan het kanaal.", "number"),
        ("De verdachte stond met 1 bestelbus bij de loods aan het kanaal.", "digit"),
        ("De verdachte stond met een bestelbus bij de loods aan het Albertkanaal.", "name"),
        ("De verdachte stond met een bestelbus bij de schuur aan het kanaal.", "another word"),
        ("Een verdachte stond met een bestelbus bij de loods aan het kanaal.", "number"),
        ("De verdachte stond met een bestelbus bij de loods aan het kanaal?", "question"),
        ("De getuige stond met een bestelbus bij de loods aan het kanaal.", "another person"),
    ],
)
def test_a_sentence_that_states_another_fact_is_no_near_match(changed: str, why: str) -> None:
    memory = PairMemory([remembered(SENTENCE)])

    assert find(memory, changed) is None, why


def test_plates_and_dates_are_facts_however_similar_the_rest() -> None:
    memory = PairMemory([remembered("Kenteken 1-ABC-23 gezien op 12-11-2026 om 14.05 uur.")])

    assert find(memory, "Kenteken 1-ABC-28 gezien op 12-11-2026 om 14.05 uur.") is None
    assert find(memory, "Kenteken 1-ABC-23 gezien op 12-11-2025 om 14.05 uur.") is None
    assert find(memory, "Kenteken 1-ABC-23 gezien op 12-11-2026 om 14.05 uur!") == "near"


def test_the_best_near_match_wins() -> None:
    memory = PairMemory(
        [
            remembered("De verdachte stond met een bestelbus bij de loods aan het kanaaltje.", "A"),
            remembered("De verdachte stond met een bestelbus bij de loods aan het kanaal!", "B"),
        ]
    )

    hit = memory.find(SENTENCE, language="nl", threshold=DEFAULT_THRESHOLD)

    assert hit is not None
    assert hit.target == "B"


def test_a_much_shorter_or_longer_sentence_is_never_a_candidate() -> None:
    memory = PairMemory([remembered("Kort."), remembered(SENTENCE + " " + SENTENCE)])

    assert find(memory, SENTENCE) is None


def test_learning_makes_a_new_memory_and_a_later_entry_replaces_an_earlier_one() -> None:
    first = PairMemory([remembered(SENTENCE, "oud")])

    second = first.with_entries([remembered(SENTENCE.upper(), "nieuw")])

    assert len(first) == len(second) == 1
    assert first.exact(SENTENCE).target == "oud"  # type: ignore[union-attr]
    assert second.exact(SENTENCE).target == "nieuw"  # type: ignore[union-attr]
    assert second.without([normalise(SENTENCE)]).exact(SENTENCE) is None


def test_each_language_has_its_negations_and_number_words() -> None:
    for words in (NEGATIONS, NUMBER_WORDS):
        assert set(words) == {"nl", "fr", "de", "en"}
    assert {"niet", "geen"} <= NEGATIONS["nl"]
    assert {"ne", "pas"} <= NEGATIONS["fr"]
    assert {"nicht", "kein"} <= NEGATIONS["de"]
    assert {"twee", "deux", "zwei", "two"} <= NUMBER_WORDS["nl"] | NUMBER_WORDS["fr"] | set(
        NUMBER_WORDS["de"] | NUMBER_WORDS["en"]
    )


def test_french_negation_by_ne_alone_is_seen() -> None:
    memory = PairMemory([remembered("Le suspect a payé la facture du hangar au bord du canal.")])

    assert find(memory, "Le suspect n'a payé la facture du hangar au bord du canal.", "fr") is None


# --- for all sentences ------------------------------------------------------------------------

WORDS = st.sampled_from(
    [
        "de", "verdachte", "stond", "bij", "loods", "kanaal", "auto", "reed", "naar", "huis",
        "le", "suspect", "était", "près", "du", "hangar", "der", "Wagen", "stand", "am",
        "12", "13", "1-ABC-23", "1-ABC-24", "2026", "14.05",
        *sorted(set().union(*NEGATIONS.values())),
        *sorted(set().union(*NUMBER_WORDS.values())),
    ]
)  # fmt: skip
SENTENCES = st.lists(WORDS, min_size=4, max_size=14).map(" ".join)


@st.composite
def sentence_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """A sentence and a variant one or two words away from it, so near matches are frequent."""
    words = draw(st.lists(WORDS, min_size=4, max_size=14))
    variant = list(words)
    for _ in range(draw(st.integers(1, 2))):
        at = draw(st.integers(0, len(variant) - 1))
        action = draw(st.sampled_from(["replace", "drop", "insert", "typo"]))
        if action == "replace":
            variant[at] = draw(WORDS)
        elif action == "drop" and len(variant) > 1:
            del variant[at]
        elif action == "insert":
            variant.insert(at, draw(WORDS))
        elif action == "typo" and len(variant[at]) > 2:
            variant[at] = variant[at][:-1]
    ending = draw(st.sampled_from([".", "?", "!"]))
    return " ".join(words) + ".", " ".join(variant) + ending


def facts(sentence: str, language: str) -> Counter[str]:
    """The digit tokens, negations and number words of ``sentence``, counted."""
    normal = normalise(sentence)
    tokens = re.findall(r"\w+(?:[-./]\w+)*", normal)
    guarded = NEGATIONS[language] | NUMBER_WORDS[language]
    return Counter(t for t in tokens if t in guarded or any(c.isdigit() for c in t))


@settings(max_examples=500)
@given(pair=sentence_pairs(), language=st.sampled_from(["nl", "fr", "de", "en"]))
def test_a_near_match_never_differs_in_numbers_or_negations(
    pair: tuple[str, str], language: str
) -> None:
    query, candidate = pair

    score = near_match(query, candidate, language=language, threshold=DEFAULT_THRESHOLD)

    if score is not None:
        assert facts(query, language) == facts(candidate, language)
        assert DEFAULT_THRESHOLD <= score <= 1


@settings(max_examples=200)
@given(sentence=SENTENCES, language=st.sampled_from(["nl", "fr", "de", "en"]))
def test_a_sentence_is_its_own_exact_match(sentence: str, language: str) -> None:
    memory = PairMemory([remembered(sentence)])

    hit = memory.find(sentence, language=language, threshold=DEFAULT_THRESHOLD)

    assert hit is not None
    assert hit.how == "exact"
    assert near_match(sentence, sentence, language=language, threshold=1.0) == 1.0
