"""The HTTP API: routes, middlewares and the handlers that call the pipeline.

Handlers do HTTP and nothing else; the work is in :mod:`gateway.intake`. Every error
becomes an RFC 9457 document in exactly one place, :func:`edge_middleware`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from gateway import problems
from gateway.audit import AuditEvent, EventKind
from gateway.errors import (
    BodyTooLarge,
    ClientError,
    EuregateError,
    InternalError,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    UnsupportedMediaType,
)
from gateway.i18n import negotiate
from gateway.intake import Intake, Receipt
from gateway.logs import get_logger
from gateway.partners import Partner, admit
from gateway.store import Store

STORE = web.AppKey("store", Store)
INTAKE = web.AppKey("intake", Intake)
MAX_BODY = web.AppKey("max_body", int)
PARTNER = web.RequestKey("partner", Partner)
REQUEST_ID = web.RequestKey("request_id", str)
LANGUAGE = web.RequestKey("language", str)
REGISTRY: web.RequestKey[tuple[Partner, ...]] = web.RequestKey("registry")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
dumps = functools.partial(json.dumps, ensure_ascii=False)
log = get_logger("euregate.http")


def create_app(*, store: Store, intake: Intake, max_body_bytes: int) -> web.Application:
    app = web.Application(
        middlewares=[edge_middleware, authenticate_middleware],
        client_max_size=max_body_bytes,
    )
    app[STORE] = store
    app[INTAKE] = intake
    app[MAX_BODY] = max_body_bytes
    app.router.add_post("/v1/signals", post_signal)
    app.router.add_get("/v1/signals/{signal_id}", get_signal)
    app.router.add_post("/v1/policy/explain", post_explain)
    return app


@web.middleware
async def edge_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request id, language, one log line per request, and every error as a problem document."""
    request_id = uuid.uuid4().hex
    request[REQUEST_ID] = request_id
    request[LANGUAGE] = negotiate(request.headers.get("Accept-Language"))
    started = time.perf_counter()
    with structlog.contextvars.bound_contextvars(request_id=request_id):
        response = await _answer(request, handler)
        partner = request.get(PARTNER)
        log.info(
            "request",
            method=request.method,
            path=request.rel_url.path,
            status=response.status,
            partner=partner.id if partner else None,
            ms=round((time.perf_counter() - started) * 1000, 2),
        )
    response.headers["X-Request-Id"] = request_id
    return response


async def _answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except EuregateError as error:
        return _problem(request, error)
    except web.HTTPException as exc:
        if exc.status < 400:
            return exc
        return _problem(request, _from_http(exc, request))
    except Exception as exc:  # noqa: BLE001 - the one place where the unexpected is caught
        log.error(  # noqa: TRY400 - a traceback's messages may quote personal data
            "internal_error",
            error_type=type(exc).__name__,
            where=_where(exc),
        )
        return _problem(request, InternalError())


def _from_http(exc: web.HTTPException, request: web.Request) -> EuregateError:
    if exc.status == 404:
        return NotFound()
    if exc.status == 405:
        return MethodNotAllowed(method=request.method)
    if exc.status == 413:
        return BodyTooLarge(limit=request.app[MAX_BODY])
    return InternalError() if exc.status >= 500 else ClientError()


def _where(exc: BaseException) -> str:
    """File and line where an exception arose, without its message (which may quote data)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"


def _problem(request: web.Request, error: EuregateError) -> web.Response:
    document = problems.problem_document(
        error,
        language=request[LANGUAGE],
        instance=request.rel_url.path,
        request_id=request[REQUEST_ID],
    )
    if isinstance(error, ClientError):
        log.info(
            "refused",
            kind=error.kind,
            status=error.status,
            codes=sorted({issue.code for issue in error.issues}),
        )
    response = web.json_response(
        document, status=error.status, content_type=problems.MEDIA_TYPE, dumps=dumps
    )
    response.headers["Content-Language"] = request[LANGUAGE]
    return response


@web.middleware
async def authenticate_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    fingerprint = peer_fingerprint(request)
    store = request.app[STORE]
    admission = await store.admission(fingerprint)
    request[REGISTRY] = admission.registry
    try:
        request[PARTNER] = admit(admission.partner, admission.certificate)
    except NotAuthenticated as refusal:
        await store.record(
            AuditEvent(
                EventKind.AUTHENTICATION_REFUSED,
                actor=f"certificate:{fingerprint}",
                data={"reason": str(refusal.params["reason"]), "path": request.rel_url.path},
            )
        )
        raise
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
    intake = request.app[INTAKE]
    try:
        _check_media_type(request)
        if request.content_length is not None and request.content_length > request.app[MAX_BODY]:
            raise BodyTooLarge(limit=request.app[MAX_BODY])
        try:
            return await request.read()
        except web.HTTPRequestEntityTooLarge as exc:
            raise BodyTooLarge(limit=request.app[MAX_BODY]) from exc
    except ClientError as error:
        await intake.refused(request[PARTNER], error)
        raise


async def post_signal(request: web.Request) -> web.Response:
    body = await _signal_body(request)
    registry: tuple[Partner, ...] = request[REGISTRY]
    receipt = await request.app[INTAKE].receive(request[PARTNER], body, registry=registry)
    response = web.json_response(
        receipt.as_json(request[LANGUAGE]), status=200 if receipt.replayed else 202, dumps=dumps
    )
    response.headers["Location"] = f"/v1/signals/{receipt.signal.id}"
    return response


async def post_explain(request: web.Request) -> web.Response:
    """A dry run: what posting this signal would decide for each recipient, and why."""
    body = await _signal_body(request)
    registry: tuple[Partner, ...] = request[REGISTRY]
    decisions = await request.app[INTAKE].explain(request[PARTNER], body, registry=registry)
    return web.json_response(
        {
            "policy_sha256": decisions[0].policy_digest,
            "decisions": [decision.as_json() for decision in decisions],
        },
        dumps=dumps,
    )


def _check_media_type(request: web.Request) -> None:
    charset = request.charset
    if request.content_type != "application/json" or (charset and charset.lower() != "utf-8"):
        received = request.headers.get("Content-Type", "")[:100]
        raise UnsupportedMediaType(received=received or "none")


async def get_signal(request: web.Request) -> web.Response:
    stored = await request.app[INTAKE].status(request[PARTNER], request.match_info["signal_id"])
    if stored is None:
        raise NotFound()
    receipt = Receipt(stored, replayed=True).as_json(request[LANGUAGE])
    return web.json_response(receipt, dumps=dumps)
