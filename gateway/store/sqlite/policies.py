"""The sharing policy's history in SQLite: every version ever in force, by digest."""

from __future__ import annotations

import sqlite3

from gateway.infra.audit import AuditEvent
from gateway.store.interface.policies import PolicyStore, PolicyVersion
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.times import moment


class SqlitePolicies(Database, PolicyStore):
    async def policy_in_force(self) -> str | None:
        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT value FROM meta WHERE key = 'policy_sha256'").fetchone()
            return None if row is None else str(row[0])

        return await self.read(read)

    async def adopt_policy(self, digest: str, text: str, event: AuditEvent) -> None:
        def write(tx: Transaction) -> None:
            row = tx.conn.execute("SELECT value FROM meta WHERE key = 'policy_sha256'").fetchone()
            if row is not None and row[0] == digest:
                return
            tx.conn.execute(
                "INSERT OR IGNORE INTO policies (sha256, first_loaded_at, text) VALUES (?, ?, ?)",
                (digest, tx.now(), text),
            )
            tx.conn.execute(
                "INSERT INTO meta (key, value) VALUES ('policy_sha256', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (digest,),
            )
            tx.append(event)

        await self.write(write)

    async def policy_text(self, digest: str) -> str | None:
        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT text FROM policies WHERE sha256 = ?", (digest,)).fetchone()
            return None if row is None else str(row[0])

        return await self.read(read)

    async def policy_versions(self) -> list[PolicyVersion]:
        def read(conn: sqlite3.Connection) -> list[PolicyVersion]:
            rows = conn.execute(
                "SELECT sha256, first_loaded_at FROM policies ORDER BY first_loaded_at DESC"
            ).fetchall()
            return [PolicyVersion(r[0], moment(r[1]) if r[1] else None) for r in rows]

        return await self.read(read)
