"""SQL of the compliance search that SQLite and PostgreSQL both speak: the values in use read
by skipping through an index, and a count that stops at :data:`COUNT_MAX`."""

from __future__ import annotations

from typing import Final

from gateway.store.interface.audit_search import COUNT_MAX


def distinct_values(table: str, column: str) -> str:
    """The distinct non-null values of ``column``, sorted, read as a loose index scan: one
    index probe per value (from an index that starts with ``column``), not a scan of every
    row. Names are fixed by the caller, never given."""
    first = f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"
    return (
        f"WITH RECURSIVE v(x) AS (SELECT * FROM ({first} ORDER BY {column} LIMIT 1) f "
        f"UNION ALL SELECT (SELECT {column} FROM {table} WHERE {column} > v.x "
        f"ORDER BY {column} LIMIT 1) FROM v WHERE v.x IS NOT NULL) "
        "SELECT x FROM v WHERE x IS NOT NULL"
    )


CATEGORIES: Final = distinct_values("signals", "category")
RULE_SETS: Final = distinct_values("decisions", "rule_ids")
"""Each distinct list of rules that decided together (few, however many decisions)."""

HANDED_OUT: Final = (
    "EXISTS (SELECT 1 FROM fetched_signals f "
    "WHERE f.signal_id = d.signal_id AND f.recipient_id = d.recipient_id)"
)
"""Whether an inbox fetch of its recipient handed exchange ``d`` out: the signal's few fetches,
found by its key in ``fetched_signals`` (which a trigger keeps as fetches are chained)."""


def fetches_of(signal: str) -> str:
    """Whether audit entry ``a`` is an inbox fetch that handed out the signal whose id is bound
    at ``signal`` (a placeholder)."""
    return f"a.seq IN (SELECT f.audit_seq FROM fetched_signals f WHERE f.signal_id = {signal})"


def counted(from_where: str) -> str:
    """How many rows ``from_where`` (a ``FROM … WHERE …``) finds, up to one more than
    :data:`COUNT_MAX`: one more says there are more."""
    return f"SELECT count(*) FROM (SELECT 1 {from_where} LIMIT {COUNT_MAX + 1}) counted"


def count_into_hours(hour_of_receipt: str, signal: str) -> str:
    """Count the decisions on the signal whose id is bound at ``signal`` (a placeholder) into
    ``decision_hours``, under the hour ``hour_of_receipt`` (an expression of ``s.received_at``
    in the dialect) of its receipt: the charts' figures kept as signals are accepted."""
    return (
        "INSERT INTO decision_hours (hour, sender_country, recipient_country, verdict, rule_ids, "
        f"decisions) SELECT {hour_of_receipt}, ps.country, pr.country, d.verdict, d.rule_ids, "
        "count(*) FROM signals s JOIN decisions d ON d.signal_id = s.id "
        "JOIN partners ps ON ps.id = s.sender_id JOIN partners pr ON pr.id = d.recipient_id "
        f"WHERE s.id = {signal} GROUP BY 1, 2, 3, 4, 5 "
        "ON CONFLICT (hour, sender_country, recipient_country, verdict, rule_ids) "
        "DO UPDATE SET decisions = decision_hours.decisions + excluded.decisions"
    )
