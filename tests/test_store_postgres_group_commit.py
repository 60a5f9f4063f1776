"""Group commit on PostgreSQL: each process's auditing writes run in batches, one transaction,
one lock of the audit chain and one ``COMMIT`` per batch, and no write is answered before its
batch committed. What each write does is as if it ran alone: one that fails is refused alone,
the retries of one reference in one batch behave as one after another, and a database that
goes away mid-batch refuses every write of it with the operator's 503 and keeps none."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.infra.clock import FixedClock
from gateway.infra.errors import IdempotencyConflict, StorageUnavailable, StoreUnreachable
from gateway.store import Accepted, verify_chain
from gateway.store.postgres import PostgresStore
from gateway.store.postgres.group_commit import QUEUE_FULL_RETRY_AFTER, Bounds
from gateway.store.postgres.transaction import CHAIN_LOCK, Appended, Transaction
from gateway.store.sqlite import SqliteStore
from tests.postgres import start_cluster, start_server, stop_cluster, stop_server
from tests.store_backends import BACKENDS, START
from tests.test_store_contract_audit_log import event
from tests.test_store_contract_signals import LIEGE, accepted, new_signal, with_partners


class Batches:
    """The sizes of the batches a store committed, as its commit observer hears them."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def __call__(self, size: int, seconds: float) -> None:
        self.sizes.append(size)


@contextlib.asynccontextmanager
async def store_on(
    url: str, batches: Batches, bounds: Bounds | None = None
) -> AsyncIterator[PostgresStore]:
    async with PostgresStore(
        url, clock=FixedClock(START), pool_size=3, group_commit=bounds, on_commit=batches
    ) as store:
        yield store


def appending(number: int) -> Callable[[Transaction], Awaitable[Appended]]:
    async def write(tx: Transaction) -> Appended:
        return await tx.append(event(number))

    return write


async def written(store: PostgresStore, write: Callable[[Transaction], Awaitable[Appended]]) -> int:
    """The sequence number ``write``'s event took, known once its batch committed."""
    return (await store.write(write)).entry.seq


def failing(number: int) -> Callable[[Transaction], Awaitable[None]]:
    """A write that appends, then breaks a constraint: refused with PostgreSQL's error."""

    async def write(tx: Transaction) -> None:
        await tx.append(event(number))
        await tx.conn.execute("INSERT INTO meta (key, value) VALUES ('twice', 'x')")
        await tx.conn.execute("INSERT INTO meta (key, value) VALUES ('twice', 'x')")

    return write


async def kinds(store: PostgresStore) -> list[str]:
    return [entry.kind for entry in await store.audit_entries()]


async def actors(store: PostgresStore) -> list[str]:
    return [entry.actor for entry in await store.audit_entries()]


async def test_accepts_from_two_instances_at_once_all_get_receipts_in_batches(
    postgres_url: str,
) -> None:
    first_batches, second_batches = Batches(), Batches()
    async with (
        store_on(postgres_url, first_batches) as first,
        store_on(postgres_url, second_batches) as second,
    ):
        await with_partners(first)
        signals = [new_signal(n, LIEGE) for n in range(1, 121)]

        answers = await asyncio.gather(
            *(
                (first if n % 2 else second).accept_signal(s, accepted(s))
                for n, s in enumerate(signals)
            )
        )

        assert all(isinstance(a, Accepted) and not a.replayed for a in answers)
        assert sorted(await second.signal_ids()) == sorted(s.id for s in signals)
        result = await verify_chain(first, page=50)
        assert result.ok
        assert (await kinds(first)).count("signal.accepted") == len(signals)
    for batches in (first_batches, second_batches):
        accepts = sum(batches.sizes)
        assert accepts >= 60
        assert len(batches.sizes) < accepts, batches.sizes
        assert max(batches.sizes) > 1


