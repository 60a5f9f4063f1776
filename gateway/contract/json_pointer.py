"""JSON pointers (RFC 6901): how a problem, a correction or a view names a member of a document.

A pointer is ``""`` (the whole document) or a ``/`` before each reference token; inside a
token ``~`` is written ``~0`` and ``/`` is written ``~1``, so ``{"a/b": {"m~n": 1}}`` holds
``1`` at ``/a~1b/m~0n``. An array element's token is its index in decimal, without leading
zeros.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeGuard

_INDEX: Final = re.compile(r"0|[1-9][0-9]*")


def escape(token: str | int) -> str:
    """``token`` as it stands in a pointer: ``a/b~c`` → ``a~1b~0c``."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """The member name an escaped token stands for: ``a~1b~0c`` → ``a/b~c``."""
    return token.replace("~1", "/").replace("~0", "~")


def join(*tokens: str | int) -> str:
    """The pointer to the member that ``tokens`` (names and indexes) reach from the root."""
    return "".join("/" + escape(token) for token in tokens)


def split(pointer: str) -> list[str]:
    """The tokens of ``pointer``, unescaped; ``ValueError`` for a string that is not one."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"a JSON pointer starts with '/': {pointer!r}")
    return [unescape(token) for token in pointer[1:].split("/")]


def get(document: object, pointer: str, default: object = None) -> object:
    """The member of ``document`` at ``pointer``, or ``default`` where there is none."""
    value = document
    for token in split(pointer):
        if isinstance(value, Mapping):
            if token not in value:
                return default
            value = value[token]
        elif _is_array(value) and (index := _index(token)) is not None and index < len(value):
            value = value[index]
        else:
            return default
    return value


def updated(document: Mapping[str, Any], pointer: str, value: object) -> dict[str, Any]:
    """A copy of ``document`` with ``value`` at ``pointer``; ``document`` itself is unchanged.

    The member's parent must exist: an object gains or replaces the member, an array replaces
    an element it has. Only the containers on the way are copied; the rest is shared.
    """
    tokens = split(pointer)
    if not tokens:
        raise ValueError("the root of a document cannot be replaced within it")
    return _object_with(document, tokens, value, pointer)


def _object_with(
    container: Mapping[str, Any], tokens: list[str], value: object, pointer: str
) -> dict[str, Any]:
    token, rest = tokens[0], tokens[1:]
    copy = dict(container)
    if rest and token not in copy:
        raise KeyError(f"nothing at {pointer!r}: no member {token!r}")
    copy[token] = _with(copy[token], rest, value, pointer) if rest else value
    return copy


def _with(container: object, tokens: list[str], value: object, pointer: str) -> object:
    if isinstance(container, Mapping):
        return _object_with(container, tokens, value, pointer)
    token, rest = tokens[0], tokens[1:]
    index = _index(token)
    if _is_array(container) and index is not None and index < len(container):
        elements = list(container)
        elements[index] = _with(elements[index], rest, value, pointer) if rest else value
        return elements
    raise KeyError(f"nothing at {pointer!r}: no element {token!r}")


def _is_array(value: object) -> TypeGuard[Sequence[Any]]:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _index(token: str) -> int | None:
    return int(token) if _INDEX.fullmatch(token) else None
