"""SQLite's errors that are the storage's fault, not the caller's, as the store's typed faults."""

from __future__ import annotations

import sqlite3
from typing import Final

from gateway.infra.errors import (
    StorageFailing,
    StorageFull,
    StorageReadOnly,
    StorageUnavailable,
    StoreUnreachable,
)

# SQLite's primary result codes (https://sqlite.org/rescode.html); an extended code keeps its
# primary code in its lowest byte.
_FAULTS: Final[dict[int, type[StorageUnavailable]]] = {
    sqlite3.SQLITE_BUSY: StoreUnreachable,  # locked by another process beyond the busy timeout
    sqlite3.SQLITE_LOCKED: StoreUnreachable,
    sqlite3.SQLITE_CANTOPEN: StoreUnreachable,
    sqlite3.SQLITE_READONLY: StorageReadOnly,
    sqlite3.SQLITE_FULL: StorageFull,
    sqlite3.SQLITE_IOERR: StorageFailing,
    sqlite3.SQLITE_CORRUPT: StorageFailing,
    sqlite3.SQLITE_NOTADB: StorageFailing,
    sqlite3.SQLITE_NOMEM: StorageFailing,
    sqlite3.SQLITE_PROTOCOL: StorageFailing,
}
_EXTENDED: Final[dict[int, type[StorageUnavailable]]] = {
    # The write-ahead log's index could not grow: on a full disk, that is how SQLite often
    # meets it first (it reports ENOSPC as SQLITE_FULL only for its own writes).
    sqlite3.SQLITE_IOERR_SHMSIZE: StorageFull,
}


def storage_fault(exc: sqlite3.Error) -> StorageUnavailable | None:
    """The storage fault ``exc`` stands for; None for an error of the SQL or the data, which
    stays the writer's own (a bug, or a constraint a write checks)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(code, int):
        return None
    fault = _EXTENDED.get(code) or _FAULTS.get(code & 0xFF)
    return fault() if fault is not None else None
