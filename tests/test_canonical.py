"""Canonical JSON (the partner client's, which the gateway uses): byte for byte what the
``rfc8785`` package writes, whichever path produced it, and refused where it refuses."""

from __future__ import annotations

import pytest
import rfc8785
from euregate_client import canonical
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import load_example

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=2000)
@given(JSON)
def test_the_same_bytes_as_rfc8785_or_the_same_refusal(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as refusal:
        with pytest.raises(canonical.CanonicalizationError) as ours:
            canonical.dumps(value)
        integer = isinstance(refusal, rfc8785.IntegerDomainError)
        assert isinstance(ours.value, canonical.IntegerDomainError) is integer
    else:
        assert canonical.dumps(value) == expected


def test_examples_take_the_fast_path_and_match() -> None:
    signal = load_example("nl-drug-waste-maastricht.json")
    assert canonical._plain(signal)
    assert canonical.dumps(signal) == rfc8785.dumps(signal)


@pytest.mark.parametrize(
    "value",
    [
        1e16,
        1e-5,
        2.0,
        2**53,
        {"é": 1, "e": 2},
        {"z": "\ud800"},
        "\u001f\u007f\u2028",
        {"\U0001f600": 1, "\ufffd": 2},  # UTF-16 order puts the emoji first, code points last
        [1e21, 1e20, 1.2345678901234568e20, 1e-6, 1e-7, 1.5e-7, -0.0],  # ECMAScript's cut-offs
        [5e-324, 1.7976931348623157e308, 2.0**53 + 2, -(2.0**60)],
        {1: "a key that is not a string"},
        [object()],
    ],
)
def test_edge_values_match_rfc8785(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        with pytest.raises(canonical.CanonicalizationError):
            canonical.dumps(value)
    else:
        assert canonical.dumps(value) == expected


@settings(max_examples=500)
@given(st.integers(min_value=-(2**54), max_value=2**54).map(float))
def test_integral_floats_match_rfc8785(value: float) -> None:
    assert canonical.dumps({"lat": value, "list": [value]}) == rfc8785.dumps(
        {"lat": value, "list": [value]}
    )


def test_integral_coordinates_do_not_send_a_signal_to_the_slow_encoder() -> None:
    """``"lat": 50.0`` is a valid coordinate; it must not make a whole 256 KiB signal go
    through the pure-Python encoder (at intake and again for every recipient's copy)."""
    signal = load_example("nl-drug-waste-maastricht.json")
    signal["location"]["coordinates"] = {"lat": 50.0, "lon": -0.0}
    assert canonical._plain(signal)
    assert canonical.dumps(signal) == rfc8785.dumps(signal)


SAFE = 2**53 - 1


@pytest.mark.parametrize(
    ("value", "fast"),
    [
        (None, True),
        (True, True),
        ("text", True),
        (1, True),
        (-1, True),
        (SAFE, True),
        (-SAFE, True),
        (SAFE + 1, False),
        (-SAFE - 1, False),
        (float(SAFE), True),
        (float(-SAFE), True),
        (float(SAFE + 1), False),
        (0.5, True),
        (1e-4, True),
        (9.9e-5, False),
        (123456789.125, True),
        ({"a": [1, 2.5]}, True),
        ({"é": 1}, False),
        ([1, 2**60], False),
        ({"a": {"b": 1e-7}}, False),
        ((1, 2), True),
        (object(), False),
    ],
)
def test_the_fast_path_is_taken_exactly_where_the_c_encoder_is_exact(
    value: object, fast: bool
) -> None:
    """Where it is not, the same bytes come from ``rfc8785``: only the speed tells."""
    assert canonical._plain(value) is fast


def test_a_document_without_integral_floats_is_not_copied_and_one_with_them_is() -> None:
    signal = load_example("nl-drug-waste-maastricht.json")
    assert canonical._fast_form(signal) is signal
    nested = {"a": [{"b": "c"}], "d": [1, 2]}
    assert canonical._fast_form(nested) is nested
    signal["location"]["coordinates"] = {"lat": 50.0, "lon": 5.7}
    fast = canonical._fast_form(signal)
    assert fast is not signal
    assert fast["location"]["coordinates"] == {"lat": 50, "lon": 5.7}  # type: ignore[index]
    assert fast["persons"] is signal["persons"]  # type: ignore[index]
    listed = [1.0, "x"]
    assert canonical._fast_form(listed) == [1, "x"]
    assert canonical._fast_form(listed) is not listed


@settings(max_examples=500)
@given(st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127), max_size=6), JSON))
def test_an_object_of_encoded_members_is_the_object_encoded_whole(
    members: dict[str, object],
) -> None:
    try:
        encoded = {key: canonical.dumps(value) for key, value in members.items()}
    except canonical.CanonicalizationError:
        return
    assert canonical.object_of(encoded) == canonical.dumps(members)


def test_an_object_of_encoded_members_takes_ascii_keys_only() -> None:
    """RFC 8785 orders other keys by UTF-16 code units, which ``sorted`` does not."""
    with pytest.raises(ValueError, match="ASCII"):
        canonical.object_of({"é": b"1"})
