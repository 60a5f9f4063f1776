"""The glossary (``locales/glossary.csv``): the Euregio's key terms in nl, fr, de and en.

A cell may qualify its term: ``partner(organisatie)``, ``undermining (crime)``, or give other
countries' words after a semicolon (``BSN (burgerservicenummer); BE: rijksregisternummer``).
The *headword* is what a reader meets in running text: the first variant without its
parenthesised qualifiers (``partner``, ``undermining``, ``BSN``).

:func:`glossary_terms` gives each term's headword with its translation as the glossary writes
it, for a UI to highlight. :func:`glossary_translation` translates a segment that is exactly
one term, and only where neither cell names per-country variants: those (the national
number, the enterprise number) depend on whose number it is, which a term alone cannot say.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from gateway.infra.i18n import LOCALES_DIR
from gateway.translate.segments import normalise, terminal_marks

GLOSSARY_FILE: Final = LOCALES_DIR / "glossary.csv"
_QUALIFIER = re.compile(r"\s*\([^)]*\)\s*")


@dataclass(frozen=True)
class GlossaryEntry:
    key: str
    terms: Mapping[str, str]
    note: str

    def headword(self, language: str) -> str:
        return headword(self.terms.get(language, ""))

    def has_variants(self, language: str) -> bool:
        return ";" in self.terms.get(language, "")


def headword(cell: str) -> str:
    """The first variant of a glossary cell without parenthesised qualifiers."""
    first = cell.split(";", 1)[0]
    return " ".join(_QUALIFIER.sub(" ", first).split())


@cache
def load_glossary(path: Path = GLOSSARY_FILE) -> tuple[GlossaryEntry, ...]:
    """Every row of the glossary, in file order. Read once; a missing file is an empty one."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        return ()
    entries = []
    for row in rows:
        key, note = row.pop("key", "") or "", row.pop("note", "") or ""
        terms = {language: (cell or "").strip() for language, cell in row.items() if language}
        entries.append(GlossaryEntry(key, terms, note))
    return tuple(entries)


def glossary_terms(source: str, target: str) -> list[tuple[str, str]]:
    """``(term, translation)`` for each glossary term of ``source`` that ``target`` has."""
    pairs = []
    for entry in load_glossary():
        term = entry.headword(source)
        translation = entry.terms.get(target, "").split(";", 1)[0].strip()
        if term and translation:
            pairs.append((term, translation))
    return pairs


def glossary_translation(segment: str, *, source: str, target: str) -> str | None:
    """The translation of ``segment`` when it is exactly one unambiguous glossary term."""
    marks = terminal_marks(segment)
    wanted = normalise(segment[: len(segment.rstrip()) - len(marks)] if marks else segment)
    if not wanted:
        return None
    for entry in load_glossary():
        if entry.has_variants(source) or entry.has_variants(target):
            continue
        term, translation = entry.headword(source), entry.headword(target)
        if term and translation and normalise(term) == wanted:
            if segment[:1].isupper():
                translation = translation[:1].upper() + translation[1:]
            return translation + marks
    return None
