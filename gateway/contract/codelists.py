"""The code lists of Signal v1, read from ``schemas/codelists/*.json``.

Those files are the source of truth: the models take their allowed values from
here, so the generated JSON Schema carries the same ``enum`` the gateway
checks. Most lists give each code its English meaning only, and their labels in other
languages live in ``locales/``. A list that partners read as a vocabulary of its own
(``indicator``, ``colour``) carries its labels itself, in every language of the Euregio
(``labels``), and may give each code a one-sentence ``definitions`` in each, a ``group``
(one of the list's ``groups``, each with its labels) and a ``note`` where the countries'
terms differ: the file is then the whole contract, usable without the gateway's catalogs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Final

SCHEMAS_DIR: Final = Path(__file__).resolve().parents[2] / "schemas"
CODELISTS_DIR: Final = SCHEMAS_DIR / "codelists"
LABEL_LANGUAGES: Final = ("nl", "fr", "de", "en")
"""The languages a list that carries its own labels gives every label and definition in."""

_EMPTY: Final[Mapping[str, str]] = MappingProxyType({})


@dataclass(frozen=True)
class Group:
    """A heading under which a list's codes are grouped, with its labels by language."""

    code: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class Code:
    code: str
    meaning: str
    group: str | None = None
    labels: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    definitions: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    note: str | None = None


@dataclass(frozen=True)
class CodeList:
    name: str
    codes: tuple[Code, ...]
    groups: tuple[Group, ...] = ()

    def values(self) -> tuple[str, ...]:
        return tuple(entry.code for entry in self.codes)

    @property
    def labelled(self) -> bool:
        """Whether the list carries its own labels (then every code has them all)."""
        return bool(self.codes[0].labels)

    def entry(self, code: str) -> Code:
        for entry in self.codes:
            if entry.code == code:
                return entry
        raise KeyError(f"{code!r} is not in code list {self.name!r}")

    def group(self, code: str) -> Group:
        for group in self.groups:
            if group.code == code:
                return group
        raise KeyError(f"{code!r} is not a group of code list {self.name!r}")


class CodeListError(ValueError):
    """A code list file is missing or does not have the expected shape."""


@cache
def names() -> tuple[str, ...]:
    """Every code list there is, sorted; the directory is read once per process."""
    return tuple(sorted(path.stem for path in CODELISTS_DIR.glob("*.json")))


@cache
def load(name: str) -> CodeList:
    """The code list ``name``, read once per process."""
    path = CODELISTS_DIR / f"{name}.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CodeListError(f"code list {name!r} cannot be read from {path}: {exc}") from exc
    return parse(name, document)


def codes(name: str) -> tuple[str, ...]:
    """The codes of list ``name`` in their documented order."""
    return _values(name)


def meaning(name: str, code: str) -> str:
    """The English meaning of ``code`` in list ``name``."""
    return load(name).entry(code).meaning


@cache
def labelled_names() -> tuple[str, ...]:
    """The lists that carry their own labels in every language, sorted."""
    return tuple(name for name in names() if load(name).labelled)


@cache
def _values(name: str) -> tuple[str, ...]:
    return load(name).values()


def parse(name: str, document: object) -> CodeList:
    """The code list ``name`` from its file's JSON ``document``; CodeListError if malformed."""
    if not isinstance(document, dict) or document.get("name") != name:
        raise CodeListError(f"code list {name!r} must be an object whose name is {name!r}")
    entries = document.get("codes")
    if not isinstance(entries, list) or not entries:
        raise CodeListError(f"code list {name!r} must have a non-empty array of codes")
    if not set(document) <= {"name", "codes", "groups"}:
        raise CodeListError(f"code list {name!r} has members other than name, codes, groups")
    groups = tuple(_parse_group(name, group) for group in document.get("groups", ()))
    parsed = tuple(_parse_code(name, entry) for entry in entries)
    if len({entry.code for entry in parsed}) != len(parsed):
        raise CodeListError(f"code list {name!r} lists a code twice")
    if len({bool(entry.labels) for entry in parsed}) != 1:
        raise CodeListError(f"code list {name!r} gives labels for some codes only")
    known = {group.code for group in groups}
    if any(entry.group not in known for entry in parsed if entry.group or known):
        raise CodeListError(f"code list {name!r} has a code outside its groups")
    return CodeList(name=name, codes=parsed, groups=groups)


_CODE_MEMBERS: Final = frozenset({"code", "meaning", "group", "labels", "definitions", "note"})


def _parse_code(name: str, entry: object) -> Code:
    if (
        not isinstance(entry, dict)
        or not {"code", "meaning"} <= set(entry) <= _CODE_MEMBERS
        or not isinstance(entry["code"], str)
        or not isinstance(entry["meaning"], str)
        or not entry["code"].isascii()
        or not isinstance(entry.get("group", ""), str)
        or not isinstance(entry.get("note", ""), str)
    ):
        raise CodeListError(
            f"code list {name!r} has an entry that is not {{code, meaning}}: {entry!r}"
        )
    return Code(
        code=entry["code"],
        meaning=entry["meaning"],
        group=entry.get("group"),
        labels=_texts(name, entry, "labels"),
        definitions=_texts(name, entry, "definitions"),
        note=entry.get("note"),
    )


def _parse_group(name: str, group: object) -> Group:
    if not isinstance(group, dict) or set(group) != {"code", "labels"}:
        raise CodeListError(f"code list {name!r} has a group that is not {{code, labels}}")
    if not isinstance(group["code"], str) or not group["code"].isascii():
        raise CodeListError(f"code list {name!r} has a group whose code is not ASCII text")
    return Group(code=group["code"], labels=_texts(name, group, "labels"))


def _texts(name: str, entry: Mapping[str, object], member: str) -> Mapping[str, str]:
    """A member with one non-blank text per language of the Euregio, or none at all."""
    texts = entry.get(member)
    if texts is None:
        return _EMPTY
    if (
        not isinstance(texts, dict)
        or tuple(texts) != LABEL_LANGUAGES
        or not all(isinstance(text, str) and text.strip() for text in texts.values())
    ):
        raise CodeListError(
            f"code list {name!r}: {member} of {entry.get('code')!r} must give a text in "
            f"{', '.join(LABEL_LANGUAGES)}, in that order"
        )
    return MappingProxyType(dict(texts))
