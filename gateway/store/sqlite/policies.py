"""The sharing policy's history: every version that was ever in force, by digest."""

from __future__ import annotations

import sqlite3

from gateway.audit import AuditEvent
from gateway.store.sqlite.database import Database, Transaction


class PolicyStore(Database):
    def policy_in_force(self) -> str | None:
        """The digest of the policy last adopted, by any gateway process on this database."""

        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT value FROM meta WHERE key = 'policy_sha256'").fetchone()
            return None if row is None else str(row[0])

        return self.read_sync(read)

    def adopt_policy(self, digest: str, text: str, event: AuditEvent) -> None:
        """Record ``digest`` as the policy in force, keep its text, and audit the change."""

        def write(tx: Transaction) -> None:
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

        self.write_sync(write)

    def policy_text(self, digest: str) -> str | None:
        row = self.read_sync(
            lambda conn: conn.execute(
                "SELECT text FROM policies WHERE sha256 = ?", (digest,)
            ).fetchone()
        )
        return None if row is None else str(row[0])
