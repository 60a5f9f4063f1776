"""Telling the service manager how the gateway is doing: the ``sd_notify(3)`` protocol.

Under systemd (``Type=notify``) the variable ``NOTIFY_SOCKET`` names an ``AF_UNIX`` datagram
socket; each notification is one datagram of newline-separated ``NAME=value`` assignments,
such as ``READY=1`` once the gateway accepts connections and ``STOPPING=1`` when it begins to
stop. A name that starts with ``@`` is in Linux's abstract namespace. Without the variable
nothing is sent: the gateway runs the same under a terminal, a container engine or a test.

The protocol is a few lines; the ``sdnotify`` package that implements it has not changed since
2017, swallows every error and carries no types, so it is spoken here.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import Final

from gateway.infra.logs import get_logger

SOCKET_VARIABLE: Final = "NOTIFY_SOCKET"
SEND_TIMEOUT: Final = 1.0
"""Seconds a notification may wait for room in the service manager's queue."""

log = get_logger("euregate.systemd")


def socket_address(name: str) -> str:
    """The address to send to for ``$NOTIFY_SOCKET``: a leading ``@`` means the abstract
    namespace, which Python spells with a leading NUL."""
    return "\0" + name[1:] if name.startswith("@") else name


def notification(**states: str) -> bytes:
    """One datagram: ``READY=1\\nSTATUS=...``, from ``notification(READY="1", STATUS="...")``.
    A value holds no newline (it would end the assignment early), so each is cut at its first."""
    lines = []
    for name, value in states.items():
        first_line = value.split("\n", 1)[0]
        lines.append(f"{name}={first_line}")
    return "\n".join(lines).encode()


def notify(environ: Mapping[str, str] | None = None, **states: str) -> bool:
    """Send ``states`` to the service manager, if one listens; whether it was sent.

    A notification that cannot be sent is logged and otherwise ignored: the gateway serves on,
    and systemd, missing ``READY=1``, acts on its own start timeout."""
    name = (os.environ if environ is None else environ).get(SOCKET_VARIABLE, "")
    if not name or name[0] not in "/@":
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sender:
            sender.settimeout(SEND_TIMEOUT)
            sender.sendto(notification(**states), socket_address(name))
    except OSError as exc:
        log.warning(
            "service_manager_not_notified", states=sorted(states), error_type=type(exc).__name__
        )
        return False
    return True
