"""Whether the store can keep what it is given, and if not, since when and why.

A full disk, a read-only file system or an unreachable database is the operator's to fix. The
store reports each fault here; :class:`StoreHealth` says so in the log once when it begins
and once when it ends, however many requests are refused in between, and
the readiness check and the metrics read :attr:`StoreHealth.degraded`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from gateway.infra.audit import timestamp
from gateway.infra.clock import Clock
from gateway.infra.errors import (
    StorageFailing,
    StorageFull,
    StorageReadOnly,
    StorageUnavailable,
    StoreUnreachable,
)
from gateway.infra.logs import get_logger

log = get_logger("euregate.store")
PROBE_BYTES: Final = 64 * 1024
"""How much a probe writes: more than a few database pages, so that a nearly full disk fails."""


@dataclass(frozen=True)
class Degraded:
    """Why the store cannot keep anything, and since when."""

    kind: str
    """The latest fault's problem kind: ``storage-full``, ``storage-read-only``,
    ``storage-failing`` or ``store-unreachable``."""
    since: datetime
    refused: int
    """How many reads and writes were refused since."""
    kinds: frozenset[str]
    """Every kind of fault met since."""


class StoreHealth:
    """The store's state of health, set by the thread that meets a fault, read by anyone. The
    log says ``store_degraded`` once when a degradation begins (whatever faults follow it) and
    ``store_recovered`` once when it ends."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._degraded: Degraded | None = None

    @property
    def degraded(self) -> Degraded | None:
        """Why the store is degraded; None while it keeps what it is given."""
        return self._degraded

    def faulted(self, fault: StorageUnavailable, *, refused: int = 1) -> None:
        """``refused`` reads or writes were refused for ``fault``."""
        with self._lock:
            current = self._degraded
            if current is not None:
                self._degraded = Degraded(
                    fault.kind,
                    current.since,
                    current.refused + refused,
                    current.kinds | {fault.kind},
                )
                return
            self._degraded = Degraded(
                fault.kind, self._clock.now(), refused, frozenset({fault.kind})
            )
        log.error("store_degraded", kind=fault.kind, status=fault.status)

    def cleared(self) -> None:
        """The storage takes writes again."""
        with self._lock:
            ended, self._degraded = self._degraded, None
        if ended is not None:
            log.warning(
                "store_recovered",
                kinds=sorted(ended.kinds),
                since=timestamp(ended.since),
                refused=ended.refused,
            )


def probe_writable(directory: Path) -> StorageUnavailable | None:
    """Write, flush and remove a small file in ``directory``: the fault that stops it, or None
    when the file system takes writes again."""
    probe = directory / ".euregate-probe"
    try:
        descriptor = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(descriptor, bytes(PROBE_BYTES))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as exc:
        return os_fault(exc)
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
    return None


def os_fault(exc: OSError) -> StorageUnavailable:
    """The store's fault for an operating system's error on its files."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFull()
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StorageReadOnly()
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return StoreUnreachable()
    return StorageFailing()
