"""Witness keys, cosignatures and reported inconsistencies in PostgreSQL.

A partner's reports are bounded (``most``): the count and the insert happen under a lock on
the partner's row, so instances reporting for one partner at once count one after the
other and never keep more than the bound between them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from psycopg.errors import UniqueViolation

from gateway.infra.audit import AuditEvent
from gateway.infra.errors import RegistryError, TooManyReports
from gateway.infra.i18n import N_
from gateway.store.interface.witnesses import (
    InconsistencyReport,
    RegisteredWitnessKey,
    StoredCosignature,
    WitnessStore,
)
from gateway.store.postgres.database import Connection, Database, Transaction
from gateway.store.postgres.registry import partner_in

_KEY_COLUMNS = "partner_id, name, key_id, public_key, added_at, retired_at"
_COSIGNATURE_COLUMNS = "size, partner_id, key_name, key_id, cosigned_at, line, received_at"
_REPORT_COLUMNS = (
    "id, partner_id, kind, previous, submitted, previous_size, submitted_size, reported_at"
)


class PostgresWitnesses(Database, WitnessStore):
    async def add_witness_key(
        self, key: RegisteredWitnessKey, event: AuditEvent
    ) -> RegisteredWitnessKey:
        async def write(tx: Transaction) -> RegisteredWitnessKey:
            partner = await partner_in(tx.conn, key.partner_id, for_update=True)
            if not partner.active:
                raise RegistryError(
                    N_("partner {id} is {state}"), id=partner.id, state=partner.state
                )
            try:
                cursor = await tx.conn.execute(
                    f"INSERT INTO witness_keys ({_KEY_COLUMNS}) VALUES (%s, %s, %s, %s, %s, NULL) "
                    f"RETURNING {_KEY_COLUMNS}",
                    (key.partner_id, key.name, key.key_id, key.public_key, tx.now()),
                )
            except UniqueViolation as exc:
                raise RegistryError(
                    N_("the witness key {name} ({key_id}) is already registered"),
                    name=key.name,
                    key_id=key.key_id,
                ) from exc
            row = await cursor.fetchone()
            assert row is not None
            await tx.append(event)
            return _key(row)

        return await self.write(write)

    async def retire_witness_key(
        self,
        partner_id: str,
        key_id: str,
        event_for: Callable[[RegisteredWitnessKey], AuditEvent],
    ) -> RegisteredWitnessKey:
        async def write(tx: Transaction) -> RegisteredWitnessKey:
            current = await _one_key(tx.conn, partner_id, key_id, for_update=True)
            if not current.active:
                raise RegistryError(
                    N_("witness key {key_id} of {id} is already retired"),
                    key_id=key_id,
                    id=partner_id,
                )
            cursor = await tx.conn.execute(
                "UPDATE witness_keys SET retired_at = %s WHERE partner_id = %s AND key_id = %s "
                f"RETURNING {_KEY_COLUMNS}",
                (tx.now(), partner_id, key_id),
            )
            row = await cursor.fetchone()
            assert row is not None
            await tx.append(event_for(current))
            return _key(row)

        return await self.write(write)

    async def witness_keys(self, partner_id: str | None = None) -> list[RegisteredWitnessKey]:
        async def read(conn: Connection) -> list[RegisteredWitnessKey]:
            if partner_id is not None:
                await partner_in(conn, partner_id)
            cursor = await conn.execute(
                f"SELECT {_KEY_COLUMNS} FROM witness_keys "
                "WHERE %s::text IS NULL OR partner_id = %s ORDER BY added_at, partner_id, key_id",
                (partner_id, partner_id),
            )
            return [_key(row) for row in await cursor.fetchall()]

        return await self.read(read)

    async def add_cosignature(
        self, cosignature: StoredCosignature, event: AuditEvent
    ) -> StoredCosignature:
        async def write(tx: Transaction) -> StoredCosignature:
            kept = replace(cosignature, received_at=tx.now())
            await tx.conn.execute(
                f"INSERT INTO audit_cosignatures ({_COSIGNATURE_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (size, partner_id, key_id) DO UPDATE "
                "SET key_name = excluded.key_name, cosigned_at = excluded.cosigned_at, "
                "line = excluded.line, received_at = excluded.received_at",
                (
                    kept.size,
                    kept.partner_id,
                    kept.key_name,
                    kept.key_id,
                    kept.cosigned_at,
                    kept.line,
                    kept.received_at,
                ),
            )
            await tx.append(event)
            return kept

        return await self.write(write)

    async def cosignatures(self, size: int) -> list[StoredCosignature]:
        async def read(conn: Connection) -> list[StoredCosignature]:
            cursor = await conn.execute(
                f"SELECT {_COSIGNATURE_COLUMNS} FROM audit_cosignatures WHERE size = %s "
                "ORDER BY partner_id, key_id",
                (size,),
            )
            return [_cosignature(row) for row in await cursor.fetchall()]

        return await self.read(read)

    async def latest_cosignatures(self) -> list[StoredCosignature]:
        async def read(conn: Connection) -> list[StoredCosignature]:
            cursor = await conn.execute(
                f"SELECT DISTINCT ON (partner_id, key_id) {_COSIGNATURE_COLUMNS} "
                "FROM audit_cosignatures "
                "ORDER BY partner_id, key_id, size DESC, cosigned_at DESC"
            )
            return [_cosignature(row) for row in await cursor.fetchall()]

        return await self.read(read)

    async def report_inconsistency(
        self, report: InconsistencyReport, event: AuditEvent, *, most: int
    ) -> InconsistencyReport:
        async def write(tx: Transaction) -> InconsistencyReport:
            await partner_in(tx.conn, report.partner_id, for_update=True)
            cursor = await tx.conn.execute(
                "SELECT count(*) FROM audit_inconsistencies WHERE partner_id = %s",
                (report.partner_id,),
            )
            row = await cursor.fetchone()
            assert row is not None
            if row[0] >= most:
                raise TooManyReports(limit=most)
            cursor = await tx.conn.execute(
                f"INSERT INTO audit_inconsistencies ({_REPORT_COLUMNS}) "
                f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING {_REPORT_COLUMNS}",
                (
                    report.id,
                    report.partner_id,
                    report.kind,
                    report.previous,
                    report.submitted,
                    report.previous_size,
                    report.submitted_size,
                    tx.now(),
                ),
            )
            kept = await cursor.fetchone()
            assert kept is not None
            await tx.append(event)
            return _report(kept)

        return await self.write(write)

    async def inconsistency(self, report_id: str) -> InconsistencyReport | None:
        async def read(conn: Connection) -> InconsistencyReport | None:
            cursor = await conn.execute(
                f"SELECT {_REPORT_COLUMNS} FROM audit_inconsistencies WHERE id = %s", (report_id,)
            )
            row = await cursor.fetchone()
            return None if row is None else _report(row)

        return await self.read(read)

    async def inconsistencies(self, *, limit: int = 100) -> list[InconsistencyReport]:
        async def read(conn: Connection) -> list[InconsistencyReport]:
            cursor = await conn.execute(
                f"SELECT {_REPORT_COLUMNS} FROM audit_inconsistencies "
                "ORDER BY reported_at DESC, id DESC LIMIT %s",
                (limit,),
            )
            return [_report(row) for row in await cursor.fetchall()]

        return await self.read(read)


def _key(row: tuple[Any, ...]) -> RegisteredWitnessKey:
    return RegisteredWitnessKey(
        partner_id=row[0],
        name=row[1],
        key_id=row[2],
        public_key=bytes(row[3]),
        added_at=row[4],
        retired_at=row[5],
    )


async def _one_key(
    conn: Connection, partner_id: str, key_id: str, *, for_update: bool = False
) -> RegisteredWitnessKey:
    lock = " FOR UPDATE" if for_update else ""
    cursor = await conn.execute(
        f"SELECT {_KEY_COLUMNS} FROM witness_keys WHERE partner_id = %s AND key_id = %s{lock}",
        (partner_id, key_id),
    )
    row = await cursor.fetchone()
    if row is None:
        raise RegistryError(
            N_("partner {id} has no witness key {key_id}"), id=partner_id, key_id=key_id
        )
    return _key(row)


def _cosignature(row: tuple[Any, ...]) -> StoredCosignature:
    return StoredCosignature(
        size=row[0],
        partner_id=row[1],
        key_name=row[2],
        key_id=row[3],
        cosigned_at=row[4],
        line=row[5],
        received_at=row[6],
    )


def _report(row: tuple[Any, ...]) -> InconsistencyReport:
    return InconsistencyReport(
        id=row[0],
        partner_id=row[1],
        kind=row[2],
        previous=None if row[3] is None else bytes(row[3]),
        submitted=bytes(row[4]),
        previous_size=row[5],
        submitted_size=row[6],
        reported_at=row[7],
    )
