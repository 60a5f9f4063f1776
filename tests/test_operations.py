"""The operations listener: ``/healthz``, ``/readyz`` and ``/metrics`` on a plain-HTTP loopback
listener of its own, never on the partners' or the staff listener; metrics that move with
real work and carry no signal id or person; a start and a stop line in the log."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from euregate_client import Problem
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from gateway.edges.operations import NOT_LOOPBACK, require_loopback
from gateway.infra.config import DataDir
from gateway.infra.errors import SettingInvalid
from tests.conftest import REPO, RunningGateway, client_context, free_port, load_example
from tests.polling import until

SENDER = "nl-pol-limburg"
EXAMPLE = "nl-drug-waste-maastricht.json"
BROKEN = "broken/nl-several-errors.json"
GUARD = 60.0
"""Seconds a test waits for a process before it fails (a bound, not a measurement)."""

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def scrape(gateway: RunningGateway) -> str:
    status, text = await get(f"{gateway.operations_url}/metrics")
    assert status == 200
    return text


def samples(exposition: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def value(found: Samples, metric: str, /, **labels: str) -> float:
    return found.get((metric, tuple(sorted(labels.items()))), 0.0)


def unique_signal(**changes: Any) -> dict[str, Any]:
    body = load_example(EXAMPLE)
    body["sender_reference"] = f"OPS-{uuid.uuid4().hex[:12]}"
    body.update(changes)
    return body


# --- /healthz and /readyz -----------------------------------------------------------------------


async def test_healthz_says_the_process_lives(gateway: RunningGateway) -> None:
    status, text = await get(f"{gateway.operations_url}/healthz")
    assert status == 200
    assert json.loads(text) == {"status": "alive"}


async def test_readyz_lists_every_check_and_passes_on_a_healthy_gateway(
    gateway: RunningGateway,
) -> None:
    status, text = await get(f"{gateway.operations_url}/readyz")
    report = json.loads(text)
    assert status == 200, report
    assert report["status"] == "ready"
    checks = report["checks"]
    assert set(checks) == {
        "store_writable",
        "storage",
        "policy_loaded",
        "keys_opened",
        "audit_sequencer",
        "courier",
    }
    assert all(check["ok"] for check in checks.values())
    assert checks["policy_loaded"]["policy_sha256"] == gateway.policy_digest
    assert checks["audit_sequencer"]["role"] in {"leader", "follower"}
    assert checks["courier"]["pending_copies"] >= 0


async def test_readyz_is_503_naming_the_store_once_the_store_is_closed(
    gateway: RunningGateway,
) -> None:
    await gateway.store.close()

    async def not_ready() -> bool:
        status, _ = await get(f"{gateway.operations_url}/readyz")
        return status == 503

    await until(not_ready)
    status, text = await get(f"{gateway.operations_url}/readyz")
    report = json.loads(text)
    assert status == 503
    assert report["status"] == "not ready"
    assert report["checks"]["store_writable"] == {"ok": False, "error": "StoreClosed"}
    assert report["checks"]["policy_loaded"]["ok"] is True
    exposition = samples(await scrape(gateway))
    assert value(exposition, "euregate_ready") == 0
    assert value(exposition, "euregate_readiness_check", check="store_writable") == 0
    assert value(exposition, "euregate_readiness_check", check="keys_opened") == 1


# --- /metrics -------------------------------------------------------------------------------


async def test_metrics_parse_and_intake_counts_by_outcome_and_country_pair(
    gateway: RunningGateway,
) -> None:
    before = samples(await scrape(gateway))
    async with gateway.client(SENDER) as client:
        receipt = await client.post_signal(unique_signal())
        with pytest.raises(Problem) as refusal:
            await client.post_signal(load_example(BROKEN))
    assert refusal.value.status == 422
    after = samples(await scrape(gateway))

    recipients = {r["partner"]: r["verdict"] for r in receipt["recipients"]}
    assert recipients == {"be-pol-liege": "deliver", "de-pol-aachen": "deliver"}
    for country in ("BE", "DE"):
        labels = {"outcome": "deliver", "sender_country": "NL", "recipient_country": country}
        assert value(after, "euregate_intake_total", **labels) == (
            value(before, "euregate_intake_total", **labels) + 1
        )
    refused = {"outcome": "refused", "sender_country": "NL", "recipient_country": "none"}
    assert value(after, "euregate_intake_total", **refused) == (
        value(before, "euregate_intake_total", **refused) + 1
    )
    validated = "euregate_intake_stage_seconds_count"
    assert (
        value(after, validated, stage="validate") == value(before, validated, stage="validate") + 2
    )
    assert value(after, validated, stage="decide") == value(before, validated, stage="decide") + 1
    posted = {"listener": "partners", "route": "/v1/signals", "method": "POST"}
    assert value(after, "euregate_request_seconds_count", **posted) == (
        value(before, "euregate_request_seconds_count", **posted) + 2
    )
    assert value(after, "euregate_store_commit_writes_count") > value(
        before, "euregate_store_commit_writes_count"
    )

    async def audit_log_grew() -> bool:
        """The store's gauges are read at most every few seconds, however often one asks."""
        found = samples(await scrape(gateway))
        return value(found, "euregate_audit_entries") > value(before, "euregate_audit_entries")

    await until(audit_log_grew)


