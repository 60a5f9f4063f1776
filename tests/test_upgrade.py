"""Upgrading a data directory that the previous release made (``tests/fixtures/release-v10``,
schema version 10): ``serve`` and the other commands refuse it until ``euregate migrate`` (or
``serve --migrate``) brings it forward, nothing is lost on the way, and the audit log verifies
afterwards, also as the Merkle tree the new release builds from it. A schema newer than the
release knows is refused by every command, ``migrate`` too."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

import pytest

from gateway.edges.cli import main
from gateway.infra.audit import AuditEntry
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.store.sqlite import SqliteMaintenance, SqliteStore
from gateway.store.sqlite.schema import SCHEMA_VERSION
from tests.conftest import REPO, free_port
from tests.polling import until

RELEASE_V10: Final = REPO / "tests" / "fixtures" / "release-v10"
ENTRIES_V10: Final = 38
COUNTS_V10: Final = {
    "signals": 5,
    "copies": 2,
    "envelopes": 2,
    "review_items": 8,
    "audit_entries": ENTRIES_V10,
    "partners": 9,
}


@pytest.fixture
def release_v10(tmp_path: Path) -> DataDir:
    layout = DataDir(tmp_path / "data")
    shutil.copytree(RELEASE_V10, layout.root, ignore=shutil.ignore_patterns("README.md"))
    for secret in (layout.master_key, layout.signing_key, layout.ca_key, layout.server_key):
        secret.chmod(0o600)
    return layout


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@asynccontextmanager
async def serving(layout: DataDir, *flags: str) -> AsyncIterator[tuple[int | None, str]]:
    """``euregate serve`` as an operator starts it: its exit code and standard error if it
    stopped by itself, else ``(None, "")`` while it listens (it is stopped after the block)."""
    command = ["-m", "gateway", "serve", "--data-dir", str(layout.root), "--host", "127.0.0.1"]
    command += ["--port", str(free_port()), "--staff-port", str(free_port()), *flags]
    process = await asyncio.create_subprocess_exec(
        sys.executable, *command, cwd=REPO, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        async with asyncio.timeout(60):
            while line := await process.stdout.readline():
                if b"listening" in line:
                    break
        if not line:
            yield await process.wait(), (await process.stderr.read()).decode()
            return
        drain = asyncio.gather(process.stdout.read(), process.stderr.read())
        yield None, ""
        process.terminate()
        await drain
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def serve(layout: DataDir, *flags: str) -> tuple[int | None, str]:
    async with serving(layout, *flags) as outcome:
        return outcome


async def entries_after(layout: DataDir, seq: int) -> list[AuditEntry]:
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        return await store.audit_entries(after=seq)


def schema_of(layout: DataDir) -> int:
    with sqlite3.connect(layout.database) as conn:
        (version,) = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    conn.close()
    return int(version)


async def test_serve_refuses_the_previous_releases_store_and_names_euregate_migrate(
    release_v10: DataDir,
) -> None:
    code, stderr = await serve(release_v10)

    assert code is not None
    assert code != 0
    assert "schema version 10" in stderr
    assert "`euregate migrate`" in stderr
    assert "Traceback" not in stderr
    assert schema_of(release_v10) == 10


def test_every_command_refuses_it_too_in_the_users_language(
    release_v10: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "audit", "verify", "--data-dir", str(release_v10.root), "--lang", "nl"
    )

    assert code == 1
    assert "De database heeft schemaversie 10" in err
    assert schema_of(release_v10) == 10


async def test_migrate_brings_it_forward_keeping_everything_and_the_audit_log_verifies(
    release_v10: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    before = await SqliteMaintenance(release_v10.database).facts()
    d = ("--data-dir", str(release_v10.root))

    migrated = await asyncio.to_thread(run, capsys, "migrate", *d)
    again = await asyncio.to_thread(run, capsys, "migrate", *d)
    verified = await asyncio.to_thread(run, capsys, "audit", "verify", "--json", *d)

    after = await SqliteMaintenance(release_v10.database).facts()
    recorded = await entries_after(release_v10, ENTRIES_V10)
    assert before is not None
    assert after is not None
    assert dict(before.counts) == COUNTS_V10
    assert dict(after.counts) == {**COUNTS_V10, "audit_entries": ENTRIES_V10 + 1}
    assert [(e.kind, e.actor.startswith("admin:")) for e in recorded] == [
        ("gateway.store_migrated", True)
    ]
    assert json.loads(recorded[0].canonical)["data"] == {"from": 10, "to": SCHEMA_VERSION}
    assert migrated[:2] == (
        0,
        f"Store schema brought from version 10 to version {SCHEMA_VERSION}.\n",
    )
    assert again[:2] == (0, f"Store schema at version {SCHEMA_VERSION} already; nothing to do.\n")
    assert verified[0] == 0
    assert json.loads(verified[1])["ok"] is True
    assert json.loads(verified[1])["checked"] == ENTRIES_V10 + 1


async def test_the_backup_the_refusal_asks_for_restores_and_then_migrates(
    release_v10: DataDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "before-upgrade.tar"
    restored = tmp_path / "restored"
    key = ("--master-key", str(release_v10.master_key), "--no-newer-log")

    backed_up = await asyncio.to_thread(
        run, capsys, "backup", "--data-dir", str(release_v10.root), "--out", str(archive)
    )
    put_back = await asyncio.to_thread(
        run, capsys, "restore", str(archive), "--data-dir", str(restored), *key
    )
    migrated = await asyncio.to_thread(run, capsys, "migrate", "--data-dir", str(restored))
    verified = await asyncio.to_thread(run, capsys, "audit", "verify", "--data-dir", str(restored))

    assert backed_up[0] == 0, backed_up[2]
    assert put_back[0] == 0, put_back[2]
    assert f"run `euregate migrate --data-dir {restored}`" in put_back[1]
    assert migrated[0] == 0
    assert verified[0] == 0
    assert verified[1].startswith(f"audit chain intact: {ENTRIES_V10 + 1} entries")


async def test_serve_migrate_upgrades_and_signs_the_old_entries_into_the_tree(
    release_v10: DataDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The new release makes the kept entries the first leaves of its Merkle tree when it first
    serves: the checkpoint it signs then is proven from the entries, as an auditor checks it."""
    d = ("--data-dir", str(release_v10.root))

    async def signed() -> bool:
        listed = await asyncio.to_thread(run, capsys, "audit", "checkpoint", "--json", *d)
        return listed[0] == 0 and json.loads(listed[1])["size"] >= ENTRIES_V10

    async with serving(release_v10, "--migrate") as (code, _):
        assert code is None
        assert schema_of(release_v10) == SCHEMA_VERSION
        await until(signed)
    checkpoint = tmp_path / "checkpoint.txt"
    saved = await asyncio.to_thread(
        run, capsys, "audit", "checkpoint", "--out", str(checkpoint), *d
    )
    proven = await asyncio.to_thread(
        run, capsys, "audit", "verify", "--checkpoint", str(checkpoint), *d
    )

    assert saved[0] == 0
    assert proven[0] == 0, proven
    assert proven[1].startswith("consistent")


async def test_a_schema_newer_than_the_release_knows_is_refused_by_serve_and_migrate(
    release_v10: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    """As a later release would leave it (the version is all this release can know of it)."""
    with sqlite3.connect(release_v10.database) as conn:
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION + 1,)
        )
    conn.close()

    code, stderr = await serve(release_v10, "--migrate")
    migrated = await asyncio.to_thread(run, capsys, "migrate", "--data-dir", str(release_v10.root))

    assert code not in (None, 0)
    newer = f"schema version {SCHEMA_VERSION + 1}, newer than version {SCHEMA_VERSION}"
    assert newer in stderr
    assert migrated[0] == 1
    assert newer in migrated[2]
    assert schema_of(release_v10) == SCHEMA_VERSION + 1
