"""Enrolling: a person's first sign-in with the two halves of their enrolment code.

The holder of an approved new (or reset) account types their login name, the half of the
code the proposer gave them and the half the approver gave them, and chooses a password. The
answer shows their new TOTP secret, once, and nobody else ever sees it. A wrong code reads
the same whatever was wrong and counts like a failed sign-in
(:mod:`gateway.staff.throttle`).
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from gateway.edges.web import sessions
from gateway.edges.web.frame import Section, context, page_language, render_page
from gateway.edges.web.signin import throttled
from gateway.infra.errors import RegistryError, StaffNotAuthenticated, TooManyAttempts
from gateway.infra.i18n import N_, translate
from gateway.staff.passwords import PASSWORD_MIN, password_problems

routes = web.RouteTableDef()
ENROL_PATH: Final = "/enrol"
SECTION: Final = Section(name="enrolment", routes=routes)

PASSWORD_RULE: Final = N_(
    "A password has at least {min} characters and does not contain the login name."
)
PASSWORDS_DIFFER: Final = N_("The two passwords differ.")
CODE_REFUSED: Final = N_(
    "The login name or the enrolment code is not accepted: it may be mistyped, used already "
    "or expired. Try again, or ask the administrator for a new proposal."
)


@routes.get(ENROL_PATH)
async def enrol_form(request: web.Request) -> web.Response:
    return await _page(request)


@routes.post(ENROL_PATH)
async def enrol(request: web.Request) -> web.Response:
    posted = await request.post()
    form = {
        name: str(posted.get(name, "")).strip()
        for name in ("staff_id", "first_half", "second_half")
    }
    password, again = (str(posted.get(name, "")) for name in ("password", "password_again"))
    session = await sessions.session_of(request)
    language = page_language(request, session)
    if password_problems(password, staff_id=form["staff_id"]):
        rule = translate(PASSWORD_RULE, language, min=PASSWORD_MIN)
        return await _page(request, form=form, problem=rule, status=422)
    if password != again:
        return await _page(
            request, form=form, problem=translate(PASSWORDS_DIFFER, language), status=422
        )
    try:
        enrolment = await context(request).authenticator.enrol(
            form["staff_id"],
            form["first_half"],
            form["second_half"],
            password,
            address=request.remote or "unknown",
        )
    except TooManyAttempts as error:
        wait, problem = throttled(error, language)
        response = await _page(request, form=form, problem=problem, status=429)
        response.headers["Retry-After"] = str(wait)
        return response
    except (StaffNotAuthenticated, RegistryError):
        problem = translate(CODE_REFUSED, language)
        return await _page(request, form=form, problem=problem, status=401)
    return await _page(request, enrolment=enrolment)


async def _page(
    request: web.Request,
    *,
    form: dict[str, str] | None = None,
    problem: str | None = None,
    enrolment: object = None,
    status: int = 200,
) -> web.Response:
    session = await sessions.session_of(request)
    language = page_language(request, session)
    return await render_page(
        request,
        "enrol.html",
        {
            "form": form or {},
            "problem": problem,
            "enrolment": enrolment,
            "password_rule": translate(PASSWORD_RULE, language, min=PASSWORD_MIN),
        },
        status=status,
    )
