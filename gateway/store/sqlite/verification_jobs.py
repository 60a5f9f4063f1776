"""The audit chain's verification jobs in SQLite; the writer's transactions take turns, so
"one running at a time" needs nothing more (the partial unique index stands guard)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from gateway.infra.audit import timestamp
from gateway.store.interface.audit_search import LastVerification
from gateway.store.interface.verification_jobs import (
    STALE_AFTER,
    JobState,
    VerificationJob,
    VerificationJobStore,
    result_text,
)
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.times import moment
from gateway.store.verification_rows import JOB_COLUMNS, job_from_row


class SqliteVerificationJobs(Database, VerificationJobStore):
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
        def write(tx: Transaction) -> tuple[VerificationJob, bool]:
            tx.conn.execute(
                "UPDATE verification_jobs SET state = ?, finished_at = ? "
                "WHERE state = ? AND heartbeat_at < ?",
                (
                    str(JobState.ABANDONED),
                    timestamp(now),
                    str(JobState.RUNNING),
                    timestamp(now - stale_after),
                ),
            )
            running = _running(tx.conn)
            if running is not None:
                return running, False
            tx.conn.execute(
                f"INSERT INTO verification_jobs ({JOB_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, 0, ?, ?, NULL, NULL)",
                (job_id, by, timestamp(now), instance, total, timestamp(now), "running"),
            )
            started = _running(tx.conn)
            assert started is not None
            return started, True

        return await self.write(write)

    async def verification_checked(
        self, job_id: str, *, instance: str, checked: int, now: datetime
    ) -> bool:
        def write(tx: Transaction) -> bool:
            changed = tx.conn.execute(
                "UPDATE verification_jobs SET checked = ?, heartbeat_at = ? "
                "WHERE id = ? AND instance = ? AND state = 'running'",
                (checked, timestamp(now), job_id, instance),
            )
            return changed.rowcount == 1

        return await self.write(write)

    async def finish_verification(
        self, job_id: str, *, instance: str, result: LastVerification | None, now: datetime
    ) -> None:
        state = JobState.FAILED if result is None else JobState.DONE

        def write(tx: Transaction) -> None:
            tx.conn.execute(
                "UPDATE verification_jobs SET state = ?, finished_at = ?, heartbeat_at = ?, "
                "checked = coalesce(?, checked), result = ? "
                "WHERE id = ? AND instance = ? AND state = 'running'",
                (
                    str(state),
                    timestamp(now),
                    timestamp(now),
                    None if result is None else result.checked,
                    result_text(result),
                    job_id,
                    instance,
                ),
            )

        await self.write(write)

    async def verification_job(self, job_id: str) -> VerificationJob | None:
        def read(conn: sqlite3.Connection) -> VerificationJob | None:
            row = conn.execute(
                f"SELECT {JOB_COLUMNS} FROM verification_jobs WHERE id = ?", (job_id,)
            ).fetchone()
            return None if row is None else job_from_row(row, moment)

        return await self.read(read)

    async def running_verification(self) -> VerificationJob | None:
        return await self.read(_running)


def _running(conn: sqlite3.Connection) -> VerificationJob | None:
    row = conn.execute(
        f"SELECT {JOB_COLUMNS} FROM verification_jobs WHERE state = 'running'"
    ).fetchone()
    return None if row is None else job_from_row(row, moment)
