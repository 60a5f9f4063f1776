"""Advisory locks named by what they guard, each held by one transaction at a time in every
process that shares the database, until that transaction ends."""

from __future__ import annotations

import hashlib

from gateway.store.postgres.database import Connection


def advisory_key(*names: str) -> int:
    """The lock's number: 64 bits of a hash of its names."""
    digest = hashlib.sha256("\x1f".join(("euregate", *names)).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def hold(conn: Connection, *names: str) -> None:
    """Wait for the lock named ``names`` and hold it until the transaction on ``conn`` ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key(*names),))
