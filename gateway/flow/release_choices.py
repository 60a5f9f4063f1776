"""What an officer decides, field by field, for free text the recipient cannot read.

A copy's free text may still be in a language the recipient did not list when it waits at a
liaison desk: no translation backend knew it, or the rules held it as written. Such a text
never leaves without a choice of the officer for that field: send it ``as_written`` (marked
so in the recipient's rendering), ``withheld`` (absent from the copy, and listed as
withheld), or ``translated`` (the officer's correction stands in for it). Pure: the desk
asks, the edges collect the choices.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from gateway.infra.errors import CorrectionInvalid, ReleaseChoiceConflict, UntranslatedUnresolved
from gateway.translate.types import TranslatedText


class FieldChoice(StrEnum):
    AS_WRITTEN = "as_written"
    WITHHELD = "withheld"
    TRANSLATED = "translated"


@dataclass(frozen=True)
class UntranslatedField:
    """A free text the recipient would receive in ``language``, which it does not read."""

    pointer: str
    language: str

    def as_json(self) -> dict[str, str]:
        return {"pointer": self.pointer, "language": self.language}


def untranslated_fields(
    texts: Mapping[str, TranslatedText],
    *,
    held: Collection[str],
    source_language: str,
    readable: Collection[str],
) -> tuple[UntranslatedField, ...]:
    """The fields of ``texts`` (what would go out, by pointer) and of ``held`` (held text goes
    as written when released) whose language is not among the ``readable`` ones."""
    found = {
        pointer: text.language
        for pointer, text in texts.items()
        if pointer not in held and text.language not in readable
    }
    if source_language not in readable:
        found |= dict.fromkeys(held, source_language)
    return tuple(UntranslatedField(p, found[p]) for p in sorted(found))


@dataclass(frozen=True)
class ReleaseChoices:
    """The officer's choice for each field named: texts ``translated`` by pointer, and the
    pointers to send ``as_written`` and to withhold."""

    translated: Mapping[str, str]
    as_written: frozenset[str] = frozenset()
    withheld: frozenset[str] = frozenset()

    def choice(self, pointer: str) -> FieldChoice | None:
        if pointer in self.translated:
            return FieldChoice.TRANSLATED
        if pointer in self.as_written:
            return FieldChoice.AS_WRITTEN
        if pointer in self.withheld:
            return FieldChoice.WITHHELD
        return None


def release_choices(
    translated: Mapping[str, str],
    *,
    as_written: Iterable[str] = (),
    withheld: Iterable[str] = (),
    fields: Collection[str],
    untranslated: Iterable[UntranslatedField],
    limit: int,
) -> ReleaseChoices:
    """The choices, checked: each names one of the copy's free-text ``fields`` and gives it one
    fate only, and every ``untranslated`` field has one.

    Raises :class:`CorrectionInvalid` for a field the copy does not have (or a translation that
    is empty or longer than ``limit``), :class:`ReleaseChoiceConflict` for a field given two
    fates, :class:`UntranslatedUnresolved` listing every untranslated field left without one.
    """
    written, withholding = list(dict.fromkeys(as_written)), list(dict.fromkeys(withheld))
    for pointer in [*translated, *written, *withholding]:
        if pointer not in fields:
            raise CorrectionInvalid(pointer=pointer, limit=limit)
    for pointer, text in translated.items():
        if not text.strip() or len(text) > limit:
            raise CorrectionInvalid(pointer=pointer, limit=limit)
    named = [*translated, *written, *withholding]
    for pointer in named:
        if named.count(pointer) > 1:
            raise ReleaseChoiceConflict(pointer=pointer)
    missing = [(f.pointer, f.language) for f in untranslated if f.pointer not in named]
    if missing:
        raise UntranslatedUnresolved(untranslated=missing)
    return ReleaseChoices(dict(translated), frozenset(written), frozenset(withholding))


__all__ = [
    "FieldChoice",
    "ReleaseChoices",
    "UntranslatedField",
    "release_choices",
    "untranslated_fields",
]
