"""What each minor version of Signal v1 adds, and the issues of a document that uses a later
minor version's members under an earlier one.

``signal/1.1`` adds ``indicators``, refs of places (``location`` and organisations' addresses)
and a coded vehicle ``colour``. A ``signal/1.0`` document stays valid exactly as it was: its
colour is free text in the language of the signal. A later minor version (1.2, ...) that this
gateway does not know is read as 1.1, the newest it does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from gateway.contract import codelists
from gateway.contract.document_parts import entries, places
from gateway.contract.signal import RULE_MESSAGES
from gateway.infra.errors import FieldIssue

CODED_FROM: Final = 1
"""The first minor version with indicators, place refs and coded colours."""

_MINOR = re.compile(r"signal/1\.(0|[1-9][0-9]*)")


def minor_version(document: Mapping[str, Any]) -> int | None:
    """The minor version a Signal v1 document declares, or None when it declares none."""
    match = _MINOR.fullmatch(str(document.get("schema")))
    return None if match is None else int(match.group(1))


def version_issues(document: object) -> list[FieldIssue]:
    """Members of ``document`` that its declared minor version does not have, or has otherwise."""
    if not isinstance(document, Mapping):
        return []
    minor = minor_version(document)
    if minor is None:
        return []
    if minor < CODED_FROM:
        return _later_members(document)
    return _uncoded_colours(document)


def _later_members(document: Mapping[str, Any]) -> list[FieldIssue]:
    found = str(document.get("schema"))
    pointers = [f"{pointer}/ref" for pointer, place in places(document) if "ref" in place]
    if document.get("indicators"):
        pointers.append("/indicators")
    return [_issue(pointer, "needs_minor_version", found=found) for pointer in pointers]


def _uncoded_colours(document: Mapping[str, Any]) -> list[FieldIssue]:
    colours = codelists.codes("colour")
    return [
        _issue(
            f"/vehicles/{index}/colour",
            "colour_code",
            expected=", ".join(colours),
            found=_quoted(vehicle["colour"]),
        )
        for index, vehicle in entries(document, "vehicles")
        if isinstance(vehicle.get("colour"), str) and vehicle["colour"] not in colours
    ]


def _quoted(text: str, limit: int = 30) -> str:
    return '"' + (text if len(text) <= limit else text[: limit - 1] + "\u2026") + '"'


def _issue(pointer: str, code: str, **params: object) -> FieldIssue:
    return FieldIssue(pointer=pointer, code=code, message=RULE_MESSAGES[code], params=params)
