"""The frame every staff page shares: who is looking, what they may open, how a page is drawn.

A part of the staff pages is a :class:`Section`: its routes and its entries in the
navigation, each entry behind a :class:`~gateway.staff.Permission`. Handlers take the
signed-in :class:`Viewer` through :func:`require_permission`, which sends a person who is
not signed in to the sign-in page and refuses (403) one whose role does not include the
permission; the desk is checked again where an item is opened. :func:`page_middleware`
puts the security headers on every answer, checks the CSRF secret of every form post, and
turns every error into a page in the viewer's language.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import Session

from gateway.edges.http import (
    API_PREFIX,
    LANGUAGE,
    REQUEST_ID,
    Handler,
    client_gone,
    error_from_http,
    read_form,
)
from gateway.edges.web import partner_names, present, sessions
from gateway.edges.web.security import CSRF_FIELD, SECURITY_HEADERS, csrf_valid
from gateway.edges.web.texts import ROLE_LABELS, TemplateGettext
from gateway.edges.web.verifications import Verifications
from gateway.flow.desk import ReviewDesk
from gateway.flow.restriction import Restrictions
from gateway.infra.audit import refs
from gateway.infra.audit.refs import Ref
from gateway.infra.clock import Clock
from gateway.infra.errors import (
    ClientError,
    EuregateError,
    Forbidden,
    InternalError,
    StaffNotAuthenticated,
)
from gateway.infra.i18n import LANGUAGES, N_
from gateway.infra.logs import get_logger
from gateway.infra.seal import Signer
from gateway.infra.vault import MasterKey
from gateway.registry.auth import Authenticator
from gateway.staff import Permission, StaffAccount, allowed, allowed_to
from gateway.store import Store

STATIC_PREFIX: Final = "/static/"
LOGIN_PATH: Final = "/login"
FORM_EXPIRED: Final = N_(
    "This form has expired or did not come from this site. Go back, reload the page and try again."
)
log = get_logger("euregate.web")


@dataclass(frozen=True)
class NavEntry:
    """A page in the navigation, shown to those whose role includes ``permission``."""

    path: str
    label: str
    permission: Permission


@dataclass(frozen=True)
class Section:
    """A part of the staff pages: its routes and its entries in the navigation."""

    name: str
    routes: web.RouteTableDef
    navigation: tuple[NavEntry, ...] = ()


@dataclass(frozen=True)
class WebContext:
    """What the pages work with, kept on the application under :data:`WEB`."""

    desk: ReviewDesk
    authenticator: Authenticator
    store: Store
    master_key: MasterKey
    signer: Signer
    verifications: Verifications
    clock: Clock
    time_zone: ZoneInfo
    timeouts: sessions.Timeouts
    restrictions: Restrictions
    sections: tuple[Section, ...] = field(default=())
    enrolment_code_lifetime: timedelta = timedelta(hours=72)
    partner_changed: Callable[[str], None] = field(default=lambda _: None)
    witness_stale_after: timedelta = timedelta(hours=24)

    @property
    def navigation(self) -> tuple[NavEntry, ...]:
        return tuple(entry for section in self.sections for entry in section.navigation)


WEB: Final = web.AppKey("web", WebContext)


@dataclass(frozen=True)
class Viewer:
    """The person a page is drawn for, in their language and time zone."""

    account: StaffAccount
    language: str
    csrf: str
    time_zone: ZoneInfo

    @property
    def actor(self) -> Ref:
        """The viewer as the audit log names them."""
        return refs.staff(self.account.id)

    def moment(self, at: datetime | None) -> str:
        """A time as the viewer reads it; nothing for none."""
        if at is None:
            return ""
        return present.moment(at, self.language, self.time_zone)

    def may(self, permission: Permission) -> bool:
        return allowed_to(self.account, permission)

    @property
    def permissions(self) -> frozenset[Permission]:
        return allowed(self.account)


VIEWER: Final = web.RequestKey("viewer", Viewer)
PageHandler = Callable[[web.Request, Viewer], Awaitable[web.StreamResponse]]


def context(request: web.Request) -> WebContext:
    return request.app[WEB]


def page_language(request: web.Request, session: Session) -> str:
    """The language chosen in the session, else the browser's best of ours."""
    chosen = session.get(sessions.LANGUAGE)
    return chosen if chosen in LANGUAGES else request[LANGUAGE]


def require_permission(permission: Permission | None) -> Callable[[PageHandler], Handler]:
    """A page for signed-in people whose role includes ``permission`` (``None``: anyone
    signed in). Not signed in, or the session over: to the sign-in page and back."""

    def decorate(page: PageHandler) -> Handler:
        @functools.wraps(page)
        async def handler(request: web.Request) -> web.StreamResponse:
            viewer = await signed_in_viewer(request)
            if permission is not None and not viewer.may(permission):
                raise Forbidden(permission=str(permission))
            return await page(request, viewer)

        return handler

    return decorate


