"""Passwords: argon2id with parameters written in the code, checked without leaking why."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.edges.problems import problem_document
from gateway.staff import PASSWORDS, Passwords
from gateway.staff.passwords import (
    PASSWORD_MAX,
    PASSWORD_MIN,
    password_problems,
    password_refusal,
)


def test_the_gateway_hashes_with_argon2id_at_rfc_9106_second_recommendation() -> None:
    hashed = PASSWORDS.hash("correct horse battery")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORDS.verify(hashed, "correct horse battery")


def test_a_password_matches_its_hash_and_nothing_else(cheap_passwords: Passwords) -> None:
    hashed = cheap_passwords.hash("correct horse battery")
    assert cheap_passwords.verify(hashed, "correct horse battery")
    assert not cheap_passwords.verify(hashed, "correct horse batterY")
    assert not cheap_passwords.verify(hashed, "")


def test_the_same_password_hashes_differently_each_time(cheap_passwords: Passwords) -> None:
    first, second = (cheap_passwords.hash("correct horse battery") for _ in range(2))
    assert first != second
    assert cheap_passwords.verify(first, "correct horse battery")
    assert cheap_passwords.verify(second, "correct horse battery")


@pytest.mark.parametrize(
    "stored", ["", "not a hash", "$argon2id$v=19$m=8,t=1,p=1$broken", "$2b$12$bcryptstyle"]
)
def test_a_malformed_or_foreign_hash_is_no_match(cheap_passwords: Passwords, stored: str) -> None:
    assert not cheap_passwords.verify(stored, "correct horse battery")
    assert cheap_passwords.needs_rehash(stored)


def test_a_hash_made_with_other_parameters_still_verifies_and_asks_to_be_redone(
    cheap_passwords: Passwords,
) -> None:
    older = Passwords(time_cost=2, memory_cost_kib=16, parallelism=1)
    hashed = older.hash("correct horse battery")
    assert cheap_passwords.verify(hashed, "correct horse battery")
    assert cheap_passwords.needs_rehash(hashed)
    assert not cheap_passwords.needs_rehash(cheap_passwords.hash("correct horse battery"))


@pytest.mark.parametrize(
    ("password", "complaint"),
    [
        ("short", f"{PASSWORD_MIN} to {PASSWORD_MAX} characters"),
        ("x" * (PASSWORD_MAX + 1), f"{PASSWORD_MIN} to {PASSWORD_MAX} characters"),
        ("my-name-is-J.Jansen!", "must not contain the login name"),
    ],
)
def test_a_password_too_short_too_long_or_naming_the_login_is_refused(
    password: str, complaint: str
) -> None:
    refusal = password_refusal(password_problems(password, staff_id="j.jansen"))
    assert complaint in str(refusal)
    french = str(problem_document(refusal, language="fr")["detail"])
    assert french.startswith("un mot de passe")


@settings(max_examples=50)
@given(st.text(min_size=PASSWORD_MIN, max_size=64).filter(lambda p: "j.jansen" not in p.lower()))
def test_any_long_enough_password_without_the_login_name_is_accepted(password: str) -> None:
    assert password_problems(password, staff_id="j.jansen") == []
