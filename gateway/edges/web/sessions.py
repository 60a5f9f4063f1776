"""Sessions of the staff pages: anonymous in an encrypted cookie, signed in in the database.

Before sign-in the cookie (Fernet, under a key derived from the master key) holds only the
interface language and the CSRF secret of the sign-in form. Signing in replaces it with a
new session (:func:`start`) whose cookie is nothing but the session id; everything else is
the database's (:mod:`gateway.staff.sessions`): the account, language, CSRF secret, when it
started and was last seen. Every request reads the record, so a session ended anywhere
(signing out, which ends every session of the account, or a reset, disabling, a change of
role or desk) is refused at once by every gateway instance sharing the database. A cookie
in the older form that carried the account itself is not a session.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Final

from aiohttp import web
from aiohttp_session import Session, get_session, new_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from gateway.edges.web.security import new_csrf_secret
from gateway.infra.audit import events, refs
from gateway.infra.i18n import LANGUAGES
from gateway.infra.vault import MasterKey
from gateway.staff import StaffAccount
from gateway.staff import sessions as staff_sessions
from gateway.staff.sessions import Ended, SessionRecord, Timeouts
from gateway.store import StaffSessionStore

__all__ = ["Ended", "Timeouts"]

COOKIE_NAME: Final = "__Host-euregate-session"
"""``__Host-``: the browser keeps it only if Secure, for this host, on path ``/``."""
KEY_PURPOSE: Final = b"euregate/web/session-cookie/v1"

STAFF_ID: Final = "staff_id"
LANGUAGE: Final = "language"
CSRF: Final = "csrf"
SEEN: Final = "seen"
FLASH: Final = "flash"
ANONYMOUS_KEYS: Final = frozenset({LANGUAGE, CSRF, FLASH})
"""All an anonymous cookie may carry; anything else in one is ignored."""


class StaffSession(Session):
    """A session of the staff pages; signed in when it has a ``record`` in the database."""

    def __init__(
        self,
        *,
        data: dict[str, Any] | None,
        new: bool,
        max_age: int | None,
        record: SessionRecord | None = None,
    ) -> None:
        super().__init__(None, data=data, new=new, max_age=max_age)  # type: ignore[arg-type]
        self.record = record
        self.cookie: str | None = None
        """A session id just given out, to send as the cookie."""

    @classmethod
    def from_record(cls, record: SessionRecord) -> StaffSession:
        data = {"created": int(time.time()), "session": _mapping(record)}
        return cls(data=data, new=False, max_age=None, record=record)

    def sign_in(self, record: SessionRecord, session_id: str) -> None:
        self.clear()
        self.record = record
        self.cookie = session_id
        self.update(_mapping(record))

    def changes(self) -> dict[str, object]:
        """What this request changed of the record: language, flash, last seen."""
        record = self.record
        if record is None:
            return {}
        changed: dict[str, object] = {}
        language = self.get(LANGUAGE)
        if language != record.language and language in LANGUAGES:
            changed["language"] = language
        flash = self.get(FLASH)
        if flash != record.flash:
            changed["flash"] = flash if isinstance(flash, str) else None
        seen = self.get(SEEN)
        if isinstance(seen, str) and seen != record.seen_at.isoformat():
            changed["seen_at"] = datetime.fromisoformat(seen)
        return changed


def _mapping(record: SessionRecord) -> dict[str, object]:
    mapping: dict[str, object] = {
        STAFF_ID: record.staff_id,
        LANGUAGE: record.language,
        CSRF: record.csrf,
        SEEN: record.seen_at.isoformat(),
    }
    if record.flash is not None:
        mapping[FLASH] = record.flash
    return mapping


class SessionStorage(EncryptedCookieStorage):
    """aiohttp-session's storage for both kinds of session; the cookie attributes are those of
    a ``__Host-`` cookie, removal included (a browser ignores a ``__Host-`` cookie set without
    ``Secure``, so aiohttp-session's plain removal would leave it in place)."""

    def __init__(self, store: StaffSessionStore, master_key: MasterKey, timeouts: Timeouts) -> None:
        super().__init__(
            master_key.derive(KEY_PURPOSE),
            cookie_name=COOKIE_NAME,
            max_age=int(timeouts.absolute.total_seconds()),
            secure=True,
            httponly=True,
            samesite="Strict",
        )
        self._store = store

    async def new_session(self) -> StaffSession:
        return StaffSession(data=None, new=True, max_age=self.max_age)

    async def load_session(self, request: web.Request) -> StaffSession:
        cookie = self.load_cookie(request)
        if cookie is not None and staff_sessions.well_formed(cookie):
            record = await self._store.staff_session(staff_sessions.id_hash(cookie))
            if record is not None:
                return StaffSession.from_record(record)
            unknown = await self.new_session()
            unknown.changed()  # the cookie names nothing: take it away
            return unknown
        anonymous = await super().load_session(request)
        kept = {key: value for key, value in anonymous.items() if key in ANONYMOUS_KEYS}
        return StaffSession(
            data={"created": anonymous.created, "session": kept},
            new=anonymous.new,
            max_age=self.max_age,
        )

    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        record = session.record if isinstance(session, StaffSession) else None
        if record is None:
            await super().save_session(request, response, session)
            return
        if session.empty:
            self.save_cookie(response, "")
            return
        assert isinstance(session, StaffSession)
        if session.cookie is not None:
            self.save_cookie(response, session.cookie, max_age=self.max_age)
        changes = session.changes()
        if changes:
            await self._store.update_staff_session(record.id_hash, changes)

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


async def session_of(request: web.Request) -> StaffSession:
    """The request's session, anonymous or signed in, always with a CSRF secret."""
    session = await get_session(request)
    assert isinstance(session, StaffSession), "the staff pages use SessionStorage"
    if not isinstance(session.get(CSRF), str):
        session[CSRF] = new_csrf_secret()
    return session


async def start(
    request: web.Request,
    store: StaffSessionStore,
    account: StaffAccount,
    now: datetime,
    timeouts: Timeouts,
) -> StaffSession:
    """A fresh session for a person just signed in: a new id, a new CSRF secret, nothing
    carried over from before sign-in."""
    session_id = staff_sessions.new_session_id()
    record = SessionRecord(
        id_hash=staff_sessions.id_hash(session_id),
        staff_id=account.id,
        language=account.language,
        csrf=new_csrf_secret(),
        started_at=now,
        seen_at=now,
    )
    await store.open_staff_session(record, absolute=timeouts.absolute)
    session = await new_session(request)
    assert isinstance(session, StaffSession)
    session.sign_in(record, session_id)
    return session


def ended(session: StaffSession, now: datetime, timeouts: Timeouts) -> Ended | None:
    """Whether a signed-in session is over at ``now``, by the times the database keeps."""
    if session.record is None:
        return Ended.SIGNED_OUT
    return staff_sessions.why_ended(session.record, now, timeouts)


async def end(store: StaffSessionStore, session: StaffSession, why: Ended) -> None:
    """End this one session (it timed out): in the database, and its cookie."""
    record = session.record
    if record is not None and record.ended_reason is None:
        await store.end_staff_session(record.id_hash, why)
    session.invalidate()


async def sign_out(store: StaffSessionStore, session: StaffSession) -> None:
    """End every session of the signed-in account; audited."""
    record = session.record
    if record is not None:
        account = refs.staff(record.staff_id)
        await store.end_staff_sessions(
            record.staff_id,
            Ended.SIGNED_OUT,
            lambda ended: events.StaffSignedOut(by=account, about=account, sessions_ended=ended),
        )
    session.invalidate()


def touch(session: StaffSession, now: datetime) -> None:
    """Note the request; written to the database at most once a minute."""
    if session.record is not None and staff_sessions.seen_due(session.record.seen_at, now):
        session[SEEN] = now.isoformat()


def signed_in_id(session: Session) -> str | None:
    if not isinstance(session, StaffSession) or session.record is None or session.empty:
        return None
    return session.record.staff_id
