"""Signing in, as a pure function: an account's record, what the person typed, the time.

The caller hears only yes or no (:class:`~gateway.errors.StaffNotAuthenticated`);
the audit log hears why (:class:`Refusal`). Every attempt verifies one argon2 hash,
the account's or a stand-in, so an unknown, locked or disabled account takes as long
to refuse as a wrong password.

Failures (wrong password, wrong or replayed code) count against the account: from the
fifth on, each locks it, for 15 minutes, then 30, 60 and so on up to a day; attempts
while locked are refused without counting. A success, ``staff reset`` or ``staff
enable`` clears the count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from gateway.errors import InternalError
from gateway.staff import totp as totp_
from gateway.staff.accounts import StaffAccount
from gateway.staff.passwords import PASSWORDS, Passwords
from gateway.vault import MasterKey, VaultError

LOCK_AFTER: Final = 5
FIRST_LOCK: Final = timedelta(minutes=15)
LONGEST_LOCK: Final = timedelta(days=1)


class Refusal(StrEnum):
    """Why a sign-in was refused; for the audit log, never for the caller."""

    UNKNOWN_ACCOUNT = "unknown-account"
    DISABLED = "disabled"
    LOCKED = "locked"
    PASSWORD = "password"  # noqa: S105 - a reason, not a secret
    CODE = "code"
    CODE_REPLAYED = "code-replayed"

    @property
    def counts(self) -> bool:
        """Whether this refusal is a guess that counts towards locking the account."""
        return self in (Refusal.PASSWORD, Refusal.CODE, Refusal.CODE_REPLAYED)


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
    if not account.active:
        return LoginResult(account, Refusal.DISABLED)
    if account.locked(now):
        return LoginResult(account, Refusal.LOCKED)
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


def lock_duration(failures: int) -> timedelta | None:
    """How long ``failures`` consecutive failures lock an account, if at all."""
    if failures < LOCK_AFTER:
        return None
    doublings = min(failures - LOCK_AFTER, 16)
    return min(FIRST_LOCK * (1 << doublings), LONGEST_LOCK)


def locked_until(failures: int, now: datetime) -> datetime | None:
    duration = lock_duration(failures)
    return None if duration is None else now + duration
