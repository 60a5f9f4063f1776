"""Legal holds on the compliance pages: the list of holds in force (those whose review date has
come flagged), and on an exchange's page its retention (the rule, the day its content is
erased, or was) with a form to hold it or to lift its hold (:mod:`gateway.flow.holds`).

Only compliance staff (:attr:`~gateway.staff.Permission.LEGAL_HOLD`) hold and lift; a refused
hold comes back to the exchange's page with the reason, in the viewer's language.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Final
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
from gateway.flow.holds import MAX_LISTED_HOLDS, lift_hold, place_hold, review_day, review_due
from gateway.flow.retention_state import policy_kept, retention_state
from gateway.infra.errors import HoldInvalid, HoldRefused, NotFound, NotHeld
from gateway.infra.i18n import N_, translate
from gateway.staff import Permission

routes = web.RouteTableDef()
HOLDS_PATH: Final = "/holds"
EXCHANGE_PATH: Final = "/audit/exchanges/{id}"

SECTION: Final = Section(
    name="holds",
    routes=routes,
    navigation=(NavEntry(HOLDS_PATH, N_("Legal holds"), Permission.LEGAL_HOLD),),
)

HELD: Final = N_("Exchange {id} is on hold until the hold is lifted; review it on {day}.")
LIFTED: Final = N_("The hold on exchange {id} is lifted: its retention terms apply again.")


def exchange_link(signal_id: str) -> str:
    return EXCHANGE_PATH.format(id=quote(signal_id, safe=""))


def today_of(request: web.Request, viewer: Viewer) -> date:
    """Today where the viewer is."""
    return context(request).clock.now().astimezone(viewer.time_zone).date()


async def retention_facts(request: web.Request, viewer: Viewer, signal_id: str) -> dict[str, Any]:
    """What the exchange page shows of ``signal_id``'s retention (a signal the store has)."""
    store = context(request).store
    kept = await store.signal_retention(signal_id)
    if kept is None:
        raise NotFound()
    policy = await policy_kept(store)
    today = today_of(request, viewer)
    state = retention_state(kept, policy.retention if policy else None, today=today)
    return {
        "state": state,
        "erases_on": present.day(state.erases_on, viewer.language),
        "erased_on": present.day(state.erased_on, viewer.language),
        "review_on": present.day(state.hold.review_on if state.hold else None, viewer.language),
        "placed_at": viewer.moment(state.hold.placed_at if state.hold else None),
        "may_hold": viewer.may(Permission.LEGAL_HOLD),
        "earliest_review": (today + timedelta(days=1)).isoformat(),
    }


@routes.get(HOLDS_PATH)
@require_permission(Permission.LEGAL_HOLD)
async def holds_page(request: web.Request, viewer: Viewer) -> web.Response:
    today = today_of(request, viewer)
    rows = [
        {
            "hold": hold,
            "link": exchange_link(hold.signal_id),
            "review_on": present.day(hold.review_on, viewer.language),
            "due": review_due(hold, today),
            "placed_at": viewer.moment(hold.placed_at),
        }
        for hold in await context(request).store.legal_holds(limit=MAX_LISTED_HOLDS)
    ]
    return await render_page(request, "audit_holds.html", {"rows": rows})


@routes.post(HOLDS_PATH + "/{signal_id}")
@require_permission(Permission.LEGAL_HOLD)
async def hold(request: web.Request, viewer: Viewer) -> web.Response:
    web_ = context(request)
    signal_id = request.match_info["signal_id"]
    form = await request.post()
    reason, day = form.get("reason", ""), form.get("review_on", "")
    try:
        held = await place_hold(
            web_.store,
            web_.clock,
            signal_id=signal_id,
            reason=reason if isinstance(reason, str) else "",
            review_on=review_day(day if isinstance(day, str) else ""),
            by=viewer.actor,
        )
    except (HoldInvalid, HoldRefused) as refused:
        await flash(request, str(problem_document(refused, language=viewer.language)["detail"]))
    else:
        told = present.day(held.review_on, viewer.language)
        await flash(request, translate(HELD, viewer.language, id=signal_id, day=told))
    raise web.HTTPSeeOther(exchange_link(signal_id))


@routes.post(HOLDS_PATH + "/{signal_id}/lift")
@require_permission(Permission.LEGAL_HOLD)
async def lift(request: web.Request, viewer: Viewer) -> web.Response:
    signal_id = request.match_info["signal_id"]
    try:
        await lift_hold(context(request).store, signal_id=signal_id, by=viewer.actor)
    except NotHeld as refused:
        await flash(request, str(problem_document(refused, language=viewer.language)["detail"]))
    else:
        await flash(request, translate(LIFTED, viewer.language, id=signal_id))
    raise web.HTTPSeeOther(exchange_link(signal_id))
