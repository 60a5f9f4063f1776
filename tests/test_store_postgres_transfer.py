"""``euregate migrate-store``: a data directory's SQLite store moved into an empty PostgreSQL
database, every table's rows with it; the gateway then serves from PostgreSQL what it served
from the file (the envelopes open with the partners' keys, the decisions and sealed bodies
read the same, rows in the form of earlier versions too, the audit log verifies and grows),
and a database that holds Euregate's data already is not written to."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from euregate_client import open_message

from gateway.infra import seal
from gateway.infra.config import DataDir, Settings
from gateway.store import Store
from tests.conftest import REPO, gateway_in_process
from tests.polling import until

SENDER = "nl-pol-limburg"
RECIPIENT = "be-pol-lanaken"  # reads Dutch: its copies are sealed at once


async def command(*argv: str | Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", *map(str, argv), cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def counts_in_sqlite(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as conn:
        tables = [
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def counts_in_postgres(url: str, tables: list[str]) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        found = {}
        for table in tables:
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            assert row is not None
            found[table] = row[0]
        return found


def as_written_before(database: Path, signal_id: str) -> None:
    """The signal's decision rows as versions before ``rule_texts`` wrote them: each with its
    rules' texts in the row (as they read back today)."""
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT rowid, decision FROM decisions WHERE signal_id = ?", (signal_id,)
        ).fetchall()
        texts = {
            row[0]: {"reason": json.loads(row[1]), "legal_basis": json.loads(row[2])}
            for row in conn.execute("SELECT rule_id, reason, legal_basis FROM rule_texts")
        }
        assert rows
        for rowid, decision in rows:
            old_form = json.loads(decision)
            assert old_form["rules"] == [{"id": rule["id"]} for rule in old_form["rules"]] != []
            old_form["rules"] = [rule | texts[rule["id"]] for rule in old_form["rules"]]
            conn.execute(
                "UPDATE decisions SET decision = ? WHERE rowid = ?",
                (json.dumps(old_form, ensure_ascii=False), rowid),
            )


async def all_sealed(store: Store) -> bool:
    return not await store.pending_copies(due=datetime.now(UTC) + timedelta(days=1))


async def opened_inbox(settings: Settings, layout: DataDir) -> list[str]:
    """The signals of the envelopes waiting for the recipient, each opened with its own key."""
    private_key = seal.load_private_key(layout.partner_encryption_key(RECIPIENT).read_bytes())
    async with gateway_in_process(settings) as gateway, gateway.client(RECIPIENT) as client:
        keys = await client.gateway_keys()
        entries = (await client.inbox_page(limit=500))["envelopes"]
    return [
        open_message(
            e, private_key=private_key, recipient_id=RECIPIENT, gateway_keys=keys
        ).signal_id
        for e in entries
    ]


async def test_a_store_moved_into_postgresql_serves_what_it_served_and_goes_on(
    layout: DataDir, postgres_url: str, example: Callable[[str], dict[str, Any]]
) -> None:
    template = {**example("nl-drug-waste-maastricht.json"), "recipients": {"partners": [RECIPIENT]}}
    on_sqlite = Settings(data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0)
    async with gateway_in_process(on_sqlite) as gateway, gateway.client(SENDER) as police:
        sent = [
            (await police.post_signal({**template, "sender_reference": f"MOVE/{n}"}))["signal_id"]
            for n in range(4)
        ]
        await until(lambda: all_sealed(gateway.store))  # what is served before the move
        kept = [
            (await gateway.store.decisions(s), await gateway.store.sealed_body(s)) for s in sent
        ]
    as_written_before(layout.database, sent[0])
    before = await opened_inbox(on_sqlite, layout)
    in_sqlite = counts_in_sqlite(layout.database)

    code, out, err = await command(
        "migrate-store", "--data-dir", layout.root, "--to", postgres_url, "--lang", "en"
    )

    assert code == 0, err
    assert f"audit chain intact in postgresql: {in_sqlite['audit']} entries" in out.lower()
    tables = [t for t in in_sqlite if t not in ("meta", "sqlite_sequence")]
    assert counts_in_postgres(postgres_url, tables) == {t: in_sqlite[t] for t in tables}

    on_postgres = on_sqlite.model_copy(update={"database_url": postgres_url})
    assert await opened_inbox(on_postgres, layout) == before
    assert set(sent) <= set(before)
    async with gateway_in_process(on_postgres) as gateway, gateway.client(SENDER) as police:
        moved = [
            (await gateway.store.decisions(s), await gateway.store.sealed_body(s)) for s in sent
        ]
        later = await police.post_signal({**template, "sender_reference": "MOVE/after"})
        again = await police.post_signal({**template, "sender_reference": "MOVE/0"})
    assert moved == kept, "decisions (texts included) and sealed bodies moved as they were"
    assert later["signal_id"] not in sent
    assert again["signal_id"] == sent[0], "the sender's references moved with the signals"
    verified = await command(
        "audit", "verify", "--data-dir", layout.root, "--database", postgres_url
    )
    assert verified[0] == 0, verified

    refused = await command("migrate-store", "--data-dir", layout.root, "--to", postgres_url)
    assert refused[0] == 1
    assert "already holds Euregate's data" in refused[2]
