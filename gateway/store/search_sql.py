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


def counted(from_where: str) -> str:
    """How many rows ``from_where`` (a ``FROM … WHERE …``) finds, up to one more than
    :data:`COUNT_MAX`: one more says there are more."""
    return f"SELECT count(*) FROM (SELECT 1 {from_where} LIMIT {COUNT_MAX + 1}) counted"
