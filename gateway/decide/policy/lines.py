"""Where in the file a validation problem is: tomllib keeps no positions, so look for it.

Best effort on the text: the *n*-th ``[[rule]]`` header, then the sub-table header
(``[rule.outcomes]``) or ``key =`` line of each key on the path, within that rule's lines.
When a key cannot be found, the line found so far is the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")


class _Header(NamedTuple):
    row: int
    name: str
    array: bool


def _headers(lines: Sequence[str]) -> list[_Header]:
    found = []
    for index, line in enumerate(lines):
        match = _HEADER.match(line)
        if match:
            name = re.sub(r"\s*\.\s*", ".", match.group(2)).replace('"', "").replace("'", "")
            found.append(_Header(index, name, match.group(1) == "[["))
    return found


def _assignment(key: str) -> re.Pattern[str]:
    return re.compile(r"(?:^|[\s{,])[\"']?" + re.escape(key) + r"[\"']?\s*=")


def line_of(loc: Sequence[int | str], lines: Sequence[str]) -> int | None:
    """The 1-based line of the place pydantic's ``loc`` names, or None if there is none."""
    if not loc:
        return None
    headers = _headers(lines)
    table, rest = str(loc[0]), list(loc[1:])
    if table == "rule":
        starts = [h.row for h in headers if h.array and h.name == "rule"]
        position = rest.pop(0) if rest and isinstance(rest[0], int) else 0
        if not isinstance(position, int) or position >= len(starts):
            return None
        begin = starts[position]
    elif any(h.name == table for h in headers):
        begin = next(h.row for h in headers if h.name == table)
    else:
        return _find(lines, 0, headers[0].row if headers else len(lines), table) or None
    end = next(
        (h.row for h in headers if h.row > begin and not h.name.startswith(f"{table}.")),
        len(lines),
    )
    return _walk(lines, headers, begin, end, table=table, keys=rest) + 1


def _walk(
    lines: Sequence[str],
    headers: Sequence[_Header],
    begin: int,
    end: int,
    *,
    table: str,
    keys: Sequence[int | str],
) -> int:
    """The line of the last key of ``keys`` found, going down from the table at ``begin``."""
    position, inline = begin, False
    for key in keys:
        if isinstance(key, int):
            continue  # an element of a list: same line as the list
        name = f"{table}.{key}"
        header = next((h for h in headers if begin < h.row < end and h.name == name), None)
        if header is not None and not inline:
            position, table = header.row, name
            end = next((h.row for h in headers if h.row > position), end)
            continue
        # below a key = value, further keys can only be in its inline table, on its line
        found = _find(lines, position, position + 1 if inline else end, key)
        if found is None:
            break
        position, inline = found - 1, True
    return position


def _find(lines: Sequence[str], begin: int, end: int, key: str) -> int | None:
    pattern = _assignment(key)
    for index in range(begin, end):
        if pattern.search(lines[index].split("#", 1)[0]):
            return index + 1
    return None
