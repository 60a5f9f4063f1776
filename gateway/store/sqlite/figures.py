"""The charts' figures kept as signals are accepted: decisions counted per hour of receipt
(UTC), country pair, verdict and set of rules, in the transaction that keeps the decisions, so
that a month's chart adds up a few thousand counts instead of reading every exchange. An hour
is kept as a time is (``…T14:00:00.000000Z``)."""

from __future__ import annotations

import sqlite3
from typing import Final

from gateway.store.search_sql import count_into_hours

_COUNT: Final = count_into_hours("substr(s.received_at, 1, 13) || ':00:00.000000Z'", "?")


def count_decisions(conn: sqlite3.Connection, signal_id: str) -> None:
    conn.execute(_COUNT, (signal_id,))
