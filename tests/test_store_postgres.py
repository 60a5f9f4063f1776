"""What is the PostgreSQL store's own: its schema beside SQLite's, one audit chain however many
processes append to it, and no placeholder reachable outside the tests. (What it shares with
SQLite is in the contract tests, ``tests/test_store_contract_*.py``.)"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from gateway.contract.partners import DEMO_NETWORK
from gateway.infra.clock import SystemClock
from gateway.infra.config import load_settings
from gateway.infra.errors import SettingInvalid, StoreUnreachable
from gateway.store import verify_chain
from gateway.store.migrations import SCHEMA_VERSION
from gateway.store.migrations.postgres_ddl import POSTGRES_ONLY_COLUMNS
from gateway.store.postgres import PostgresStore
from gateway.store.postgres.database import ChainNotLocked, Connection, Transaction
from gateway.store.postgres.schema import SchemaTooNew
from gateway.store.sqlite.schema import open_schema as create_sqlite_schema
from tests.test_store_contract_audit_log import event

REPO = Path(__file__).resolve().parent.parent


def opened(url: str) -> PostgresStore:
    return PostgresStore(url, clock=SystemClock(), pool_size=2)


def sqlite_columns(path: Path) -> dict[str, set[str]]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: {row[1] for row in conn.execute(f"PRAGMA table_info({t})")} for t in tables}
    finally:
        conn.close()


def postgres_columns(url: str) -> dict[str, set[str]]:
    columns: dict[str, set[str]] = {}
    with psycopg.connect(url) as conn:
        for table, column in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        ):
            columns.setdefault(table, set()).add(column)
    return columns


async def test_the_schema_has_every_table_and_column_that_sqlite_has_and_its_own_few(
    postgres_url: str, tmp_path: Path
) -> None:
    create_sqlite_schema(tmp_path / "euregate.db")
    async with opened(postgres_url):
        pass

    columns = postgres_columns(postgres_url)
    for table, only_here in POSTGRES_ONLY_COLUMNS.items():
        columns[table] -= set(only_here)
    assert columns == sqlite_columns(tmp_path / "euregate.db")


async def test_the_schema_is_created_once_and_its_version_recorded(postgres_url: str) -> None:
    async with opened(postgres_url) as store:
        await store.record(event(1))
    async with opened(postgres_url) as store:
        assert [e.seq for e in await store.audit_entries()] == [1]

    with psycopg.connect(postgres_url) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert row == (str(SCHEMA_VERSION),)


async def test_instances_started_together_create_the_schema_once(postgres_url: str) -> None:
    stores = [opened(postgres_url) for _ in range(4)]
    await asyncio.gather(*(store.start() for store in stores))
    try:
        await asyncio.gather(*(store.record(event(n)) for n, store in enumerate(stores)))
        assert (await verify_chain(stores[0])).checked == 4
    finally:
        await asyncio.gather(*(store.close() for store in stores))


async def test_a_database_migrated_by_a_newer_euregate_is_refused(postgres_url: str) -> None:
    async with opened(postgres_url):
        pass
    with psycopg.connect(postgres_url) as conn:
        conn.execute(
            "UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),)
        )

    with pytest.raises(SchemaTooNew):
        await opened(postgres_url).start()


APPENDER = """
import asyncio, sys
from gateway.infra.audit import events, refs
from gateway.contract.partners import DEMO_NETWORK
from gateway.infra.clock import SystemClock
from gateway.store.postgres import PostgresStore