@pytest.mark.parametrize("backend", BACKENDS)
async def test_accepts_at_once_are_committed_in_batches_on_either_backend(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Both backends answer a burst of accepts from fewer commits than accepts, each accept
    kept once and the chain unbroken."""
    batches = Batches()
    opened: SqliteStore | PostgresStore = (
        SqliteStore(tmp_path / "euregate.db", clock=FixedClock(START), on_commit=batches)
        if backend == "sqlite"
        else PostgresStore(
            request.getfixturevalue("postgres_url"), clock=FixedClock(START), on_commit=batches
        )
    )
    async with opened as store:
        await with_partners(store)
        signals = [new_signal(n, LIEGE) for n in range(1, 61)]
        start = len(batches.sizes)

        answers = await asyncio.gather(*(store.accept_signal(s, accepted(s)) for s in signals))

        assert all(isinstance(a, Accepted) and not a.replayed for a in answers)
        assert (await verify_chain(store)).ok
        assert [e.kind for e in await store.audit_entries()].count("signal.accepted") == 60
    burst = batches.sizes[start:]
    assert sum(burst) == 60
    assert len(burst) < 60, burst


async def test_a_batch_takes_one_commit_for_many_writes(postgres_url: str) -> None:
    """Counted by PostgreSQL itself: committed transactions of the database, before and after."""
    batches = Batches()
    async with store_on(postgres_url, batches) as store:
        before = committed_transactions(postgres_url)

        await asyncio.gather(*(written(store, appending(n)) for n in range(1, 41)))

        after = committed_transactions(postgres_url)
    assert batches.sizes == [40]
    assert after - before < 40


def committed_transactions(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        row = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    return int(row[0])


async def test_a_failing_write_in_a_batch_is_refused_alone_and_the_others_are_kept(
    postgres_url: str,
) -> None:
    batches = Batches()
    async with store_on(postgres_url, batches) as store:
        answers = await asyncio.gather(
            written(store, appending(1)),
            store.write(failing(2)),
            written(store, appending(3)),
            return_exceptions=True,
        )

        assert batches.sizes == [3]
        assert answers[0] == 1
        assert isinstance(answers[1], psycopg.errors.UniqueViolation)
        assert answers[2] == 2
        assert await actors(store) == ["partner:p1", "partner:p3"]
        assert (await verify_chain(store)).ok
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM meta WHERE key = 'twice'").fetchone() == (0,)


async def test_a_batch_that_cannot_commit_runs_its_writes_again_one_by_one(
    postgres_url: str,
) -> None:
    """A constraint checked only at ``COMMIT`` fails the whole batch: each write is then run in
    a transaction of its own, and only the one that breaks it is refused."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE once (x integer UNIQUE DEFERRABLE INITIALLY DEFERRED)")

    def inserting(number: int, x: int) -> Callable[[Transaction], Awaitable[Appended]]:
        async def write(tx: Transaction) -> Appended:
            await tx.conn.execute("INSERT INTO once (x) VALUES (%s)", (x,))
            return await tx.append(event(number))

        return write

    batches = Batches()
    async with store_on(postgres_url, batches) as store:
        answers = await asyncio.gather(
            written(store, inserting(1, 1)),
            written(store, inserting(2, 1)),
            written(store, inserting(3, 2)),
            return_exceptions=True,
        )

        assert answers[0] == 1
        assert isinstance(answers[1], psycopg.errors.UniqueViolation)
        assert answers[2] == 2
        assert await actors(store) == ["partner:p1", "partner:p3"]
        assert (await verify_chain(store)).ok
    assert batches.sizes == []  # the batch did not commit; each write committed alone


async def test_retries_of_one_reference_in_one_batch_behave_as_one_after_another(
    postgres_url: str,
) -> None:
    batches = Batches()
    async with store_on(postgres_url, batches) as store:
        await with_partners(store)
        same = new_signal(1, LIEGE, reference="REF-SAME")
        other_body = new_signal(2, LIEGE, reference="REF-SAME", digest=f"{2:064x}")

        answers = await asyncio.gather(
            store.accept_signal(same, accepted(same)),
            store.accept_signal(same, accepted(same)),
            store.accept_signal(other_body, accepted(other_body)),
            return_exceptions=True,
        )

        kept, replayed, conflict = answers
        assert isinstance(kept, Accepted)
        assert not kept.replayed
        assert isinstance(replayed, Accepted)
        assert replayed.replayed
        assert replayed.signal == kept.signal
        assert isinstance(conflict, IdempotencyConflict)
        assert conflict.params["signal_id"] == kept.signal.id
        assert await store.signal_ids() == [kept.signal.id]
        assert (await kinds(store)).count("signal.accepted") == 1
    assert max(batches.sizes) == 3


async def test_a_batch_holds_no_more_writes_and_bytes_than_its_bounds(postgres_url: str) -> None:
    by_count, by_bytes = Batches(), Batches()
    async with store_on(postgres_url, by_count, Bounds(batch_writes=2)) as store:
        await asyncio.gather(*(written(store, appending(n)) for n in range(1, 6)))
    async with store_on(postgres_url, by_bytes, Bounds(batch_bytes=1)) as store:
        await asyncio.gather(*(written(store, appending(n)) for n in range(6, 9)))
        assert (await verify_chain(store)).checked == 8
    assert by_count.sizes == [2, 2, 1]
    assert by_bytes.sizes == [1, 1, 1]


