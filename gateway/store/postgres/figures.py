"""The charts' figures kept as signals are accepted (see :mod:`gateway.store.sqlite.figures`),
each hour a ``timestamptz`` truncated in UTC."""

from __future__ import annotations

from typing import Final

from gateway.store.postgres.database import Transaction
from gateway.store.search_sql import count_into_hours

_COUNT: Final = count_into_hours("date_trunc('hour', s.received_at, 'UTC')", "%s")


def count_decisions(tx: Transaction, signal_id: str) -> None:
    """Count one signal's decisions into its hour, once the transaction's entries are chained:
    every signal of an hour counts into the same rows, which only the chain's holder touches,
    so that processes accepting signals at once do not wait for each other's rows."""
    tx.after_chaining(_COUNT, (signal_id,))
