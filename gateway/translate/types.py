"""What a translation is: its text, its language, and where it came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

ProvenanceKind: TypeAlias = Literal["original", "memory", "machine", "human"]


@dataclass(frozen=True)
class Provenance:
    """Where a text came from.

    ``original``: the sender's own words, untranslated. ``memory``: every segment came from
    liaison officers' earlier corrections or the glossary (``engine`` ``glossary`` when the
    glossary alone); ``desk`` names the desks whose officers (``officer``) wrote the
    corrections used, and ``confirmed_by`` the second officers who confirmed every one of them
    (unset if any was not). ``machine``: a translation engine did at least part of it
    (``engine`` names each one, ``memory+libretranslate`` say). ``human``: a liaison officer
    (``officer``) wrote or corrected it.
    """

    kind: ProvenanceKind
    engine: str | None = None
    version: str | None = None
    officer: str | None = None
    at: str | None = None
    desk: str | None = None
    confirmed_by: str | None = None

    def as_json(self) -> dict[str, str]:
        """The members that are set; ``kind`` always."""
        members = {
            "kind": self.kind,
            "engine": self.engine,
            "version": self.version,
            "officer": self.officer,
            "at": self.at,
            "desk": self.desk,
            "confirmed_by": self.confirmed_by,
        }
        return {name: value for name, value in members.items() if value is not None}


@dataclass(frozen=True)
class MemoryScope:
    """Whose copy a text is translated for, which decides what of the memory may serve it.

    Entries written by a desk that serves the recipient (``recipient_id``, ``country``) may;
    entries of other desks only once a second officer confirmed them, and only for a copy an
    officer of the recipient's desk reads before release (``reviewed``): never for a copy
    that goes out unreviewed.
    """

    recipient_id: str
    country: str
    reviewed: bool


@dataclass(frozen=True)
class TranslatedText:
    """A text in ``language`` (for an untranslated text, the language it was written in)."""

    text: str
    language: str
    provenance: Provenance

    def as_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "language": self.language,
            "provenance": self.provenance.as_json(),
        }
