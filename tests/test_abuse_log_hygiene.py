"""The operational log stays readable and truthful under abuse (issue 9, finding 11): a client
that hangs up mid-request is logged as such, never as an internal error; a path an attacker
chose reaches the log escaped and cut short; bytes that are not HTTP are logged by kind only.

Against the real gateway over TLS, reading what it logs (the ``log_stream`` fixture).
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import ssl
from typing import Any
from urllib.parse import urlsplit

import pytest

from gateway.infra.logs import LONGEST_QUOTED
from tests.conftest import RunningGateway, client_context

GUARD = 30.0


def logged(log_stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log_stream.getvalue().splitlines() if line]


def events(log_stream: io.StringIO, event: str) -> list[dict[str, Any]]:
    return [line for line in logged(log_stream) if line.get("event") == event]


async def connect(
    url: str, context: ssl.SSLContext
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(url)
    assert parts.hostname is not None
    return await asyncio.open_connection(
        parts.hostname, parts.port, ssl=context, server_hostname=parts.hostname
    )


async def until_logged(log_stream: io.StringIO, event: str, count: int = 1) -> list[dict[str, Any]]:
    """The lines of ``event`` once there are ``count`` (the gateway logs when it notices)."""
    async with asyncio.timeout(GUARD):
        for _ in itertools.count():
            if len(found := events(log_stream, event)) >= count:
                return found
            await asyncio.sleep(0.02)
    raise AssertionError


async def hang_up_mid_body(url: str, context: ssl.SSLContext, head: str) -> None:
    """Send ``head`` (which promises more body than follows), a little body, and hang up."""
    reader, writer = await connect(url, context)
    writer.write(head.encode() + b"{")
    await writer.drain()
    writer.transport.abort()
    del reader


@pytest.mark.parametrize(
    ("listener", "head"),
    [
        (
            "partners",
            "POST /v1/signals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 5000\r\n\r\n",
        ),
        (
            "staff",
            "POST /login HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\n",
        ),
    ],
)
async def test_a_client_that_hangs_up_mid_request_is_not_an_internal_error(
    gateway: RunningGateway, log_stream: io.StringIO, listener: str, head: str
) -> None:
    url = gateway.url if listener == "partners" else gateway.staff_url
    context = client_context(gateway.layout, "nl-pol-limburg" if listener == "partners" else None)

    await hang_up_mid_body(url, context, head)

    (line,) = await until_logged(log_stream, "request")
    assert line["status"] == 400
    assert events(log_stream, "internal_error") == []
    (refused,) = events(log_stream, "refused")
    assert refused["kind"] == "client-gone"


async def test_a_path_an_attacker_chose_is_logged_escaped_and_cut_short(
    gateway: RunningGateway, log_stream: io.StringIO
) -> None:
    chosen = "/%1B[2J%1B[31mFORGED%0A%0D%7B%22event%22:%22x%22%7D%E2%80%AE%00" + "A" * 5000
    reader, writer = await connect(gateway.url, client_context(gateway.layout, "nl-pol-limburg"))
    writer.write(f"GET {chosen} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    async with asyncio.timeout(GUARD):
        answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 404")

    (line,) = await until_logged(log_stream, "request")
    path = line["path"]
    assert len(path) <= LONGEST_QUOTED
    assert path.endswith("...")
    assert all(" " < char <= "~" for char in path), "nothing but printable ASCII"
    assert path.startswith('/%1B[2J%1B[31mFORGED%0A%0D{"event":"x"}%E2%80%AE%00AAA')
    raw_log = log_stream.getvalue()
    assert "\\u001b" not in raw_log
    assert "FORGED\\n" not in raw_log
    assert "A" * 300 not in raw_log


async def test_bytes_that_are_not_http_are_logged_by_kind_only(
    gateway: RunningGateway, log_stream: io.StringIO
) -> None:
    reader, writer = await connect(gateway.staff_url, client_context(gateway.layout, None))
    writer.write(b"\x1b[31mNOT-HTTP-MARKER \x00\x01\x02 HTTP/9.9\r\n\r\n")
    async with asyncio.timeout(GUARD):
        answer = await reader.read()
    writer.close()

    assert answer.startswith(b"HTTP/1.0 400")
    assert b"urn:euregate:problem:malformed-request" in answer
    (line,) = await until_logged(log_stream, "malformed_request")
    assert line["status"] == 400
    assert isinstance(line["error_type"], str)
    assert "NOT-HTTP-MARKER" not in log_stream.getvalue()
