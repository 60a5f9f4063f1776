"""Advisory locks by name: what serialises a write across every process that shares the
database where no row can be locked (an empty table, a number computed from all rows). Each
is held by one transaction at a time, until that transaction ends."""

from __future__ import annotations

import hashlib
from typing import Any, Final

from psycopg import AsyncConnection

INBOX_LOCK: Final = "inbox"
"""A recipient's inbox, while an envelope is given its position in it; taken only under the
chain's lock."""


def advisory_key(*names: str) -> int:
    """The lock's number: 64 bits of a hash of its names."""
    digest = hashlib.sha256("\x1f".join(("euregate", *names)).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def lock_for_transaction(conn: AsyncConnection[Any], key: int) -> None:
    """Wait for the advisory lock ``key``; it is held until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (key,))


async def hold(conn: AsyncConnection[Any], *names: str) -> None:
    """Wait for the lock named ``names`` and hold it until the transaction on ``conn`` ends."""
    await lock_for_transaction(conn, advisory_key(*names))
