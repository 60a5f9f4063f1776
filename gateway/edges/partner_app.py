"""The partners' HTTP API: identity from the TLS handshake, routes, and handlers that call
the pipeline. Handlers do HTTP and nothing else; the work is in :mod:`gateway.flow.intake`.
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Callable
from dataclasses import replace

from aiohttp import web

from gateway.contract.partners import Partner, admit
from gateway.edges.http import (
    ACTOR,
    LANGUAGE,
    MAX_BODY,
    Handler,
    client_gone,
    dumps,
    edge_middleware,
    model_response,
    query_int,
    query_middleware,
    read_body,
)
from gateway.edges.openapi_models import (
    Acknowledged,
    Decision,
    Discovery,
    DiscoveryLinks,
    Explanation,
    GatewayKey,
    GatewayKeys,
    Requests,
    TrackedRequest,
    Withdrawn,
)
from gateway.edges.openapi_serving import MESSAGE_SCHEMA_PATH, OPENAPI_PATH, SIGNAL_SCHEMA_PATH
from gateway.edges.refusals import REFUSALS
from gateway.flow import requests as tracked_requests
from gateway.flow.inbox import MAX_LIMIT, MAX_WAIT, Inbox, Standing, inbox_entry
from gateway.flow.intake import Intake, Receipt
from gateway.flow.partner_limits import PartnerLimits
from gateway.flow.tracking import SenderView, sender_view
from gateway.flow.withdrawal import REPLACED, reason_of, withdraw, withdrawal_json
from gateway.infra.audit import timestamp
from gateway.infra.clock import Clock
from gateway.infra.errors import (
    ClientError,
    ClientGone,
    NotFound,
)
from gateway.infra.seal import ENVELOPE_VERSION, Suite
from gateway.store import SENT_PAGE_MAX, Store
from gateway.transparency.log import TransparencyLog

STORE = web.AppKey("store", Store)
CLOCK = web.AppKey("clock", Clock)
INTAKE = web.AppKey("intake", Intake)
INBOX = web.AppKey("inbox", Inbox)
LIMITS = web.AppKey("limits", PartnerLimits)
TRANSPARENCY = web.AppKey("transparency", TransparencyLog)
GATEWAY_ID = web.AppKey("gateway_id", str)
ON_WITHDRAWN: web.AppKey[Callable[[], None]] = web.AppKey("on_withdrawn")
GATEWAY_KEYS_PATH = "/v1/gateway/keys"
PARTNER = web.RequestKey("partner", Partner)
REGISTRY: web.RequestKey[tuple[Partner, ...]] = web.RequestKey("registry")


def create_app(
    *,
    store: Store,
    clock: Clock,
    intake: Intake,
    inbox: Inbox,
    limits: PartnerLimits,
    max_body_bytes: int,
    transparency: TransparencyLog,
    gateway_id: str,
    on_withdrawn: Callable[[], None] = lambda: None,
) -> web.Application:
    app = web.Application(
        middlewares=[edge_middleware, authenticate_middleware, query_middleware],
        client_max_size=max_body_bytes,
    )
    app[STORE] = store
    app[CLOCK] = clock
    app[INTAKE] = intake
    app[INBOX] = inbox
    app[LIMITS] = limits
    app[TRANSPARENCY] = transparency
    app[MAX_BODY] = max_body_bytes
    app[GATEWAY_ID] = gateway_id
    app[ON_WITHDRAWN] = on_withdrawn
    app.router.add_get("/v1", get_discovery)
    app.router.add_post("/v1/signals", post_signal)
    app.router.add_get("/v1/signals", get_signals)
    app.router.add_get("/v1/signals/{signal_id}", get_signal)
    app.router.add_post("/v1/signals/{signal_id}/withdraw", post_withdraw)
    app.router.add_post("/v1/signals/{signal_id}/versions", post_version)
    app.router.add_post("/v1/policy/explain", post_explain)
    app.router.add_get(GATEWAY_KEYS_PATH, get_gateway_keys)
    app.router.add_get("/v1/inbox", get_inbox)
    app.router.add_post("/v1/inbox/{envelope_id}/ack", post_ack)
    app.router.add_get("/v1/requests", get_requests)
    return app


@web.middleware
async def authenticate_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The partner from the client certificate. A refused certificate is counted per address
    and summarised, not written one by one; an address with too many refusals is answered
    429 before anything is looked up (:mod:`gateway.edges.refusals`)."""
    fingerprint = peer_fingerprint(request)
    screening = request.app[REFUSALS].screening(request.remote or "", credential=fingerprint)
    async with screening:
        admission = await request.app[STORE].admission(fingerprint)
        request[PARTNER] = admit(admission.partner, admission.certificate)
    request[REGISTRY] = admission.registry
    request[ACTOR] = request[PARTNER].id
    return await handler(request)


