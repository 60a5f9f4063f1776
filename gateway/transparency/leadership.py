"""Who sequences the audit log: exactly one instance of the gateway at a time.

The :class:`~gateway.transparency.sequencer.Sequencer` leads only while it holds its
:class:`Leadership` (:func:`leadership_for`). Gateways sharing one SQLite file run on one host,
so an exclusive lock on a file beside the database decides (:class:`LockFile`); gateways
sharing a PostgreSQL database, on one host or several, hold a session-level advisory lock in
it (:class:`~gateway.store.postgres.leadership.SessionLock`). Whatever decides, the store
extends the tree only from the size a sequencer read, so even two leaders could not both
extend it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from pathlib import Path
from typing import Final, Protocol

from gateway.store.postgres.leadership import SessionLock

SEQUENCER_LOCK: Final = "euregate audit sequencer"
"""The name of the advisory lock the sequencing instance holds in a PostgreSQL database."""


class Leadership(Protocol):
    async def acquire(self) -> None:
        """Return once this instance leads, waiting as long as another one does."""
        ...

    def holds(self) -> bool:
        """Whether this instance leads now."""
        ...

    async def release(self) -> None:
        """Lead no more, so that another instance may."""
        ...


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


def leadership_for(database_url: str | None, lock_file: Path) -> Leadership:
    """Who may sequence: the instance that holds the advisory lock in the PostgreSQL database
    at ``database_url``, if one is set, else the one that holds ``lock_file``."""
    if database_url is not None:
        return SessionLock(database_url, SEQUENCER_LOCK)
    return LockFile(lock_file)
