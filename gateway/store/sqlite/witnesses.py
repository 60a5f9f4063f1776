"""Witness keys, cosignatures and reported inconsistencies in SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from gateway.infra.audit import AuditEvent
from gateway.infra.errors import RegistryError, TooManyReports
from gateway.infra.i18n import N_
from gateway.store.interface.witnesses import (
    InconsistencyReport,
    RegisteredWitnessKey,
    StoredCosignature,
    WitnessStore,
)
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.registry import _partner
from gateway.store.sqlite.times import moment, moment_or_none

_KEY_COLUMNS = "partner_id, name, key_id, public_key, added_at, retired_at"
_COSIGNATURE_COLUMNS = "size, partner_id, key_name, key_id, cosigned_at, line, received_at"
_REPORT_COLUMNS = (
    "id, partner_id, kind, previous, submitted, previous_size, submitted_size, reported_at"
)


class SqliteWitnesses(Database, WitnessStore):
    async def add_witness_key(
        self, key: RegisteredWitnessKey, event: AuditEvent
    ) -> RegisteredWitnessKey:
        def write(tx: Transaction) -> RegisteredWitnessKey:
            partner = _partner(tx.conn, key.partner_id)
            if not partner.active:
                raise RegistryError(
                    N_("partner {id} is {state}"), id=partner.id, state=partner.state
                )
            try:
                tx.conn.execute(
                    f"INSERT INTO witness_keys ({_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL)",
                    (key.partner_id, key.name, key.key_id, key.public_key, tx.now()),
                )
            except sqlite3.IntegrityError as exc:
                raise RegistryError(
                    N_("the witness key {name} ({key_id}) is already registered"),
                    name=key.name,
                    key_id=key.key_id,
                ) from exc
            tx.append(event)
            return _one_key(tx.conn, key.partner_id, key.key_id)

        return await self.write(write)

    async def retire_witness_key(
        self,
        partner_id: str,
        key_id: str,
        event_for: Callable[[RegisteredWitnessKey], AuditEvent],
    ) -> RegisteredWitnessKey:
        def write(tx: Transaction) -> RegisteredWitnessKey:
            current = _one_key(tx.conn, partner_id, key_id)
            if not current.active:
                raise RegistryError(
                    N_("witness key {key_id} of {id} is already retired"),
                    key_id=key_id,
                    id=partner_id,
                )
            tx.conn.execute(
                "UPDATE witness_keys SET retired_at = ? WHERE partner_id = ? AND key_id = ?",
                (tx.now(), partner_id, key_id),
            )
            tx.append(event_for(current))
            return _one_key(tx.conn, partner_id, key_id)

        return await self.write(write)

    async def witness_keys(self, partner_id: str | None = None) -> list[RegisteredWitnessKey]:
        def read(conn: sqlite3.Connection) -> list[RegisteredWitnessKey]:
            if partner_id is not None:
                _partner(conn, partner_id)
            rows = conn.execute(
                f"SELECT {_KEY_COLUMNS} FROM witness_keys "
                "WHERE ? IS NULL OR partner_id = ? ORDER BY added_at, partner_id, key_id",
                (partner_id, partner_id),
            ).fetchall()
            return [_key(row) for row in rows]

        return await self.read(read)

    async def add_cosignature(
        self, cosignature: StoredCosignature, event: AuditEvent
    ) -> StoredCosignature:
        def write(tx: Transaction) -> StoredCosignature:
            received = tx.now()
            kept = replace(cosignature, received_at=moment(received))
            tx.conn.execute(
                f"INSERT INTO audit_cosignatures ({_COSIGNATURE_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (size, partner_id, key_id) DO UPDATE "
                "SET key_name = excluded.key_name, cosigned_at = excluded.cosigned_at, "
                "line = excluded.line, received_at = excluded.received_at",
                (
                    kept.size,
                    kept.partner_id,
                    kept.key_name,
                    kept.key_id,
                    kept.cosigned_at,
                    kept.line,
                    received,
                ),
            )
            tx.append(event)
            return kept

        return await self.write(write)

    async def cosignatures(self, size: int) -> list[StoredCosignature]:
        def read(conn: sqlite3.Connection) -> list[StoredCosignature]:
            rows = conn.execute(
                f"SELECT {_COSIGNATURE_COLUMNS} FROM audit_cosignatures WHERE size = ? "
                "ORDER BY partner_id, key_id",
                (size,),
            ).fetchall()
            return [_cosignature(row) for row in rows]

        return await self.read(read)

    async def latest_cosignatures(self) -> list[StoredCosignature]:
        def read(conn: sqlite3.Connection) -> list[StoredCosignature]:
            rows = conn.execute(
                f"SELECT {_COSIGNATURE_COLUMNS} FROM ("
                f" SELECT {_COSIGNATURE_COLUMNS}, row_number() OVER ("
                "  PARTITION BY partner_id, key_id ORDER BY size DESC, cosigned_at DESC"
                " ) AS rank FROM audit_cosignatures"
                ") WHERE rank = 1 ORDER BY partner_id, key_id"
            ).fetchall()
            return [_cosignature(row) for row in rows]

        return await self.read(read)

    async def report_inconsistency(
        self, report: InconsistencyReport, event: AuditEvent, *, most: int
    ) -> InconsistencyReport:
        def write(tx: Transaction) -> InconsistencyReport:
            _partner(tx.conn, report.partner_id)
            (kept,) = tx.conn.execute(
                "SELECT count(*) FROM audit_inconsistencies WHERE partner_id = ?",
                (report.partner_id,),
            ).fetchone()
            if kept >= most:
                raise TooManyReports(limit=most)
            tx.conn.execute(
                f"INSERT INTO audit_inconsistencies ({_REPORT_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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
            tx.append(event)
            row = tx.conn.execute(
                f"SELECT {_REPORT_COLUMNS} FROM audit_inconsistencies WHERE id = ?", (report.id,)
            ).fetchone()
            return _report(row)

        return await self.write(write)

    async def inconsistency(self, report_id: str) -> InconsistencyReport | None:
        def read(conn: sqlite3.Connection) -> InconsistencyReport | None:
            row = conn.execute(
                f"SELECT {_REPORT_COLUMNS} FROM audit_inconsistencies WHERE id = ?", (report_id,)
            ).fetchone()
            return None if row is None else _report(row)

        return await self.read(read)

    async def inconsistencies(self, *, limit: int = 100) -> list[InconsistencyReport]:
        def read(conn: sqlite3.Connection) -> list[InconsistencyReport]:
            rows = conn.execute(
                f"SELECT {_REPORT_COLUMNS} FROM audit_inconsistencies "
                "ORDER BY reported_at DESC, id DESC LIMIT ?",
                (limit,),
            ).fetchall()
            return [_report(row) for row in rows]

        return await self.read(read)


def _key(row: tuple[Any, ...]) -> RegisteredWitnessKey:
    return RegisteredWitnessKey(
        partner_id=row[0],
        name=row[1],
        key_id=row[2],
        public_key=bytes(row[3]),
        added_at=moment(row[4]),
        retired_at=moment_or_none(row[5]),
    )


def _one_key(conn: sqlite3.Connection, partner_id: str, key_id: str) -> RegisteredWitnessKey:
    row = conn.execute(
        f"SELECT {_KEY_COLUMNS} FROM witness_keys WHERE partner_id = ? AND key_id = ?",
        (partner_id, key_id),
    ).fetchone()
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
        received_at=moment(row[6]),
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
        reported_at=moment(row[7]),
    )