async def main(url: str, name: str, count: int) -> None:
    async with PostgresStore(url, clock=SystemClock(), pool_size=3) as store:
        await asyncio.gather(*(
            store.record(events.PolicyExplained(
                by=refs.partner(f"{name}-{n}"), body_sha256=f"{n:064x}",
                policy_sha256="p" * 64, recipients=()))
            for n in range(count)
        ))

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def test_processes_appending_at_once_make_one_unbroken_chain(postgres_url: str) -> None:
    async with opened(postgres_url):
        pass  # the schema first, so that the processes only append
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", APPENDER, postgres_url, name, "60", cwd=REPO
        )
        for name in ("first", "second", "third")
    ]
    assert [await process.wait() for process in processes] == [0, 0, 0]

    async with opened(postgres_url) as store:
        result = await verify_chain(store, page=50)
        actors = [entry.actor for entry in await store.audit_entries()]
    assert (result.ok, result.checked, result.last_seq) == (True, 180, 180)
    assert sorted(actors) == sorted(
        f"partner:{name}-{n}" for name in ("first", "second", "third") for n in range(60)
    )


async def test_a_write_that_fails_leaves_nothing_and_the_chain_goes_on(postgres_url: str) -> None:
    async with opened(postgres_url) as store:
        await store.record(event(1))

        async def failing(tx: Transaction) -> None:
            await tx.append(event(2))
            await tx.conn.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
            await tx.conn.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")

        with pytest.raises(psycopg.errors.UniqueViolation):
            await store.write(failing)
        await store.record(event(3))

        entries = await store.audit_entries()
        assert [(e.seq, e.actor) for e in entries] == [(1, "partner:p1"), (2, "partner:p3")]
        assert (await verify_chain(store)).ok
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM meta WHERE key = 'x'").fetchone() == (0,)


async def test_a_write_that_does_not_lock_the_chain_cannot_append(postgres_url: str) -> None:
    async def appending(tx: Transaction) -> Any:
        return await tx.append(event(1))

    async with opened(postgres_url) as store:
        with pytest.raises(ChainNotLocked):
            await store.write(appending, audited=False)
        assert await store.audit_entries() == []


async def test_reads_cannot_write(postgres_url: str) -> None:
    async def writing(conn: Any) -> None:
        await conn.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")

    async with opened(postgres_url) as store:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            await store.read(writing)


def test_init_on_postgresql_keeps_the_registry_there_and_the_keys_in_the_data_directory(
    postgres_url: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("euregate")), "init", "--demo",
            "--data-dir", str(tmp_path / "data"), "--database", postgres_url,
        ],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    with psycopg.connect(postgres_url) as conn:
        partners = conn.execute("SELECT count(*) FROM partners").fetchone()
        added = conn.execute("SELECT count(*) FROM audit WHERE kind = 'partner.added'").fetchone()
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert partners == added == (len(DEMO_NETWORK),)
    assert row == (str(SCHEMA_VERSION),)
    assert (tmp_path / "data" / "keys" / "signing.key").exists()
    assert not (tmp_path / "data" / "euregate.db").exists()


def test_the_database_url_is_a_setting_of_its_own_kind(tmp_path: Path) -> None:
    with pytest.raises(SettingInvalid) as refused:
        load_settings(data_dir=tmp_path, database_url="mysql://db/euregate")
    assert refused.value.params["setting"] == "database_url"
    assert load_settings(data_dir=tmp_path).database_url is None


def test_the_cluster_runs_as_an_unprivileged_user(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        directory = conn.execute("SHOW data_directory").fetchone()
    assert directory is not None
    owner = subprocess.run(
        ["stat", "-c", "%U", directory[0]], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert owner != "root"


async def test_a_statement_out_of_time_is_refused_without_taking_the_database_for_gone(
    postgres_url: str,
) -> None:
    """The statement timeout bounds one request's work; the caller gets the operator's 503,
    but the store stays healthy: other callers are not made to wait as for an outage."""

    async def slow(conn: Connection) -> None:
        await conn.execute("SELECT pg_sleep(5)")

    store = PostgresStore(
        postgres_url,
        clock=SystemClock(),
        pool_size=2,
        statement_timeout=timedelta(milliseconds=200),
    )
    async with store:
        with pytest.raises(StoreUnreachable):
            await store.read(slow)
        assert store.health.degraded is None
        assert await store.policy_in_force() is None
