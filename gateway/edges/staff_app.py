"""The staff listener's HTTP API: people and their scripts, signed in by API token.

It listens apart from the partners' listener, with TLS but without client certificates:
a person is identified by a Bearer token issued with ``euregate staff token issue``, never
by a certificate or anything in the body. Every handler names the permission it needs;
the desk decides what an officer may see (:mod:`gateway.flow.desk`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from gateway.contract import json_pointer
from gateway.contract.validate import parse_json
from gateway.decide.review import RejectionCategory
from gateway.edges.etranslation_callbacks import is_callback
from gateway.edges.http import (
    ACTOR,
    API_PREFIX,
    LANGUAGE,
    MAX_BODY,
    Handler,
    edge_middleware,
    json_response,
    query_middleware,
    read_body,
)
from gateway.edges.refusals import REFUSALS, RefusalLedger, summarising
from gateway.flow.desk import ReviewDesk, item_json
from gateway.flow.memory_desk import MemoryDesk
from gateway.infra.errors import BodyShapeInvalid
from gateway.registry.auth import Authenticator
from gateway.staff import StaffAccount

DESK = web.AppKey("desk", ReviewDesk)
MEMORY = web.AppKey("memory", MemoryDesk)
AUTHENTICATOR = web.AppKey("authenticator", Authenticator)
ACCOUNT = web.RequestKey("account", StaffAccount)
MAX_STAFF_BODY = 256 * 1024
ACCOUNT_LANGUAGE = "account-language"
"""The preference (``Prefer``) for the account's language over ``Accept-Language``, which
then says only the language of a refusal before the token is known."""


def create_staff_app(
    *, desk: ReviewDesk, authenticator: Authenticator, refusals: RefusalLedger
) -> web.Application:
    app = web.Application(
        middlewares=[edge_middleware, token_middleware, query_middleware],
        client_max_size=MAX_STAFF_BODY,
    )
    app[DESK] = desk
    app[AUTHENTICATOR] = authenticator
    app[REFUSALS] = refusals
    app.cleanup_ctx.append(summarising(refusals))
    app.on_cleanup.append(_close_authenticator)
    app[MAX_BODY] = MAX_STAFF_BODY
    app.router.add_get("/v1/review", get_queue)
    app.router.add_get("/v1/review/{item_id}", get_item)
    app.router.add_post("/v1/review/{item_id}/release", post_release)
    app.router.add_post("/v1/review/{item_id}/reject", post_reject)
    return app


async def _close_authenticator(app: web.Application) -> None:
    await asyncio.to_thread(app[AUTHENTICATOR].close)


@web.middleware
async def token_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The API (``/v1/``) answers API tokens only, in the account's language unless the request
    asks for another (``Accept-Language`` without ``Prefer: account-language``, RFC 7240);
    other paths (the web pages) sign people in their own way, and eTranslation's callbacks
    carry a token of their own (:mod:`gateway.edges.etranslation_callbacks`). Refusals are
    counted per address, not written one by one, and an address with too many is answered 429
    before its token is looked up (:mod:`gateway.edges.refusals`)."""
    if not request.path.startswith(API_PREFIX) or is_callback(request.path):
        return await handler(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else ""
    async with request.app[REFUSALS].screening(request.remote or ""):
        account = await request.app[AUTHENTICATOR].authenticate_token(bearer)
    request[ACCOUNT] = account
    request[ACTOR] = f"staff:{account.id}"
    asked = request.headers.get("Accept-Language")
    if asked is None or ACCOUNT_LANGUAGE in request.headers.get("Prefer", ""):
        request[LANGUAGE] = account.language
    response = await handler(request)
    response.headers["Content-Language"] = request[LANGUAGE]
    return response


async def get_queue(request: web.Request) -> web.Response:
    items = await request.app[DESK].queue(request[ACCOUNT])
    language = request[LANGUAGE]
    return json_response({"items": [item_json(item, language) for item in items]})


async def get_item(request: web.Request) -> web.Response:
    case = await request.app[DESK].open(request[ACCOUNT], request.match_info["item_id"])
    return json_response(case.as_json(request[LANGUAGE]))


async def post_release(request: web.Request) -> web.Response:
    body = await object_body(request, members=RELEASE_MEMBERS)
    corrections = body.get("corrections", {})
    if not isinstance(corrections, dict):
        raise BodyShapeInvalid(members="corrections", pointer="/corrections")
    for pointer, text in corrections.items():
        if not isinstance(text, str):
            raise BodyShapeInvalid(
                members="corrections", pointer=json_pointer.join("corrections", pointer)
            )
    item = await request.app[DESK].release(
        request[ACCOUNT],
        request.match_info["item_id"],
        corrections,
        as_written=_pointers(body, "as_written"),
        withheld=_pointers(body, "withheld"),
    )
    return json_response(item_json(item, request[LANGUAGE]))


RELEASE_MEMBERS = ("corrections", "as_written", "withheld")


def _pointers(body: Mapping[str, Any], member: str) -> list[str]:
    """The list of JSON pointers at ``member`` of a release (none when absent)."""
    given = body.get(member, [])
    if not isinstance(given, list):
        raise BodyShapeInvalid(members=", ".join(RELEASE_MEMBERS), pointer=f"/{member}")
    for index, pointer in enumerate(given):
        if not isinstance(pointer, str):
            raise BodyShapeInvalid(
                members=", ".join(RELEASE_MEMBERS), pointer=json_pointer.join(member, index)
            )
    return given


REJECT_MEMBERS = ("reason", "category")


async def post_reject(request: web.Request) -> web.Response:
    body = await object_body(request, members=REJECT_MEMBERS)
    reason, category = body.get("reason"), body.get("category")
    if not isinstance(reason, str):
        raise BodyShapeInvalid(members=", ".join(REJECT_MEMBERS), pointer="/reason")
    if not isinstance(category, str) or category not in set(RejectionCategory):
        raise BodyShapeInvalid(members=", ".join(REJECT_MEMBERS), pointer="/category")
    item = await request.app[DESK].reject(
        request[ACCOUNT], request.match_info["item_id"], reason, RejectionCategory(category)
    )
    return json_response(item_json(item, request[LANGUAGE]))


def add_memory_routes(app: web.Application, memory: MemoryDesk) -> None:
    """The desk's translation memory: ``GET /v1/memory`` lists what the officer's desk taught
    it, ``POST /v1/memory/{entry_id}/confirm`` confirms another officer's entry."""
    app[MEMORY] = memory
    app.router.add_get("/v1/memory", get_memory)
    app.router.add_post("/v1/memory/{entry_id}/confirm", post_memory_confirm)


async def get_memory(request: web.Request) -> web.Response:
    entries = await request.app[MEMORY].entries(request[ACCOUNT])
    return json_response({"entries": [entry.as_json() for entry in entries]})


async def post_memory_confirm(request: web.Request) -> web.Response:
    entry = await request.app[MEMORY].confirm(request[ACCOUNT], request.match_info["entry_id"])
    return json_response(entry.as_json())


async def object_body(request: web.Request, *, members: tuple[str, ...]) -> Mapping[str, Any]:
    document = parse_json(await read_body(request))
    if not isinstance(document, dict):
        raise BodyShapeInvalid(members=", ".join(members), pointer="")
    for name in document:
        if name not in members:
            raise BodyShapeInvalid(members=", ".join(members), pointer=json_pointer.join(name))
    return document
