"""Leadership among the processes of one host: an exclusive ``flock`` on a file."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from pathlib import Path


class LockFile:
    """Leadership among the processes of one host: an exclusive ``flock`` on ``path``. The
    kernel lets go of it when the process ends, however it ends."""

    def __init__(self, path: Path, *, retry: float = 1.0) -> None:
        self._path = path
        self._retry = retry
        self._descriptor: int | None = None

    async def acquire(self) -> None:
        """Try now and every ``retry`` seconds: a lock waited for in a thread could not be
        given up when the gateway stops."""
        while True:
            if await asyncio.to_thread(self._try):
                return
            await asyncio.sleep(self._retry)

    def _try(self) -> bool:
        if self._descriptor is not None:
            return True
        descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        self._descriptor = descriptor
        return True

    def holds(self) -> bool:
        return self._descriptor is not None

    async def release(self) -> None:
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)