async def signed_in_viewer(request: web.Request) -> Viewer:
    web_ = context(request)
    session = await sessions.session_of(request)
    staff_id = sessions.signed_in_id(session)
    if staff_id is None:
        raise _to_sign_in(request)
    now = web_.clock.now()
    why = sessions.ended(session, now, web_.timeouts)
    if why is not None:
        await sessions.end(web_.store, session, why)
        raise _to_sign_in(request, ended=str(why))
    try:
        account = await web_.authenticator.current(staff_id)
    except StaffNotAuthenticated:
        await sessions.end(web_.store, session, sessions.Ended.DISABLED)
        raise _to_sign_in(request) from None
    sessions.touch(session, now)
    viewer = Viewer(
        account=account,
        language=page_language(request, session),
        csrf=str(session[sessions.CSRF]),
        time_zone=web_.time_zone,
    )
    request[VIEWER] = viewer
    return viewer


def _to_sign_in(request: web.Request, **why: str) -> web.HTTPSeeOther:
    target = request.rel_url.path_qs if request.method == "GET" else "/"
    query = urlencode({"next": target, **why})
    return web.HTTPSeeOther(f"{LOGIN_PATH}?{query}")


async def render_page(
    request: web.Request,
    template: str,
    values: Mapping[str, Any],
    *,
    status: int = 200,
) -> web.Response:
    """``template`` with the frame's values: texts, language, navigation, CSRF secret."""
    session = await sessions.session_of(request)
    viewer = request.get(VIEWER)
    language = viewer.language if viewer else page_language(request, session)
    flash = session.pop(sessions.FLASH, None)
    navigation = (
        [entry for entry in context(request).navigation if viewer.may(entry.permission)]
        if viewer
        else []
    )
    frame = {
        "_": TemplateGettext(language),
        "partner": partner_names.shown,
        "language": language,
        "languages": LANGUAGES,
        "viewer": viewer,
        "role_label": ROLE_LABELS[viewer.account.role] if viewer else None,
        "navigation": navigation,
        "path": request.rel_url.path,
        "back": request.rel_url.path_qs,
        "csrf_field": CSRF_FIELD,
        "csrf": str(session[sessions.CSRF]),
        "flash": flash if isinstance(flash, str) else None,
        "request_id": request.get(REQUEST_ID),
    }
    response = aiohttp_jinja2.render_template(template, request, {**frame, **values}, status=status)
    response.headers["Content-Language"] = language
    return response


async def flash(request: web.Request, text: str) -> None:
    """A line to show on the next page drawn (already in the viewer's language)."""
    session = await sessions.session_of(request)
    session[sessions.FLASH] = text


@web.middleware
async def page_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers, the CSRF check and error pages, for everything but the API."""
    if request.path.startswith(API_PREFIX):
        return await handler(request)
    try:
        response = await _answer(request, handler)
    except web.HTTPException as exc:  # a redirect: answered, not raised past the edge
        response = web.Response(status=exc.status, headers=exc.headers)
    _secure(request, response)
    return response


async def _answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        if request.method == "POST":
            session = await sessions.session_of(request)
            form = await read_form(request)
            if not csrf_valid(session.get(sessions.CSRF), form.get(CSRF_FIELD)):
                log.info("refused", kind="csrf", status=403)
                return await error_page(request, Forbidden(), detail=FORM_EXPIRED)
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return await error_page(request, error_from_http(exc, request))
    except EuregateError as error:
        return await error_page(request, error)
    except Exception as exc:  # the pages' one place for the unexpected
        if isinstance(exc, ConnectionError) and client_gone(request):
            raise  # nobody is left to read a page; the edge logs it as such
        log.error(  # noqa: TRY400 - a traceback's messages may quote personal data
            "internal_error", error_type=type(exc).__name__
        )
        return await error_page(request, InternalError())


async def error_page(
    request: web.Request, error: EuregateError, *, detail: str | None = None
) -> web.Response:
    if isinstance(error, ClientError):
        log.info("refused", kind=error.kind, status=error.status)
    if VIEWER not in request:  # a page that is not there, for someone who may be signed in
        with contextlib.suppress(web.HTTPException, EuregateError):
            await signed_in_viewer(request)
    page = await render_page(
        request,
        "error.html",
        {"error": error, "detail": detail},
        status=error.status,
    )
    retry_after = error.extensions().get("retry_after")
    if isinstance(retry_after, int):
        page.headers["Retry-After"] = str(retry_after)
    return page


def _secure(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)
    if not request.path.startswith(STATIC_PREFIX):
        response.headers["Cache-Control"] = "no-store"
