"""Storage benchmark: the bytes the database keeps per signal and per signal per recipient.

A gateway (``python -m gateway serve`` on a fresh ``init --demo`` data directory; SQLite,
or with ``--postgres`` a database in a throwaway PostgreSQL cluster started as the tests
start theirs, ``tests/postgres.py``) in its own process. This process posts ``--signals``
copies of the three examples of ``tests/test_render.py`` (``nl-drug-waste-maastricht``,
``be-cannabis-lanaken``, ``de-shisha-aachen``), each as its own sender with its own
``sender_reference``, lets the courier seal every copy that needs no review (copies that
wait for a liaison officer stay queued), stops the gateway and measures the database:

- bytes per table (its indexes included) from SQLite's ``dbstat`` virtual table after
  ``VACUUM`` (or, where SQLite is built without it, the sum of the stored values' lengths);
  on PostgreSQL ``pg_total_relation_size`` (heap, TOAST and indexes) after ``VACUUM FULL``;
- those divided by the signals posted, by the recipients decided for (a ``decisions`` row
  each: "per signal per recipient") and by the copies sealed;
- one envelope taken apart: its plaintext ``euregate.message/1`` by member (``signal``,
  ``decision``, ``document``, ``text``, ...), the plaintext as sealed (compressed and padded
  when the envelope says so), the HPKE ciphertext, and the envelope as stored and as the
  inbox API hands it out.

Writes ``bench/results/storage-<store>-<time>.json`` and prints Markdown tables.

    .venv/bin/python bench/storage.py                 # 900 signals, a couple of minutes
    .venv/bin/python bench/storage.py --postgres      # the same on PostgreSQL
    .venv/bin/python bench/storage.py --signals 90    # smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from common import (
    GATEWAY_READY,
    HOST,
    REPO,
    ROOMY_PARTNER_LIMITS,
    LoadGenerator,
    describe_machine,
    free_port,
    gateway_command,
    gateway_environment,
    init_demo_data_dir,
    machine_summary,
    partner_sender,
    start_server,
)
from euregate_client import EuregateClient, canonical

from gateway.infra import pki, seal
from gateway.infra.config import DataDir

EXAMPLES = {
    "nl-drug-waste-maastricht.json": "nl-pol-limburg",
    "be-cannabis-lanaken.json": "be-pol-lanaken",
    "de-shisha-aachen.json": "de-pol-aachen",
}
RESULTS = REPO / "bench" / "results"


@dataclass(frozen=True)
class Posted:
    signals: int
    recipients: int
    copies_sealed: int
    copies_waiting: int
    seconds: float


def signal_body(template: dict[str, Any], sender: str, n: int) -> bytes:
    document = dict(template, sender_reference=f"STORE/{sender}/{n:07d}")
    return json.dumps(document, ensure_ascii=False).encode()


async def post_all(url: str, data_dir: Path, signals: int) -> float:
    """Post ``signals`` signals, split over the three examples and their senders."""
    started = time.perf_counter()
    runs = []
    for index, (file, sender) in enumerate(EXAMPLES.items()):
        template = json.loads((REPO / "examples" / file).read_text("utf-8"))
        count = signals // len(EXAMPLES) + (1 if index < signals % len(EXAMPLES) else 0)
        runs.append(_post_as(url, data_dir, sender, template, count))
    results = await asyncio.gather(*runs)
    failed = sum(result.failed + result.unsent for result in results)
    if failed:
        first = next(r.first_failure for r in results if r.first_failure)
        raise RuntimeError(f"{failed} posts failed; the first: {first}")
    return time.perf_counter() - started


async def _post_as(
    url: str, data_dir: Path, sender: str, template: dict[str, Any], count: int
) -> Any:
    async with LoadGenerator(
        f"{url}/v1/signals", [partner_sender(data_dir, sender)], concurrency=4
    ) as load:
        return await load.run(lambda n: signal_body(template, sender, n), count, 600)


class Probe:
    """Read-only questions to the store the gateway wrote: SQLite file or PostgreSQL URL."""

    def __init__(self, database: Path, url: str | None) -> None:
        self.database = database
        self.url = url

    def one(self, sql: str, *params: object) -> Any:
        if self.url is None:
            conn = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)
            try:
                return conn.execute(sql, params).fetchone()[0]
            finally:
                conn.close()
        with psycopg.connect(self.url) as pg:
            row = pg.execute(sql.replace("?", "%s").encode(), params).fetchone()
            return None if row is None else row[0]

    def compact(self) -> None:
        if self.url is None:
            conn = sqlite3.connect(self.database)
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.execute("VACUUM")
            finally:
                conn.close()
        else:
            with psycopg.connect(self.url, autocommit=True) as pg:
                pg.execute("VACUUM FULL")

    def table_bytes(self) -> tuple[str, dict[str, int]]:
        if self.url is None:
            return table_bytes(self.database)
        with psycopg.connect(self.url) as pg:
            rows = pg.execute(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'r' AND n.nspname = current_schema()"
            ).fetchall()
        return "pg_total_relation_size (heap, TOAST, indexes)", {r[0]: int(r[1]) for r in rows}

    def file_bytes(self) -> int:
        if self.url is None:
            return self.database.stat().st_size
        return int(self.one("SELECT pg_database_size(current_database())"))


def wait_for_courier(probe: Probe, timeout: float = 600) -> tuple[int, int, int]:
    """Wait until no copy that needs no review is pending; (recipients decided, copies
    sealed, copies waiting for review)."""
    deadline = time.monotonic() + timeout
    while True:
        due = probe.one(
            "SELECT count(*) FROM copies c WHERE c.state = 'pending' AND NOT EXISTS "
            "(SELECT 1 FROM review_items r WHERE r.id = c.review_item_id "
            "AND r.state NOT IN ('released', 'rejected'))",
        )
        if not due or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    recipients = probe.one("SELECT count(*) FROM decisions")
    sealed = probe.one("SELECT count(*) FROM copies WHERE state = 'sealed'")
    waiting = probe.one("SELECT count(*) FROM review_items WHERE state = 'pending'")
    return recipients, sealed, waiting


def table_bytes(database: Path) -> tuple[str, dict[str, int]]:
    """Bytes on disk per table, its indexes counted with it; how they were measured."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master").fetchall())
        try:
            rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
            method = "dbstat (pages, indexes included)"
        except sqlite3.OperationalError:
            rows = _column_lengths(conn)
            method = "sum of value lengths (no dbstat)"
        sizes: Counter[str] = Counter()
        for name, size in rows:
            sizes[owner.get(name, name)] += size
        return method, dict(sizes)
    finally:
        conn.close()


