"""Partners and their certificates, in PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psycopg.errors import UniqueViolation
from psycopg.types.json import Jsonb

from gateway.contract.partners import Certificate, CertificateState, Partner, PartnerState
from gateway.infra.audit import AuditEvent
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_
from gateway.store.interface.registry import Admission, RegistryStore
from gateway.store.postgres.database import Connection, Database, Transaction

_CERT_COLUMNS = "fingerprint, partner_id, serial, not_before, not_after, state"
_PARTNER_COLUMNS = "id, name, country, agency_type, languages, state, webhook_url"


class PostgresRegistry(Database, RegistryStore):
    async def add_partner(self, partner: Partner, event: AuditEvent) -> Partner:
        async def write(tx: Transaction) -> Partner:
            now = tx.now()
            try:
                await tx.conn.execute(
                    "INSERT INTO partners (id, name, country, agency_type, languages, state, "
                    "webhook_url, created_at, updated_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        partner.id,
                        partner.name,
                        partner.country,
                        partner.agency_type,
                        Jsonb(list(partner.languages)),
                        str(partner.state),
                        partner.webhook_url,
                        now,
                        now,
                    ),
                )
            except UniqueViolation as exc:
                raise RegistryError(N_("partner {id} already exists"), id=partner.id) from exc
            await tx.append(event)
            return partner

        return await self.write(write)

    async def set_partner_state(
        self, partner_id: str, state: PartnerState, event_for: Callable[[Partner], AuditEvent]
    ) -> Partner:
        async def write(tx: Transaction) -> Partner:
            current = await partner_in(tx.conn, partner_id, for_update=True)
            if current.state is PartnerState.REVOKED:
                raise RegistryError(N_("partner {id} is revoked for good"), id=partner_id)
            await tx.conn.execute(
                "UPDATE partners SET state = %s, updated_at = %s WHERE id = %s",
                (str(state), tx.now(), partner_id),
            )
            if state is PartnerState.REVOKED:
                await tx.conn.execute(
                    "UPDATE certificates SET state = %s, revoked_at = %s "
                    "WHERE partner_id = %s AND state = %s",
                    (
                        str(CertificateState.REVOKED),
                        tx.now(),
                        partner_id,
                        str(CertificateState.ACTIVE),
                    ),
                )
            await tx.append(event_for(current))
            return await partner_in(tx.conn, partner_id)

        return await self.write(write)

    async def register_certificate(
        self, certificate: Certificate, event: AuditEvent
    ) -> Certificate:
        async def write(tx: Transaction) -> Certificate:
            partner = await partner_in(tx.conn, certificate.partner_id, for_update=True)
            if partner.state is PartnerState.REVOKED:
                raise RegistryError(N_("partner {id} is revoked for good"), id=partner.id)
            try:
                await tx.conn.execute(
                    "INSERT INTO certificates (fingerprint, partner_id, serial, not_before, "
                    "not_after, state, registered_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (
                        certificate.fingerprint,
                        certificate.partner_id,
                        certificate.serial,
                        certificate.not_before,
                        certificate.not_after,
                        str(certificate.state),
                        tx.now(),
                    ),
                )
            except UniqueViolation as exc:
                raise RegistryError(
                    N_("certificate {fp} is already registered"), fp=certificate.fingerprint
                ) from exc
            await tx.append(event)
            return certificate

        return await self.write(write)

    async def revoke_certificate(self, fingerprint: str, event: AuditEvent) -> Certificate:
        async def write(tx: Transaction) -> Certificate:
            cursor = await tx.conn.execute(
                f"UPDATE certificates SET state = %s, revoked_at = %s "
                f"WHERE fingerprint = %s AND state = %s RETURNING {_CERT_COLUMNS}",
                (
                    str(CertificateState.REVOKED),
                    tx.now(),
                    fingerprint,
                    str(CertificateState.ACTIVE),
                ),
            )
            row = await cursor.fetchone()
            if row is None:
                raise RegistryError(
                    N_("no active certificate with fingerprint {fp}"), fp=fingerprint
                )
            await tx.append(event)
            return _certificate_from_row(row)

        return await self.write(write)

    async def partners(self) -> list[Partner]:
        return await self.read(_all_partners)

    async def partner(self, partner_id: str) -> Partner:
        return await self.read(lambda conn: partner_in(conn, partner_id))

    async def certificates(self, partner_id: str) -> list[Certificate]:
        async def read(conn: Connection) -> list[Certificate]:
            cursor = await conn.execute(
                f"SELECT {_CERT_COLUMNS} FROM certificates WHERE partner_id = %s "
                "ORDER BY registered_at, seq",
                (partner_id,),
            )
            return [_certificate_from_row(row) for row in await cursor.fetchall()]

        return await self.read(read)

    async def admission(self, fingerprint: str | None) -> Admission:
        async def read(conn: Connection) -> Admission:
            certificate = None
            if fingerprint is not None:
                cursor = await conn.execute(
                    f"SELECT {_CERT_COLUMNS} FROM certificates WHERE fingerprint = %s",
                    (fingerprint,),
                )
                row = await cursor.fetchone()
                certificate = None if row is None else _certificate_from_row(row)
            registry = tuple(await _all_partners(conn))
            partner = None
            if certificate is not None:
                partner = next(p for p in registry if p.id == certificate.partner_id)
            return Admission(partner, certificate, registry)

        return await self.read(read)


async def partner_in(conn: Connection, partner_id: str, *, for_update: bool = False) -> Partner:
    """One partner as ``conn`` sees it (with ``for_update``, locked until the write ends, so
    that its state cannot change under the write); :class:`RegistryError` if unknown."""
    lock = " FOR UPDATE" if for_update else ""
    cursor = await conn.execute(
        f"SELECT {_PARTNER_COLUMNS} FROM partners WHERE id = %s{lock}", (partner_id,)
    )
    row = await cursor.fetchone()
    if row is None:
        raise RegistryError(N_("no partner {id}"), id=partner_id)
    return _partner_from_row(row)


def _partner_from_row(row: tuple[Any, ...]) -> Partner:
    return Partner(
        id=row[0],
        name=row[1],
        country=row[2],
        agency_type=row[3],
        languages=tuple(row[4]),
        state=PartnerState(row[5]),
        webhook_url=row[6],
    )


def _certificate_from_row(row: tuple[Any, ...]) -> Certificate:
    return Certificate(
        fingerprint=row[0],
        partner_id=row[1],
        serial=row[2],
        not_before=row[3],
        not_after=row[4],
        state=CertificateState(row[5]),
    )


async def _all_partners(conn: Connection) -> list[Partner]:
    cursor = await conn.execute(f"SELECT {_PARTNER_COLUMNS} FROM partners ORDER BY id")
    return [_partner_from_row(row) for row in await cursor.fetchall()]
