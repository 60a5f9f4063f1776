"""Each partner's rate in SQLite, every take decided in the writer's transaction."""

from __future__ import annotations

from datetime import datetime

from gateway.infra import audit, rate_slices
from gateway.infra.rate_slices import Bucket, Grant, RateLimit
from gateway.store.interface.partner_rate import PartnerRateStore
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.times import moment


class SqlitePartnerRate(Database, PartnerRateStore):
    async def take_partner_tokens(
        self, partner_id: str, *, need: int, limit: RateLimit, now: datetime
    ) -> Grant:
        def write(tx: Transaction) -> Grant:
            row = tx.conn.execute(
                "SELECT tokens, updated_at FROM partner_buckets WHERE partner_id = ?",
                (partner_id,),
            ).fetchone()
            bucket = None if row is None else Bucket(row[0], moment(row[1]))
            grant = rate_slices.take(limit, bucket, now, need)
            if grant.granted:
                tx.conn.execute(
                    "INSERT INTO partner_buckets (partner_id, tokens, updated_at) "
                    "VALUES (?, ?, ?) ON CONFLICT (partner_id) DO UPDATE SET "
                    "tokens = excluded.tokens, updated_at = excluded.updated_at",
                    (partner_id, grant.left.tokens, audit.timestamp(grant.left.at)),
                )
            return grant

        return await self.write(write)
