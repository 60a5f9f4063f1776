"""Instances sharing one PostgreSQL database take turns where two of them at once would go
wrong: one sequencer leads (and another takes over when it dies), the tree grows from one size
once, the translation memory numbers each change once, a witness's reports stay within their
bound. Each test writes through several stores, each with its own connections, or through
several processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

import psycopg

from gateway.infra.audit import EventKind
from gateway.infra.clock import SystemClock
from gateway.infra.errors import AuditTreeMoved, TooManyReports
from gateway.store import InconsistencyReport, MemoryStamp, SealedSegment, StoredCheckpoint
from gateway.store.postgres import PostgresStore
from gateway.store.postgres.leadership import SessionLock
from gateway.store.sqlite import SqliteStore
from gateway.transparency.leadership import LockFile
from gateway.transparency.sequencer import Sequencer
from tests.polling import until
from tests.store_backends import START
from tests.store_events import an_event
from tests.test_store_contract_witnesses import LIEGE, with_partners
from tests.test_transparency_sequencer import SIGNER, explained

REPO = Path(__file__).resolve().parent.parent
INSTANCES = 4


async def stores(url: str, count: int = INSTANCES) -> list[PostgresStore]:
    """``count`` stores on ``url``, started one after the other (the first creates the schema)."""
    return [
        await PostgresStore(url, clock=SystemClock(), pool_size=2).start() for _ in range(count)
    ]


async def closed(opened: list[PostgresStore]) -> None:
    for store in opened:
        await store.close()


async def test_changes_to_the_memory_from_several_instances_are_numbered_one_by_one(
    postgres_url: str,
) -> None:
    """Without a lock, two instances read the same highest revision and both take the next:
    the pair's stamp would then count more entries than revisions."""
    opened = await stores(postgres_url)
    try:

        async def remember(store: PostgresStore, instance: int) -> None:
            for n in range(15):
                segment = SealedSegment(f"key-{instance}-{n}", b"sealed")
                await store.remember_translations(
                    "nl", "de", [segment], desk="nl", signal_id="s1", officer_id=f"o{instance}"
                )

        await asyncio.gather(*(remember(s, i) for i, s in enumerate(opened)))

        stamp = await opened[0].memory_stamp("nl", "de")
    finally:
        await closed(opened)
    assert stamp == MemoryStamp(entries=INSTANCES * 15, revision=INSTANCES * 15)


async def test_of_sequencers_extending_the_tree_from_one_size_only_one_keeps_its_checkpoint(
    postgres_url: str,
) -> None:
    opened = await stores(postgres_url)
    try:
        for size in range(10):

            async def extend(store: PostgresStore, by: int, size: int = size) -> bool:
                grown = StoredCheckpoint(size + by, bytes([by]) * 32, b"note", START)
                try:
                    await store.extend_tree(from_size=size, tiles=(), checkpoint=grown)
                except AuditTreeMoved:
                    return False
                return True

            kept = await asyncio.gather(*(extend(store, 1) for store in opened))
            assert kept.count(True) == 1, f"from size {size}: {kept}"
        roots = await opened[0].checkpoint_roots()
    finally:
        await closed(opened)
    assert [size for size, _ in roots] == list(range(1, 11))


async def test_instances_reporting_for_one_witness_at_once_keep_no_more_than_the_bound(
    postgres_url: str,
) -> None:
    opened = await stores(postgres_url)
    try:
        await with_partners(opened[0], LIEGE)

        async def report(store: PostgresStore, instance: int) -> list[bool]:
            kept = []
            for n in range(8):
                made = InconsistencyReport(
                    f"r-{instance}-{n}", LIEGE.id, "checkpoint-rollback", None, b"n\n", None, None
                )
                try:
                    await store.report_inconsistency(
                        made, an_event(EventKind.INCONSISTENCY_REPORTED), most=20
                    )
                except TooManyReports:
                    kept.append(False)
                else:
                    kept.append(True)
            return kept

        outcomes = await asyncio.gather(*(report(s, i) for i, s in enumerate(opened)))
        reports = await opened[0].inconsistencies(limit=100)
    finally:
        await closed(opened)
    assert sum(kept.count(True) for kept in outcomes) == 20
    assert len(reports) == 20


async def test_one_session_holds_the_lock_and_another_gets_it_once_it_lets_go(
    postgres_url: str,
) -> None:
    one = SessionLock(postgres_url, "a lock", retry=0.05)
    other = SessionLock(postgres_url, "a lock", retry=0.05)
    await one.acquire()
    waiting = asyncio.create_task(other.acquire())
    try:
        await until(lambda: tried_at_least_once(postgres_url))
        assert (one.holds(), other.holds(), waiting.done()) == (True, False, False)

        await one.release()
        await asyncio.wait_for(waiting, timeout=10)
        assert (one.holds(), other.holds()) == (False, True)
    finally:
        waiting.cancel()
        await one.release()
        await other.release()


