"""Which errors of PostgreSQL are the database's fault rather than the caller's, and what the
caller is told for them: the operator's :class:`~gateway.infra.errors.StorageUnavailable`."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import errors
from psycopg_pool import PoolTimeout

from gateway.infra.errors import (
    StorageFull,
    StorageReadOnly,
    StorageUnavailable,
    StoreUnreachable,
)


@dataclass(frozen=True)
class Refusal:
    """What the caller is told, and whether the database is to be taken for degraded (a
    statement out of its time is refused, but the database answered)."""

    fault: StorageUnavailable
    degrades: bool


def refusal(exc: BaseException, *, writing: bool) -> Refusal | None:
    """The refusal ``exc`` stands for, or None when it is the caller's own error (a broken
    constraint, a typed error of the store) to be raised as it is."""
    if isinstance(exc, errors.QueryCanceled):
        return Refusal(StoreUnreachable(), degrades=False)
    if isinstance(exc, errors.DiskFull):
        return Refusal(StorageFull(), degrades=True)
    if isinstance(exc, errors.ReadOnlySqlTransaction):
        return Refusal(StorageReadOnly(), degrades=True) if writing else None
    if isinstance(exc, (psycopg.OperationalError, PoolTimeout)):
        return Refusal(StoreUnreachable(), degrades=True)
    return None


def connection_lost(exc: BaseException, conn: psycopg.AsyncConnection[object] | None) -> bool:
    """Whether ``exc`` means the connection (or the database behind it) is gone, rather than
    that one statement failed: then nothing of its transaction was kept."""
    if isinstance(exc, PoolTimeout):
        return True
    if conn is not None and (conn.broken or conn.closed):
        return True
    sqlstate = getattr(exc, "sqlstate", None)
    return isinstance(exc, psycopg.OperationalError) and (
        sqlstate is None or sqlstate.startswith(("08", "57P"))
    )
