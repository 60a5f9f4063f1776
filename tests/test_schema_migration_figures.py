"""Version 14 on a database that version 11 wrote: the decisions kept before are counted into
the charts' hours as they would have been counted at intake, and the search's indexes exist;
on PostgreSQL, the migration's count of the signals kept before is the count intake keeps."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import sqlite_utils

from gateway.decide.decision import Verdict
from gateway.infra.clock import SystemClock
from gateway.store.migrations import MIGRATIONS, SCHEMA_VERSION, postgres_ddl
from gateway.store.postgres import PostgresStore
from gateway.store.sqlite import SqliteMaintenance, SqliteStore
from gateway.store.sqlite.schema import connect
from tests.test_store_contract_signals import AACHEN, LIEGE, accepted, new_signal, with_partners

PARTNERS = (("nl-pol-limburg", "NL"), ("be-pol-liege", "BE"), ("de-pol-aachen", "DE"))
# signal, sender, received, (recipient, verdict, rules) ...
SIGNALS = (
    ("s-1", "nl-pol-limburg", "2026-03-02T09:10:00.000000Z",
     (("be-pol-liege", "deliver", '["2"]'), ("de-pol-aachen", "review", '["7", "9"]'))),
    ("s-2", "nl-pol-limburg", "2026-03-02T09:50:00.000000Z",
     (("be-pol-liege", "deliver", '["2"]'), ("de-pol-aachen", "deny", "[]"))),
    ("s-3", "be-pol-liege", "2026-03-02T10:00:00.000000Z",
     (("nl-pol-limburg", "deliver", '["2"]'),)),
)  # fmt: skip


def version_11(path: Path) -> None:
    conn = connect(path)
    db = sqlite_utils.Database(conn)
    for migration in MIGRATIONS[:11]:
        migration.sqlite(db)
    db.table("meta").upsert({"key": "schema_version", "value": "11"}, pk="key")
    for partner, country in PARTNERS:
        conn.execute(
            "INSERT INTO partners (id, name, country, agency_type, languages, state, created_at) "
            "VALUES (?, ?, ?, 'police', '[]', 'active', '2026-01-01T00:00:00Z')",
            (partner, partner, country),
        )
    for signal, sender, received, decisions in SIGNALS:
        conn.execute(
            "INSERT INTO signals (id, sender_id, sender_reference, body_sha256, received_at, "
            "sealed_body, category) VALUES (?, ?, ?, 'd', ?, x'00', 'missing_person')",
            (signal, sender, signal, received),
        )
        for recipient, verdict, rules in decisions:
            conn.execute(
                "INSERT INTO decisions (signal_id, recipient_id, verdict, rule_ids, "
                "policy_sha256, decision) VALUES (?, ?, ?, ?, 'p', '{}')",
                (signal, recipient, verdict, rules),
            )
    conn.commit()
    conn.close()


async def test_the_decisions_kept_before_are_counted_into_their_hours(tmp_path: Path) -> None:
    database = tmp_path / "euregate.db"
    version_11(database)
    nine = datetime(2026, 3, 2, 9, tzinfo=UTC)

    change = await SqliteMaintenance(database).migrate()
    async with SqliteStore(database, clock=SystemClock()) as store:
        hours = await store.exchanges_by_hour(since=nine, until=nine + timedelta(hours=2))
        by_rule = await store.decisions_by_rule(since=nine, until=nine + timedelta(hours=2))
        values = await store.search_values()

    assert (change.before, change.after) == (11, SCHEMA_VERSION)
    assert [(h.hour, h.sender_country, h.recipient_country, h.exchanges) for h in hours] == [
        (nine, "NL", "BE", 2),
        (nine, "NL", "DE", 1),
        (nine + timedelta(hours=1), "BE", "NL", 1),
    ], "s-1 and s-2 in the hour of nine, s-3 in the next; the denied decision is not counted"
    assert sorted((c.rule_id, c.verdict, c.decisions) for c in by_rule) == [
        ("", Verdict.DENY, 1),
        ("2", Verdict.DELIVER, 3),
        ("7", Verdict.REVIEW, 1),
        ("9", Verdict.REVIEW, 1),
    ]
    assert (values.categories, values.rules) == (("missing_person",), ("2", "7", "9"))
    with sqlite3.connect(database) as conn:
        indexes = {
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
    assert {"signals_received", "signals_category", "decisions_rule_sets"} <= indexes


async def test_postgresql_counts_the_signals_kept_before_as_intake_counts_them(
    postgres_url: str,
) -> None:
    async with PostgresStore(postgres_url, clock=SystemClock()) as store:
        await with_partners(store)
        for number, minutes in enumerate((0, 10, 70, 24 * 60)):
            made = new_signal(number, LIEGE, AACHEN, received=minutes)
            await store.accept_signal(made, accepted(made))
    backfill = next(
        s for s in postgres_ddl.VERSION_14 if s.startswith("INSERT INTO decision_hours")
    )
    rows = "SELECT * FROM decision_hours ORDER BY 1, 2, 3, 4, 5"

    with psycopg.connect(postgres_url) as conn:
        kept = conn.execute(rows).fetchall()
        conn.execute("DELETE FROM decision_hours")
        conn.execute(backfill)
        counted = conn.execute(rows).fetchall()

    assert [r[-1] for r in kept] == [2, 2, 1, 1, 1, 1], "two signals in the first hour"
    assert counted == kept
