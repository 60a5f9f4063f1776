"""What every Euregate listener shares: request ids, language, one log line, problem documents.

Every error becomes an RFC 9457 document in exactly one place, :func:`edge_middleware`.
Every answer names the server only as ``Euregate``, and every answer of the JSON APIs
(``/v1/``) and every problem document is ``Cache-Control: no-store``.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Final, Protocol, TypeVar, runtime_checkable

import structlog
from aiohttp import web
from multidict import MultiDictProxy
from pydantic import BaseModel

from gateway.edges import problems
from gateway.infra.errors import (
    BodyTimeout,
    BodyTooLarge,
    ClientError,
    ClientGone,
    EuregateError,
    InternalError,
    MethodNotAllowed,
    NotFound,
    QueryInvalid,
    QueryUnknown,
    UnsupportedMediaType,
)
from gateway.infra.i18n import negotiate
from gateway.infra.logs import get_logger, quoted

MAX_BODY = web.AppKey("max_body", int)
REQUEST_ID = web.RequestKey("request_id", str)
LANGUAGE = web.RequestKey("language", str)
ACTOR = web.RequestKey("actor", str)
LOGGED_PATH = web.RequestKey("logged_path", str)
"""The path the request's log line shows, when the path holds a secret (a callback token)."""
"""Who the request speaks for, for the log line: a partner id or a staff id."""
QUERY_PARAMETERS: web.AppKey[Mapping[tuple[str, str], tuple[str, ...]]] = web.AppKey(
    "query_parameters"
)
"""The query parameters each route of a JSON API takes, by method and path."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
T = TypeVar("T")
dumps = functools.partial(json.dumps, ensure_ascii=False)
log = get_logger("euregate.http")
SERVER_NAME: Final = "Euregate"
API_PREFIX: Final = "/v1/"


@runtime_checkable
class Connection(Protocol):
    """What a listener's connection (:mod:`gateway.edges.listener`) learns from the requests it
    carries, and the deadline it sets for a request's body."""

    body_deadline: float | None

    @property
    def body_timeout(self) -> float: ...

    def request_started(self) -> None: ...

    def request_finished(self) -> None: ...


def connection_of(request: web.BaseRequest) -> Connection | None:
    """The listener's connection under ``request``; None when it is gone, or when the
    request did not come through a :class:`gateway.edges.listener.GatedSite`."""
    transport = request.transport
    protocol = transport.get_protocol() if transport is not None else None
    return protocol if isinstance(protocol, Connection) else None


def client_gone(request: web.BaseRequest) -> bool:
    """Whether the client has closed the connection the request came on."""
    transport = request.transport
    return transport is None or transport.is_closing()


def json_response(data: object, *, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=dumps)


def model_response(model: BaseModel, *, status: int = 200) -> web.Response:
    """An answer built from its model (:mod:`gateway.edges.openapi_models`): what goes out is
    what the OpenAPI documents describe."""
    return json_response(model.model_dump(mode="json", by_alias=True), status=status)


