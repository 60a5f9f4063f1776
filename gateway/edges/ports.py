"""Binding a listener's port, and saying in a sentence when it is taken."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from gateway.infra.errors import PortInUse

OPTIONS: Final = {
    "partners": "--port",
    "staff": "--staff-port",
    "operations": "--operations-port",
}
"""The ``serve`` option that moves each listener to another port."""


@contextmanager
def binding(host: str, port: int, listener: str) -> Iterator[None]:
    """Bind ``listener`` on ``host``:``port`` inside; a port already taken is
    :class:`PortInUse`, naming the option that chooses another."""
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(host=host, port=port, option=OPTIONS[listener]) from exc
        raise
