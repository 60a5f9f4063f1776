"""Moving a store from a data directory's SQLite file into an empty PostgreSQL database
(``euregate migrate-store``): every row of every table, as it is.

Both schemas are one version (:mod:`gateway.store.migrations`), so the tables and columns are
the same, but for what only PostgreSQL keeps: the claims of work (empty after a move) and the
identity columns that stand for SQLite's ``rowid`` (taken from it, then their sequences set
past the largest). Times and JSON are copied as SQLite keeps them, as text, and cast by
PostgreSQL; flags become booleans. Tables are filled in the order their foreign keys need, so
no trigger is switched off and no superuser is needed; it all happens in one transaction, so a
move that fails leaves the database as empty as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import psycopg

from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_
from gateway.store.migrations import SCHEMA_VERSION
from gateway.store.migrations.postgres_ddl import CLAIM_COLUMNS, KEPT_BY_TRIGGER, ROWID_STANDINS

BATCH: Final = 1000
"""Rows sent to PostgreSQL in one round trip."""

Progress = Callable[[str, int], None]
"""Hears of each table as it is copied: its name and how many rows it held."""


def transfer(database: Path, url: str, *, progress: Progress | None = None) -> dict[str, int]:
    """Copy the SQLite store ``database`` into the PostgreSQL database at ``url``, whose schema
    is made (by starting a store on it) and which holds no Euregate data yet; the rows copied
    per table."""
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        _require_version(source)
        with psycopg.connect(url) as target:
            target.execute("SET timezone = 'UTC'")
            _require_schema(target)
            _require_empty(target)
            copied = {
                table: _copy_table(source, target, table, columns)
                for table, columns in _tables_in_order(target)
            }
            _copy_meta(source, target)
            _advance_identities(target)
            for table, rows in copied.items():
                if progress is not None:
                    progress(table, rows)
        return copied
    finally:
        source.close()


def _require_version(source: sqlite3.Connection) -> None:
    row = source.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    found = int(row[0]) if row else 0
    if found != SCHEMA_VERSION:
        raise RegistryError(
            N_(
                "the SQLite store has schema version {found}, not {known}: run `euregate migrate` "
                "on it first"
            ),
            found=found,
            known=SCHEMA_VERSION,
        )


def _require_schema(target: psycopg.Connection[Any]) -> None:
    row = target.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None or int(row[0]) != SCHEMA_VERSION:
        raise RegistryError(
            N_("the PostgreSQL database has no Euregate schema of version {known}"),
            known=SCHEMA_VERSION,
        )


def _require_empty(target: psycopg.Connection[Any]) -> None:
    for table in ("partners", "signals", "audit", "staff"):
        row = target.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()
        if row is not None and row[0]:
            raise RegistryError(
                N_(
                    "the PostgreSQL database already holds Euregate's data ({table}); a store is "
                    "moved only into an empty one"
                ),
                table=table,
            )


def _tables_in_order(target: psycopg.Connection[Any]) -> list[tuple[str, dict[str, str]]]:
    """Every table but ``meta`` with its columns and their types (but those the database
    computes), each after the tables its foreign keys point to."""
    columns: dict[str, dict[str, str]] = {}
    for table, column, data_type in target.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND is_generated = 'NEVER' "
        "ORDER BY table_name, ordinal_position"
    ):
        columns.setdefault(table, {})[column] = data_type
    needs: dict[str, set[str]] = {table: set() for table in columns}
    for table, referenced in target.execute(
        "SELECT tc.table_name, ccu.table_name FROM information_schema.table_constraints tc "
        "JOIN information_schema.constraint_column_usage ccu "
        "ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema "
        "WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()"
    ):
        if referenced != table:
            needs[table].add(referenced)
    ordered: list[str] = []
    while len(ordered) < len(needs):
        ready = sorted(t for t in needs if t not in ordered and needs[t] <= set(ordered))
        if not ready:
            raise RegistryError(N_("the tables' foreign keys go round in a circle"))
        ordered += ready
    return [(table, columns[table]) for table in ordered if table != "meta"]


def _copy_table(
    source: sqlite3.Connection,
    target: psycopg.Connection[Any],
    table: str,
    every_column: dict[str, str],
) -> int:
    claims = set(CLAIM_COLUMNS) if table in ("copies", "deliveries") else set()
    columns = {name: kind for name, kind in every_column.items() if name not in claims}
    standin = ROWID_STANDINS.get(table)
    selected = ["rowid" if name == standin else name for name in columns]
    booleans = [kind == "boolean" for kind in columns.values()]
    insert = (
        f"INSERT INTO {table} ({', '.join(columns)}) OVERRIDING SYSTEM VALUE "
        f"VALUES ({', '.join('%s' for _ in columns)})"
        + (" ON CONFLICT DO NOTHING" if table in KEPT_BY_TRIGGER else "")
    )
    rows = source.execute(f"SELECT {', '.join(selected)} FROM {table}")
    count = 0
    with target.cursor() as cursor:
        while batch := rows.fetchmany(BATCH):
            values = [
                [
                    bool(v) if flag and v is not None else v
                    for v, flag in zip(row, booleans, strict=True)
                ]
                for row in batch
            ]
            cursor.executemany(insert, values)
            count += len(batch)
    kept = target.execute(f"SELECT count(*) FROM {table}").fetchone()
    if kept is None or kept[0] != count:
        raise RegistryError(
            N_("{table}: {count} rows read from SQLite, {kept} kept in PostgreSQL"),
            table=table,
            count=count,
            kept=kept[0] if kept else 0,
        )
    return count


def _copy_meta(source: sqlite3.Connection, target: psycopg.Connection[Any]) -> None:
    """What the store keeps about itself (the policy in force, inbox positions …), but for
    the schema version, which the PostgreSQL schema has of its own."""
    for key, value in source.execute("SELECT key, value FROM meta WHERE key != 'schema_version'"):
        target.execute(
            "INSERT INTO meta (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def _advance_identities(target: psycopg.Connection[Any]) -> None:
    """Each identity column's sequence past the largest value copied into it."""
    identities = target.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ).fetchall()
    for table, column in identities:
        target.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
            f"coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
        )
