"""The eTranslation backend's jobs in PostgreSQL (:mod:`gateway.translate.etranslation_jobs`)."""

from __future__ import annotations

from datetime import datetime

from gateway.store.postgres.database import Connection, Database, Transaction
from gateway.store.translation_job_rows import (
    TRANSLATION_JOB_COLUMNS,
    translation_job_from_row,
    translation_job_row,
)
from gateway.translate.etranslation_jobs import (
    TranslationJob,
    TranslationJobState,
    TranslationJobStore,
)

_PLACES = ", ".join(["%s"] * len(TRANSLATION_JOB_COLUMNS.split(",")))


class PostgresTranslationJobs(Database, TranslationJobStore):
    async def add_translation_job(self, job: TranslationJob) -> None:
        async def write(tx: Transaction) -> None:
            await tx.conn.execute(
                "DELETE FROM translation_jobs WHERE lookup_key = %s", (job.lookup_key,)
            )
            await tx.conn.execute(
                f"INSERT INTO translation_jobs ({TRANSLATION_JOB_COLUMNS}) VALUES ({_PLACES})",
                translation_job_row(job, _as_is),
            )

        await self.write(write, audited=False)

    async def translation_job(self, job_id: str) -> TranslationJob | None:
        return await self._job_where("id", job_id)

    async def translation_job_for(self, lookup_key: str) -> TranslationJob | None:
        return await self._job_where("lookup_key", lookup_key)

    async def translation_job_submitted(self, job_id: str, request_id: int) -> None:
        async def write(tx: Transaction) -> None:
            await tx.conn.execute(
                "UPDATE translation_jobs SET request_id = %s WHERE id = %s", (request_id, job_id)
            )

        await self.write(write, audited=False)

    async def answer_translation_job(
        self,
        job_id: str,
        *,
        state: TranslationJobState,
        at: datetime,
        sealed: bytes | None = None,
        error_code: str | None = None,
    ) -> bool:
        async def write(tx: Transaction) -> bool:
            changed = await tx.conn.execute(
                "UPDATE translation_jobs SET state = %s, sealed = %s, error_code = %s, "
                "answered_at = %s WHERE id = %s AND state = %s",
                (str(state), sealed, error_code, at, job_id, str(TranslationJobState.PENDING)),
            )
            return changed.rowcount == 1

        return await self.write(write, audited=False)

    async def forget_translation_job(self, job_id: str) -> None:
        async def write(tx: Transaction) -> None:
            await tx.conn.execute("DELETE FROM translation_jobs WHERE id = %s", (job_id,))

        await self.write(write, audited=False)

    async def forget_translation_jobs_before(self, cutoff: datetime) -> int:
        async def write(tx: Transaction) -> int:
            deleted = await tx.conn.execute(
                "DELETE FROM translation_jobs WHERE created_at < %s", (cutoff,)
            )
            return deleted.rowcount

        return await self.write(write, audited=False)

    async def _job_where(self, column: str, value: str) -> TranslationJob | None:
        async def read(conn: Connection) -> TranslationJob | None:
            cursor = await conn.execute(
                f"SELECT {TRANSLATION_JOB_COLUMNS} FROM translation_jobs WHERE {column} = %s",
                (value,),
            )
            row = await cursor.fetchone()
            return None if row is None else translation_job_from_row(row, _as_is)

        return await self.read(read)


def _as_is(value: datetime) -> datetime:
    """psycopg reads and writes ``timestamptz`` as an aware ``datetime`` already."""
    return value
