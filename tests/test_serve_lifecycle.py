"""``euregate serve`` under a service manager: it says ``READY=1`` once both listeners accept,
and on SIGTERM it says ``STOPPING=1``, lets what is in flight finish, and exits 0.

Each test runs the real command in its own process with ``NOTIFY_SOCKET`` pointing at a
datagram socket the test listens on, as systemd's ``Type=notify`` does."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from euregate_client import ClientFailure, EuregateClient, Problem
from hypothesis import given
from hypothesis import strategies as st

from gateway.edges import systemd_notify
from gateway.infra.config import DataDir
from tests.conftest import REPO, client_context, free_port

SENDER = "nl-pol-limburg"
RECIPIENT = "be-pol-liege"
SENDERS = ("nl-pol-limburg", "nl-gem-maastricht", "nl-riec-limburg")
STARTUP = 60.0
"""Seconds a test waits for a notification before it fails (a bound, not a measurement)."""


# --- the protocol, without a process ----------------------------------------------------------

state_names = st.from_regex(r"[A-Z][A-Z_]{0,15}", fullmatch=True)


@given(states=st.dictionaries(state_names, st.text(max_size=40), min_size=1, max_size=5))
def test_a_notification_reads_back_as_its_states_each_on_one_line(states: dict[str, str]) -> None:
    datagram = systemd_notify.notification(**states).decode()
    lines = datagram.split("\n")
    assert len(lines) == len(states)
    read_back = dict(line.split("=", 1) for line in lines)
    assert read_back == {name: value.split("\n", 1)[0] for name, value in states.items()}


def test_a_name_with_an_at_sign_is_in_the_abstract_namespace() -> None:
    assert systemd_notify.socket_address("@euregate/notify") == "\0euregate/notify"
    assert systemd_notify.socket_address("/run/systemd/notify") == "/run/systemd/notify"


def test_without_a_service_manager_nothing_is_sent() -> None:
    assert systemd_notify.notify({}, READY="1") is False
    assert systemd_notify.notify({"NOTIFY_SOCKET": "relative/path"}, READY="1") is False


def test_a_socket_nobody_listens_on_is_logged_not_raised(tmp_path: Path) -> None:
    absent = {"NOTIFY_SOCKET": str(tmp_path / "nobody")}
    assert systemd_notify.notify(absent, READY="1") is False


# --- a service manager's socket ---------------------------------------------------------------


@dataclass
class ServiceManager:
    """The receiving end of ``NOTIFY_SOCKET``: what the gateway tells it, datagram by
    datagram."""

    address: str
    receiver: socket.socket

    async def next(self) -> dict[str, str]:
        loop = asyncio.get_running_loop()
        datagram = await asyncio.wait_for(loop.sock_recv(self.receiver, 4096), STARTUP)
        return dict(line.split("=", 1) for line in datagram.decode().splitlines())

    async def until(self, name: str) -> dict[str, str]:
        """The next notification that sets ``name``, past any left from an earlier run."""
        while name not in (states := await self.next()):
            pass
        return states


@contextlib.contextmanager
def service_manager(address: str, bound: str) -> Iterator[ServiceManager]:
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    with receiver:
        receiver.bind(bound)
        receiver.setblocking(False)
        yield ServiceManager(address, receiver)


@pytest.fixture(params=["path", "abstract"])
def manager(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceManager]:
    """systemd gives a path (``/run/systemd/notify``); other managers an abstract name."""
    if request.param == "path":
        path = str(tmp_path / "notify")
        with service_manager(path, path) as listening:
            yield listening
    else:
        name = f"euregate-test/{uuid.uuid4()}"
        with service_manager(f"@{name}", f"\0{name}") as listening:
            yield listening


@dataclass
class Service:
    process: asyncio.subprocess.Process
    port: int
    staff_port: int

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    async def stop(self) -> int:
        """SIGTERM, as ``systemctl stop`` sends it; the exit status."""
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), STARTUP)


@asynccontextmanager
async def serving(layout: DataDir, manager: ServiceManager) -> AsyncIterator[Service]:
    """``euregate serve`` in its own process, told of ``manager``; yields at once."""
    port, staff_port = free_port(), free_port()
    command = ["-m", "gateway", "serve", "--data-dir", str(layout.root), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--staff-port", str(staff_port), "--operations-port", "0"]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        cwd=REPO,
        env={**os.environ, "NOTIFY_SOCKET": manager.address},
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        yield Service(process, port, staff_port)
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def accepts(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except ConnectionRefusedError:
        return False
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()
    return True


async def until_refused(port: int) -> None:
    """Returns once ``port`` refuses connections (the listening socket is closed)."""
    for _ in range(500):
        if not await accepts(port):
            return
        await asyncio.sleep(0.02)
    pytest.fail(f"port {port} still accepts connections after the stop began")


# --- ready and stopping -----------------------------------------------------------------------


async def test_ready_comes_once_both_listeners_accept_and_stopping_on_sigterm(
    layout: DataDir, manager: ServiceManager
) -> None:
    async with serving(layout, manager) as service:
        ready = await manager.next()
        assert ready["READY"] == "1"
        assert await accepts(service.port), "READY=1 before the partners' listener accepts"
        assert await accepts(service.staff_port), "READY=1 before the staff listener accepts"
        assert str(service.port) in ready["STATUS"]
        assert str(service.staff_port) in ready["STATUS"]

        exit_status = asyncio.create_task(service.stop())
        stopping = await manager.next()
        assert stopping["STOPPING"] == "1"
        assert await exit_status == 0


# --- what is in flight when the stop comes ----------------------------------------------------


async def unknown_after_a_restart(
    layout: DataDir, manager: ServiceManager, receipts: list[dict[str, Any]]
) -> list[str]:
    """The receipted signals that the gateway, started again, does not answer for with the
    same receipt (each asked by its sender): empty when every one was kept."""
    unknown = []
    async with serving(layout, manager) as service:
        assert (await manager.until("READY"))["READY"] == "1"
        for sender in sorted({receipt["sender"] for receipt in receipts}):
            client = EuregateClient(service.url, ssl_context=client_context(layout, sender))
            async with client:
                for receipt in (r for r in receipts if r["sender"] == sender):
                    try:
                        kept = await client.signal_status(receipt["signal_id"])
                    except Problem as refused:
                        if refused.status != 404:
                            raise
                        unknown.append(receipt["signal_id"])
                        continue
                    assert kept["audit"] == receipt["audit"], receipt["signal_id"]
        assert await service.stop() == 0
    return unknown


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response with a ``Content-Length``: its status and body."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return status, await reader.readexactly(length)


@asynccontextmanager
async def connection(
    layout: DataDir, partner_id: str, port: int
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=client_context(layout, partner_id), server_hostname="127.0.0.1"
    )
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()


async def begun(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
    """Send ``head`` with ``Expect: 100-continue``; returns once the gateway's handler has the
    request (it answers ``100 Continue`` before it reads a body)."""
    writer.write(head.replace(b"\r\n\r\n", b"\r\nExpect: 100-continue\r\n\r\n", 1))
    await writer.drain()
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), STARTUP)
    assert interim.startswith(b"HTTP/1.1 100 Continue"), interim


async def test_a_signal_whose_body_is_still_coming_when_the_stop_begins_is_accepted(
    layout: DataDir, manager: ServiceManager, example: Callable[[str], dict[str, Any]]
) -> None:
    body = json.dumps({**example("nl-drug-waste-maastricht.json"), "sender_reference": "SLOW-1"})
    data = body.encode()
    head = (
        "POST /v1/signals HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode()
    async with serving(layout, manager) as service:
        assert (await manager.next())["READY"] == "1"
        async with connection(layout, SENDER, service.port) as (reader, writer):
            await begun(reader, writer, head)
            writer.write(data[: len(data) // 2])
            await writer.drain()

            exit_status = asyncio.create_task(service.stop())
            assert (await manager.next())["STOPPING"] == "1"
            await until_refused(service.port)
            writer.write(data[len(data) // 2 :])
            await writer.drain()
            status, answer = await asyncio.wait_for(read_response(reader), STARTUP)
        assert await exit_status == 0
    assert status == 202, answer
    assert await unknown_after_a_restart(layout, manager, [json.loads(answer)]) == []


async def test_a_waiting_long_poll_is_answered_when_the_stop_begins(
    layout: DataDir, manager: ServiceManager
) -> None:
    """The long-poll waits up to 50 s and the stop gives requests 20 s: only an answer the
    stop itself gives (an empty inbox and the cursor it came with) can reach the client."""
    head = b"GET /v1/inbox?wait=50&after=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    async with serving(layout, manager) as service:
        assert (await manager.next())["READY"] == "1"
        async with connection(layout, RECIPIENT, service.port) as (reader, writer):
            await begun(reader, writer, head)
            exit_status = asyncio.create_task(service.stop())
            status, answer = await asyncio.wait_for(read_response(reader), STARTUP)
        assert await exit_status == 0
    assert status == 200, answer
    assert json.loads(answer) == {"envelopes": [], "cursor": 0}


async def post_until_stopped(
    url: str, layout: DataDir, template: dict[str, Any], receipts: list[dict[str, Any]]
) -> list[str]:
    """Post from several partners at once until the gateway stops taking them; what each
    refused request got, other than a lost connection, as ``status type``."""
    answers: list[str] = []

    async def worker(sender: str, lane: int) -> None:
        client = EuregateClient(url, ssl_context=client_context(layout, sender), timeout=30)
        async with client:
            for n in range(10_000):
                body = {**template, "sender_reference": f"STOP-{sender}-{lane}-{n}"}
                try:
                    receipts.append(await client.post_signal(body))
                except Problem as refused:
                    answers.append(f"{refused.status} {refused.document.get('type')}")
                    return
                except ClientFailure:
                    return

    await asyncio.gather(*(worker(s, lane) for s in SENDERS for lane in range(3)))
    return answers


async def test_a_stop_under_load_loses_no_receipted_signal_and_exits_0(
    layout: DataDir, manager: ServiceManager, example: Callable[[str], dict[str, Any]]
) -> None:
    receipts: list[dict[str, Any]] = []
    async with serving(layout, manager) as service:
        assert (await manager.next())["READY"] == "1"
        load = asyncio.create_task(
            post_until_stopped(
                service.url, layout, example("nl-drug-waste-maastricht.json"), receipts
            )
        )
        while len(receipts) < 60:
            await asyncio.sleep(0.01)
            assert not load.done(), "posting stopped before the stop"
        assert await service.stop() == 0
        answers = await asyncio.wait_for(load, STARTUP)
    assert [answer for answer in answers if answer.startswith("5")] == []
    assert await unknown_after_a_restart(layout, manager, receipts) == []
    verify = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "audit", "verify", "--data-dir", str(layout.root),
        cwd=REPO, stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert await verify.wait() == 0, "the audit chain is intact"
