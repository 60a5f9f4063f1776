"""Restriction of processing over the staff listener: compliance staff list the restrictions
in force, restrict processing for a person named as a lookup names them, and lift a
restriction with its decision (:mod:`gateway.flow.restriction`). Each handler checks
:attr:`~gateway.staff.Permission.SUBJECT_RESTRICT`, which only compliance staff have; placing
and lifting are audited under the person's staff id."""

from __future__ import annotations

from typing import Final

from aiohttp import web

from gateway.edges.http import json_response
from gateway.edges.staff_app import ACCOUNT, object_body
from gateway.flow.restriction import (
    DECISIONS,
    MAX_LISTED_RESTRICTIONS,
    Restrictions,
    due_day,
    restriction_json,
)
from gateway.infra.audit import refs
from gateway.infra.clock import Clock
from gateway.infra.errors import BodyShapeInvalid, QueryInvalid
from gateway.staff import Permission, require
from gateway.store import Store

PREFIX: Final = "/v1/restrictions"
PERSON_MEMBERS: Final = ("identifier", "family_name", "date_of_birth")
RESTRICTION_MEMBERS: Final = (*PERSON_MEMBERS, "reason", "note", "due_on")
REQUIRED_MEMBERS: Final = ("reason", "due_on")
RESTRICTIONS = web.AppKey("restrictions", Restrictions)
RESTRICTIONS_STORE = web.AppKey("restrictions_store", Store)
RESTRICTIONS_CLOCK = web.AppKey("restrictions_clock", Clock)


def add_restriction_routes(
    app: web.Application, restrictions: Restrictions, store: Store, clock: Clock
) -> None:
    app[RESTRICTIONS] = restrictions
    app[RESTRICTIONS_STORE] = store
    app[RESTRICTIONS_CLOCK] = clock
    app.router.add_get(PREFIX, get_restrictions)
    app.router.add_post(PREFIX, post_restriction)
    app.router.add_delete(PREFIX + "/{restriction_id}", delete_restriction)


async def get_restrictions(request: web.Request) -> web.Response:
    require(request[ACCOUNT], Permission.SUBJECT_RESTRICT)
    today = request.app[RESTRICTIONS_CLOCK].now().date()
    listed = await request.app[RESTRICTIONS_STORE].active_restrictions(
        limit=MAX_LISTED_RESTRICTIONS + 1
    )
    return json_response(
        {
            "restrictions": [restriction_json(r, today) for r in listed[:MAX_LISTED_RESTRICTIONS]],
            "more": len(listed) > MAX_LISTED_RESTRICTIONS,
        }
    )


async def post_restriction(request: web.Request) -> web.Response:
    account = request[ACCOUNT]
    require(account, Permission.SUBJECT_RESTRICT)
    body = await object_body(request, members=RESTRICTION_MEMBERS)
    for name in RESTRICTION_MEMBERS:
        value = body.get(name)
        if (name in REQUIRED_MEMBERS or value is not None) and not isinstance(value, str):
            raise BodyShapeInvalid(members=", ".join(RESTRICTION_MEMBERS), pointer=f"/{name}")
    restriction = await request.app[RESTRICTIONS].restrict(
        by=refs.staff(account.id),
        reason=body["reason"],
        note=body.get("note") or "",
        due_on=due_day(body["due_on"]),
        identifier=body.get("identifier"),
        family_name=body.get("family_name"),
        date_of_birth=body.get("date_of_birth"),
    )
    today = request.app[RESTRICTIONS_CLOCK].now().date()
    return json_response(restriction_json(restriction, today), status=201)


async def delete_restriction(request: web.Request) -> web.Response:
    account = request[ACCOUNT]
    require(account, Permission.SUBJECT_RESTRICT)
    decision = request.query.get("decision", "")
    if decision not in DECISIONS:
        raise QueryInvalid(parameter="decision", expected=", ".join(DECISIONS))
    lifted = await request.app[RESTRICTIONS].lift(
        request.match_info["restriction_id"], by=refs.staff(account.id), decision=decision
    )
    today = request.app[RESTRICTIONS_CLOCK].now().date()
    shown = restriction_json(lifted.restriction, today)
    shown["released"] = lifted.signals
    return json_response(shown)
