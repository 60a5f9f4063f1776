"""The sharing policy's history in PostgreSQL: every version ever in force, by digest."""

from __future__ import annotations

from gateway.infra.audit import AuditEvent
from gateway.store.interface.policies import PolicyStore, PolicyVersion
from gateway.store.postgres.database import Connection, Database, Transaction


class PostgresPolicies(Database, PolicyStore):
    async def policy_in_force(self) -> str | None:
        async def read(conn: Connection) -> str | None:
            cursor = await conn.execute("SELECT value FROM meta WHERE key = 'policy_sha256'")
            row = await cursor.fetchone()
            return None if row is None else str(row[0])

        return await self.read(read)

    async def adopt_policy(self, digest: str, text: str, event: AuditEvent) -> None:
        async def write(tx: Transaction) -> None:
            cursor = await tx.conn.execute("SELECT value FROM meta WHERE key = 'policy_sha256'")
            row = await cursor.fetchone()
            if row is not None and row[0] == digest:
                return
            await tx.conn.execute(
                "INSERT INTO policies (sha256, first_loaded_at, text) VALUES (%s, %s, %s) "
                "ON CONFLICT (sha256) DO NOTHING",
                (digest, tx.now(), text),
            )
            await tx.conn.execute(
                "INSERT INTO meta (key, value) VALUES ('policy_sha256', %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (digest,),
            )
            await tx.append(event)

        await self.write(write)

    async def policy_text(self, digest: str) -> str | None:
        async def read(conn: Connection) -> str | None:
            cursor = await conn.execute("SELECT text FROM policies WHERE sha256 = %s", (digest,))
            row = await cursor.fetchone()
            return None if row is None else str(row[0])

        return await self.read(read)

    async def policy_versions(self) -> list[PolicyVersion]:
        async def read(conn: Connection) -> list[PolicyVersion]:
            cursor = await conn.execute(
                "SELECT sha256, first_loaded_at FROM policies "
                "ORDER BY first_loaded_at DESC NULLS LAST"
            )
            return [PolicyVersion(r[0], r[1]) for r in await cursor.fetchall()]

        return await self.read(read)
