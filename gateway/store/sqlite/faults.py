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

# SQLite's primary result codes (https://sqlite.org/rescode.html); extended codes keep them in
# their lowest byte.
_FAULTS: Final[dict[int, type[StorageUnavailable]]] = {
    5: StoreUnreachable,  # SQLITE_BUSY: locked by another process beyond the busy timeout
    6: StoreUnreachable,  # SQLITE_LOCKED
    7: StorageFailing,  # SQLITE_NOMEM
    8: StorageReadOnly,  # SQLITE_READONLY
    10: StorageFailing,  # SQLITE_IOERR
    11: StorageFailing,  # SQLITE_CORRUPT
    13: StorageFull,  # SQLITE_FULL
    14: StoreUnreachable,  # SQLITE_CANTOPEN
    15: StorageFailing,  # SQLITE_PROTOCOL
    26: StorageFailing,  # SQLITE_NOTADB
}


def storage_fault(exc: sqlite3.Error) -> StorageUnavailable | None:
    """The storage fault ``exc`` stands for; None for an error of the SQL or the data, which
    stays the writer's own (a bug, or a constraint a write checks)."""
    code = getattr(exc, "sqlite_errorcode", None)
    fault = _FAULTS.get(code & 0xFF) if isinstance(code, int) else None
    return fault() if fault is not None else None