def _column_lengths(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    sizes = []
    for table in tables:
        columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
        total = " + ".join(f'coalesce(length("{c}"), 0)' for c in columns) or "0"
        (size,) = conn.execute(f'SELECT coalesce(sum({total}), 0) FROM "{table}"').fetchone()
        sizes.append((table, int(size)))
    return sizes


async def anatomy(url: str, data_dir: Path, recipient: str, probe: Probe) -> dict[str, Any]:
    """One envelope of ``recipient`` taken apart, pulled as the partner pulls it."""
    layout = DataDir(data_dir)
    context = pki.client_ssl_context(
        certificate=layout.partner_certificate(recipient),
        private_key=layout.partner_key(recipient),
        server_ca=layout.ca_certificate,
    )
    async with EuregateClient(url, ssl_context=context) as client:
        keys = await client.gateway_keys()
        page = await client.inbox_page(limit=1)
    entry = page["envelopes"][0]
    envelope = seal.Envelope.from_json(entry["envelope"])
    private_key = seal.load_private_key(layout.partner_encryption_key(recipient).read_bytes())
    message = seal.open_envelope(
        envelope,
        private_key=private_key,
        recipient_id=recipient,
        signal_id=entry["signal_id"],
        gateway_public_keys=keys,
    )
    content = json.loads(message)
    parts = {name: len(canonical.dumps({name: value})) - 2 for name, value in content.items()}
    stored = probe.one("SELECT length(envelope) FROM envelopes WHERE id = ?", entry["id"])
    return {
        "recipient": recipient,
        "encoding": getattr(envelope.header, "encoding", None),
        "payload_bytes": len(message),
        "payload_parts": parts,
        "sealed_plaintext_bytes": len(envelope.ciphertext) - 16,
        "ciphertext_bytes": len(envelope.ciphertext),
        "enc_bytes": len(envelope.enc),
        "header_bytes": len(canonical.dumps(envelope.header.as_json())),
        "wire_bytes": len(canonical.dumps(entry["envelope"])),
        "stored_bytes": stored,
    }


def busiest_recipient(probe: Probe) -> str:
    return str(
        probe.one(
            "SELECT recipient_id FROM envelopes GROUP BY recipient_id "
            "ORDER BY count(*) DESC LIMIT 1"
        )
    )


def report(
    posted: Posted, method: str, sizes: dict[str, int], envelope: dict[str, Any], file: int
) -> str:
    lines = [
        f"{posted.signals} signals to {posted.recipients} recipients (decisions), "
        f"{posted.copies_sealed} copies sealed, {posted.copies_waiting} waiting for review; "
        f"database file {file:,} bytes; measured by {method}",
        "",
        "| table | bytes | per signal | per signal per recipient | per sealed copy |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    total = sum(sizes.values())
    shown = [(t, s) for t, s in sorted(sizes.items(), key=lambda item: -item[1]) if s * 50 >= total]
    for table, size in [*shown, ("**all**", total)]:
        lines.append(
            f"| {table} | {size:,} | {size / posted.signals:,.0f} | "
            f"{size / max(posted.recipients, 1):,.0f} | "
            f"{size / max(posted.copies_sealed, 1):,.0f} |"
        )
    lines += ["", f"One envelope for {envelope['recipient']}:", ""]
    lines += ["| part | bytes |", "| --- | ---: |"]
    for name, size in sorted(envelope["payload_parts"].items(), key=lambda item: -item[1]):
        lines.append(f"| payload `{name}` | {size:,} |")
    for name in (
        "payload_bytes",
        "sealed_plaintext_bytes",
        "ciphertext_bytes",
        "header_bytes",
        "wire_bytes",
        "stored_bytes",
    ):
        lines.append(f"| {name.replace('_', ' ')} | {envelope[name]:,} |")
    return "\n".join(lines)


async def measure(signals: int, work: Path, database_url: str | None) -> dict[str, Any]:
    data_dir = work / "data"
    if database_url is not None:
        os.environ["EUREGATE_DATABASE_URL"] = database_url  # for init and serve
    init_demo_data_dir(data_dir)
    port = free_port()
    url = f"https://{HOST}:{port}"
    server = start_server(
        "gateway",
        gateway_command(data_dir, port),
        url=url,
        ready_marker=GATEWAY_READY,
        log_path=work / "gateway.log",
        env=gateway_environment(ROOMY_PARTNER_LIMITS),
    )
    probe = Probe(DataDir(data_dir).database, database_url)
    try:
        seconds = await post_all(url, data_dir, signals)
        recipients, sealed, waiting = await asyncio.to_thread(wait_for_courier, probe)
        envelope = await anatomy(url, data_dir, busiest_recipient(probe), probe)
    finally:
        server.stop()
    posted = Posted(signals, recipients, sealed, waiting, seconds)
    probe.compact()
    method, sizes = probe.table_bytes()
    file = probe.file_bytes()
    return {
        "store": "sqlite" if database_url is None else "postgresql",
        "posted": posted.__dict__,
        "method": method,
        "tables": sizes,
        "database_file_bytes": file,
        "envelope": envelope,
        "markdown": report(posted, method, sizes, envelope, file),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signals", type=int, default=900)
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="euregate-storage-"))
    cluster = None
    try:
        machine = describe_machine(work)
        url = None
        if args.postgres:
            sys.path.insert(0, str(REPO))
            from tests.postgres import start_cluster

            cluster = start_cluster()
            cluster.admin("CREATE DATABASE storage_bench TEMPLATE template0")
            url = cluster.url("storage_bench")
        result = asyncio.run(measure(args.signals, work, url))
    finally:
        if cluster is not None:
            from tests.postgres import stop_cluster

            stop_cluster(cluster)
        if args.keep:
            print(f"data directory kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"storage-{result['store']}-{stamp}.json"
    path.write_text(json.dumps({"machine": machine, **result}, indent=2), encoding="utf-8")
    print(machine_summary(machine))
    print(result["markdown"])
    print(f"\nwritten to {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
