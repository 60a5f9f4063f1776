"""Several workers (``serve --workers N``) on one SQLite file: each is a store of its own, with
its own clock here, and the copies one claimed to seal are not handed to another until its
claim runs out. (The same rules on PostgreSQL: ``test_store_postgres_instances.py``.)"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Final

from gateway.infra.audit import EventKind
from gateway.infra.clock import FixedClock
from gateway.store.sqlite import SqliteStore
from gateway.store.sqlite.delivery import CLAIM_LEASE
from tests.store_backends import START
from tests.test_store_contract_delivery import event, sealed
from tests.test_store_contract_signals import with_partners
from tests.test_store_postgres_instances import clocks, signals_to

MICROSECOND: Final = timedelta(microseconds=1)


@contextlib.asynccontextmanager
async def workers(path: Path, *clocks: FixedClock) -> AsyncIterator[list[SqliteStore]]:
    """One started store per clock, all on the file at ``path``."""
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(SqliteStore(path, clock=clock)) for clock in clocks]


async def test_workers_asking_at_once_claim_different_copies_until_a_claim_runs_out(
    tmp_path: Path,
) -> None:
    first_clock, second_clock = clocks(2)
    async with workers(tmp_path / "euregate.db", first_clock, second_clock) as (first, second):
        await with_partners(first)
        await signals_to(first, 6)

        mine, theirs = await asyncio.gather(
            first.pending_copies(due=START, limit=4), second.pending_copies(due=START, limit=4)
        )

        assert sorted(len(c) for c in (mine, theirs)) == [2, 4]
        assert {c.id for c in mine}.isdisjoint({c.id for c in theirs})
        assert await first.pending_copies(due=START, limit=10) == mine, "asked again: the same"
        assert await second.pending_copies(due=START, limit=10) == theirs
        second_clock.set(START + CLAIM_LEASE - MICROSECOND)
        assert await second.pending_copies(due=START, limit=10) == theirs
        second_clock.set(START + CLAIM_LEASE)
        taken_up = await second.pending_copies(due=START, limit=10)
        assert {c.id for c in taken_up} == {c.id for c in mine} | {c.id for c in theirs}


async def test_a_renewed_claim_holds_a_lease_from_its_renewal(tmp_path: Path) -> None:
    first_clock, second_clock = clocks(2)
    async with workers(tmp_path / "euregate.db", first_clock, second_clock) as (first, second):
        await with_partners(first)
        await signals_to(first, 2)
        mine = await first.pending_copies(due=START, limit=10)
        first_clock.set(START + CLAIM_LEASE / 2)

        assert await first.renew_copy_claims([c.id for c in mine]) == len(mine)
        assert await second.renew_copy_claims([c.id for c in mine]) == 0, "not its claims"

        second_clock.set(START + CLAIM_LEASE)
        assert await second.pending_copies(due=START, limit=10) == []
        second_clock.set(START + CLAIM_LEASE / 2 + CLAIM_LEASE)
        assert {c.id for c in await second.pending_copies(due=START, limit=10)} == {
            c.id for c in mine
        }


async def test_sealing_or_postponing_a_copy_lets_its_claim_go(tmp_path: Path) -> None:
    async with workers(tmp_path / "euregate.db", *clocks(2)) as (first, second):
        await with_partners(first)
        await signals_to(first, 2)
        one, other = await first.pending_copies(due=START, limit=10)

        await first.keep_envelope(sealed(one, "env-1"), event(EventKind.COPY_SEALED))
        await first.postpone_copy(other.id, until=START, error="no_encryption_key")

        (again,) = await second.pending_copies(due=START, limit=10)
        assert (again.id, again.attempts) == (other.id, 1)
        assert await first.renew_copy_claims([one.id, other.id]) == 0


async def test_the_claims_of_a_process_that_ended_are_taken_at_once(tmp_path: Path) -> None:
    """The gateway killed and started again (or one worker killed): its copies are sealed at
    once, not after the lease. A SQLite file is on one host, so a claimant's process id says
    whether it still runs."""
    process = await asyncio.create_subprocess_exec("true")
    await process.wait()
    first_clock, second_clock = clocks(2)
    async with workers(tmp_path / "euregate.db", first_clock, second_clock) as (first, second):
        first.__dict__["claimant"] = f"{process.pid}-ended"
        await with_partners(first)
        await signals_to(first, 2)
        theirs = await first.pending_copies(due=START, limit=10)
        assert theirs

        taken = await second.pending_copies(due=START, limit=10)

        assert {c.id for c in taken} == {c.id for c in theirs}


async def test_the_claims_of_a_process_that_runs_hold_until_the_lease(tmp_path: Path) -> None:
    first_clock, second_clock = clocks(2)
    async with workers(tmp_path / "euregate.db", first_clock, second_clock) as (first, second):
        await with_partners(first)
        await signals_to(first, 2)
        assert first.claimant.startswith(f"{os.getpid()}-")
        assert await first.pending_copies(due=START, limit=10)

        assert await second.pending_copies(due=START, limit=10) == []
