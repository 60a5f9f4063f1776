"""Whose turn it is to write, among the processes of one host that share a SQLite file
(``serve --workers N``): an exclusive ``flock`` on a file beside the database, taken by each
process's writer around its transaction.

SQLite serialises writers itself, but a writer that finds the file locked sleeps on a fixed
schedule (1, 2, 5, 10, 15, 20, 25 … 100 ms) before it tries again, so with two processes
committing a few milliseconds apart one of them keeps waking too late, and waits tens to
hundreds of milliseconds for a lock that was free most of that time. Here the turn is asked
for every half millisecond instead, which a waiting writer gets within that of its release.
The wait is bounded: after ``patience`` the writer goes on to SQLite's own lock, whose busy
timeout then decides."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

POLL: Final = 0.0005
"""Seconds between two asks for the turn."""


def turn_path(database: Path) -> Path:
    """The file whose lock is the turn: beside the database, named after it."""
    return database.with_name(database.name + ".writer")


class WriterTurn:
    """The turn to write, for one writer thread; opened on first use, closed by :meth:`close`."""

    def __init__(self, database: Path, *, patience: float) -> None:
        self._path = turn_path(database)
        self._patience = patience
        self._descriptor: int | None = None

    @contextlib.contextmanager
    def held(self) -> Iterator[bool]:
        """Hold the turn for the ``with`` block; whether it was had (False after ``patience``
        or when the file cannot be opened: SQLite's lock alone then serialises)."""
        had = self._take()
        try:
            yield had
        finally:
            if had and self._descriptor is not None:
                fcntl.flock(self._descriptor, fcntl.LOCK_UN)

    def _take(self) -> bool:
        try:
            descriptor = self._open()
        except OSError:
            return False
        deadline = time.monotonic() + self._patience
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(POLL)
            else:
                return True

    def _open(self) -> int:
        if self._descriptor is None:
            self._descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._descriptor

    def close(self) -> None:
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is not None:
            os.close(descriptor)
