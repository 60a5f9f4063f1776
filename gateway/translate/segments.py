"""Sentences and their normal form: the units the translation memory remembers and finds.

Segmentation is deliberately simple and errs towards fewer splits: a text is cut at every line
break, and after ``.``, ``!``, ``?`` or ``…`` (and any closing quotes or brackets) when
whitespace and a capital, a digit or an opening quote follows, except after an initial
(``J.``), an abbreviation with inner dots (``z.B.``, ``o.a.``), a known abbreviation
(``nr.``, ``Str.``, ``Mme.``) or a number (German ordinals: ``am 12. März``). Nothing is lost:
:meth:`Segmented.join` with the segments themselves gives the text back, whitespace and all.

The normal form is what makes two segments "the same": Unicode compatibility form (NFKC),
typographic quotes and dashes made plain, case folded, runs of whitespace made one space, and
no space before closing punctuation (French ``Pourquoi ?`` equals ``Pourquoi?``). Digits and
punctuation otherwise stay: a sentence with another number is another sentence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

_TERMINALS: Final = ".!?…"
_CLOSERS: Final = "\"'”’»)]"
_OPENERS: Final = "\"'“‘„«([¿¡"
_WHITESPACE = re.compile(r"\s+")
_FINAL_TOKEN = re.compile(r"(.*?)([.!?…]+)([\"'”’»)\]]*)")

ABBREVIATIONS: Final = frozenset(
    {
        # Dutch
        "bijv", "nr", "dhr", "mevr", "mw", "ca", "jl", "blz", "tel", "str", "ir", "dr", "mr",
        "prof", "zgn", "resp", "incl", "excl", "evt", "art", "lid", "sr", "wvw",
        # French
        "m", "mme", "mlle", "me", "av", "bd", "st", "ste", "env", "cf", "no", "al",
        # German
        "bzw", "hr", "fr", "ggf", "evtl", "vgl", "inkl", "abs", "ziff", "geb", "stpo", "stgb",
        "kfz", "pkw", "lkw",
        # English
        "mrs", "ms", "vs", "approx", "inc", "ltd", "co", "jr",
    }
)  # fmt: skip

_PLAIN = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
        "`": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"',
        "\u00bb": '"', "\u2039": '"', "\u203a": '"', "\u2010": "-", "\u2011": "-",
        "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    }
)  # fmt: skip
_SPACE_BEFORE_CLOSING = re.compile(r" ([.,:;!?%)\]])")
_SPACE_AFTER_OPENING = re.compile(r"([(\[]) ")


@dataclass(frozen=True)
class Segmented:
    """A text as segments, with the whitespace before the first and after each one."""

    lead: str
    segments: tuple[str, ...]
    gaps: tuple[str, ...]

    def join(self, replacements: Sequence[str]) -> str:
        """The text with each segment replaced, its whitespace kept as it was."""
        if len(replacements) != len(self.segments):
            raise ValueError("one replacement per segment")
        return self.lead + "".join(r + gap for r, gap in zip(replacements, self.gaps, strict=True))


def split(text: str) -> Segmented:
    """``text`` cut into sentences and lines; see the module's documentation for the rules."""
    body = text.lstrip()
    lead = text[: len(text) - len(body)]
    segments: list[str] = []
    gaps: list[str] = []
    start = len(lead)
    for space in _WHITESPACE.finditer(text, start):
        if space.end() == len(text):
            break
        before, after = text[start : space.start()], text[space.end() :]
        if "\n" in space.group() or "\r" in space.group() or _ends_sentence(before, after):
            segments.append(before)
            gaps.append(space.group())
            start = space.end()
    if start < len(text):
        rest = text[start:]
        segment = rest.rstrip()
        segments.append(segment)
        gaps.append(rest[len(segment) :])
    return Segmented(lead, tuple(segments), tuple(gaps))


def _ends_sentence(before: str, after: str) -> bool:
    if not (after[0].isupper() or after[0].isdigit() or after[0] in _OPENERS):
        return False
    match = _FINAL_TOKEN.fullmatch(before.rsplit(maxsplit=1)[-1])
    if match is None:
        return False
    word, marks = match.group(1).lstrip(_OPENERS), match.group(2)
    if marks != ".":
        return True
    return not (
        (len(word) == 1 and word.isalpha())
        or "." in word
        or word.isdigit()
        or word.casefold() in ABBREVIATIONS
    )


def plain(text: str) -> str:
    """``text`` in Unicode compatibility form with plain quotes and dashes; case kept."""
    return unicodedata.normalize("NFKC", text).translate(_PLAIN)


def normalise(text: str) -> str:
    """The form two segments share when they say the same thing in the same words."""
    collapsed = " ".join(plain(text).casefold().split())
    return _SPACE_AFTER_OPENING.sub(r"\1", _SPACE_BEFORE_CLOSING.sub(r"\1", collapsed))


def is_question(normalised: str) -> bool:
    return normalised.rstrip(_CLOSERS).endswith("?")


def terminal_marks(segment: str) -> str:
    """The sentence-final punctuation of ``segment`` with any closing quotes, or ``""``."""
    stripped = segment.rstrip()
    end = len(stripped)
    while end and stripped[end - 1] in _CLOSERS:
        end -= 1
    while end and stripped[end - 1] in _TERMINALS:
        end -= 1
    return stripped[end:] if end < len(stripped) and stripped[end] in _TERMINALS else ""
