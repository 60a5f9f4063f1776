"""Neither listener can be held open by connections that do nothing, say nothing in time, or
are too many (issue 9, finding 5), and the staff listener admits only the addresses and
client certificates a deployment chooses (finding 13).

Everything here runs against the real gateway over real sockets and TLS, with small limits
set in the settings so that each limit is reached in a moment. Timeouts in the tests guard
against a hang only; what is asserted is who closed what, before which byte.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from gateway.infra.config import DataDir, Settings
from tests.conftest import RunningGateway, client_context, gateway_in_process

GUARD = 30.0
"""Seconds after which a test gives up waiting: a hang, never a measurement."""
PARTNER = "nl-pol-limburg"

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@asynccontextmanager
async def running(layout: DataDir, **limits: Any) -> AsyncIterator[RunningGateway]:
    settings = Settings(data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0, **limits)
    async with gateway_in_process(settings) as gateway:
        yield gateway


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    return parts.hostname, parts.port


def context_for(gateway: RunningGateway, listener: str) -> ssl.SSLContext:
    """A partner's TLS on the partners' listener; a browser's (no certificate) on staff."""
    return client_context(gateway.layout, PARTNER if listener == "partners" else None)


def url_of(gateway: RunningGateway, listener: str) -> str:
    return gateway.url if listener == "partners" else gateway.staff_url


async def open_tls(url: str, context: ssl.SSLContext, *, source: str | None = None) -> Streams:
    host, port = address(url)
    return await asyncio.wait_for(
        asyncio.open_connection(
            host,
            port,
            ssl=context,
            server_hostname=host,
            local_addr=(source, 0) if source else None,
        ),
        GUARD,
    )


async def open_plain(url: str, *, source: str | None = None) -> Streams:
    host, port = address(url)
    return await asyncio.open_connection(host, port, local_addr=(source, 0) if source else None)


