"""Intake for all inputs: valid signals accepted, anything else a 4xx problem, never a 500."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import count

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.client import Problem
from tests.conftest import RunningGateway, client_context, load_example
from tests.strategies import invalid_signals, valid_signals

NOW = datetime.now(UTC)
RECIPIENTS = {"partners": ["be-pol-liege", "de-pol-aachen"]}
FIXTURE_SHARED = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
references = count()


async def post_bytes(gateway: RunningGateway, body: bytes) -> tuple[int, str, object]:
    connector = aiohttp.TCPConnector(ssl=client_context(gateway.layout, "nl-pol-limburg"))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.post(
            f"{gateway.url}/v1/signals", data=body, headers={"Content-Type": "application/json"}
        ) as response,
    ):
        return response.status, response.content_type, await response.json(content_type=None)


@FIXTURE_SHARED
@given(signal=valid_signals(NOW, recipients=RECIPIENTS))
async def test_every_valid_signal_is_accepted(
    gateway: RunningGateway, signal: dict[str, object]
) -> None:
    signal["sender_reference"] = f"PROP-{next(references)}"
    async with gateway.client("nl-pol-limburg") as client:
        receipt = await client.post_signal(signal)
    assert [r["partner"] for r in receipt["recipients"]] == ["be-pol-liege", "de-pol-aachen"]


@FIXTURE_SHARED
@given(document=invalid_signals(NOW))
async def test_every_invalid_signal_is_refused_with_its_errors(
    gateway: RunningGateway, document: dict[str, object]
) -> None:
    status, content_type, problem = await post_bytes(gateway, json.dumps(document).encode())
    assert status in (400, 422), problem
    assert content_type == "application/problem+json"
    assert isinstance(problem, dict)
    if status == 422:
        assert problem["errors"]
        assert all(
            error["pointer"].startswith("/") or error["pointer"] == ""
            for error in problem["errors"]
        )


@FIXTURE_SHARED
@given(
    body=st.binary(max_size=2048)
    | st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=20,
    ).map(lambda value: json.dumps(value).encode())
)
async def test_no_body_whatever_gets_a_server_error(gateway: RunningGateway, body: bytes) -> None:
    status, content_type, problem = await post_bytes(gateway, body)
    assert 400 <= status < 500, problem
    assert content_type == "application/problem+json"


async def test_truncated_deeply_nested_and_wrongly_encoded_bodies_are_400(
    gateway: RunningGateway,
) -> None:
    valid = json.dumps(
        {"schema": "signal/1.0", "summary": "Afval van drugsproductie bij Maastricht"}
    ).encode()
    bodies = {
        "truncated": valid[: len(valid) // 2],
        "deeply nested": b"[" * 100_000 + b"]" * 100_000,
        "latin-1": '{"summary": "Lüttich"}'.encode("latin-1"),
        "utf-16": valid.decode().encode("utf-16"),
        "empty": b"",
        "NaN": b'{"x": NaN}',
        "duplicate member": b'{"schema": "signal/1.0", "schema": "signal/1.1"}',
    }
    for name, body in bodies.items():
        status, content_type, problem = await post_bytes(gateway, body)
        assert status == 400, (name, problem)
        assert content_type == "application/problem+json", name


async def test_a_signal_to_nobody_is_refused(gateway: RunningGateway) -> None:
    signal = load_example("nl-drug-waste-maastricht.json")
    signal["recipients"] = {"countries": ["DE"], "agency_types": ["tax"]}
    async with gateway.client("nl-pol-limburg") as client:
        with pytest.raises(Problem) as refused:
            await client.post_signal(signal)
    assert refused.value.status == 422
    assert refused.value.errors[0]["code"] == "no_recipients"
