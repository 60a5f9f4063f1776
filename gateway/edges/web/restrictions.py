"""Restriction of processing on the compliance pages: a form beside a lookup's report to
restrict processing for the person looked up, and the list of restrictions in force, each
with a form to lift it (:mod:`gateway.flow.restriction`).

Only compliance staff (:attr:`~gateway.staff.Permission.SUBJECT_RESTRICT`) restrict and lift.
What names the person is POSTed again from the lookup (never in a URL); the result, or why it
was refused, is shown on the list in the viewer's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Final
from urllib.parse import quote

from aiohttp import web

from gateway.edges.problems import problem_document
from gateway.edges.web import present
from gateway.edges.web.frame import (
    NavEntry,
    Section,
    Viewer,
    context,
    flash,
    render_page,
    require_permission,
)
from gateway.edges.web.holds import today_of
from gateway.flow.restriction import (
    MAX_LISTED_RESTRICTIONS,
    REASONS,
    decision_due,
    due_day,
)
from gateway.infra.errors import NotRestricted, RestrictionInvalid
from gateway.infra.i18n import N_, translate
from gateway.staff import Permission

routes = web.RouteTableDef()
RESTRICTIONS_PATH: Final = "/restrictions"
RESTRICT_PATH: Final = "/lookup/restrict"

SECTION: Final = Section(
    name="restrictions",
    routes=routes,
    navigation=(NavEntry(RESTRICTIONS_PATH, N_("Restrictions"), Permission.SUBJECT_RESTRICT),),
)

PLACED: Final = N_(
    "Processing is restricted for the person looked up: {signals} signal(s) held, and every "
    "later one, until the restriction is lifted."
)
LIFTED: Final = N_(
    "The restriction is lifted: {signals} signal(s) released, and what was held is delivered."
)


def restrict_form(viewer: Viewer, today_iso: str) -> dict[str, object]:
    """What the lookup page needs to show the form to restrict, if the viewer may."""
    return {
        "may_restrict": viewer.may(Permission.SUBJECT_RESTRICT),
        "reasons": [(code, translate(label, viewer.language)) for code, label in REASONS.items()],
        "earliest_due": today_iso,
    }


def earliest_due(request: web.Request, viewer: Viewer) -> str:
    return (today_of(request, viewer) + timedelta(days=1)).isoformat()


@routes.get(RESTRICTIONS_PATH)
@require_permission(Permission.SUBJECT_RESTRICT)
async def restrictions_page(request: web.Request, viewer: Viewer) -> web.Response:
    today = today_of(request, viewer)
    listed = await context(request).store.active_restrictions(limit=MAX_LISTED_RESTRICTIONS)
    rows = [
        {
            "restriction": r,
            "reason": translate(REASONS[r.reason], viewer.language),
            "due_on": present.day(r.due_on, viewer.language),
            "due": decision_due(r, today),
            "placed_at": viewer.moment(r.placed_at),
            "lift": f"{RESTRICTIONS_PATH}/{quote(r.id, safe='')}/lift",
        }
        for r in listed
    ]
    return await render_page(request, "restrictions.html", {"rows": rows})


def _text(form: Mapping[str, object], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


@routes.post(RESTRICT_PATH)
@require_permission(Permission.SUBJECT_RESTRICT)
async def restrict(request: web.Request, viewer: Viewer) -> web.Response:
    form = await request.post()
    by_number = _text(form, "by") == "number"
    try:
        placed = await context(request).restrictions.restrict(
            by=viewer.actor,
            reason=_text(form, "reason"),
            note=_text(form, "note"),
            due_on=due_day(_text(form, "due_on")),
            identifier=_text(form, "identifier") if by_number else None,
            family_name=None if by_number else _text(form, "family_name"),
            date_of_birth=None if by_number else _text(form, "date_of_birth"),
        )
    except RestrictionInvalid as refused:
        await flash(request, str(problem_document(refused, language=viewer.language)["detail"]))
    else:
        await flash(request, translate(PLACED, viewer.language, signals=placed.signals))
    raise web.HTTPSeeOther(RESTRICTIONS_PATH)


@routes.post(RESTRICTIONS_PATH + "/{restriction_id}/lift")
@require_permission(Permission.SUBJECT_RESTRICT)
async def lift(request: web.Request, viewer: Viewer) -> web.Response:
    form = await request.post()
    try:
        lifted = await context(request).restrictions.lift(
            request.match_info["restriction_id"],
            by=viewer.actor,
            decision=_text(form, "decision") or "lifted",
        )
    except (NotRestricted, RestrictionInvalid) as refused:
        await flash(request, str(problem_document(refused, language=viewer.language)["detail"]))
    else:
        await flash(request, translate(LIFTED, viewer.language, signals=lifted.signals))
    raise web.HTTPSeeOther(RESTRICTIONS_PATH)