async def until_closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection (a reset counts as
    closing)."""
    received = b""
    try:
        while chunk := await reader.read(65536):
            received += chunk
    except (ConnectionResetError, ssl.SSLError):
        pass
    return received


async def closed_without_a_byte(url: str, *, source: str | None = None) -> bool:
    """Whether the server closes a plain TCP connection to ``url`` before the client has
    sent anything, and without sending anything itself: no TLS handshake ever began."""
    reader, writer = await open_plain(url, source=source)
    try:
        return await asyncio.wait_for(until_closed(reader), GUARD) == b""
    finally:
        writer.close()


async def handshake_refused(url: str, context: ssl.SSLContext, **options: Any) -> bool:
    try:
        _, writer = await open_tls(url, context, **options)
    except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
        return True
    writer.close()
    return False


async def unanswered(url: str, context: ssl.SSLContext, path: str) -> bool:
    """Whether a GET on a fresh TLS connection goes without an HTTP answer: the handshake
    refused (in TLS 1.3 a refused client certificate shows on the client's first read)."""
    try:
        reader, writer = await open_tls(url, context)
    except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
        return True
    try:
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        writer.write(request.encode())
        received = await asyncio.wait_for(until_closed(reader), GUARD)
    except (ConnectionError, ssl.SSLError):
        return True
    finally:
        writer.close()
    return not received.startswith(b"HTTP/")


async def get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> bytes:
    """One keep-alive GET on an open connection; its status line."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), GUARD)
    length = 0
    while (line := await asyncio.wait_for(reader.readline(), GUARD)) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def served(url: str, context: ssl.SSLContext, path: str, **options: Any) -> int:
    connector = aiohttp.TCPConnector(ssl=context, **options)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get(url + path, timeout=aiohttp.ClientTimeout(total=GUARD)) as response,
    ):
        await response.read()
        return response.status


PATH = {"partners": "/v1/gateway/keys", "staff": "/login"}


def log_events(log_stream: io.StringIO, event: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines() if line]
    return [line for line in lines if line.get("event") == event]


# --- caps --------------------------------------------------------------------------------------


@pytest.mark.parametrize("listener", ["partners", "staff"])
async def test_connections_beyond_the_cap_are_closed_before_any_handshake(
    layout: DataDir, log_stream: io.StringIO, listener: str
) -> None:
    cap = {"partners": "max_connections", "staff": "staff_max_connections"}[listener]
    async with running(layout, **{cap: 3, "handshake_timeout": 600}) as gateway:
        url, context = url_of(gateway, listener), context_for(gateway, listener)
        held = [await open_tls(url, context) for _ in range(3)]
        for reader, writer in held:
            assert (await get(reader, writer, PATH[listener])).startswith(b"HTTP/1.1 200")

        assert await closed_without_a_byte(url)
        assert await handshake_refused(url, context)

        _, writer = held.pop()
        writer.close()
        await writer.wait_closed()
        async with asyncio.timeout(GUARD):
            for _ in itertools.count():  # the gateway hears of the closed one in a moment
                if not await handshake_refused(url, context):
                    break
                await asyncio.sleep(0.05)
        for reader, writer in held:
            assert (await get(reader, writer, PATH[listener])).startswith(b"HTTP/1.1 200")
            writer.close()

    (refused, *_) = log_events(log_stream, "connections_refused")
    assert refused["listener"] == listener
    assert refused["listener_full"] >= 1


async def test_one_address_holds_only_so_many_staff_connections(layout: DataDir) -> None:
    async with running(layout, staff_max_connections_per_address=2) as gateway:
        url, context = gateway.staff_url, client_context(gateway.layout, None)
        held = [await open_tls(url, context, source="127.0.0.1") for _ in range(2)]

        assert await closed_without_a_byte(url, source="127.0.0.1")
        assert await served(url, context, "/login", local_addr=("127.0.0.2", 0)) == 200
        assert (
            await served(gateway.url, client_context(gateway.layout, PARTNER), PATH["partners"])
            == 200
        )
        for _, writer in held:
            writer.close()


# --- time limits -------------------------------------------------------------------------------


@pytest.mark.parametrize("listener", ["partners", "staff"])
async def test_a_request_head_trickled_byte_by_byte_is_cut_off(
    layout: DataDir, log_stream: io.StringIO, listener: str
) -> None:
    async with running(layout, header_timeout=1, idle_timeout=600) as gateway:
        url, context = url_of(gateway, listener), context_for(gateway, listener)
        reader, writer = await open_tls(url, context)
        closed = asyncio.create_task(until_closed(reader))
        head = f"GET {PATH[listener]} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "a" * 200
        sent = 0
        async with asyncio.timeout(GUARD):
            for byte in head.encode():
                if closed.done():
                    break
                writer.write(bytes([byte]))
                sent += 1
                await asyncio.sleep(0.05)

            # meanwhile the listener serves everyone else
            assert await served(url, context, PATH[listener]) == 200
            received = await closed
        writer.close()

    assert sent < len(head), "the whole head went out and the gateway still waited"
    assert received == b""
    assert len(log_events(log_stream, "request_head_timeout")) == 1


@pytest.mark.parametrize("listener", ["partners", "staff"])
async def test_a_handshake_that_never_comes_is_given_up(layout: DataDir, listener: str) -> None:
    async with running(layout, handshake_timeout=1) as gateway:
        url = url_of(gateway, listener)
        assert await closed_without_a_byte(url)  # no ClientHello: the gateway hangs up
        assert await served(url, context_for(gateway, listener), PATH[listener]) == 200


@pytest.mark.parametrize("listener", ["partners", "staff"])
async def test_a_connection_that_sends_nothing_is_closed(layout: DataDir, listener: str) -> None:
    async with running(layout, idle_timeout=1, header_timeout=600) as gateway:
        url, context = url_of(gateway, listener), context_for(gateway, listener)
        silent, _ = await open_tls(url, context)
        reader, writer = await open_tls(url, context)
        assert (await get(reader, writer, PATH[listener])).startswith(b"HTTP/1.1 200")

        async with asyncio.timeout(GUARD):
            assert await until_closed(silent) == b""
            assert await until_closed(reader) == b""  # idle after its answer: closed too


async def trickle_body(
    url: str, context: ssl.SSLContext, head: str, length: int
) -> tuple[int, bytes]:
    """Send ``head`` (declaring ``length`` bytes of body), then the body a byte at a time
    until the server answers; how many body bytes went out, and the answer."""
    reader, writer = await open_tls(url, context)
    writer.write(head.encode())
    answer = asyncio.create_task(until_closed(reader))
    sent = 0
    async with asyncio.timeout(GUARD):
        while not answer.done() and sent < length:
            try:
                writer.write(b"a")
                await writer.drain()
            except (ConnectionError, ssl.SSLError):
                break
            sent += 1
            await asyncio.sleep(0.05)
        received = await answer
    writer.close()
    return sent, received


async def test_a_trickled_signal_body_is_answered_408_with_a_problem_document(
    layout: DataDir,
) -> None:
    async with running(layout, body_timeout=1, header_timeout=600, idle_timeout=600) as gateway:
        length = 600
        head = (
            "POST /v1/signals HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: de\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
        )
        sent, received = await trickle_body(
            gateway.url, client_context(gateway.layout, PARTNER), head, length
        )

        assert sent < length
        status, _, rest = received.partition(b"\r\n")
        headers, _, body = rest.partition(b"\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 408")
        assert b"content-type: application/problem+json" in headers.lower()
        problem = json.loads(body)
        assert problem["type"] == "urn:euregate:problem:body-timeout"
        assert problem["status"] == 408
        assert "Sekunden" in problem["detail"]
        assert (
            await served(gateway.url, client_context(gateway.layout, PARTNER), PATH["partners"])
            == 200
        )


async def test_a_trickled_sign_in_form_is_answered_408(layout: DataDir) -> None:
    async with running(layout, body_timeout=1, header_timeout=600, idle_timeout=600) as gateway:
        length = 600
        head = (
            "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {length}\r\n\r\n"
        )
        sent, received = await trickle_body(
            gateway.staff_url, client_context(gateway.layout, None), head, length
        )

    assert sent < length
    assert received.startswith(b"HTTP/1.1 408")


# --- who may reach the staff listener ----------------------------------------------------------


async def test_the_staff_allow_list_refuses_other_addresses_before_the_handshake(
    layout: DataDir,
) -> None:
    async with running(layout, staff_allow=["127.0.0.2/32"]) as gateway:
        context = client_context(gateway.layout, None)

        assert await closed_without_a_byte(gateway.staff_url, source="127.0.0.1")
        assert (
            await served(gateway.staff_url, context, "/login", local_addr=("127.0.0.2", 0)) == 200
        )
        # the partners' listener has no such list
        assert (
            await served(gateway.url, client_context(gateway.layout, PARTNER), PATH["partners"])
            == 200
        )


async def test_the_staff_listener_can_require_a_client_certificate(layout: DataDir) -> None:
    async with running(layout, staff_client_ca_file=layout.ca_certificate) as gateway:
        without = client_context(gateway.layout, None)
        with_one = client_context(gateway.layout, PARTNER)  # any certificate from that CA

        assert await unanswered(gateway.staff_url, without, "/login")
        assert await served(gateway.staff_url, with_one, "/login") == 200
