"""JSON pointers (RFC 6901): escaping, joining, reading and replacing a member of a document."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.contract import json_pointer

tokens = st.text(alphabet=st.sampled_from("ab~/01 é"), max_size=6)
scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(tokens, children, max_size=3),
    max_leaves=12,
)
objects = st.dictionaries(tokens, documents, min_size=1, max_size=4)

RFC_6901_EXAMPLE: dict[str, Any] = {
    "foo": ["bar", "baz"],
    "": 0,
    "a/b": 1,
    "c%d": 2,
    "e^f": 3,
    "g|h": 4,
    "i\\j": 5,
    'k"l': 6,
    " ": 7,
    "m~n": 8,
}


def members(
    value: object, tokens: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], object]]:
    """Every member of ``value`` with the tokens that reach it, the root first."""
    yield tokens, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from members(item, (*tokens, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from members(item, (*tokens, index))


@pytest.mark.parametrize(
    ("pointer", "expected"),
    [
        ("", RFC_6901_EXAMPLE),
        ("/foo", ["bar", "baz"]),
        ("/foo/0", "bar"),
        ("/", 0),
        ("/a~1b", 1),
        ("/c%d", 2),
        ("/e^f", 3),
        ("/g|h", 4),
        ("/i\\j", 5),
        ('/k"l', 6),
        ("/ ", 7),
        ("/m~0n", 8),
    ],
)
def test_the_examples_of_rfc_6901_resolve_as_the_rfc_says(pointer: str, expected: object) -> None:
    assert json_pointer.get(RFC_6901_EXAMPLE, pointer) == expected


def test_a_token_escapes_the_tilde_before_the_slash() -> None:
    assert json_pointer.escape("a/b~c") == "a~1b~0c"
    assert json_pointer.escape("~1") == "~01"
    assert json_pointer.unescape("~01") == "~1"
    assert json_pointer.join("a/b~c", 0, "d") == "/a~1b~0c/0/d"
    assert json_pointer.join() == ""


@given(st.lists(tokens | st.integers(min_value=0), max_size=5))
def test_splitting_a_joined_pointer_gives_back_its_tokens(parts: list[str | int]) -> None:
    assert json_pointer.split(json_pointer.join(*parts)) == [str(part) for part in parts]


@given(tokens)
def test_unescaping_undoes_escaping(token: str) -> None:
    assert json_pointer.unescape(json_pointer.escape(token)) == token


@given(documents)
def test_every_member_of_a_document_is_found_at_its_pointer(document: object) -> None:
    for path, member in members(document):
        assert json_pointer.get(document, json_pointer.join(*path)) == member


@given(objects, st.data())
def test_a_member_replaced_is_found_at_its_pointer_and_the_original_is_untouched(
    document: dict[str, Any], data: st.DataObject
) -> None:
    before = copy.deepcopy(document)
    path, _ = data.draw(st.sampled_from([m for m in members(document) if m[0]]))
    pointer = json_pointer.join(*path)
    value = data.draw(scalars)

    changed = json_pointer.updated(document, pointer, value)

    assert json_pointer.get(changed, pointer) == value
    assert document == before
    for other, member in members(before):
        if other[: len(path)] != path and path[: len(other)] != other:
            assert json_pointer.get(changed, json_pointer.join(*other)) == member


@pytest.mark.parametrize(
    "pointer", ["/missing", "/foo/2", "/foo/01", "/foo/-", "/foo/bar", "/foo/0/x", "/a~1b/c"]
)
def test_what_is_not_there_is_the_default(pointer: str) -> None:
    missing = object()
    assert json_pointer.get(RFC_6901_EXAMPLE, pointer, missing) is missing
    assert json_pointer.get(RFC_6901_EXAMPLE, pointer) is None


def test_an_object_gains_a_member_but_a_missing_parent_or_element_is_an_error() -> None:
    assert json_pointer.updated({"a": {}}, "/a/b", 1) == {"a": {"b": 1}}
    for pointer in ("/x/y", "/foo/2", "/foo/-", "/foo/0/x"):
        with pytest.raises(KeyError, match="nothing at"):
            json_pointer.updated(RFC_6901_EXAMPLE, pointer, 1)
    with pytest.raises(ValueError, match="root"):
        json_pointer.updated(RFC_6901_EXAMPLE, "", 1)


def test_a_string_that_is_not_a_pointer_is_refused() -> None:
    with pytest.raises(ValueError, match="starts with '/'"):
        json_pointer.get(RFC_6901_EXAMPLE, "foo")
