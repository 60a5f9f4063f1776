"""Partners' encryption public keys and the gateway's public signing keys, in PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from psycopg.errors import UniqueViolation

from gateway.infra.audit import AuditEvent
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_
from gateway.infra.seal import GatewayKey, PartnerKey, Suite, current_key
from gateway.store.interface.keys import KeyStore
from gateway.store.postgres.database import Connection, Database, Transaction
from gateway.store.postgres.registry import partner_in

_KEY_COLUMNS = (
    "partner_id, key_id, suite, public_key, valid_from, valid_until, retired_at, added_at"
)
_GATEWAY_COLUMNS = "key_id, algorithm, public_key, created_at, retired_at"


class PostgresKeys(Database, KeyStore):
    async def add_partner_key(self, key: PartnerKey, event: AuditEvent) -> PartnerKey:
        async def write(tx: Transaction) -> PartnerKey:
            partner = await partner_in(tx.conn, key.partner_id, for_update=True)
            if not partner.active:
                raise RegistryError(
                    N_("partner {id} is {state}"), id=partner.id, state=partner.state
                )
            try:
                cursor = await tx.conn.execute(
                    f"INSERT INTO partner_keys ({_KEY_COLUMNS}) "
                    f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING {_KEY_COLUMNS}",
                    (
                        key.partner_id,
                        key.key_id,
                        str(key.suite),
                        key.public_key,
                        key.valid_from,
                        key.valid_until,
                        None,
                        tx.now(),
                    ),
                )
            except UniqueViolation as exc:
                raise RegistryError(
                    N_("partner {id} already has key {key_id}"),
                    id=key.partner_id,
                    key_id=key.key_id,
                ) from exc
            row = await cursor.fetchone()
            assert row is not None
            await tx.append(event)
            return _key_from_row(row)

        return await self.write(write)

    async def retire_partner_key(
        self, partner_id: str, key_id: str, event_for: Callable[[PartnerKey], AuditEvent]
    ) -> PartnerKey:
        async def write(tx: Transaction) -> PartnerKey:
            current = await _one_key(tx.conn, partner_id, key_id)
            if current.retired_at is not None:
                raise RegistryError(
                    N_("key {key_id} of {id} is already retired"), key_id=key_id, id=partner_id
                )
            cursor = await tx.conn.execute(
                f"UPDATE partner_keys SET retired_at = %s WHERE partner_id = %s AND key_id = %s "
                f"RETURNING {_KEY_COLUMNS}",
                (tx.now(), partner_id, key_id),
            )
            row = await cursor.fetchone()
            assert row is not None
            await tx.append(event_for(current))
            return _key_from_row(row)

        return await self.write(write)

    async def partner_keys(self, partner_id: str) -> list[PartnerKey]:
        async def read(conn: Connection) -> list[PartnerKey]:
            await partner_in(conn, partner_id)
            return await _keys(conn, partner_id)

        return await self.read(read)

    async def sealing_key(self, partner_id: str, at: datetime) -> PartnerKey | None:
        keys = await self.read(lambda conn: _keys(conn, partner_id))
        return current_key(keys, at)

    async def add_gateway_key(self, key: GatewayKey, event: AuditEvent) -> GatewayKey:
        async def write(tx: Transaction) -> GatewayKey:
            await _insert_gateway_key(tx, key)
            await tx.append(event)
            return key

        return await self.write(write)

    async def rotate_gateway_key(
        self, key: GatewayKey, *, replaces: str, retires_at: datetime, event: AuditEvent
    ) -> GatewayKey:
        async def write(tx: Transaction) -> GatewayKey:
            cursor = await tx.conn.execute(
                "UPDATE gateway_keys SET retired_at = %s WHERE key_id = %s AND retired_at IS NULL "
                f"RETURNING {_GATEWAY_COLUMNS}",
                (retires_at, replaces),
            )
            row = await cursor.fetchone()
            if row is None:
                raise RegistryError(
                    N_("gateway key {key_id} is not the one in use (unknown, or retiring already)"),
                    key_id=replaces,
                )
            await _insert_gateway_key(tx, key)
            await tx.append(event)
            return _gateway_key(row)

        return await self.write(write)

    async def gateway_keys(self) -> list[GatewayKey]:
        async def read(conn: Connection) -> list[GatewayKey]:
            cursor = await conn.execute(
                f"SELECT {_GATEWAY_COLUMNS} FROM gateway_keys ORDER BY created_at, key_id"
            )
            return [_gateway_key(row) for row in await cursor.fetchall()]

        return await self.read(read)


async def _insert_gateway_key(tx: Transaction, key: GatewayKey) -> None:
    try:
        await tx.conn.execute(
            f"INSERT INTO gateway_keys ({_GATEWAY_COLUMNS}) VALUES (%s, %s, %s, %s, %s)",
            (key.key_id, key.algorithm, key.public_key, key.created_at, key.retired_at),
        )
    except UniqueViolation as exc:
        raise RegistryError(
            N_("gateway key {key_id} is already registered"), key_id=key.key_id
        ) from exc


def _gateway_key(row: tuple[Any, ...]) -> GatewayKey:
    return GatewayKey(
        key_id=row[0], algorithm=row[1], public_key=row[2], created_at=row[3], retired_at=row[4]
    )


def _key_from_row(row: tuple[Any, ...]) -> PartnerKey:
    return PartnerKey(
        partner_id=row[0],
        key_id=row[1],
        suite=Suite(row[2]),
        public_key=row[3],
        valid_from=row[4],
        valid_until=row[5],
        retired_at=row[6],
        added_at=row[7],
    )


async def _keys(conn: Connection, partner_id: str) -> list[PartnerKey]:
    cursor = await conn.execute(
        f"SELECT {_KEY_COLUMNS} FROM partner_keys WHERE partner_id = %s ORDER BY added_at, key_id",
        (partner_id,),
    )
    return [_key_from_row(row) for row in await cursor.fetchall()]


async def _one_key(conn: Connection, partner_id: str, key_id: str) -> PartnerKey:
    cursor = await conn.execute(
        f"SELECT {_KEY_COLUMNS} FROM partner_keys WHERE partner_id = %s AND key_id = %s",
        (partner_id, key_id),
    )
    row = await cursor.fetchone()
    if row is None:
        raise RegistryError(N_("partner {id} has no key {key_id}"), id=partner_id, key_id=key_id)
    return _key_from_row(row)
