"""Operational logs: JSON lines with a request id, and never a signal's personal data."""

from __future__ import annotations

import copy
import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from euregate_client import Problem

from gateway.infra.logs import LogFormat, configure, get_logger
from tests.conftest import RunningGateway


def leaves(value: object) -> Iterator[str]:
    """Every string and number in a document, as text."""
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        yield str(value)


PERSONAL_FIELDS = ("persons", "organisations", "vehicles", "accounts", "summary", "description")


def personal_values(signal: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for name in PERSONAL_FIELDS:
        found.update(v for v in leaves(signal.get(name)) if len(v) >= 4)
    return found - {"suspect", "witness", "victim", "involved", "reporter", "subject"}


async def test_log_lines_are_json_with_a_request_id(
    gateway: RunningGateway, log_stream: io.StringIO, example: Callable[[str], dict[str, Any]]
) -> None:
    async with gateway.client("nl-pol-limburg") as client:
        await client.post_signal(example("nl-drug-waste-maastricht.json"))
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    request = next(line for line in lines if line["event"] == "request")
    assert request["status"] == 202
    assert request["actor"] == "nl-pol-limburg"
    assert len(request["request_id"]) == 32


async def test_no_name_or_number_of_a_signal_reaches_the_logs(
    gateway: RunningGateway, log_stream: io.StringIO, example: Callable[[str], dict[str, Any]]
) -> None:
    signals = [example(name) for name in ("nl-drug-waste-maastricht.json", "de-shisha-aachen.json")]
    broken = copy.deepcopy(signals[0])
    broken["sender_reference"] = "BROKEN-1"
    broken["persons"][0]["identifiers"][0]["value"] = "123456789"
    async with gateway.client("nl-pol-limburg") as client:
        for signal in signals:
            await client.post_signal(signal)
        with pytest.raises(Problem) as refused:
            await client.post_signal(broken)
    assert refused.value.status == 422
    logged = log_stream.getvalue()
    secrets = set().union(*(personal_values(s) for s in [*signals, broken]))
    assert secrets
    leaked = sorted(secret for secret in secrets if secret in logged)
    assert leaked == []


class Writes(io.StringIO):
    """A stream that remembers each write it was given, as a pipe would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_each_log_line_is_written_whole_in_one_write(log_format: LogFormat) -> None:
    """Several worker processes share one standard output: a line written in two pieces (the
    text, then its newline) could be cut in two by another worker's."""
    stream = Writes()
    configure("info", stream, log_format)
    try:
        get_logger("euregate.test").info("worker_ready", workers=2, pid=4242)
        get_logger("euregate.test").warning("worker_died", pid=4243, status=-9)
    finally:
        configure("info")
    assert len(stream.writes) == 2
    assert all(text.endswith("\n") and text.count("\n") == 1 for text in stream.writes)
    if log_format == "json":
        assert [json.loads(text)["event"] for text in stream.writes] == [
            "worker_ready",
            "worker_died",
        ]


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_a_library_warning_is_a_line_of_the_gateways_own_log(log_format: LogFormat) -> None:
    """The PostgreSQL pool says "error connecting" through the standard ``logging`` module; it
    must come out in the gateway's format, without the traceback that may quote data."""
    stream = Writes()
    configure("info", stream, log_format)
    try:
        try:
            raise ConnectionError("SELECT name FROM persons WHERE name = 'Jansen'")
        except ConnectionError:
            logging.getLogger("psycopg.pool").warning(
                "error connecting in %r: %s",
                "euregate-store",
                "the server is starting up",
                exc_info=True,
            )
        logging.getLogger("psycopg.pool").info("connection added to the pool")
    finally:
        configure("info")
    lines = [text for text in stream.writes if "psycopg.pool" in text]
    assert len(lines) == 1
    line = lines[0]
    assert "Jansen" not in line
    assert "Traceback" not in line
    assert "the server is starting up" in line
    assert "ConnectionError" in line
    if log_format == "json":
        entry = json.loads(line)
        assert entry["event"] == "library_said"
        assert entry["logger"] == "psycopg.pool"
        assert entry["level"] == "warning"
