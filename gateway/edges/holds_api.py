"""Legal holds over the staff listener: compliance staff list the holds in force, put a signal
on hold with a reason and a review date, and lift a hold (:mod:`gateway.flow.holds`). Each
handler checks :attr:`~gateway.staff.Permission.LEGAL_HOLD`, which only compliance staff have;
placing and lifting are audited under the person's staff id."""

from __future__ import annotations

from typing import Final

from aiohttp import web

from gateway.edges.http import json_response
from gateway.edges.staff_app import ACCOUNT, object_body
from gateway.flow.holds import MAX_LISTED_HOLDS, hold_json, lift_hold, place_hold, review_day
from gateway.infra.audit import refs
from gateway.infra.clock import Clock
from gateway.infra.errors import BodyShapeInvalid
from gateway.staff import Permission, require
from gateway.store import Store

PREFIX: Final = "/v1/holds"
HOLD_MEMBERS: Final = ("reason", "review_on")
HOLDS_STORE = web.AppKey("holds_store", Store)
HOLDS_CLOCK = web.AppKey("holds_clock", Clock)


def add_hold_routes(app: web.Application, store: Store, clock: Clock) -> None:
    app[HOLDS_STORE] = store
    app[HOLDS_CLOCK] = clock
    app.router.add_get(PREFIX, get_holds)
    app.router.add_post(PREFIX + "/{signal_id}", post_hold)
    app.router.add_delete(PREFIX + "/{signal_id}", delete_hold)


async def get_holds(request: web.Request) -> web.Response:
    require(request[ACCOUNT], Permission.LEGAL_HOLD)
    today = request.app[HOLDS_CLOCK].now().date()
    holds = await request.app[HOLDS_STORE].legal_holds(limit=MAX_LISTED_HOLDS + 1)
    return json_response(
        {
            "holds": [hold_json(hold, today) for hold in holds[:MAX_LISTED_HOLDS]],
            "more": len(holds) > MAX_LISTED_HOLDS,
        }
    )


async def post_hold(request: web.Request) -> web.Response:
    account = request[ACCOUNT]
    require(account, Permission.LEGAL_HOLD)
    body = await object_body(request, members=HOLD_MEMBERS)
    given = {name: body.get(name) for name in HOLD_MEMBERS}
    for name, value in given.items():
        if not isinstance(value, str):
            raise BodyShapeInvalid(members=", ".join(HOLD_MEMBERS), pointer=f"/{name}")
    clock = request.app[HOLDS_CLOCK]
    hold = await place_hold(
        request.app[HOLDS_STORE],
        clock,
        signal_id=request.match_info["signal_id"],
        reason=str(given["reason"]),
        review_on=review_day(str(given["review_on"])),
        by=refs.staff(account.id),
    )
    return json_response(hold_json(hold, clock.now().date()), status=201)


async def delete_hold(request: web.Request) -> web.Response:
    account = request[ACCOUNT]
    require(account, Permission.LEGAL_HOLD)
    await lift_hold(
        request.app[HOLDS_STORE],
        signal_id=request.match_info["signal_id"],
        by=refs.staff(account.id),
    )
    return web.Response(status=204)