async def test_a_request_is_timed_under_its_route_template_never_its_path(
    gateway: RunningGateway,
) -> None:
    async with gateway.client(SENDER) as client:
        receipt = await client.post_signal(unique_signal())
        await client.signal_status(receipt["signal_id"])
    exposition = await scrape(gateway)
    status = {"listener": "partners", "route": "/v1/signals/{signal_id}", "method": "GET"}
    assert value(samples(exposition), "euregate_request_seconds_count", **status) == 1
    assert receipt["signal_id"] not in exposition


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    family_name=st.from_regex(r"[A-Z][a-z]{6,14}", fullmatch=True),
    reference=st.from_regex(r"[A-Z]{2}[0-9]{6,10}", fullmatch=True),
)
async def test_no_signal_id_reference_or_person_reaches_the_metrics(
    gateway: RunningGateway, family_name: str, reference: str
) -> None:
    body = unique_signal(sender_reference=f"{reference}-{uuid.uuid4().hex[:8]}")
    body["persons"][0]["family_name"] = family_name
    async with gateway.client(SENDER) as client:
        receipt = await client.post_signal(body)
    _, ready = await get(f"{gateway.operations_url}/readyz")
    exposition = await scrape(gateway)
    person = body["persons"][0]
    secrets = [
        receipt["signal_id"],
        receipt["body_sha256"],
        body["sender_reference"],
        family_name,
        person["given_names"],
        person["date_of_birth"],
        body["location"]["street"],
    ]
    for secret in secrets:
        assert secret not in exposition
        assert secret not in ready


async def test_the_gateway_s_own_and_each_partner_s_certificate_expiry_is_exported(
    gateway: RunningGateway,
) -> None:
    found = samples(await scrape(gateway))
    for name in ("server", "client", "ca"):
        assert value(found, "euregate_certificate_expiry_days", holder="gateway", name=name) > 30
    assert value(found, "euregate_certificate_expiry_days", holder="partner", name=SENDER) > 30


async def test_a_failed_tls_handshake_is_counted_on_its_listener(gateway: RunningGateway) -> None:
    before = value(
        samples(await scrape(gateway)), "euregate_tls_handshake_failures_total", listener="staff"
    )
    host, port = gateway.staff_url.removeprefix("https://").rsplit(":", 1)
    _, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    writer.close()

    async def counted() -> bool:
        found = samples(await scrape(gateway))
        return value(found, "euregate_tls_handshake_failures_total", listener="staff") > before

    await until(counted)


# --- never on the partners' or the staff listener -----------------------------------------------


@pytest.mark.parametrize("path", ["/metrics", "/healthz", "/readyz"])
async def test_the_partner_and_staff_listeners_do_not_answer_operations_paths(
    gateway: RunningGateway, path: str
) -> None:
    for url, context in (
        (gateway.url, client_context(gateway.layout, SENDER)),
        (gateway.staff_url, client_context(gateway.layout, None)),
    ):
        connector = aiohttp.TCPConnector(ssl=context)
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.get(f"{url}{path}") as response,
        ):
            text = await response.text()
        assert response.status == 404, (url, path)
        assert "euregate_" not in text
        assert '"alive"' not in text


# --- plain HTTP on loopback only ----------------------------------------------------------------


@given(address=st.ip_addresses())
def test_plain_http_is_refused_on_every_address_but_loopback(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    if address.is_loopback:
        require_loopback(str(address))
    else:
        with pytest.raises(SettingInvalid, match="operations_host"):
            require_loopback(str(address))


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "gateway.example", ""])
def test_a_name_or_a_wildcard_is_refused_and_localhost_admitted(host: str) -> None:
    with pytest.raises(SettingInvalid):
        require_loopback(host)
    require_loopback("localhost")


