"""Sessions of people signed in to the staff pages, kept in an encrypted cookie.

The cookie (Fernet, under a key derived from the master key) holds the staff id, the
interface language, the CSRF secret and two times from the injected clock: when the person
signed in and when they were last seen. A session ends after ``idle`` without a request or
``absolute`` after sign-in, whichever comes first; signing in starts a new session, so
nothing from before sign-in carries over. The account itself is read again on every
request (:meth:`~gateway.staff.Authenticator.current`): disabling it ends its sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from aiohttp import web
from aiohttp_session import Session, get_session, new_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from gateway.vault import MasterKey
from gateway.web.security import new_csrf_secret

COOKIE_NAME: Final = "__Host-euregate-session"
"""``__Host-``: the browser keeps it only if Secure, for this host, on path ``/``."""
KEY_PURPOSE: Final = b"euregate/web/session-cookie/v1"

STAFF_ID: Final = "staff_id"
LANGUAGE: Final = "language"
CSRF: Final = "csrf"
STARTED: Final = "started"
SEEN: Final = "seen"
FLASH: Final = "flash"


@dataclass(frozen=True)
class Timeouts:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


class Ended(StrEnum):
    """Why a session is over."""

    IDLE = "idle"
    ABSOLUTE = "absolute"


class SessionCookies(EncryptedCookieStorage):
    """Encrypted cookies whose removal carries the same attributes as the cookie: a browser
    ignores a ``__Host-`` cookie set without ``Secure``, so aiohttp-session's plain removal
    would leave the session in place."""

    def save_cookie(
        self, response: web.StreamResponse, cookie_data: str, *, max_age: int | None = None
    ) -> None:
        if cookie_data:
            super().save_cookie(response, cookie_data, max_age=max_age)
            return
        response.set_cookie(
            COOKIE_NAME,
            "",
            max_age=0,
            expires="Thu, 01 Jan 1970 00:00:00 GMT",
            path="/",
            secure=True,
            httponly=True,
            samesite="Strict",
        )


def cookie_storage(master_key: MasterKey, timeouts: Timeouts) -> EncryptedCookieStorage:
    return SessionCookies(
        master_key.derive(KEY_PURPOSE),
        cookie_name=COOKIE_NAME,
        max_age=int(timeouts.absolute.total_seconds()),
        secure=True,
        httponly=True,
        samesite="Strict",
    )


async def session_of(request: web.Request) -> Session:
    """The request's session, anonymous or signed in, always with a CSRF secret."""
    session = await get_session(request)
    if not isinstance(session.get(CSRF), str):
        session[CSRF] = new_csrf_secret()
    return session


async def start(request: web.Request, staff_id: str, language: str, now: datetime) -> Session:
    """A fresh session for a person just signed in: new cookie, new CSRF secret."""
    session = await new_session(request)
    session.update(
        {
            STAFF_ID: staff_id,
            LANGUAGE: language,
            CSRF: new_csrf_secret(),
            STARTED: now.isoformat(),
            SEEN: now.isoformat(),
        }
    )
    return session


def ended(session: Session, now: datetime, timeouts: Timeouts) -> Ended | None:
    """Whether a signed-in session is over at ``now``."""
    try:
        started = datetime.fromisoformat(str(session[STARTED]))
        seen = datetime.fromisoformat(str(session[SEEN]))
    except (KeyError, ValueError):
        return Ended.ABSOLUTE
    if now - started >= timeouts.absolute:
        return Ended.ABSOLUTE
    if now - seen >= timeouts.idle:
        return Ended.IDLE
    return None


def touch(session: Session, now: datetime) -> None:
    session[SEEN] = now.isoformat()


def signed_in_id(session: Session) -> str | None:
    staff_id = session.get(STAFF_ID)
    return staff_id if isinstance(staff_id, str) else None
