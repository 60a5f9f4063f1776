"""The listeners' front door: each connection admitted or refused before TLS, then held to
its time limits.

aiohttp's ``TCPSite`` hands every accepted socket straight to a TLS handshake and then to
HTTP, with no cap on connections and no limit on how long a request's head may take. A
:class:`GatedSite` serves plain TCP instead and takes each connection through these steps:

1. **admit** (:class:`Admission`): over the listener's connection cap, over the cap for one
   address, or from an address outside the allow-list, the connection is aborted at once,
   before any TLS work (the handshake is the expensive part);
2. **handshake**: ``loop.start_tls`` upgrades it within ``handshake_timeout``;
3. **serve**: aiohttp's request handler takes it over. A connection that waits for a request
   is closed after ``idle_timeout`` (aiohttp's keep-alive timeout, counted from the handshake
   or the last answer); a request head that has begun must be complete within
   ``header_timeout`` of its first byte, or the connection is closed (slowloris); a body must
   arrive within ``body_timeout`` of its head (:func:`gateway.edges.http.read_body` answers 408).

A stop (:meth:`GatedSite.drain`, after :meth:`GatedSite.stop` has closed the listening
socket) closes each connection as soon as it has no request under way, and gives those that
have one ``stop_timeout`` to finish. aiohttp's own stop does not do for this: it marks every
connection closing at once, after which it drops the bytes that still arrive on it
(aio-libs/aiohttp#2298), so a request whose body was still coming would hang until cut off.

A request the HTTP parser cannot read is answered with a problem document, as everything
else is, and never names the server's software.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from aiohttp import web

from gateway.edges import problems
from gateway.edges.http import SERVER_NAME, dumps
from gateway.infra.errors import EuregateError, InternalError, MalformedRequest
from gateway.infra.logs import get_logger

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
LINGER: Final = 2.0
"""Seconds a body the answer did not need is still read (and dropped) before closing."""
REFUSALS_LOGGED_EVERY: Final = 10.0
"""Refused connections are counted and logged at most once per this many seconds."""

log = get_logger("euregate.listener")


@dataclass(frozen=True)
class Limits:
    """What one listener admits, and how long each step of a connection may take (seconds).
    ``per_address`` ``None``: no cap per address; ``allow`` empty: every address."""

    max_connections: int
    per_address: int | None = None
    allow: tuple[Network, ...] = ()
    handshake_timeout: float = 10.0
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    idle_timeout: float = 30.0
    stop_timeout: float = 20.0
    """Seconds a stop gives the requests under way to finish before they are ended."""


class Refusal(StrEnum):
    LISTENER_FULL = "listener_full"
    ADDRESS_FULL = "address_full"
    NOT_ALLOWED = "address_not_allowed"


def _address(peer: object) -> Address | None:
    """The peer's IP address from ``peername``; an IPv4-mapped IPv6 address as IPv4."""
    if not isinstance(peer, tuple) or not peer:
        return None
    try:
        address = ipaddress.ip_address(str(peer[0]).partition("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class Admission:
    """Who may open a connection now: the listener's open connections, counted in all and per
    address. Pure bookkeeping; every admitted connection is released exactly once."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._open = 0
        self._per_address: Counter[str] = Counter()

    @property
    def open(self) -> int:
        return self._open

    def admit(self, address: Address | None) -> Refusal | None:
        """Count a new connection from ``address`` in, or say why it is refused."""
        limits = self._limits
        if limits.allow and (address is None or not any(address in n for n in limits.allow)):
            return Refusal.NOT_ALLOWED
        if self._open >= limits.max_connections:
            return Refusal.LISTENER_FULL
        key = str(address)
        if limits.per_address is not None and self._per_address[key] >= limits.per_address:
            return Refusal.ADDRESS_FULL
        self._open += 1
        self._per_address[key] += 1
        return None

    def release(self, address: Address | None) -> None:
        key = str(address)
        self._open -= 1
        self._per_address[key] -= 1
        if self._per_address[key] <= 0:
            del self._per_address[key]


class _RefusalLog:
    """Refused connections counted by reason, logged once per window instead of once each."""

    def __init__(self, listener: str) -> None:
        self._listener = listener
        self._counts: Counter[str] = Counter()
        self._logged_at = -REFUSALS_LOGGED_EVERY

    def note(self, refusal: Refusal) -> None:
        self._counts[refusal] += 1
        now = time.monotonic()
        if now - self._logged_at >= REFUSALS_LOGGED_EVERY:
            log.warning("connections_refused", listener=self._listener, **self._counts)
            self._counts.clear()
            self._logged_at = now


class EdgeRequestHandler(web.RequestHandler):
    """aiohttp's request handler, answering a request it cannot parse with a problem
    document (in English: its ``Accept-Language`` was never read) and logging only the kind
    of error, never the bytes that caused it."""

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        error: EuregateError = MalformedRequest() if status < 500 else InternalError()
        log.info(
            "malformed_request" if status < 500 else "internal_error",
            status=error.status,
            error_type=type(exc).__name__ if exc is not None else None,
        )
        if request.writer.output_size > 0:
            raise ConnectionError("the answer has begun; no error answer can follow")
        response = web.json_response(
            problems.problem_document(error, language="en"),
            status=error.status,
            content_type=problems.MEDIA_TYPE,
            dumps=dumps,
        )
        response.headers.update({"Server": SERVER_NAME, "Cache-Control": "no-store"})
        response.force_close()
        return response


class _Connection(asyncio.Protocol):
    """One accepted connection: admitted, upgraded to TLS, then carrying aiohttp's handler.

    It is the protocol of the plain socket until ``start_tls`` takes that over, and then the
    protocol of the TLS transport, passing everything on to the request handler; on the way
    it times request heads (:mod:`gateway.edges.http` tells it when a request starts and ends)."""

    def __init__(self, listener: Listener) -> None:
        self._listener = listener
        self._limits = listener.limits
        self._loop = asyncio.get_running_loop()
        self._address: Address | None = None
        self._admitted = False
        self._upgrade: asyncio.Task[None] | None = None
        self._tls: asyncio.Transport | None = None
        self._handler: EdgeRequestHandler | None = None
        self._early: list[bytes] = []
        self._early_eof = False
        self._lost = False
        self._in_request = False
        self._closing = False
        self._head_timer: asyncio.TimerHandle | None = None
        self.body_deadline: float | None = None

    @property
    def body_timeout(self) -> float:
        return self._limits.body_timeout

    # --- the plain socket: admit, then upgrade -------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._address = _address(transport.get_extra_info("peername"))
        refusal = self._listener.admission.admit(self._address)
        if refusal is not None:
            self._listener.refusals.note(refusal)
            transport.abort()
            return
        self._admitted = True
        transport.pause_reading()  # nothing is read before start_tls owns the socket
        self._upgrade = self._loop.create_task(self._handshake(transport))
        self._listener.upgrading.add(self._upgrade)
        self._upgrade.add_done_callback(self._listener.upgrading.discard)

    async def _handshake(self, transport: asyncio.Transport) -> None:
        try:
            tls = await self._loop.start_tls(
                transport,
                self,
                self._listener.ssl_context,
                server_side=True,
                ssl_handshake_timeout=self._limits.handshake_timeout,
            )
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            log.debug("handshake_failed", error_type=type(exc).__name__)
            self._listener.handshake_failed()
            self._end()
            return
        except asyncio.CancelledError:
            self._end()
            raise
        if tls is None or self._lost:
            self._end()
            return
        self._tls = tls
        self._handler = self._listener.handler()
        self._handler.connection_made(tls)
        self._listener.connections.add(self)
        if self._listener.draining:
            self.close_when_idle()
        early, self._early = self._early, []
        for data in early:
            self.data_received(data)
        if self._early_eof:
            self._handler.eof_received()

    def _end(self) -> None:
        """Give the connection's place back, once."""
        if self._admitted:
            self._admitted = False
            self._listener.admission.release(self._address)
        self._cancel_head_timer()

    # --- the TLS transport: pass everything on to aiohttp's handler ----------------------

    def data_received(self, data: bytes) -> None:
        if self._handler is None:
            self._early.append(data)
            return
        if not self._in_request and self._head_timer is None and data and not self._closing:
            self._head_timer = self._loop.call_later(self._limits.header_timeout, self._head_late)
        self._handler.data_received(data)

    def eof_received(self) -> None:
        if self._handler is None:
            self._early_eof = True
        else:
            self._handler.eof_received()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._lost = True
        self._end()
        self._listener.connections.discard(self)
        self._listener.settled.set()
        if self._handler is not None:
            self._handler.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._handler is not None:
            self._handler.pause_writing()

    def resume_writing(self) -> None:
        if self._handler is not None:
            self._handler.resume_writing()

    # --- what gateway.edges.http tells it ------------------------------------------------------

    def request_started(self) -> None:
        """A request's head is complete: its body has ``body_timeout`` from now."""
        self._cancel_head_timer()
        self._in_request = True
        self.body_deadline = self._loop.time() + self._limits.body_timeout

    def request_finished(self) -> None:
        """The handler has answered; the next byte begins the next request's head."""
        self._in_request = False
        self.body_deadline = None
        if self._listener.draining:
            self.close_when_idle()

    # --- a stop ----------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """A request is under way: its head has begun, and its answer is not written yet."""
        return self._in_request or self._head_timer is not None

    def close_when_idle(self) -> None:
        """Close the connection once its answer is written, and take no further request on
        it; at once if no request is under way."""
        if self.busy or self._handler is None:
            return
        self._closing = True
        self._handler.close()
        self._listener.settled.set()

    def _head_late(self) -> None:
        self._head_timer = None
        if self._in_request or self._tls is None:
            return
        log.info("request_head_timeout", listener=self._listener.name)
        self._tls.abort()

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None


class Listener:
    """What every connection of one listener shares: its limits, TLS context, admission
    count, and aiohttp's server that makes request handlers."""

    def __init__(
        self,
        server: web.Server,
        ssl_context: ssl.SSLContext,
        limits: Limits,
        name: str,
        handshake_failed: Callable[[], None] = lambda: None,
    ) -> None:
        """``handshake_failed`` hears of each TLS handshake that failed or took too long."""
        self.server = server
        self.handshake_failed = handshake_failed
        self.ssl_context = ssl_context
        self.limits = limits
        self.name = name
        self.admission = Admission(limits)
        self.refusals = _RefusalLog(name)
        self.upgrading: set[asyncio.Task[None]] = set()
        self.connections: set[_Connection] = set()
        self.draining = False
        self.settled = asyncio.Event()
        """Set whenever a connection goes idle or away while the listener drains."""

    def connection(self) -> asyncio.Protocol:
        return _Connection(self)

    def handler(self) -> EdgeRequestHandler:
        return EdgeRequestHandler(
            self.server,
            loop=asyncio.get_running_loop(),
            keepalive_timeout=self.limits.idle_timeout,
            lingering_time=min(LINGER, self.limits.body_timeout),
            access_log=None,  # type: ignore[arg-type]  # None turns it off, as aiohttp documents
        )

    async def close(self) -> None:
        """End the connections still in their handshake (aiohttp ends the others)."""
        for task in list(self.upgrading):
            task.cancel()
        for task in list(self.upgrading):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def drain(self) -> None:
        """Close every connection once it is idle; return when none has a request under way,
        or after ``stop_timeout`` seconds."""
        self.draining = True
        for connection in list(self.connections):
            connection.close_when_idle()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.limits.stop_timeout):
                while any(connection.busy for connection in self.connections):
                    self.settled.clear()
                    await self.settled.wait()


class GatedSite(web.BaseSite):
    """A TLS site for an :class:`aiohttp.web.AppRunner` whose connections pass
    :class:`Admission` before their handshake and keep to :class:`Limits` after it."""

    __slots__ = (
        "_handshake_failed",
        "_host",
        "_limits",
        "_listener",
        "_more",
        "_name",
        "_port",
        "_sockets",
    )

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        *,
        ssl_context: ssl.SSLContext,
        limits: Limits,
        name: str,
        handshake_failed: Callable[[], None] = lambda: None,
        sockets: Sequence[socket.socket] = (),
    ) -> None:
        """``sockets``, when given, are already bound and listening (``serve --workers``
        hands the same ones to every worker); else the site binds ``host`` and ``port``."""
        super().__init__(runner, ssl_context=ssl_context)
        self._host, self._port, self._limits, self._name = host, port, limits, name
        self._handshake_failed = handshake_failed
        self._sockets = tuple(sockets)
        self._listener: Listener | None = None
        self._more: list[asyncio.Server] = []

    @property
    def name(self) -> str:
        return f"https://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        assert self._ssl_context is not None
        self._listener = Listener(
            server, self._ssl_context, self._limits, self._name, self._handshake_failed
        )
        loop = asyncio.get_running_loop()
        if not self._sockets:
            self._server = await loop.create_server(
                self._listener.connection, self._host, self._port, backlog=self._backlog
            )
            return
        servers = [
            await loop.create_server(self._listener.connection, sock=sock, backlog=self._backlog)
            for sock in self._sockets
        ]
        self._server, self._more = servers[0], servers[1:]

    async def stop(self) -> None:
        await super().stop()
        for more in self._more:
            more.close()
        if self._listener is not None:
            await self._listener.close()

    async def drain(self) -> None:
        """After :meth:`stop`: let the requests under way finish (:meth:`Listener.drain`)."""
        if self._listener is not None:
            await self._listener.drain()
