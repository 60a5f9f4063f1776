"""The second factor: RFC 6238 codes, one step of drift either way, and no code used twice."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.infra.errors import InternalError
from gateway.infra.vault import MasterKey, VaultError
from gateway.staff import (
    Passwords,
    Refusal,
    Role,
    StaffAccount,
    StaffRecord,
    Totp,
    verify_login,
)
from gateway.staff.accounts import Desk
from gateway.staff.totp import open_sealed, seal

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
"""The SHA-1 seed of RFC 6238 Appendix B."""

STEP = timedelta(seconds=30)
PASSWORD = "correct horse battery"
NOW = datetime(2026, 3, 2, 9, 0, 7, tzinfo=UTC)


def at(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


def code_at(totp: Totp, moment: datetime) -> str:
    """The code an authenticator app shows at ``moment``, computed by pyotp on its own."""
    return pyotp.TOTP(totp.secret).at(moment)


@pytest.mark.parametrize(
    ("unix", "code"),
    [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")],
)
def test_codes_are_those_of_rfc_6238_appendix_b_cut_to_six_digits(unix: int, code: str) -> None:
    totp = Totp(RFC_SECRET)
    assert totp.match(code, at(unix)) == unix // 30


def test_a_code_is_accepted_one_step_either_side_of_now_and_no_further() -> None:
    totp = Totp.generate()
    assert totp.match(code_at(totp, NOW), NOW) is not None
    assert totp.match(code_at(totp, NOW - STEP), NOW) is not None
    assert totp.match(code_at(totp, NOW + STEP), NOW) is not None
    assert totp.match(code_at(totp, NOW - 2 * STEP), NOW) is None
    assert totp.match(code_at(totp, NOW + 2 * STEP), NOW) is None


def test_the_match_names_the_step_the_code_belongs_to() -> None:
    totp = Totp.generate()
    current = int(NOW.timestamp()) // 30
    assert totp.match(code_at(totp, NOW - STEP), NOW) == current - 1
    assert totp.match(code_at(totp, NOW + STEP), NOW) == current + 1


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "12a456", "１２３４５６", "12345\n"])
def test_anything_but_six_ascii_digits_is_refused(typed: str) -> None:
    assert Totp(RFC_SECRET).match(typed, at(59)) is None


def test_spaces_as_apps_show_them_are_ignored() -> None:
    assert Totp(RFC_SECRET).match("287 082", at(59)) == 1


@given(st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2100, 1, 1)))
def test_the_code_an_app_shows_now_is_always_accepted(moment: datetime) -> None:
    moment = moment.replace(tzinfo=UTC)
    totp = Totp(RFC_SECRET)
    assert totp.match(code_at(totp, moment), moment) == int(moment.timestamp()) // 30


def test_a_new_secret_has_160_random_bits_and_is_never_repeated() -> None:
    secrets = {Totp.generate().secret for _ in range(50)}
    assert len(secrets) == 50
    assert all(len(base64.b32decode(secret)) == 20 for secret in secrets)


def test_the_provisioning_uri_is_what_authenticator_apps_read() -> None:
    totp = Totp.generate()
    parsed = pyotp.parse_uri(totp.provisioning_uri("j.jansen"))
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.secret == totp.secret
    assert parsed.issuer == "Euregate"
    assert parsed.name == "j.jansen"
    assert parsed.digits == 6
    assert parsed.interval == 30


def test_the_secret_is_not_in_its_repr() -> None:
    totp = Totp.generate()
    assert totp.secret not in repr(totp)


# --- sealed with its last step ----------------------------------------------------------------


def test_the_sealed_state_opens_with_its_key_for_its_account_only() -> None:
    key = MasterKey.generate()
    totp = Totp.generate().accepting(12345)
    blob = seal(totp, key, "j.jansen")
    assert totp.secret.encode() not in blob
    assert open_sealed(blob, key, "j.jansen") == totp
    with pytest.raises(VaultError):
        open_sealed(blob, key, "m.dupont")
    with pytest.raises(VaultError):
        open_sealed(blob, MasterKey.generate(), "j.jansen")


# --- replay, through a sign-in ----------------------------------------------------------------


@pytest.fixture
def key() -> MasterKey:
    return MasterKey.generate()


def record_for(
    totp: Totp, key: MasterKey, passwords: Passwords, account_id: str = "j.jansen"
) -> StaffRecord:
    account = StaffAccount(
        id=account_id, name="Jan Jansen", role=Role.LIAISON_OFFICER, desk=Desk.parse("NL")
    )
    return StaffRecord(
        account, password_hash=passwords.hash(PASSWORD), totp_sealed=seal(totp, key, account_id)
    )


def sign_in(
    record: StaffRecord, code: str, moment: datetime, key: MasterKey, passwords: Passwords
) -> tuple[Refusal | None, StaffRecord]:
    """One attempt; the record as the store keeps it afterwards."""
    result = verify_login(record, PASSWORD, code, moment, key=key, passwords=passwords)
    if result.totp_sealed is None:
        return result.refusal, record
    return result.refusal, StaffRecord(record.account, record.password_hash, result.totp_sealed)


def test_a_code_once_accepted_is_refused_when_used_again(
    key: MasterKey, cheap_passwords: Passwords
) -> None:
    totp = Totp.generate()
    record = record_for(totp, key, cheap_passwords)
    code = code_at(totp, NOW)
    refusal, record = sign_in(record, code, NOW, key, cheap_passwords)
    assert refusal is None
    refusal, record = sign_in(record, code, NOW + timedelta(seconds=5), key, cheap_passwords)
    assert refusal is Refusal.CODE_REPLAYED


def test_after_a_code_is_accepted_an_older_one_still_in_the_window_is_refused(
    key: MasterKey, cheap_passwords: Passwords
) -> None:
    totp = Totp.generate()
    record = record_for(totp, key, cheap_passwords)
    refusal, record = sign_in(record, code_at(totp, NOW), NOW, key, cheap_passwords)
    assert refusal is None
    older = code_at(totp, NOW - STEP)
    refusal, _ = sign_in(record, older, NOW, key, cheap_passwords)
    assert refusal is Refusal.CODE_REPLAYED


def test_the_next_steps_code_is_accepted_after_the_current_one(
    key: MasterKey, cheap_passwords: Passwords
) -> None:
    totp = Totp.generate()
    record = record_for(totp, key, cheap_passwords)
    refusal, record = sign_in(record, code_at(totp, NOW), NOW, key, cheap_passwords)
    assert refusal is None
    later = NOW + STEP
    refusal, record = sign_in(record, code_at(totp, later), later, key, cheap_passwords)
    assert refusal is None
    assert (
        open_sealed(record.totp_sealed, key, "j.jansen").last_step == int(later.timestamp()) // 30
    )


def test_a_wrong_code_with_the_right_password_is_refused(
    key: MasterKey, cheap_passwords: Passwords
) -> None:
    totp = Totp.generate()
    record = record_for(totp, key, cheap_passwords)
    wrong = code_at(Totp.generate(), NOW)
    refusal, _ = sign_in(record, wrong, NOW, key, cheap_passwords)
    assert refusal is Refusal.CODE


def test_a_second_factor_sealed_for_another_account_is_our_fault_not_a_refusal(
    key: MasterKey, cheap_passwords: Passwords
) -> None:
    totp = Totp.generate()
    copied = record_for(totp, key, cheap_passwords, account_id="m.dupont")
    moved = StaffRecord(
        StaffAccount(id="j.jansen", name="J", role=Role.COMPLIANCE, desk=Desk.parse("*")),
        copied.password_hash,
        copied.totp_sealed,
    )
    with pytest.raises(InternalError):
        verify_login(moved, PASSWORD, code_at(totp, NOW), NOW, key=key, passwords=cheap_passwords)