async def test_serve_refuses_to_start_with_a_public_operations_address(layout: DataDir) -> None:
    command = [sys.executable, "-m", "gateway", "serve", "--data-dir", str(layout.root)]
    command += ["--host", "127.0.0.1", "--port", "0", "--staff-port", "0"]
    command += ["--operations-host", "0.0.0.0", "--operations-port", "0"]
    process = await asyncio.create_subprocess_exec(
        *command, cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), GUARD)
    assert process.returncode == 1
    assert b"listening" not in stdout
    message = stderr.decode()
    assert "operations_host = '0.0.0.0'" in message
    assert NOT_LOOPBACK.split(";")[0] in message


# --- the start and stop lines -------------------------------------------------------------------


@asynccontextmanager
async def serving(
    layout: DataDir, *options: str
) -> AsyncIterator[tuple[asyncio.subprocess.Process, Callable[[], str], int]]:
    """``euregate serve`` with ``options``; yields it, what it printed so far, and the
    operations port, once it listens."""
    port = free_port()
    command = [sys.executable, "-m", "gateway", "serve", "--data-dir", str(layout.root)]
    command += ["--host", "127.0.0.1", "--port", "0", "--staff-port", "0"]
    command += ["--operations-port", str(port), *options]
    process = await asyncio.create_subprocess_exec(
        *command, cwd=REPO, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    lines: list[str] = []

    async def read() -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            lines.append(line.decode())

    reader = asyncio.create_task(read())
    try:
        async with asyncio.timeout(GUARD):
            while not any("gateway_started" in line for line in lines):
                assert not reader.done(), "".join(lines)
                await asyncio.sleep(0.05)
        yield process, lambda: "".join(lines), port
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), GUARD)
        await reader


async def test_the_json_start_line_says_what_listens_where_and_a_line_says_it_stopped(
    layout: DataDir,
) -> None:
    async with serving(layout, "--log-format", "json") as (process, printed, port):
        (started,) = [
            json.loads(line) for line in printed().splitlines() if "gateway_started" in line
        ]
        status, _ = await get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), GUARD) == 0
    assert started["operations"] == f"http://127.0.0.1:{port}"
    assert started["partners"].startswith("https://127.0.0.1:")
    assert started["staff"].startswith("https://127.0.0.1:")
    assert started["data_dir"] == str(layout.root)
    assert started["store"] == f"sqlite {layout.database}"
    assert len(started["policy_sha256"]) == 64
    stopped = [json.loads(line) for line in printed().splitlines() if "gateway_stopped" in line]
    assert len(stopped) == 1


async def test_the_console_start_line_is_for_people(layout: DataDir) -> None:
    async with serving(layout, "--log-format", "console") as (process, printed, port):
        (started,) = [line for line in printed().splitlines() if "gateway_started" in line]
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), GUARD) == 0
    assert not started.lstrip().startswith("{")
    assert f"operations=http://127.0.0.1:{port}" in started
    assert "partners=https://127.0.0.1:" in started
    assert f"data_dir={layout.root}" in started
    assert "policy_sha256=" in started
    assert "\x1b[" not in started, "no colours where stdout is no terminal"
    assert any("gateway_stopped" in line for line in printed().splitlines())


async def test_without_a_format_a_pipe_gets_json(layout: DataDir) -> None:
    async with serving(layout) as (_, printed, _port):
        (started,) = [line for line in printed().splitlines() if "gateway_started" in line]
    assert json.loads(started)["event"] == "gateway_started"


async def test_a_stopping_gateway_answers_readyz_503_while_requests_in_flight_finish(
    layout: DataDir,
) -> None:
    partner_port = free_port()
    async with serving(layout, "--port", str(partner_port), "--log-format", "json") as (
        process,
        _,
        port,
    ):
        _, writer = await asyncio.open_connection(
            "127.0.0.1",
            partner_port,
            ssl=client_context(layout, SENDER),
            server_hostname="127.0.0.1",
        )
        head = "POST /v1/signals HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        writer.write(f"{head}Content-Length: 4000\r\n\r\n{{".encode())
        await writer.drain()
        status, _ = await get(f"http://127.0.0.1:{port}/readyz")
        assert status == 200
        process.send_signal(signal.SIGTERM)

        async def stopping() -> bool:
            status, text = await get(f"http://127.0.0.1:{port}/readyz")
            return status == 503 and json.loads(text)["checks"]["accepting"]["stopping"]

        await until(stopping)
        writer.transport.abort()
        assert await asyncio.wait_for(process.wait(), GUARD) == 0
