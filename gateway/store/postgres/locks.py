"""Advisory locks by name: what serialises a write across every process that shares the
database where no row can be locked (an empty table, a number computed from all rows)."""

from __future__ import annotations

import hashlib
from typing import Any

from psycopg import AsyncConnection


def advisory_key(name: str) -> int:
    """The 64-bit key of the advisory lock called ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


async def lock_for_transaction(conn: AsyncConnection[Any], key: int) -> None:
    """Wait for the advisory lock ``key``; it is held until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
