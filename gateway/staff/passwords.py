"""Passwords: argon2id with explicit parameters, rehashed when the parameters change.

The parameters are RFC 9106's second recommendation (§4, for memory-constrained
settings): 3 passes over 64 MiB with 4 lanes, a 16-byte salt and a 32-byte tag. They
are written out here, not taken from the library's defaults, so an upgrade of
argon2-cffi cannot change them silently; when they change here, each account's hash
is replaced at its next successful sign-in (:meth:`Passwords.needs_rehash`).
"""

from __future__ import annotations

import threading
from typing import Final

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_

PASSWORD_MIN: Final = 12
PASSWORD_MAX: Final = 1024


class Passwords:
    """Hash and check passwords with one set of argon2id parameters."""

    def __init__(
        self,
        *,
        time_cost: int = 3,
        memory_cost_kib: int = 64 * 1024,
        parallelism: int = 4,
        hash_len: int = 32,
        salt_len: int = 16,
    ) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost_kib,
            parallelism=parallelism,
            hash_len=hash_len,
            salt_len=salt_len,
            type=Type.ID,
        )
        self._dummy: str | None = None
        self._dummy_lock = threading.Lock()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches; a malformed or foreign hash (an account that has no
        password yet) is simply no match, found in the time a real one takes."""
        try:
            return self._hasher.verify(password_hash, password)
        except VerificationError:
            return False
        except InvalidHashError:
            self.burn(password)
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def burn(self, password: str) -> None:
        """The work of one verification against a hash nobody has, so that a sign-in for an
        unknown account takes as long as one for a known account."""
        with self._dummy_lock:
            if self._dummy is None:
                self._dummy = self.hash("no account has this password")
            dummy = self._dummy
        self.verify(dummy, password)


PASSWORDS: Final = Passwords()


PASSWORD_LENGTH: Final = N_("a password has {min} to {max} characters")
PASSWORD_HOLDS_LOGIN: Final = N_("a password must not contain the login name")


def password_problems(password: str, *, staff_id: str) -> list[str]:
    """What keeps ``password`` from being set: length, and not being the login name; message
    ids, their placeholders filled by :func:`password_refusal`."""
    problems = []
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        problems.append(PASSWORD_LENGTH)
    if staff_id.lower() in password.lower():
        problems.append(PASSWORD_HOLDS_LOGIN)
    return problems


def password_refusal(problems: list[str]) -> RegistryError:
    """The refusal of a password for the first of its ``problems``, to translate."""
    return RegistryError(problems[0], min=PASSWORD_MIN, max=PASSWORD_MAX)