async def test_a_full_queue_refuses_at_once_and_what_it_holds_is_kept(postgres_url: str) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def held(tx: Transaction) -> Appended:
        started.set()
        await release.wait()
        return await tx.append(event(1))

    async with store_on(postgres_url, Batches(), Bounds(batch_writes=1, queued=2)) as store:
        running = asyncio.ensure_future(written(store, held))
        await started.wait()
        queued = [asyncio.ensure_future(written(store, appending(n))) for n in (2, 3)]
        await asyncio.sleep(0)

        with pytest.raises(StorageUnavailable) as refused:
            await written(store, appending(4))

        assert refused.value.status == 503
        assert refused.value.params["retry_after"] == QUEUE_FULL_RETRY_AFTER
        release.set()
        assert [await running, *[await q for q in queued]] == [1, 2, 3]


async def test_a_database_stopped_mid_batch_refuses_the_whole_batch_and_keeps_none_of_it() -> None:
    cluster = start_cluster()
    try:
        cluster.admin("CREATE DATABASE restarted")
        url = cluster.url("restarted")
        started, release = asyncio.Event(), asyncio.Event()

        async def waits_mid_batch(tx: Transaction) -> Appended:
            await tx.append(event(2))
            started.set()
            await release.wait()
            return await tx.append(event(3))

        async with store_on(url, Batches()) as store:
            batch = [
                asyncio.ensure_future(written(store, appending(1))),
                asyncio.ensure_future(written(store, waits_mid_batch)),
            ]
            await started.wait()
            await asyncio.to_thread(stop_server, cluster)
            release.set()
            answers = await asyncio.gather(*batch, return_exceptions=True)

            assert [type(a) for a in answers] == [StoreUnreachable, StoreUnreachable]
            assert all(a.status == 503 for a in answers if isinstance(a, StorageUnavailable))
            assert store.health.degraded is not None

            await asyncio.to_thread(start_server, cluster)
            assert await written(store, appending(4)) == 1
            assert await actors(store) == ["partner:p4"]
            assert (await verify_chain(store)).ok
            assert store.health.degraded is None
    finally:
        stop_cluster(cluster)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(fails=st.lists(st.booleans(), min_size=1, max_size=12))
async def test_whatever_fails_in_a_batch_the_others_are_kept_in_one_unbroken_chain(
    postgres_url: str, fails: list[bool]
) -> None:
    batches = Batches()
    async with store_on(postgres_url, batches) as store:
        before = len(await store.audit_entries())
        writes: list[Awaitable[Any]] = [
            store.write(failing(n)) if fail else written(store, appending(n))
            for n, fail in enumerate(fails)
        ]

        answers = await asyncio.gather(*writes, return_exceptions=True)

        kept = [n for n, fail in enumerate(fails) if not fail]
        assert [isinstance(a, psycopg.errors.UniqueViolation) for a in answers] == fails
        assert [a for a in answers if isinstance(a, int)] == list(
            range(before + 1, before + 1 + len(kept))
        )
        entries = await store.audit_entries(after=before)
        assert [e.actor for e in entries] == [f"partner:p{n}" for n in kept]
        assert (await verify_chain(store)).ok
    assert batches.sizes == [len(fails)]


async def test_a_batch_runs_its_writes_while_another_holds_the_chain_and_chains_them_after(
    postgres_url: str,
) -> None:
    """Another instance's batch chaining its entries (here: a connection holding the chain's
    lock) does not keep this one's writes from running; only their entries wait for it."""
    ran = asyncio.Event()

    def noting(number: int) -> Callable[[Transaction], Awaitable[Appended]]:
        async def write(tx: Transaction) -> Appended:
            await tx.conn.execute("INSERT INTO meta (key, value) VALUES (%s, 'x')", (str(number),))
            appended = await tx.append(event(number))
            ran.set()
            return appended

        return write

    async with store_on(postgres_url, Batches()) as store:
        await written(store, appending(1))
        other = await psycopg.AsyncConnection.connect(postgres_url, autocommit=True)
        try:
            await other.execute("SELECT pg_advisory_lock(%s)", (CHAIN_LOCK,))
            answer = asyncio.ensure_future(written(store, noting(2)))
            await ran.wait()
            assert not answer.done()
            await other.execute("SELECT pg_advisory_unlock(%s)", (CHAIN_LOCK,))
            assert await answer == 2
        finally:
            await other.close()
        assert await actors(store) == ["partner:p1", "partner:p2"]
        assert (await verify_chain(store)).ok
