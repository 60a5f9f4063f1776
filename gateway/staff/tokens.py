"""API tokens for people's scripts: ``egt_`` and 32 random bytes in base32, shown once.

Only the SHA-256 of a token is kept. A slow, salted hash such as argon2 protects
secrets that can be guessed; a token of 256 random bits cannot be, so a fast hash is
as safe, and being unsalted and deterministic it is found with one indexed lookup per
request, where argon2 would cost tens of milliseconds and megabytes of memory for
every request and a salted hash could not be looked up at all. Hashing before the
lookup also keeps the database's comparison timing away from the token itself.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Final

PREFIX: Final = "egt_"
TOKEN_BYTES: Final = 32
_TOKEN: Final = re.compile(r"^egt_[a-z2-7]{52}$")


@dataclass(frozen=True)
class NewToken:
    """A token to keep: its id and label; the store adds when it was issued."""

    id: str
    staff_id: str
    label: str


@dataclass(frozen=True)
class ApiToken:
    """A token as kept: its id and label, never the token."""

    id: str
    staff_id: str
    label: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def new_token() -> str:
    encoded = base64.b32encode(secrets.token_bytes(TOKEN_BYTES)).decode("ascii")
    return PREFIX + encoded.rstrip("=").lower()


def new_token_id() -> str:
    return "tok-" + secrets.token_hex(8)


def well_formed(token: str) -> bool:
    return _TOKEN.match(token) is not None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
