"""Partners and their certificates, in SQLite."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from gateway.contract.partners import Certificate, CertificateState, Partner, PartnerState
from gateway.infra.audit import AuditEvent
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_
from gateway.store.interface.registry import Admission, RegistryStore
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.times import moment


class SqliteRegistry(Database, RegistryStore):
    async def add_partner(self, partner: Partner, event: AuditEvent) -> Partner:
        def write(tx: Transaction) -> Partner:
            now = tx.now()
            try:
                tx.conn.execute(
                    "INSERT INTO partners (id, name, country, agency_type, languages, state, "
                    "webhook_url, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        partner.id,
                        partner.name,
                        partner.country,
                        partner.agency_type,
                        json.dumps(list(partner.languages)),
                        str(partner.state),
                        partner.webhook_url,
                        now,
                        now,
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise RegistryError(N_("partner {id} already exists"), id=partner.id) from exc
            tx.append(event)
            return partner

        return await self.write(write)

    async def set_partner_state(
        self, partner_id: str, state: PartnerState, event_for: Callable[[Partner], AuditEvent]
    ) -> Partner:
        def write(tx: Transaction) -> Partner:
            current = _partner(tx.conn, partner_id)
            if current.state is PartnerState.REVOKED:
                raise RegistryError(N_("partner {id} is revoked for good"), id=partner_id)
            tx.conn.execute(
                "UPDATE partners SET state = ?, updated_at = ? WHERE id = ?",
                (str(state), tx.now(), partner_id),
            )
            if state is PartnerState.REVOKED:
                tx.conn.execute(
                    "UPDATE certificates SET state = ?, revoked_at = ? "
                    "WHERE partner_id = ? AND state = ?",
                    (
                        str(CertificateState.REVOKED),
                        tx.now(),
                        partner_id,
                        str(CertificateState.ACTIVE),
                    ),
                )
            tx.append(event_for(current))
            return _partner(tx.conn, partner_id)

        return await self.write(write)

    async def register_certificate(
        self, certificate: Certificate, event: AuditEvent
    ) -> Certificate:
        def write(tx: Transaction) -> Certificate:
            partner = _partner(tx.conn, certificate.partner_id)
            if partner.state is PartnerState.REVOKED:
                raise RegistryError(N_("partner {id} is revoked for good"), id=partner.id)
            try:
                tx.conn.execute(
                    "INSERT INTO certificates (fingerprint, partner_id, serial, not_before, "
                    "not_after, state, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        certificate.fingerprint,
                        certificate.partner_id,
                        certificate.serial,
                        certificate.not_before.isoformat(),
                        certificate.not_after.isoformat(),
                        str(certificate.state),
                        tx.now(),
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise RegistryError(
                    N_("certificate {fp} is already registered"), fp=certificate.fingerprint
                ) from exc
            tx.append(event)
            return certificate

        return await self.write(write)

    async def revoke_certificate(self, fingerprint: str, event: AuditEvent) -> Certificate:
        def write(tx: Transaction) -> Certificate:
            cursor = tx.conn.execute(
                "UPDATE certificates SET state = ?, revoked_at = ? WHERE fingerprint = ? "
                "AND state = ?",
                (
                    str(CertificateState.REVOKED),
                    tx.now(),
                    fingerprint,
                    str(CertificateState.ACTIVE),
                ),
            )
            if cursor.rowcount != 1:
                raise RegistryError(
                    N_("no active certificate with fingerprint {fp}"), fp=fingerprint
                )
            tx.append(event)
            found = _certificate(tx.conn, fingerprint)
            assert found is not None
            return found

        return await self.write(write)

    async def partners(self) -> list[Partner]:
        return await self.read(_all_partners)

    async def partner(self, partner_id: str) -> Partner:
        return await self.read(lambda conn: _partner(conn, partner_id))

    async def certificates(self, partner_id: str) -> list[Certificate]:
        def read(conn: sqlite3.Connection) -> list[Certificate]:
            rows = conn.execute(
                f"SELECT {_CERT_COLUMNS} FROM certificates WHERE partner_id = ? "
                "ORDER BY registered_at, rowid",
                (partner_id,),
            ).fetchall()
            return [_certificate_from_row(row) for row in rows]

        return await self.read(read)

    async def admission(self, fingerprint: str | None) -> Admission:
        """Who a fingerprint speaks for, and the registry to route by: one read per request."""

        def read(conn: sqlite3.Connection) -> Admission:
            certificate = None if fingerprint is None else _certificate(conn, fingerprint)
            registry = tuple(_all_partners(conn))
            partner = None
            if certificate is not None:
                partner = next(p for p in registry if p.id == certificate.partner_id)
            return Admission(partner, certificate, registry)

        return await self.read(read)


_CERT_COLUMNS = "fingerprint, partner_id, serial, not_before, not_after, state"
_PARTNER_COLUMNS = "id, name, country, agency_type, languages, state, webhook_url"


def _partner_from_row(row: tuple[Any, ...]) -> Partner:
    return Partner(
        id=row[0],
        name=row[1],
        country=row[2],
        agency_type=row[3],
        languages=tuple(json.loads(row[4])),
        state=PartnerState(row[5]),
        webhook_url=row[6],
    )


def _certificate_from_row(row: tuple[Any, ...]) -> Certificate:
    return Certificate(
        fingerprint=row[0],
        partner_id=row[1],
        serial=row[2],
        not_before=moment(row[3]),
        not_after=moment(row[4]),
        state=CertificateState(row[5]),
    )


def _all_partners(conn: sqlite3.Connection) -> list[Partner]:
    rows = conn.execute(f"SELECT {_PARTNER_COLUMNS} FROM partners ORDER BY id").fetchall()
    return list(_partners_of(tuple(rows)))


@lru_cache(maxsize=4)
def _partners_of(rows: tuple[tuple[Any, ...], ...]) -> tuple[Partner, ...]:
    """The partners these rows hold, parsed once while the rows read stay the same: every
    request's admission reads the whole registry, and it seldom changes."""
    return tuple(_partner_from_row(row) for row in rows)


def _partner(conn: sqlite3.Connection, partner_id: str) -> Partner:
    row = conn.execute(
        f"SELECT {_PARTNER_COLUMNS} FROM partners WHERE id = ?", (partner_id,)
    ).fetchone()
    if row is None:
        raise RegistryError(N_("no partner {id}"), id=partner_id)
    return _partner_from_row(row)


def _certificate(conn: sqlite3.Connection, fingerprint: str) -> Certificate | None:
    row = conn.execute(
        f"SELECT {_CERT_COLUMNS} FROM certificates WHERE fingerprint = ?", (fingerprint,)
    ).fetchone()
    return None if row is None else _certificate_from_row(row)
