"""Signing in and out, choosing the interface language, and the page after sign-in.

Sign-in is password and TOTP code through :meth:`~gateway.registry.auth.Authenticator.login`, whose
throttle limits attempts per address and failures per login name and address; a refusal
reads the same whatever the reason. A person signed in gets a new session (:func:`sessions.start`).
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from gateway.edges.web import sessions
from gateway.edges.web.frame import (
    LOGIN_PATH,
    Section,
    Viewer,
    context,
    page_language,
    render_page,
    require_permission,
)
from gateway.edges.web.liaison import QUEUE_PATH
from gateway.edges.web.security import local_target
from gateway.edges.web.withdrawals import overdue_count
from gateway.infra.errors import StaffNotAuthenticated, TooManyAttempts
from gateway.infra.i18n import LANGUAGES, N_, translate
from gateway.staff import Permission

routes = web.RouteTableDef()
SECTION: Final = Section(name="sign-in", routes=routes)

SESSION_OVER: Final = N_("Your session has ended. Sign in again to go on.")
ENDED: Final = {
    str(sessions.Ended.IDLE): N_(
        "You were signed out after a while without activity. Sign in again to go on."
    ),
    **{str(why): SESSION_OVER for why in sessions.Ended if why is not sessions.Ended.IDLE},
    "signed_out_everywhere": N_("You are signed out, in every browser where you were."),
}
REFUSED: Final = N_(
    "The login name, password or code is not accepted, or the account cannot sign in now. "
    "Try again, or ask an administrator."
)
TOO_MANY: Final = N_(
    "Too many sign-in attempts from your address. Wait {seconds} seconds, then try again."
)
NAME_BLOCKED: Final = N_(
    "Too many failed sign-ins with this login name from your address. Wait {minutes} "
    "minutes, or ask an administrator to lift the block; signing in from another workplace "
    "is not affected."
)


def throttled(error: TooManyAttempts, language: str) -> tuple[int, str]:
    """Seconds to wait, and why, for an attempt the sign-in throttle held back."""
    wait = int(str(error.params.get("retry_after") or 1))
    if error.params.get("scope") == "name":
        return wait, translate(NAME_BLOCKED, language, minutes=-(-wait // 60))
    return wait, translate(TOO_MANY, language, seconds=wait)


HOME_FOR: Final = ((Permission.REVIEW_READ, QUEUE_PATH),)
"""Where a role starts: the first of these pages the person may open."""


@routes.get(LOGIN_PATH)
async def login_form(request: web.Request) -> web.Response:
    session = await sessions.session_of(request)
    if (
        sessions.signed_in_id(session) is not None
        and sessions.ended(session, context(request).clock.now(), context(request).timeouts) is None
    ):
        raise web.HTTPSeeOther(local_target(request.query.get("next")))
    notice = ENDED.get(request.query.get("ended") or request.query.get("state") or "")
    language = page_language(request, session)
    return await render_page(
        request,
        "login.html",
        {
            "next": local_target(request.query.get("next")),
            "staff_id": "",
            "notice": translate(notice, language) if notice else None,
            "problem": None,
        },
    )


@routes.post(LOGIN_PATH)
async def login(request: web.Request) -> web.Response:
    web_ = context(request)
    form = await request.post()
    staff_id, password, code = (
        str(form.get(name, "")) for name in ("staff_id", "password", "code")
    )
    target = local_target(str(form.get("next", "")))
    session = await sessions.session_of(request)
    language = page_language(request, session)
    try:
        account = await web_.authenticator.login(
            staff_id.strip(), password, code, address=request.remote or "unknown"
        )
    except TooManyAttempts as error:
        wait, problem = throttled(error, language)
        response = await _refused(request, staff_id, target, problem, status=429)
        response.headers["Retry-After"] = str(wait)
        return response
    except StaffNotAuthenticated:
        return await _refused(request, staff_id, target, translate(REFUSED, language), 401)
    await sessions.start(request, web_.store, account, web_.clock.now(), web_.timeouts)
    raise web.HTTPSeeOther(target)


async def _refused(
    request: web.Request, staff_id: str, target: str, problem: str, status: int
) -> web.Response:
    return await render_page(
        request,
        "login.html",
        {"next": target, "staff_id": staff_id, "notice": None, "problem": problem},
        status=status,
    )


@routes.post("/logout")
async def logout(request: web.Request) -> web.Response:
    """Signing out ends every session of the account, in every browser."""
    session = await sessions.session_of(request)
    await sessions.sign_out(context(request).store, session)
    raise web.HTTPSeeOther(f"{LOGIN_PATH}?state=signed_out_everywhere")


@routes.post("/language")
async def choose_language(request: web.Request) -> web.Response:
    """The interface language, kept in the session (signed in or not)."""
    form = await request.post()
    chosen = form.get("lang")
    session = await sessions.session_of(request)
    if chosen in LANGUAGES:
        session[sessions.LANGUAGE] = chosen
    raise web.HTTPSeeOther(local_target(str(form.get("back", ""))))


@routes.get("/")
@require_permission(None)
async def home(request: web.Request, viewer: Viewer) -> web.Response:
    for permission, path in HOME_FOR:
        if viewer.may(permission):
            raise web.HTTPSeeOther(path)
    return await render_page(
        request, "home.html", {"overdue": await overdue_count(request, viewer)}
    )
