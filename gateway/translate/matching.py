"""Finding a segment in the memory of one language pair: exactly, or nearly.

An *exact* match has the same normal form (:func:`~gateway.translate.segments.normalise`).
A *near-exact* match is a remembered source whose normal form is at least
``threshold`` similar (:class:`difflib.SequenceMatcher` ratio, 0.9 by default) and that
differs in nothing that changes a fact. Character similarity alone would serve
"De verdachte was aanwezig." for "De verdachte was niet aanwezig." (ratio 0.91), so a near
match must also have

- the same numbers, dates, plates and other tokens with a digit,
- the same names: every word written with a capital appears in both as often (so the first
  word of a sentence must match too, and German near matches, which capitalise every noun,
  may differ in lower-case words only),
- the same negations (``niet``, ``geen``, ``ne``, ``pas``, ``kein``, ``not``, ...),
- the same numbers written as words (``twee``, ``deux``, ``zwei``, ``two``, ...),
- the same sentence type: a question matches only a question, and
- no other word of substance: a word longer than three letters that only one of them has must
  be a misspelling of one the other has (``kannaal``, ``kanaal``), so "De getuige stond ..."
  never matches "De verdachte stond ...".

What remains are spelling slips, accents, punctuation and small words (``de``, ``die``).

A :class:`PairMemory` is immutable: learning makes a new one, so a search may run in a worker
thread while the event loop learns.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher
from typing import Final, Literal

from gateway.translate.segments import is_question, normalise, plain

DEFAULT_THRESHOLD: Final = 0.9
_SMALL_WORD: Final = 3
_SPELLING: Final = 0.8
_TOKEN = re.compile(r"\w+(?:[-./]\w+)*")

NEGATIONS: Final = {
    "nl": frozenset({"niet", "geen", "nooit", "niets", "niemand", "nergens", "zonder", "noch"}),
    "fr": frozenset(
        {"ne", "n", "pas", "non", "jamais", "aucun", "aucune", "rien", "personne", "sans", "ni"}
    ),
    "de": frozenset(
        {"nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals"}
        | {"nichts", "niemand", "ohne", "weder", "noch"}
    ),
    "en": frozenset({"not", "no", "never", "none", "nothing", "nobody", "without", "neither"}),
}
_ALL_NEGATIONS: Final = frozenset().union(*NEGATIONS.values())

NUMBER_WORDS: Final = {
    "nl": frozenset(
        {"een", "één", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien"}
        | {"elf", "twaalf", "twintig", "dertig", "veertig", "vijftig", "honderd", "duizend"}
        | {"eerste", "tweede", "derde", "vierde", "vijfde", "dozijn", "tiental", "paar", "beide"}
    ),
    "fr": frozenset(
        {"un", "une", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix"}
        | {"onze", "douze", "vingt", "trente", "quarante", "cinquante", "soixante", "septante"}
        | {"octante", "huitante", "nonante", "cent", "mille", "premier", "première"}
        | {"deuxième", "second", "seconde", "troisième", "dizaine", "douzaine", "centaine"}
    ),
    "de": frozenset(
        {"ein", "eine", "einen", "einem", "einer", "eins", "zwei", "zwo", "drei", "vier"}
        | {"fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf", "zwölf", "zwanzig"}
        | {"dreißig", "hundert", "tausend", "erste", "zweite", "dritte", "beide", "beiden"}
        | {"paar", "dutzend"}
    ),
    "en": frozenset(
        {"a", "an", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
        | {"ten", "eleven", "twelve", "twenty", "thirty", "hundred", "thousand", "first"}
        | {"second", "third", "both", "couple", "dozen"}
    ),
}
"""Words that state a quantity; a near match keeps each as often as the query has it."""
_ALL_NUMBER_WORDS: Final = frozenset().union(*NUMBER_WORDS.values())


@dataclass(frozen=True)
class Remembered:
    """One remembered translation, opened from its sealed row: written by ``officer`` of
    ``desk``, confirmed by ``confirmed_by`` if a second officer did."""

    source: str
    target: str
    officer: str | None
    at: datetime | None
    desk: str = ""
    confirmed_by: str | None = None
    normalised: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "normalised", normalise(self.source))


@dataclass(frozen=True)
class Hit:
    """A segment found in memory: the translation to use, how it was found, and whose it is."""

    target: str
    how: Literal["exact", "near", "glossary"]
    officer: str | None = None
    at: datetime | None = None
    similarity: float = 1.0
    desk: str = ""
    confirmed_by: str | None = None

    @classmethod
    def of(cls, entry: Remembered, how: Literal["exact", "near"], similarity: float = 1.0) -> Hit:
        return cls(
            entry.target,
            how,
            entry.officer,
            entry.at,
            similarity=similarity,
            desk=entry.desk,
            confirmed_by=entry.confirmed_by,
        )


class PairMemory:
    """Everything remembered for one language pair, by normal form and by length."""

    def __init__(self, entries: Iterable[Remembered] = ()) -> None:
        self._exact: dict[str, Remembered] = {}
        for entry in entries:
            self._exact[entry.normalised] = entry
        self._by_length = sorted((len(n), n) for n in self._exact)

    def __len__(self) -> int:
        return len(self._exact)

    def with_entries(self, entries: Iterable[Remembered]) -> PairMemory:
        """A new memory with ``entries`` added; a later entry replaces an earlier one."""
        return PairMemory([*self._exact.values(), *entries])

    def without(self, normalised: Iterable[str]) -> PairMemory:
        gone = set(normalised)
        return PairMemory(e for n, e in self._exact.items() if n not in gone)

    def exact(self, segment: str) -> Hit | None:
        """The entry with the normal form of ``segment``, if any."""
        entry = self._exact.get(normalise(segment))
        return None if entry is None else Hit.of(entry, "exact")

    def find(self, segment: str, *, language: str, threshold: float) -> Hit | None:
        """The exact match of ``segment`` or else its best near-exact match, if any."""
        wanted = normalise(segment)
        exact = self._exact.get(wanted)
        if exact is not None:
            return Hit.of(exact, "exact")
        best: tuple[float, Remembered] | None = None
        for candidate in self._candidates(wanted, threshold):
            score = near_match(segment, candidate.source, language=language, threshold=threshold)
            if score is not None and (best is None or score > best[0]):
                best = (score, candidate)
        if best is None:
            return None
        score, entry = best
        return Hit.of(entry, "near", similarity=score)

    def _candidates(self, wanted: str, threshold: float) -> Iterable[Remembered]:
        # ratio = 2M / (a + b) and M <= min(a, b), so lengths differ by a bounded factor.
        factor = threshold / (2 - threshold)
        low = math.ceil(len(wanted) * factor)
        high = math.floor(len(wanted) / factor) if factor else len(wanted)
        start = bisect.bisect_left(self._by_length, (low, ""))
        for length, normalised in self._by_length[start:]:
            if length > high:
                return
            yield self._exact[normalised]


def near_match(query: str, candidate: str, *, language: str, threshold: float) -> float | None:
    """The similarity of two segments when it is near-exact under the rules above, else None."""
    a, b = normalise(query), normalise(candidate)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
        return None
    ratio = matcher.ratio()
    if ratio < threshold or is_question(a) != is_question(b):
        return None
    counts_a, counts_b = Counter(_tokens(a)), Counter(_tokens(b))
    guarded = _protected(query) | _protected(candidate)
    guarded |= NEGATIONS.get(language, _ALL_NEGATIONS)
    guarded |= NUMBER_WORDS.get(language, _ALL_NUMBER_WORDS)
    if any(counts_a[word] != counts_b[word] for word in guarded):
        return None
    if a.count("n't") != b.count("n't"):
        return None
    only_a, only_b = counts_a - counts_b, counts_b - counts_a
    if not (_misspelt_only(only_a, only_b) and _misspelt_only(only_b, only_a)):
        return None
    return ratio


def _misspelt_only(words: Counter[str], others: Counter[str]) -> bool:
    """Whether every long word of ``words`` is a near spelling of one of ``others``."""
    return all(
        len(word) <= _SMALL_WORD
        or any(SequenceMatcher(None, word, other).ratio() >= _SPELLING for other in others)
        for word in words
    )


def _tokens(normalised: str) -> list[str]:
    return _TOKEN.findall(normalised)


def _protected(segment: str) -> set[str]:
    """Tokens that carry facts: any with a digit, and every word written with a capital."""
    return {
        token.casefold()
        for token in _TOKEN.findall(plain(segment))
        if token[:1].isupper() or any(c.isdigit() for c in token)
    }
