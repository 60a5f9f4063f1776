"""Sessions of people signed in to the staff pages, as the database keeps them.

The browser holds only a session id: ``egs_`` and 32 random bytes (256 bits, URL-safe
base64), given at sign-in and never reused. The database keeps the SHA-256 of the id, never
the id, with the account, the interface language, the CSRF secret and when the session
started and was last seen. A session ends after ``idle`` without a request or ``absolute``
after sign-in, whichever comes first, checked against those times on every request; an
ended session (signed out, or ended because its account was reset, disabled or given another
role or desk) is refused. ``seen`` is written at most once per :data:`SEEN_RESOLUTION`, so
the idle timeout may run up to that much longer than set.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

PREFIX: Final = "egs_"
ID_BYTES: Final = 32
SEEN_RESOLUTION: Final = timedelta(minutes=1)
_SESSION_ID: Final = re.compile(r"^egs_[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class Timeouts:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


class Ended(StrEnum):
    """Why a session is over."""

    IDLE = "idle"
    ABSOLUTE = "absolute"
    SIGNED_OUT = "signed_out"
    DISABLED = "disabled"
    CREDENTIALS_RESET = "credentials_reset"
    ACCOUNT_CHANGED = "account_changed"
    ENROLLED = "enrolled"


@dataclass(frozen=True)
class SessionRecord:
    """A session as the database keeps it: by the hash of its id."""

    id_hash: str
    staff_id: str
    language: str
    csrf: str
    started_at: datetime
    seen_at: datetime
    flash: str | None = None
    ended_at: datetime | None = None
    ended_reason: Ended | None = None


def new_session_id() -> str:
    return PREFIX + secrets.token_urlsafe(ID_BYTES)


def well_formed(session_id: str) -> bool:
    return _SESSION_ID.match(session_id) is not None


def id_hash(session_id: str) -> str:
    """What the database keeps of a session id. A fast hash is enough for 256 random bits (as
    for API tokens, :mod:`gateway.staff.tokens`) and lets every request find its session
    with one indexed lookup."""
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()


def why_ended(record: SessionRecord, now: datetime, timeouts: Timeouts) -> Ended | None:
    """Whether the session is over at ``now``, and why."""
    if record.ended_reason is not None:
        return record.ended_reason
    if now - record.started_at >= timeouts.absolute:
        return Ended.ABSOLUTE
    if now - record.seen_at >= timeouts.idle:
        return Ended.IDLE
    return None


def seen_due(record_seen: datetime, now: datetime) -> bool:
    """Whether ``seen`` is old enough to be written again."""
    return now - record_seen >= SEEN_RESOLUTION
