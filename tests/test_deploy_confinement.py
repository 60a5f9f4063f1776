"""The gateway works under the confinement ``deploy/systemd/euregate.service`` puts it in.

``MemoryDenyWriteExecute=yes`` would stop a Python that made memory both writable and
executable (a JIT, or callbacks through libffi closures), and the system call filter one that
needed a call outside ``@system-service``; either would show only on an installed machine.
Here ``tests/confinement.py`` applies the unit's ``NoNewPrivileges=``,
``MemoryDenyWriteExecute=``, ``SystemCallFilter=``, ``SystemCallErrorNumber=`` and
``RestrictAddressFamilies=`` with the kernel's own mechanisms (systemd is not the init
process here, so ``systemd-run`` cannot), and the real ``euregate serve`` takes a signal,
seals a copy for its recipient, hands it out (the recipient opens it) and stops cleanly
under them."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from euregate_client import EuregateClient, open_message

from gateway.infra import seal
from gateway.infra.config import DataDir
from tests.conftest import REPO, client_context, free_port
from tests.test_serve_lifecycle import STARTUP, service_manager

SENDER, RECIPIENT = "be-pol-lanaken", "nl-pol-limburg"
SIGNAL = "be-cannabis-lanaken.json"
"""Dutch from Lanaken to Limburg: a copy that needs no review, sealed at once."""
UNIT = REPO / "deploy" / "systemd" / "euregate.service"
CONFINED = [sys.executable, "-m", "tests.confinement", str(UNIT), "--"]

PROBE = """
import json, mmap, os, socket
found = {}
try:
    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    found["writable_and_executable"] = "allowed"
except OSError as exc:
    found["writable_and_executable"] = exc.errno
try:
    socket.socket(socket.AF_NETLINK, socket.SOCK_RAW).close()
    found["netlink_socket"] = "allowed"
except OSError as exc:
    found["netlink_socket"] = exc.errno
try:
    os.sched_setaffinity(0, os.sched_getaffinity(0))
    found["cpu_affinity"] = "allowed"
except OSError as exc:
    found["cpu_affinity"] = exc.errno
socket.socket(socket.AF_INET6, socket.SOCK_STREAM).close()
found["internet_socket"] = "allowed"
import argon2
argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("staff password")
found["argon2id"] = "allowed"
print(json.dumps(found))
"""


def probe(prefix: list[str]) -> dict[str, Any]:
    ran = subprocess.run(
        [*prefix, sys.executable, "-c", PROBE],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    found: dict[str, Any] = json.loads(ran.stdout)
    return found


def test_the_confinement_refuses_what_the_unit_forbids() -> None:
    """The same probe, free and confined: each refusal comes from the confinement."""
    assert probe([]) == {
        "writable_and_executable": "allowed",
        "netlink_socket": "allowed",
        "cpu_affinity": "allowed",
        "internet_socket": "allowed",
        "argon2id": "allowed",
    }
    assert probe(CONFINED) == {
        "writable_and_executable": errno.EACCES,  # MemoryDenyWriteExecute=
        "netlink_socket": errno.EPERM,  # RestrictAddressFamilies=
        "cpu_affinity": errno.EPERM,  # SystemCallFilter=~@resources
        "internet_socket": "allowed",
        "argon2id": "allowed",  # staff passwords (argon2-cffi) under MemoryDenyWriteExecute=
    }


async def test_the_gateway_serves_and_stops_under_the_unit_s_confinement(
    layout: DataDir, tmp_path: Path, example: Callable[[str], dict[str, Any]]
) -> None:
    port, staff_port = free_port(), free_port()
    notify = str(tmp_path / "notify")
    errors = tmp_path / "stderr"
    command = [*CONFINED, sys.executable, "-m", "gateway", "serve", "--data-dir", str(layout.root)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--staff-port", str(staff_port)]
    command += ["--operations-port", "0"]
    with service_manager(notify, notify) as manager, errors.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=REPO,
            env={**os.environ, "NOTIFY_SOCKET": notify},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            assert (await manager.next())["READY"] == "1"
            url = f"https://127.0.0.1:{port}"
            sender = EuregateClient(url, ssl_context=client_context(layout, SENDER))
            async with sender:
                receipt = await sender.post_signal(example(SIGNAL))
            recipient = EuregateClient(url, ssl_context=client_context(layout, RECIPIENT))
            async with recipient:
                keys = await recipient.gateway_keys()
                inbox = await recipient.inbox_page(wait=30)
            process.send_signal(15)
            assert (await manager.next())["STOPPING"] == "1"
            assert await asyncio.wait_for(process.wait(), STARTUP) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    (entry,) = inbox["envelopes"]
    private_key = seal.load_private_key(layout.partner_encryption_key(RECIPIENT).read_bytes())
    message = open_message(
        entry, private_key=private_key, recipient_id=RECIPIENT, gateway_keys=keys
    )
    assert message.signal_id == receipt["signal_id"]
    assert message.content["signal"]["summary"] == example(SIGNAL)["summary"]
    assert "Traceback" not in errors.read_text(encoding="utf-8")