def peer_fingerprint(request: web.Request) -> str | None:
    """SHA-256 of the client certificate from the TLS handshake; the only source of identity."""
    transport = request.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if not isinstance(ssl_object, ssl.SSLObject | ssl.SSLSocket):
        return None
    der = ssl_object.getpeercert(binary_form=True)
    return hashlib.sha256(der).hexdigest() if der else None


async def _signal_body(request: web.Request) -> bytes:
    """The posted body, once it has passed the media-type and size checks (refusals audited)."""
    try:
        return await read_body(request)
    except ClientError as error:
        await request.app[INTAKE].refused(request[PARTNER], error)
        raise


async def post_signal(request: web.Request) -> web.Response:
    return await _receipt_response(request, await _received(request))


async def post_version(request: web.Request) -> web.Response:
    """A rectification: a new signal, validated and decided like any, that replaces the
    caller's own signal; the old one's recipients that got it are sent a notice naming the
    new version (a signal replaced or withdrawn before stays as it was)."""
    old = await request.app[STORE].signal(request.match_info["signal_id"])
    if old is None or old.sender_id != request[PARTNER].id:
        raise NotFound()
    receipt = await _received(request)
    if receipt.signal.id != old.id:
        await withdraw(
            request.app[STORE], old.sender_id, old.id, REPLACED, replaced_by=receipt.signal.id
        )
        request.app[ON_WITHDRAWN]()
    return await _receipt_response(request, receipt)


async def _received(request: web.Request) -> Receipt:
    async with request.app[LIMITS].admit(request[PARTNER].id, request.content_length):
        body = await _signal_body(request)
        registry: tuple[Partner, ...] = request[REGISTRY]
        return await request.app[INTAKE].receive(request[PARTNER], body, registry=registry)


async def _receipt_response(request: web.Request, receipt: Receipt) -> web.Response:
    if receipt.view is None:  # a replay, or another path: the copies may have gone on since
        views = await _sender_views(request, [receipt.signal.id])
        receipt = replace(receipt, view=views.get(receipt.signal.id))
    response = web.json_response(
        receipt.as_json(request[LANGUAGE]), status=200 if receipt.replayed else 202, dumps=dumps
    )
    response.headers["Location"] = f"/v1/signals/{receipt.signal.id}"
    return response


async def post_explain(request: web.Request) -> web.Response:
    """A dry run: what posting this signal would decide for each recipient, and why."""
    async with request.app[LIMITS].admit(request[PARTNER].id, request.content_length):
        body = await _signal_body(request)
        registry: tuple[Partner, ...] = request[REGISTRY]
        decisions = await request.app[INTAKE].explain(request[PARTNER], body, registry=registry)
    explanation = Explanation(
        policy_sha256=decisions[0].policy_digest,
        decisions=[Decision.model_validate(decision.as_json()) for decision in decisions],
    )
    return model_response(explanation)


async def get_signal(request: web.Request) -> web.Response:
    """The receipt again, with each recipient's copy as it stands now; once the signal's
    audit entry is in a checkpoint, with that checkpoint and the entry's inclusion proof."""
    stored = await request.app[INTAKE].status(request[PARTNER], request.match_info["signal_id"])
    if stored is None:
        raise NotFound()
    proven = await request.app[TRANSPARENCY].leaf(stored)
    view = (await _sender_views(request, [stored.id])).get(stored.id)
    receipt = Receipt(stored, replayed=True, proven=proven, view=view)
    return web.json_response(receipt.as_json(request[LANGUAGE]), dumps=dumps)


async def post_withdraw(request: web.Request) -> web.Response:
    """Withdraw the caller's own signal (LED art. 7(3)): its recipients are sent notices by
    the courier. A second withdrawal answers the first's result."""
    reason = reason_of(await read_body(request))
    withdrawn = await withdraw(
        request.app[STORE], request[PARTNER].id, request.match_info["signal_id"], reason
    )
    if withdrawn is None:
        raise NotFound()
    request.app[ON_WITHDRAWN]()
    return model_response(Withdrawn.model_validate(withdrawal_json(withdrawn)))


