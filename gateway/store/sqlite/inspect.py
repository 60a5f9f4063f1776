"""What ``euregate doctor`` reads of a data directory's database, without changing it: the
file is opened read-only, never created, never migrated."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gateway.infra.errors import StorageUnavailable, StoreUnreachable
from gateway.store.sqlite.faults import storage_fault
from gateway.store.sqlite.schema import BUSY_TIMEOUT_MS
from gateway.store.sqlite.times import moment, moment_or_none


@dataclass(frozen=True)
class PartnerCertificate:
    partner_id: str
    fingerprint: str
    not_after: datetime | None


@dataclass(frozen=True)
class DatabaseFacts:
    schema_version: int
    latest_entry_at: datetime | None
    """When the audit log's latest entry was written, by the clock of whoever wrote it."""
    webhooks: dict[str, str]
    """Each active partner's webhook URL, by partner id."""
    certificates: tuple[PartnerCertificate, ...]
    """The active certificates of active partners."""


def inspect_database(path: Path) -> DatabaseFacts:
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


def _facts(conn: sqlite3.Connection) -> DatabaseFacts:
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
    return DatabaseFacts(
        schema_version=int(version[0]) if version else 0,
        latest_entry_at=moment(latest[0]) if latest else None,
        webhooks=dict(webhooks),
        certificates=tuple(
            PartnerCertificate(partner, fingerprint, moment_or_none(not_after))
            for partner, fingerprint, not_after in certificates
        ),
    )
