"""The audit chain's verification jobs in PostgreSQL. Two instances starting one at once each
first hold a transaction-level advisory lock, so one starts and the other finds it running
(the partial unique index stands guard)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from gateway.store.interface.audit_search import LastVerification
from gateway.store.interface.verification_jobs import (
    STALE_AFTER,
    JobState,
    VerificationJob,
    VerificationJobStore,
    result_text,
)
from gateway.store.postgres.database import Connection, Database, Transaction
from gateway.store.postgres.locks import hold
from gateway.store.verification_rows import JOB_COLUMNS, job_from_row

_LOCK: Final = "verification_jobs"


class PostgresVerificationJobs(Database, VerificationJobStore):
    async def start_verification(
        self,
        *,
        job_id: str,
        by: str,
        instance: str,
        total: int,
        now: datetime,
        stale_after: timedelta = STALE_AFTER,
    ) -> tuple[VerificationJob, bool]:
        async def write(tx: Transaction) -> tuple[VerificationJob, bool]:
            await hold(tx.conn, _LOCK, "start")
            await tx.conn.execute(
                "UPDATE verification_jobs SET state = 'abandoned', finished_at = %s "
                "WHERE state = 'running' AND heartbeat_at < %s",
                (now, now - stale_after),
            )
            running = await _running(tx.conn)
            if running is not None:
                return running, False
            await tx.conn.execute(
                f"INSERT INTO verification_jobs ({JOB_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, 0, %s, 'running', NULL, NULL)",
                (job_id, by, now, instance, total, now),
            )
            started = await _running(tx.conn)
            assert started is not None
            return started, True

        return await self.write(write, audited=False)

    async def verification_checked(
        self, job_id: str, *, instance: str, checked: int, now: datetime
    ) -> bool:
        async def write(tx: Transaction) -> bool:
            changed = await tx.conn.execute(
                "UPDATE verification_jobs SET checked = %s, heartbeat_at = %s "
                "WHERE id = %s AND instance = %s AND state = 'running'",
                (checked, now, job_id, instance),
            )
            return changed.rowcount == 1

        return await self.write(write, audited=False)

    async def finish_verification(
        self, job_id: str, *, instance: str, result: LastVerification | None, now: datetime
    ) -> None:
        state = JobState.FAILED if result is None else JobState.DONE

        async def write(tx: Transaction) -> None:
            await tx.conn.execute(
                "UPDATE verification_jobs SET state = %s, finished_at = %s, heartbeat_at = %s, "
                "checked = coalesce(%s, checked), result = %s "
                "WHERE id = %s AND instance = %s AND state = 'running'",
                (
                    str(state),
                    now,
                    now,
                    None if result is None else result.checked,
                    result_text(result),
                    job_id,
                    instance,
                ),
            )

        await self.write(write, audited=False)

    async def verification_job(self, job_id: str) -> VerificationJob | None:
        async def read(conn: Connection) -> VerificationJob | None:
            cursor = await conn.execute(
                f"SELECT {JOB_COLUMNS} FROM verification_jobs WHERE id = %s", (job_id,)
            )
            row = await cursor.fetchone()
            return None if row is None else job_from_row(row, _as_is)

        return await self.read(read)

    async def running_verification(self) -> VerificationJob | None:
        return await self.read(_running)


async def _running(conn: Connection) -> VerificationJob | None:
    cursor = await conn.execute(
        f"SELECT {JOB_COLUMNS} FROM verification_jobs WHERE state = 'running'"
    )
    row = await cursor.fetchone()
    return None if row is None else job_from_row(row, _as_is)


def _as_is(value: datetime) -> datetime:
    """psycopg reads ``timestamptz`` as an aware ``datetime`` already."""
    return value