async def get_signals(request: web.Request) -> web.Response:
    """The caller's own signals, newest first, each with its copies' states; ``after`` is
    the ``cursor`` of the page before (none: from the newest), ``cursor`` is null on the last
    page."""
    after = query_int(request.query, "after", default=0, low=0, high=2**62)
    limit = query_int(request.query, "limit", default=50, low=1, high=SENT_PAGE_MAX)
    store = request.app[STORE]
    found = await store.sent_signals(request[PARTNER].id, before=after, limit=limit + 1)
    page = found[:limit]
    views = await _sender_views(request, [signal.id for signal in page])
    listed = [
        {
            "signal_id": signal.id,
            "sender_reference": signal.sender_reference,
            "received_at": timestamp(signal.received_at),
            **views[signal.id].as_json(request[LANGUAGE]),
        }
        for signal in page
    ]
    cursor = page[-1].position if len(found) > limit else None
    return web.json_response({"signals": listed, "cursor": cursor}, dumps=dumps)


async def _sender_views(request: web.Request, signal_ids: list[str]) -> dict[str, SenderView]:
    """What became of the caller's ``signal_ids`` (its own: the caller checked), by id."""
    tracks = await request.app[STORE].signal_tracks(signal_ids)
    now = request.app[CLOCK].now()
    return {track.signal_id: sender_view(track, now) for track in tracks}


async def get_discovery(request: web.Request) -> web.Response:
    """What a partner's software needs to begin: the API version, which gateway this is, the
    suites its keys may use, and where the API's description and the signing keys are."""
    return model_response(
        Discovery(
            api_version="v1",
            gateway_id=request.app[GATEWAY_ID],
            suites=[suite.value for suite in Suite],
            envelope_version=ENVELOPE_VERSION,
            links=DiscoveryLinks(
                openapi=OPENAPI_PATH,
                signal_schema=SIGNAL_SCHEMA_PATH,
                message_schema=MESSAGE_SCHEMA_PATH,
                gateway_keys=GATEWAY_KEYS_PATH,
            ),
        )
    )


async def get_gateway_keys(request: web.Request) -> web.Response:
    """The gateway's public signing keys by id, retired ones too, to verify envelopes offline."""
    keys = await request.app[STORE].gateway_keys()
    return model_response(GatewayKeys(keys=[GatewayKey.model_validate(k.as_json()) for k in keys]))


async def get_inbox(request: web.Request) -> web.Response:
    """The caller's unacknowledged envelopes after ``after``, oldest first; long-polls up to
    ``wait`` seconds when there are none."""
    after = query_int(request.query, "after", default=0, low=0, high=2**62)
    limit = query_int(request.query, "limit", default=100, low=1, high=MAX_LIMIT)
    wait = query_int(request.query, "wait", default=0, low=0, high=MAX_WAIT)
    fetched = await request.app[INBOX].fetch(
        request[PARTNER], after=after, limit=limit, wait=wait, standing=_standing(request)
    )
    return web.json_response(
        {
            "envelopes": [inbox_entry(item) for item in fetched.envelopes],
            "cursor": fetched.cursor,
        },
        dumps=dumps,
    )


def _standing(request: web.Request) -> Standing:
    """The caller's admission asked anew (a long-poll asks it after waiting): the client has
    not gone, its certificate is not revoked, and its partner is neither suspended nor
    revoked, whichever process changed the registry."""
    fingerprint = peer_fingerprint(request)
    store = request.app[STORE]

    async def standing() -> None:
        if client_gone(request):
            raise ClientGone()
        admission = await store.admission(fingerprint)
        admit(admission.partner, admission.certificate)

    return standing


async def post_ack(request: web.Request) -> web.Response:
    acknowledged = await request.app[INBOX].acknowledge(
        request[PARTNER], request.match_info["envelope_id"]
    )
    if acknowledged is None:
        raise NotFound()
    acked_at = acknowledged.acked_at
    return model_response(
        Acknowledged(
            id=acknowledged.id, acknowledged_at=None if acked_at is None else timestamp(acked_at)
        )
    )


async def get_requests(request: web.Request) -> web.Response:
    """Requests for information the caller sent or was sent, by ``state`` (open, overdue,
    answered), each with its time left or overdue; earliest deadline first."""
    state = tracked_requests.parse_state(request.query.get("state"))
    now = request.app[CLOCK].now()
    found = await request.app[STORE].requests(state, now=now, viewer=request[PARTNER].id)
    listed = [tracked_requests.status(item, now).as_json() for item in found]
    return model_response(
        Requests(
            state=state,
            now=timestamp(now),
            requests=[TrackedRequest.model_validate(item) for item in listed],
        )
    )
