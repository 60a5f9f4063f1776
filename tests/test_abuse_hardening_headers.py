"""What every answer tells a stranger, and what it lets a cache keep (issue 9, finding 13):
both listeners name themselves only ``Server: Euregate``, without software or versions, and
every answer of the two JSON APIs, problem documents included, is ``Cache-Control:
no-store``. Requests the HTTP parser cannot read are answered the same way.

Against the real gateway over TLS.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from tests.conftest import RunningGateway, client_context

GUARD = 30.0
SOFTWARE = ("aiohttp", "python", "/3.", "/2.")


def assert_hardened(headers: Any, what: str) -> None:
    assert headers.get("Server") == "Euregate", what
    for name, value in headers.items():
        assert not any(word in value.lower() for word in SOFTWARE), (what, name, value)


async def answers(
    gateway: RunningGateway, listener: str, method: str, path: str, **options: Any
) -> tuple[int, Any, str]:
    base = gateway.url if listener == "partners" else gateway.staff_url
    partner = "nl-pol-limburg" if listener == "partners" else None
    connector = aiohttp.TCPConnector(ssl=client_context(gateway.layout, partner))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.request(method, base + path, allow_redirects=False, **options) as response,
    ):
        return response.status, response.headers, await response.text()


JSON = {"Content-Type": "application/json"}
API_CALLS = [
    ("partners", "GET", "/v1/gateway/keys", {}),
    ("partners", "GET", "/v1/inbox", {}),
    ("partners", "GET", "/v1/requests", {}),
    ("partners", "GET", "/v1/requests?state=nonsense", {}),
    ("partners", "GET", "/v1/inbox?limit=0", {}),
    ("partners", "GET", "/v1/signals/0193", {}),
    ("partners", "POST", "/v1/inbox/0193/ack", {}),
    ("partners", "POST", "/v1/signals", {"data": b"{", "headers": JSON}),
    ("partners", "POST", "/v1/signals", {"data": b"{}", "headers": JSON}),
    ("partners", "POST", "/v1/signals", {"data": b"x", "headers": {"Content-Type": "text/plain"}}),
    ("partners", "PUT", "/v1/signals", {}),
    ("partners", "GET", "/nowhere", {}),
    ("staff", "GET", "/v1/review", {}),
    ("staff", "GET", "/v1/review", {"headers": {"Authorization": "Bearer wrong"}}),
    ("staff", "POST", "/v1/review/0193/reject", {"json": {"reason": "x"}}),
]


@pytest.mark.parametrize(
    ("listener", "method", "path", "options"),
    API_CALLS,
    ids=[f"{listener}-{method}-{path}" for listener, method, path, _ in API_CALLS],
)
async def test_every_api_answer_is_no_store_and_names_no_software(
    gateway: RunningGateway, listener: str, method: str, path: str, options: dict[str, Any]
) -> None:
    status, headers, _ = await answers(gateway, listener, method, path, **options)

    assert_hardened(headers, f"{method} {path} {status}")
    assert headers.get("Cache-Control") == "no-store", f"{method} {path} {status}"


async def test_a_receipt_and_an_envelope_carrying_signal_data_are_no_store(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    signal = example("nl-drug-waste-maastricht.json")
    signal["recipients"] = {"partners": ["be-pol-lanaken"]}  # reads Dutch: no review
    status, headers, receipt = await answers(
        gateway, "partners", "POST", "/v1/signals", data=json.dumps(signal), headers=JSON
    )
    assert status == 202
    assert_hardened(headers, "receipt")
    assert headers["Cache-Control"] == "no-store"

    signal_id = json.loads(receipt)["signal_id"]
    status, headers, _ = await answers(gateway, "partners", "GET", f"/v1/signals/{signal_id}")
    assert status == 200
    assert headers["Cache-Control"] == "no-store"

    connector = aiohttp.TCPConnector(ssl=client_context(gateway.layout, "be-pol-lanaken"))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get(f"{gateway.url}/v1/inbox?wait=10") as response,
    ):
        body = await response.json()
        assert body["envelopes"], "the copy for Lanaken is sealed"
        assert response.headers["Cache-Control"] == "no-store"
        assert_hardened(response.headers, "inbox")


async def test_the_staff_api_with_a_token_is_no_store(
    gateway: RunningGateway, staff_token: Callable[..., Awaitable[str]]
) -> None:
    token = await staff_token("m.dubois", desk="BE")
    status, headers, _ = await answers(
        gateway, "staff", "GET", "/v1/review", headers={"Authorization": f"Bearer {token}"}
    )
    assert status == 200
    assert_hardened(headers, "review queue")
    assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/login", "/", "/review", "/nowhere", "/static/euregate.css"])
async def test_the_staff_pages_name_no_software_either(gateway: RunningGateway, path: str) -> None:
    _, headers, _ = await answers(gateway, "staff", "GET", path)
    assert_hardened(headers, path)


@pytest.mark.parametrize("listener", ["partners", "staff"])
async def test_a_request_the_parser_cannot_read_gets_a_problem_document_naming_no_software(
    gateway: RunningGateway, listener: str
) -> None:
    url = gateway.url if listener == "partners" else gateway.staff_url
    partner = "nl-pol-limburg" if listener == "partners" else None
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(
        parts.hostname,
        parts.port,
        ssl=client_context(gateway.layout, partner),
        server_hostname=parts.hostname,
    )
    writer.write(b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    async with asyncio.timeout(GUARD):
        answer = await reader.read()
    writer.close()

    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert lines[0].endswith(" 400 Bad Request")
    assert_hardened(headers, "malformed")
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Type"].startswith("application/problem+json")
    assert json.loads(body)["type"] == "urn:euregate:problem:malformed-request"
