"""Backing up a gateway whose store is in PostgreSQL, and restoring it, with real processes as an
operator runs them: ``euregate serve --database`` serves while a partner keeps posting,
``euregate backup`` takes one consistent ``pg_dump`` snapshot of the database with the data
directory, ``euregate restore --database`` refuses a database that holds tables and restores
into a new empty one, ``euregate audit verify --database`` passes on the restored copy, its
counts are the manifest's, and the partners open their envelopes from it with their own keys.
Also the start refusing an outdated schema unless told to migrate, as SQLite's does."""

from __future__ import annotations

import asyncio
import itertools
import os
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest

from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.infra.errors import SchemaOutdated, StoreToolFailed
from gateway.store.migrations import SCHEMA_VERSION
from gateway.store.postgres import PostgresMaintenance, PostgresStore
from gateway.store.postgres.tools import invocation
from tests.conftest import free_port, gateway_process
from tests.polling import until
from tests.postgres import SUPERUSER, Cluster
from tests.test_restore_drill import (
    Load,
    Served,
    command,
    manifest_of,
    pull,
    restored_as_the_manifest_says,
)

LANAKEN = "be-cannabis-lanaken.json"
PASSWORD = "never-in-the-archive-7f3a"
_NAMES = itertools.count(1)


@pytest.fixture
def empty_database(postgres_cluster: Cluster) -> Iterator[str]:
    """The URL of a second new, empty database of the test cluster, dropped after the test."""
    name = f"restored_{os.getpid()}_{next(_NAMES)}"
    postgres_cluster.admin(f"CREATE DATABASE {name} TEMPLATE template0")
    try:
        yield postgres_cluster.url(name)
    finally:
        postgres_cluster.admin(f"DROP DATABASE {name} WITH (FORCE)")


def with_password(url: str) -> str:
    """``url`` with a password in it, as an operator should not write it but might (the test
    cluster trusts local connections, so PostgreSQL never asks for it)."""
    return url.replace(f"postgresql://{SUPERUSER}@", f"postgresql://{SUPERUSER}:{PASSWORD}@")


async def _at_least(load: Load, count: int) -> bool:
    return len(load.accepted) >= count


async def _waiting_for(served: Served, partner_id: str) -> bool:
    async with served.client(partner_id) as client:
        return bool((await client.inbox_page(limit=500))["envelopes"])


async def test_back_up_a_postgresql_gateway_under_load_and_restore_it_into_a_new_database(
    postgres_url: str,
    empty_database: str,
    tmp_path: Path,
    example: Callable[[str], dict[str, Any]],
) -> None:
    live_url = with_password(postgres_url)
    layout = DataDir(tmp_path / "data")
    archive = tmp_path / "euregate-backup.tar"
    restored = DataDir(tmp_path / "restored")
    code, _, err = await command(
        "init", "--demo", "--data-dir", layout.root, "--database", live_url
    )
    assert code == 0, err
    live = Served(layout, free_port(), free_port())

    options = ("--database", live_url)
    async with gateway_process(layout, live.port, staff_port=live.staff_port, options=options):
        async with live.client("be-pol-lanaken") as lanaken_police:
            lanaken = str((await lanaken_police.post_signal(example(LANAKEN)))["signal_id"])
        await until(lambda: _waiting_for(live, "nl-pol-limburg"))
        load = Load(live, example(LANAKEN))
        posting = asyncio.create_task(load.run())
        await until(lambda: _at_least(load, 3))
        accepted_before_backup = list(load.accepted)
        backed_up = await command(
            "backup", "--data-dir", layout.root, "--database", live_url, "--out", archive
        )
        after_backup = len(load.accepted)
        await until(lambda: _at_least(load, after_backup + 3))
        load.stopped.set()
        await posting

    assert backed_up[0] == 0, backed_up[2]
    manifest = manifest_of(archive)
    live_facts = await PostgresMaintenance(postgres_url).facts()
    assert live_facts is not None
    assert manifest.backend == "postgresql"
    assert manifest.schema_version == SCHEMA_VERSION
    assert 1 + len(accepted_before_backup) <= manifest.counts["signals"]
    assert manifest.counts["signals"] < live_facts.counts["signals"]
    assert manifest.log.tree_size > 0
    content = archive.read_bytes()
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "store/euregate.pgdump" in names
    assert "data/keys/master.key" not in names
    assert PASSWORD.encode() not in content
    assert layout.master_key.read_bytes() not in content

    behind_the_live_database = await command(
        "restore", archive, "--data-dir", tmp_path / "behind", "--database", empty_database,
        "--against-database", live_url,
    )  # fmt: skip
    assert behind_the_live_database[0] == 1
    assert "roll the log back" in behind_the_live_database[2]
    assert PASSWORD not in behind_the_live_database[2]
    against_keys_only = await command(
        "restore", archive, "--data-dir", tmp_path / "behind", "--database", empty_database,
        "--against", layout.root,
    )  # fmt: skip
    assert against_keys_only[0] == 1
    assert "--against-database" in against_keys_only[2]
    assert not (tmp_path / "behind").exists()
    assert await PostgresMaintenance(empty_database).facts() is None

    into_live = await command(
        "restore", archive, "--data-dir", tmp_path / "over-live", "--database", postgres_url,
        "--master-key", layout.master_key, "--no-newer-log",
    )  # fmt: skip
    assert into_live[0] == 1
    assert "The database test_" in into_live[2]
    assert "holds tables already" in into_live[2]
    assert "does not match" not in into_live[2]
    assert not (tmp_path / "over-live").exists()
    after_refusal = await PostgresMaintenance(postgres_url).facts()
    assert after_refusal == live_facts

    restoring = await command(
        "restore", archive, "--data-dir", restored.root, "--database", empty_database,
        "--master-key", layout.master_key, "--no-newer-log",
    )  # fmt: skip
    verified = await command(
        "audit", "verify", "--data-dir", restored.root, "--database", empty_database
    )
    facts = await PostgresMaintenance(empty_database).facts()

    restored_as_the_manifest_says(manifest, restoring, verified, facts)

    copy = Served(restored, free_port(), free_port())
    options = ("--database", empty_database)
    async with gateway_process(restored, copy.port, staff_port=copy.staff_port, options=options):
        limburg = await pull(copy, "nl-pol-limburg", layout)
        async with copy.client("be-pol-lanaken") as sender:
            statuses = [await sender.signal_status(id_) for id_ in accepted_before_backup]

    assert lanaken in {message.signal_id for message in limburg}
    assert not {message.signal_id for message in limburg} & set(load.accepted[after_backup:])
    assert [status["signal_id"] for status in statuses] == accepted_before_backup


