"""The eTranslation backend's jobs in SQLite (:mod:`gateway.translate.etranslation_jobs`)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from gateway.infra.audit import timestamp
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.times import moment
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

_PLACES = ", ".join("?" * len(TRANSLATION_JOB_COLUMNS.split(",")))


class SqliteTranslationJobs(Database, TranslationJobStore):
    async def add_translation_job(self, job: TranslationJob) -> None:
        def write(tx: Transaction) -> None:
            tx.conn.execute("DELETE FROM translation_jobs WHERE lookup_key = ?", (job.lookup_key,))
            tx.conn.execute(
                f"INSERT INTO translation_jobs ({TRANSLATION_JOB_COLUMNS}) VALUES ({_PLACES})",
                translation_job_row(job, timestamp),
            )

        await self.write(write)

    async def translation_job(self, job_id: str) -> TranslationJob | None:
        return await self._job_where("id", job_id)

    async def translation_job_for(self, lookup_key: str) -> TranslationJob | None:
        return await self._job_where("lookup_key", lookup_key)

    async def translation_job_submitted(self, job_id: str, request_id: int) -> None:
        def write(tx: Transaction) -> None:
            tx.conn.execute(
                "UPDATE translation_jobs SET request_id = ? WHERE id = ?", (request_id, job_id)
            )

        await self.write(write)

    async def answer_translation_job(
        self,
        job_id: str,
        *,
        state: TranslationJobState,
        at: datetime,
        sealed: bytes | None = None,
        error_code: str | None = None,
    ) -> bool:
        def write(tx: Transaction) -> bool:
            changed = tx.conn.execute(
                "UPDATE translation_jobs SET state = ?, sealed = ?, error_code = ?, "
                "answered_at = ? WHERE id = ? AND state = ?",
                (
                    str(state),
                    sealed,
                    error_code,
                    timestamp(at),
                    job_id,
                    str(TranslationJobState.PENDING),
                ),
            )
            return changed.rowcount == 1

        return await self.write(write)

    async def forget_translation_job(self, job_id: str) -> None:
        def write(tx: Transaction) -> None:
            tx.conn.execute("DELETE FROM translation_jobs WHERE id = ?", (job_id,))

        await self.write(write)

    async def forget_translation_jobs_before(self, cutoff: datetime) -> int:
        def write(tx: Transaction) -> int:
            return tx.conn.execute(
                "DELETE FROM translation_jobs WHERE created_at < ?", (timestamp(cutoff),)
            ).rowcount

        return await self.write(write)

    async def _job_where(self, column: str, value: str) -> TranslationJob | None:
        def read(conn: sqlite3.Connection) -> TranslationJob | None:
            row = conn.execute(
                f"SELECT {TRANSLATION_JOB_COLUMNS} FROM translation_jobs WHERE {column} = ?",
                (value,),
            ).fetchone()
            return None if row is None else translation_job_from_row(row, moment)

        return await self.read(read)
