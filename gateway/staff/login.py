"""Signing in, as a pure function: an account's record, what the person typed, the time.

The caller hears only yes or no (:class:`~gateway.infra.errors.StaffNotAuthenticated`);
the audit log hears why (:class:`Refusal`). Every attempt verifies one argon2 hash,
the account's or a stand-in, so an unknown, locked or disabled account takes as long
to refuse as a wrong password.

Every refusal counts as a failure of that login name from that address in the sign-in
throttle (:mod:`gateway.staff.throttle`), which decides before the password is checked
whether an attempt may be made at all; there is no lock on the account itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from gateway.infra.errors import InternalError
from gateway.infra.vault import MasterKey, VaultError
from gateway.staff import totp as totp_
from gateway.staff.accounts import StaffAccount, StaffState
from gateway.staff.passwords import PASSWORDS, Passwords


class Refusal(StrEnum):
    """Why a sign-in was refused; for the audit log, never for the caller."""

    UNKNOWN_ACCOUNT = "unknown-account"
    DISABLED = "disabled"
    NOT_ENROLLED = "not-enrolled"
    PASSWORD = "password"  # noqa: S105 - a reason, not a secret
    CODE = "code"
    CODE_REPLAYED = "code-replayed"
    ENROLMENT_CODE = "enrolment-code"


@dataclass(frozen=True)
class StaffRecord:
    """An account with its credentials as kept: what signing in needs, and nothing prints."""

    account: StaffAccount
    password_hash: str = field(repr=False)
    totp_sealed: bytes = field(repr=False)


@dataclass(frozen=True)
class LoginResult:
    """Either a refusal, or the account with what to keep: the advanced second factor
    (sealed) and, when the parameters changed, the password's new hash."""

    account: StaffAccount | None
    refusal: Refusal | None = None
    totp_sealed: bytes | None = field(default=None, repr=False)
    password_hash: str | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.refusal is None


def verify_login(
    record: StaffRecord | None,
    password: str,
    code: str,
    now: datetime,
    *,
    key: MasterKey,
    passwords: Passwords = PASSWORDS,
) -> LoginResult:
    """Check one attempt to sign in as ``record`` (``None``: no such account)."""
    if record is None:
        passwords.burn(password)
        return LoginResult(None, Refusal.UNKNOWN_ACCOUNT)
    account = record.account
    password_ok = passwords.verify(record.password_hash, password)
    if account.state is StaffState.ENROLLING:
        return LoginResult(account, Refusal.NOT_ENROLLED)
    if not account.active:
        return LoginResult(account, Refusal.DISABLED)
    if not password_ok:
        return LoginResult(account, Refusal.PASSWORD)
    try:
        second = totp_.open_sealed(record.totp_sealed, key, account.id)
    except VaultError as exc:  # another gateway's key, or a row copied from another account
        raise InternalError() from exc
    step = second.match(code, now)
    if step is None:
        return LoginResult(account, Refusal.CODE)
    if second.last_step is not None and step <= second.last_step:
        return LoginResult(account, Refusal.CODE_REPLAYED)
    rehashed = passwords.hash(password) if passwords.needs_rehash(record.password_hash) else None
    return LoginResult(
        account,
        totp_sealed=totp_.seal(second.accepting(step), key, account.id),
        password_hash=rehashed,
    )
