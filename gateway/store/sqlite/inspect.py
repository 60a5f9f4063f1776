"""What ``euregate doctor`` reads of a data directory's database, without changing it: the
file is opened read-only, never created, never migrated (:class:`StoreFacts`)."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from gateway.infra.errors import StorageUnavailable, StoreUnreachable
from gateway.store.interface.inspection import PartnerCertificate, StoreFacts
from gateway.store.migrations import SCHEMA_VERSION
from gateway.store.sqlite.faults import storage_fault
from gateway.store.sqlite.schema import BUSY_TIMEOUT_MS
from gateway.store.sqlite.times import moment, moment_or_none


def inspect_database(path: Path) -> StoreFacts:
    """The facts of the database at ``path``; :class:`StorageUnavailable` (a subclass saying
    why) when it cannot be read."""
    if not path.is_file():
        raise StoreUnreachable()
    try:
        with contextlib.closing(
            sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        ) as conn:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            return _facts(conn)
    except sqlite3.Error as exc:
        raise (storage_fault(exc) or StorageUnavailable()) from exc


def _facts(conn: sqlite3.Connection) -> StoreFacts:
    version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    latest = conn.execute("SELECT at FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    webhooks = conn.execute(
        "SELECT id, webhook_url FROM partners "
        "WHERE state = 'active' AND coalesce(webhook_url, '') != '' ORDER BY id"
    ).fetchall()
    certificates = conn.execute(
        "SELECT c.partner_id, c.fingerprint, c.not_after FROM certificates c "
        "JOIN partners p ON p.id = c.partner_id "
        "WHERE c.state = 'active' AND p.state = 'active' ORDER BY c.partner_id, c.not_after"
    ).fetchall()
    return StoreFacts(
        schema_version=int(version[0]) if version else 0,
        release_schema_version=SCHEMA_VERSION,
        latest_entry_at=moment(latest[0]) if latest else None,
        webhooks=dict(webhooks),
        certificates=tuple(
            PartnerCertificate(partner, fingerprint, moment_or_none(not_after))
            for partner, fingerprint, not_after in certificates
        ),
    )
