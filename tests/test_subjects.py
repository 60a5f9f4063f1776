"""Keyed hashes of the persons a signal mentions: the same person gives the same key however
the number or name is written, and nothing about the person can be read from a key."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.contract.signal import Signal
from gateway.flow.subjects import (
    identifier_key,
    name_key,
    name_letters,
    normal_identifier,
    subject_keys,
)
from gateway.minimise.pseudonyms import name_words
from tests.conftest import load_example

SECRET = b"k" * 32
OTHER_SECRET = b"o" * 32


def test_a_number_written_with_spaces_dots_or_dashes_is_the_same_number() -> None:
    keys = {identifier_key(SECRET, v) for v in ("314159265", "314 159 265", "314.159-265")}
    assert len(keys) == 1


def test_case_accents_and_punctuation_do_not_make_another_name() -> None:
    assert name_letters("Van den Berg-Müller") == name_letters("van den berg muller")
    assert name_letters("’s-Gravenvoeren 2") == "sgravenvoeren"


def test_a_lookup_runs_a_names_letters_together_where_a_pseudonym_keeps_its_words() -> None:
    """Both are fixed by what is already kept; they are two normalisations, not one."""
    assert name_letters("Van den Berg-Müller 2") == "vandenbergmuller"
    assert name_words("Van den Berg-Müller 2") == "van den berg muller 2"
    assert name_key(SECRET, "Müller", "1987-06-02") == name_key(SECRET, "MULLER", "1987-06-02")


def test_another_date_of_birth_is_another_person() -> None:
    assert name_key(SECRET, "Jansen", "1987-06-02") != name_key(SECRET, "Jansen", "1987-06-03")


def test_nothing_to_key_gives_no_key() -> None:
    assert identifier_key(SECRET, " .-") is None
    assert name_key(SECRET, "---", "1987") is None
    assert name_key(SECRET, "Jansen", "") is None


@given(st.text(min_size=1, max_size=30))
def test_a_key_is_a_digest_that_depends_on_the_secret(value: str) -> None:
    key = identifier_key(SECRET, value)
    if normal_identifier(value):
        assert key is not None
        assert key == identifier_key(SECRET, value)
        assert key != identifier_key(OTHER_SECRET, value)
        assert len(key) == 64
        assert set(key) <= set("0123456789abcdef")
    else:
        assert key is None


def test_a_signal_is_keyed_by_each_persons_numbers_and_name_with_birth() -> None:
    signal = Signal.model_validate(load_example("nl-drug-waste-maastricht.json"))
    keys = subject_keys(signal, SECRET)
    person = next(p for p in signal.persons if p.identifiers)
    assert identifier_key(SECRET, person.identifiers[0].value) in keys
    assert person.family_name is not None
    assert person.date_of_birth is not None
    assert name_key(SECRET, person.family_name, person.date_of_birth) in keys
    assert name_key(SECRET, person.family_name, person.date_of_birth[:4]) in keys
    assert subject_keys(signal, OTHER_SECRET).isdisjoint(keys)
