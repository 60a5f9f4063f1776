"""Each partner's rate in PostgreSQL, every take decided in one transaction.

Instances sharing the database take from the same partner's bucket at once. Each take first
holds a transaction-level advisory lock on the partner (:func:`.locks.hold`; a partner without
a row yet has nothing to lock with ``FOR UPDATE``), as the sign-in throttle does for an
address (:mod:`.throttle`).
"""

from __future__ import annotations

from datetime import datetime

from gateway.infra import rate_slices
from gateway.infra.rate_slices import Bucket, Grant, RateLimit
from gateway.store.interface.partner_rate import PartnerRateStore
from gateway.store.postgres.database import Database, Transaction
from gateway.store.postgres.locks import hold


class PostgresPartnerRate(Database, PartnerRateStore):
    async def take_partner_tokens(
        self, partner_id: str, *, need: int, limit: RateLimit, now: datetime
    ) -> Grant:
        async def write(tx: Transaction) -> Grant:
            await hold(tx.conn, "partner_rate", partner_id)
            cursor = await tx.conn.execute(
                "SELECT tokens, updated_at FROM partner_buckets WHERE partner_id = %s",
                (partner_id,),
            )
            row = await cursor.fetchone()
            bucket = None if row is None else Bucket(row[0], row[1])
            grant = rate_slices.take(limit, bucket, now, need)
            if grant.granted:
                await tx.conn.execute(
                    "INSERT INTO partner_buckets (partner_id, tokens, updated_at) "
                    "VALUES (%s, %s, %s) ON CONFLICT (partner_id) DO UPDATE SET "
                    "tokens = excluded.tokens, updated_at = excluded.updated_at",
                    (partner_id, grant.left.tokens, grant.left.at),
                )
            return grant

        return await self.write(write, audited=False)
