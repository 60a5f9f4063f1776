"""What a deployment's check (``euregate doctor``) reads of a PostgreSQL database: one
read-only transaction on a connection of its own, bounded by a connect timeout; nothing is
created, migrated or written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

import psycopg

from gateway.infra.errors import StoreUnreachable
from gateway.store.interface.inspection import PartnerCertificate, StoreFacts
from gateway.store.migrations import SCHEMA_VERSION

CONNECT_TIMEOUT: Final = 10
"""Seconds the check waits for the database to answer at all."""


def inspect_database(url: str) -> StoreFacts:
    """The facts of the database at ``url``; :class:`StoreUnreachable` when it cannot be read."""
    try:
        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT) as conn:
            conn.execute("SET TRANSACTION READ ONLY")
            conn.execute("SET LOCAL timezone = 'UTC'")
            return _facts(conn)
    except psycopg.Error as exc:
        raise StoreUnreachable() from exc


def _facts(conn: psycopg.Connection[tuple[Any, ...]]) -> StoreFacts:
    exists = conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()
    if not (exists and exists[0]):
        return StoreFacts(0, SCHEMA_VERSION, None, {}, ())
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
        schema_version=int(str(version[0])) if version else 0,
        release_schema_version=SCHEMA_VERSION,
        latest_entry_at=_moment(latest[0]) if latest else None,
        webhooks={str(partner): str(url) for partner, url in webhooks},
        certificates=tuple(
            PartnerCertificate(str(partner), str(fingerprint), not_after)
            for partner, fingerprint, not_after in certificates
        ),
    )


def _moment(value: str) -> datetime:
    """``audit.at`` as chained (RFC 3339 text in UTC)."""
    return datetime.fromisoformat(value).astimezone(UTC)