@web.middleware
async def edge_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request id, language, one log line per request, and every error as a problem document."""
    request_id = uuid.uuid4().hex
    request[REQUEST_ID] = request_id
    request[LANGUAGE] = negotiate(request.headers.get("Accept-Language"))
    started = time.perf_counter()
    connection = connection_of(request)
    if connection is not None:
        connection.request_started()
    try:
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            response = await _answer(request, handler)
            log.info(
                "request",
                method=quoted(request.method, limit=16),
                path=quoted(request.get(LOGGED_PATH, request.rel_url.path)),
                status=response.status,
                actor=request.get(ACTOR),
                ms=round((time.perf_counter() - started) * 1000, 2),
            )
    finally:
        if connection is not None:
            connection.request_finished()
    response.headers["X-Request-Id"] = request_id
    response.headers["Server"] = SERVER_NAME
    if request.path.startswith(API_PREFIX) or response.content_type == problems.MEDIA_TYPE:
        response.headers["Cache-Control"] = "no-store"
    return response


async def _answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except EuregateError as error:
        return _problem(request, error)
    except web.HTTPException as exc:
        if exc.status < 400:
            return exc
        return _problem(request, error_from_http(exc, request, body_limit=request.app[MAX_BODY]))
    except ConnectionError as exc:
        if not client_gone(request):
            return _internal_error(request, exc)
        return _problem(request, ClientGone())
    except Exception as exc:  # noqa: BLE001 - the one place where the unexpected is caught
        return _internal_error(request, exc)


def _internal_error(request: web.Request, exc: Exception) -> web.Response:
    log.error("internal_error", error_type=type(exc).__name__, where=_where(exc))
    return _problem(request, InternalError())


def error_from_http(
    exc: web.HTTPException, request: web.Request, *, body_limit: int | None = None
) -> EuregateError:
    """The error an aiohttp answer of 400 or more stands for: not found, method not allowed,
    a body over ``body_limit`` (when given; else a bad request like any other 4xx), or an
    internal error."""
    if exc.status == 404:
        return NotFound()
    if exc.status == 405:
        allowed = exc.allowed_methods if isinstance(exc, web.HTTPMethodNotAllowed) else ()
        return MethodNotAllowed(method=request.method, allowed=sorted(allowed))
    if exc.status == 413 and body_limit is not None:
        return BodyTooLarge(limit=body_limit)
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
    if error.status == 408:
        response.force_close()  # the rest of the body may still be on its way
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="euregate"'
    if isinstance(error, MethodNotAllowed) and error.allowed:
        response.headers["Allow"] = ", ".join(error.allowed)
    retry_after = error.extensions().get("retry_after")
    if isinstance(retry_after, int):
        response.headers["Retry-After"] = str(retry_after)
    return response


@web.middleware
async def query_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a query parameter the route does not take (:class:`QueryUnknown`), as the
    application's :data:`QUERY_PARAMETERS` say; routes not listed there are let through."""
    route = request.match_info.route
    takes = request.app.get(QUERY_PARAMETERS, {})
    known = (
        None if route.resource is None else takes.get((request.method, route.resource.canonical))
    )
    if known is not None:
        for name in request.query:
            if name not in known:
                raise QueryUnknown(parameter=name, known=known)
    return await handler(request)


def query_int(query: Mapping[str, str], name: str, *, default: int, low: int, high: int) -> int:
    """The query parameter ``name`` as a whole number from ``low`` to ``high`` (ASCII digits
    only), ``default`` when absent; :class:`QueryInvalid` naming it otherwise."""
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise QueryInvalid(parameter=name, expected=f"{low}\u2013{high}")
    return int(raw)


def check_json_media_type(request: web.Request) -> None:
    charset = request.charset
    if request.content_type != "application/json" or (charset and charset.lower() != "utf-8"):
        received = request.headers.get("Content-Type", "")[:100]
        raise UnsupportedMediaType(received=received or "none")


async def read_body(request: web.Request) -> bytes:
    """The posted JSON body's bytes, once it has passed the media-type and size checks."""
    check_json_media_type(request)
    limit = request.app[MAX_BODY]
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge(limit=limit)
    try:
        return await in_time(request, request.read())
    except web.HTTPRequestEntityTooLarge as exc:
        raise BodyTooLarge(limit=limit) from exc


async def read_form(
    request: web.Request,
) -> MultiDictProxy[str | bytes | bytearray | web.FileField]:
    """A posted form, once its body has arrived within the listener's body timeout."""
    return await in_time(request, request.post())


async def in_time(request: web.BaseRequest, reading: Awaitable[T]) -> T:
    """``reading`` (of the request's body), or :class:`BodyTimeout` when the body has not
    arrived by the deadline its connection set when the head was complete."""
    connection = connection_of(request)
    if connection is None or connection.body_deadline is None:
        return await reading
    try:
        async with asyncio.timeout_at(connection.body_deadline):
            return await reading
    except TimeoutError as exc:
        seconds = connection.body_timeout
        raise BodyTimeout(seconds=int(seconds) if seconds.is_integer() else seconds) from exc
