"""The code lists of Signal v1, read from ``schemas/codelists/*.json``.

Those files are the source of truth: the models take their allowed values from
here, so the generated JSON Schema carries the same ``enum`` the gateway
checks. Labels in other languages live in ``locales/``; a list only gives each
code its English meaning.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

SCHEMAS_DIR: Final = Path(__file__).resolve().parents[2] / "schemas"
CODELISTS_DIR: Final = SCHEMAS_DIR / "codelists"


@dataclass(frozen=True)
class Code:
    code: str
    meaning: str


@dataclass(frozen=True)
class CodeList:
    name: str
    codes: tuple[Code, ...]

    def values(self) -> tuple[str, ...]:
        return tuple(entry.code for entry in self.codes)


class CodeListError(ValueError):
    """A code list file is missing or does not have the expected shape."""


def names() -> tuple[str, ...]:
    """Every code list there is, sorted."""
    return tuple(sorted(path.stem for path in CODELISTS_DIR.glob("*.json")))


@cache
def load(name: str) -> CodeList:
    """The code list ``name``, read once per process."""
    path = CODELISTS_DIR / f"{name}.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CodeListError(f"code list {name!r} cannot be read from {path}: {exc}") from exc
    return _parse(name, document)


def codes(name: str) -> tuple[str, ...]:
    """The codes of list ``name`` in their documented order."""
    return _values(name)


def meaning(name: str, code: str) -> str:
    """The English meaning of ``code`` in list ``name``."""
    for entry in load(name).codes:
        if entry.code == code:
            return entry.meaning
    raise KeyError(f"{code!r} is not in code list {name!r}")


@cache
def _values(name: str) -> tuple[str, ...]:
    return load(name).values()


def _parse(name: str, document: object) -> CodeList:
    if not isinstance(document, dict) or document.get("name") != name:
        raise CodeListError(f"code list {name!r} must be an object whose name is {name!r}")
    entries = document.get("codes")
    if not isinstance(entries, list) or not entries:
        raise CodeListError(f"code list {name!r} must have a non-empty array of codes")
    parsed = tuple(_parse_code(name, entry) for entry in entries)
    if len({entry.code for entry in parsed}) != len(parsed):
        raise CodeListError(f"code list {name!r} lists a code twice")
    return CodeList(name=name, codes=parsed)


def _parse_code(name: str, entry: object) -> Code:
    if (
        not isinstance(entry, dict)
        or set(entry) != {"code", "meaning"}
        or not isinstance(entry["code"], str)
        or not isinstance(entry["meaning"], str)
        or not entry["code"].isascii()
    ):
        raise CodeListError(
            f"code list {name!r} has an entry that is not {{code, meaning}}: {entry!r}"
        )
    return Code(code=entry["code"], meaning=entry["meaning"])