async def tried_at_least_once(url: str) -> bool:
    """Whether a second session connected (and so tried for the lock)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid != pg_backend_pid() AND backend_type = 'client backend'"
        )
        row = await cursor.fetchone()
    return row is not None and row[0] >= 2


async def test_a_lock_whose_session_ended_is_no_longer_held(postgres_url: str) -> None:
    """The database restarted or an administrator ended the session: the holder finds out."""
    lock = SessionLock(postgres_url, "a lock", check=0.05)
    await lock.acquire()
    try:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            ended = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted AND pid != pg_backend_pid()"
            ).fetchall()
        assert ended == [(True,)]

        async def lost() -> bool:
            return not lock.holds()

        await until(lost, patience=10)
    finally:
        await lock.release()


async def test_a_sequencer_whose_session_ended_leads_again_once_it_holds_the_lock_anew(
    postgres_url: str,
) -> None:
    """The database restarted under it: it stops leading, takes the lock again, goes on."""
    async with PostgresStore(postgres_url, clock=SystemClock()) as store:
        lock = SessionLock(postgres_url, "sequencer", retry=0.05, check=0.05)
        running = asyncio.create_task(
            Sequencer(
                store=store,
                signer=SIGNER,
                clock=SystemClock(),
                leadership=lock,
                interval=0.02,
                republish_after=timedelta(hours=1),
            ).run()
        )
        try:
            await store.record_all([explained(n) for n in range(3)])
            await until(lambda: integrated(store, 3))
            (first_session,) = lock_holders(postgres_url)

            with psycopg.connect(postgres_url, autocommit=True) as conn:
                conn.execute("SELECT pg_terminate_backend(%s)", (first_session,))

            async def held_anew() -> bool:
                holders = lock_holders(postgres_url)
                return len(holders) == 1 and holders != [first_session] and lock.holds()

            await until(held_anew, patience=10)
            await store.record_all([explained(n) for n in range(3, 6)])
            await until(lambda: integrated(store, 6), patience=10)
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        assert not lock.holds()


async def integrated(store: PostgresStore, size: int) -> bool:
    latest = await store.latest_checkpoint()
    return latest is not None and latest.size == size


def lock_holders(url: str) -> list[int]:
    """The database sessions that hold an advisory lock."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted ORDER BY pid"
        ).fetchall()
    return [row[0] for row in rows]


SEQUENCER = """
import asyncio, sys
from datetime import timedelta
from pathlib import Path
from gateway.infra.audit.checkpoint import DEFAULT_ORIGIN
from gateway.infra.audit.note import Ed25519Signer
from gateway.infra.clock import SystemClock
from gateway.infra.seal import Signer
from gateway.store.postgres import PostgresStore
from gateway.transparency.sequencer import Sequencer

async def main(url: str) -> None:
    async with PostgresStore(url, clock=SystemClock(), pool_size=2) as store:
        await Sequencer(
            store=store,
            signer=Ed25519Signer(DEFAULT_ORIGIN, Signer.generate()),
            clock=SystemClock(),
            leadership=await store.sequencer_leadership(Path("unused")),
            interval=0.05,
            republish_after=timedelta(hours=1),
        ).run()

asyncio.run(main(sys.argv[1]))
"""


async def test_when_the_leading_sequencer_is_killed_the_other_instance_takes_over(
    postgres_url: str,
) -> None:
    running: list[asyncio.subprocess.Process] = []

    async def sequencer() -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", SEQUENCER, postgres_url, cwd=REPO
        )
        running.append(process)
        return process

    async with PostgresStore(postgres_url, clock=SystemClock()) as store:

        async def integrated(size: int) -> bool:
            assert all(p.returncode is None for p in running), "a sequencer process ended"
            latest = await store.latest_checkpoint()
            return latest is not None and latest.size == size

        try:
            leader = await sequencer()
            await store.record_all([explained(n) for n in range(5)])
            await until(lambda: integrated(5), patience=30)
            await sequencer()
            await store.record_all([explained(n) for n in range(5, 8)])
            await until(lambda: integrated(8), patience=30)

            os.kill(leader.pid, signal.SIGKILL)
            assert await leader.wait() == -signal.SIGKILL
            running.remove(leader)
            await store.record_all([explained(n) for n in range(8, 12)])

            await until(lambda: integrated(12), patience=15)
        finally:
            for process in running:
                process.kill()
                await process.wait()
        assert [size for size, _ in await store.checkpoint_roots()][-1] == 12


async def test_the_sequencer_leads_by_a_lock_in_a_shared_database_else_by_a_lock_file(
    postgres_url: str, tmp_path: Path
) -> None:
    async with SqliteStore(tmp_path / "euregate.db", clock=SystemClock()) as sqlite_store:
        assert isinstance(await sqlite_store.sequencer_leadership(tmp_path / "lock"), LockFile)
    async with PostgresStore(postgres_url, clock=SystemClock()) as postgres_store:
        assert isinstance(await postgres_store.sequencer_leadership(tmp_path / "lock"), SessionLock)
