"""Partners' encryption public keys and the gateway's public signing keys, in SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any

from gateway.infra.audit import AuditEvent, timestamp
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_
from gateway.infra.seal import GatewayKey, PartnerKey, Suite, current_key
from gateway.store.interface.keys import KeyStore
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.registry import _partner
from gateway.store.sqlite.times import moment, moment_or_none, stored_or_none

_KEY_COLUMNS = (
    "partner_id, key_id, suite, public_key, valid_from, valid_until, retired_at, added_at"
)
_GATEWAY_COLUMNS = "key_id, algorithm, public_key, created_at, retired_at"


class SqliteKeys(Database, KeyStore):
    async def add_partner_key(self, key: PartnerKey, event: AuditEvent) -> PartnerKey:

        def write(tx: Transaction) -> PartnerKey:
            partner = _partner(tx.conn, key.partner_id)
            if not partner.active:
                raise RegistryError(
                    N_("partner {id} is {state}"), id=partner.id, state=partner.state
                )
            try:
                tx.conn.execute(
                    f"INSERT INTO partner_keys ({_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        key.partner_id,
                        key.key_id,
                        str(key.suite),
                        key.public_key,
                        timestamp(key.valid_from),
                        stored_or_none(key.valid_until),
                        None,
                        tx.now(),
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise RegistryError(
                    N_("partner {id} already has key {key_id}"),
                    id=key.partner_id,
                    key_id=key.key_id,
                ) from exc
            tx.append(event)
            return _one_key(tx.conn, key.partner_id, key.key_id)

        return await self.write(write)

    async def retire_partner_key(
        self, partner_id: str, key_id: str, event_for: Callable[[PartnerKey], AuditEvent]
    ) -> PartnerKey:

        def write(tx: Transaction) -> PartnerKey:
            current = _one_key(tx.conn, partner_id, key_id)
            if current.retired_at is not None:
                raise RegistryError(
                    N_("key {key_id} of {id} is already retired"), key_id=key_id, id=partner_id
                )
            tx.conn.execute(
                "UPDATE partner_keys SET retired_at = ? WHERE partner_id = ? AND key_id = ?",
                (tx.now(), partner_id, key_id),
            )
            tx.append(event_for(current))
            return _one_key(tx.conn, partner_id, key_id)

        return await self.write(write)

    async def partner_keys(self, partner_id: str) -> list[PartnerKey]:
        def read(conn: sqlite3.Connection) -> list[PartnerKey]:
            _partner(conn, partner_id)
            return _keys(conn, partner_id)

        return await self.read(read)

    async def sealing_key(self, partner_id: str, at: datetime) -> PartnerKey | None:
        keys = await self.read(lambda conn: _keys(conn, partner_id))
        return current_key(keys, at)

    async def add_gateway_key(self, key: GatewayKey, event: AuditEvent) -> GatewayKey:
        def write(tx: Transaction) -> GatewayKey:
            _insert_gateway_key(tx.conn, key)
            tx.append(event)
            return key

        return await self.write(write)

    async def rotate_gateway_key(
        self, key: GatewayKey, *, replaces: str, retires_at: datetime, event: AuditEvent
    ) -> GatewayKey:
        def write(tx: Transaction) -> GatewayKey:
            changed = tx.conn.execute(
                "UPDATE gateway_keys SET retired_at = ? WHERE key_id = ? AND retired_at IS NULL",
                (timestamp(retires_at), replaces),
            ).rowcount
            if not changed:
                raise RegistryError(
                    N_("gateway key {key_id} is not the one in use (unknown, or retiring already)"),
                    key_id=replaces,
                )
            _insert_gateway_key(tx.conn, key)
            tx.append(event)
            return next(k for k in _gateway_keys(tx.conn) if k.key_id == replaces)

        return await self.write(write)

    async def gateway_keys(self) -> list[GatewayKey]:
        return await self.read(_gateway_keys)


def _key_from_row(row: tuple[Any, ...]) -> PartnerKey:
    valid_from = moment(row[4])
    return PartnerKey(
        partner_id=row[0],
        key_id=row[1],
        suite=Suite(row[2]),
        public_key=bytes(row[3]),
        valid_from=valid_from,
        valid_until=moment_or_none(row[5]),
        retired_at=moment_or_none(row[6]),
        added_at=moment_or_none(row[7]),
    )


def _keys(conn: sqlite3.Connection, partner_id: str) -> list[PartnerKey]:
    rows = conn.execute(
        f"SELECT {_KEY_COLUMNS} FROM partner_keys WHERE partner_id = ? ORDER BY added_at, key_id",
        (partner_id,),
    ).fetchall()
    return [_key_from_row(row) for row in rows]


def _one_key(conn: sqlite3.Connection, partner_id: str, key_id: str) -> PartnerKey:
    row = conn.execute(
        f"SELECT {_KEY_COLUMNS} FROM partner_keys WHERE partner_id = ? AND key_id = ?",
        (partner_id, key_id),
    ).fetchone()
    if row is None:
        raise RegistryError(N_("partner {id} has no key {key_id}"), id=partner_id, key_id=key_id)
    return _key_from_row(row)


def _insert_gateway_key(conn: sqlite3.Connection, key: GatewayKey) -> None:
    try:
        conn.execute(
            f"INSERT INTO gateway_keys ({_GATEWAY_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
            (
                key.key_id,
                key.algorithm,
                key.public_key,
                timestamp(key.created_at),
                stored_or_none(key.retired_at),
            ),
        )
    except sqlite3.IntegrityError as exc:
        raise RegistryError(
            N_("gateway key {key_id} is already registered"), key_id=key.key_id
        ) from exc


def _gateway_keys(conn: sqlite3.Connection) -> list[GatewayKey]:
    rows = conn.execute(
        f"SELECT {_GATEWAY_COLUMNS} FROM gateway_keys ORDER BY created_at, key_id"
    ).fetchall()
    return [
        GatewayKey(
            key_id=row[0],
            algorithm=row[1],
            public_key=bytes(row[2]),
            created_at=moment(row[3]),
            retired_at=moment_or_none(row[4]),
        )
        for row in rows
    ]