async def test_a_sqlite_backup_is_not_restored_into_postgresql(
    layout: DataDir, empty_database: str, tmp_path: Path
) -> None:
    archive = tmp_path / "sqlite.tar"
    assert (await command("backup", "--data-dir", layout.root, "--out", archive))[0] == 0

    code, _, err = await command(
        "restore", archive, "--data-dir", tmp_path / "new", "--database", empty_database,
        "--no-newer-log",
    )  # fmt: skip

    assert code == 1
    assert "its store is sqlite, this gateway's is postgresql" in err
    assert not (tmp_path / "new").exists()
    assert await PostgresMaintenance(empty_database).facts() is None


async def test_an_outdated_schema_is_refused_at_start_and_migrate_leaves_a_current_one(
    postgres_url: str,
) -> None:
    maintenance = PostgresMaintenance(postgres_url)
    created = await maintenance.migrate()
    again = await maintenance.migrate()
    with psycopg.connect(postgres_url) as conn:
        conn.execute(
            "UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(SCHEMA_VERSION - 1),)
        )

    with pytest.raises(SchemaOutdated):
        await PostgresStore(postgres_url, clock=SystemClock()).start()
    assert (created.before, created.after) == (None, SCHEMA_VERSION)
    assert (again.before, again.after, again.migrated) == (SCHEMA_VERSION, SCHEMA_VERSION, False)


async def test_migrate_on_a_current_postgresql_store_has_nothing_to_do(
    layout: DataDir, postgres_url: str
) -> None:
    await PostgresMaintenance(postgres_url).migrate()

    code, out, err = await command("migrate", "--data-dir", layout.root, "--database", postgres_url)

    assert code == 0, err
    assert f"at version {SCHEMA_VERSION} already" in out


def test_the_password_of_the_url_reaches_the_tool_through_its_environment_only() -> None:
    socket = quote("/run/postgresql", safe="")
    url = f"postgresql://euregate:{PASSWORD}@/euregate?host={socket}&sslmode=disable"

    call = invocation(Path("/usr/bin/pg_dump"), url, "--format=custom")

    assert not any(PASSWORD in argument for argument in call.argv)
    assert call.environment == {"PGPASSWORD": PASSWORD}
    assert "dbname=euregate" in " ".join(call.argv)
    assert "host=/run/postgresql" in " ".join(call.argv)
    assert call.argv[-1] == "--format=custom"


def test_a_url_without_a_password_adds_none_to_the_environment() -> None:
    call = invocation(Path("pg_restore"), "postgresql://euregate@db.example:5433/euregate")

    assert call.environment == {}
    assert "port=5433" in " ".join(call.argv)


async def test_a_missing_dump_tool_is_said_so_and_leaves_no_copy_behind(
    postgres_url: str, tmp_path: Path
) -> None:
    maintenance = PostgresMaintenance(postgres_url, bin_dir=tmp_path / "no-such-folder")
    await maintenance.migrate()

    with pytest.raises(StoreToolFailed) as failed:
        await maintenance.snapshot(tmp_path / "copy.pgdump")

    assert failed.value.params["tool"] == "pg_dump"
    assert not (tmp_path / "copy.pgdump").exists()
