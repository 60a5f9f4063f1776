"""The audit chain's verification jobs as two gateway instances on one store see them: the one
started on either runs on that one alone, and both read its progress and outcome. Two
:class:`Verifications` on one store stand for the two instances; on both backends."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, cast

from gateway.edges.web.verifications import Verifications
from gateway.infra.clock import FixedClock
from gateway.store import JobState, Store
from gateway.store.interface.verification_jobs import STALE_AFTER
from tests.polling import until
from tests.store_backends import START


class SlowChain:
    """A store whose audit chain takes until ``go`` to read: a stand-in for a long chain."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.go = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def audit_entries(self, **options: Any) -> Any:
        await self.go.wait()
        return await self._store.audit_entries(**options)


async def test_a_job_started_on_one_instance_is_the_others_too(
    empty_store: Store, store_clock: FixedClock
) -> None:
    slow = SlowChain(empty_store)
    one = Verifications(cast(Store, slow), store_clock)
    other = Verifications(empty_store, store_clock)
    job = await one.start("staff:a.peeters")
    assert await other.start("staff:j.jansen") == job, "one runs at a time, across instances"
    assert job.instance == one.instance
    assert not other.tasks

    slow.go.set()
    await asyncio.gather(*one.tasks)
    seen = await other.job(job.id)
    assert seen is not None
    assert seen.state is JobState.DONE
    assert seen.result is not None
    assert seen.result.ok
    assert seen.result.by == "staff:a.peeters"
    assert await other.running() is None
    assert await empty_store.last_verification() == seen.result

    again = await other.start("staff:j.jansen")
    assert again.id != job.id
    assert again.instance == other.instance
    await asyncio.gather(*other.tasks)


async def test_a_running_job_says_it_is_alive_and_is_not_taken_for_abandoned(
    empty_store: Store, store_clock: FixedClock
) -> None:
    slow = SlowChain(empty_store)
    one = Verifications(cast(Store, slow), store_clock, heartbeat=timedelta(milliseconds=20))
    other = Verifications(empty_store, store_clock)
    job = await one.start("staff:a.peeters")

    later = START + STALE_AFTER * 2
    store_clock.set(later)

    async def beaten() -> bool:
        seen = await empty_store.verification_job(job.id)
        return seen is not None and seen.heartbeat_at == later

    await until(beaten, patience=10)
    assert await other.running() == await other.job(job.id)
    assert (await other.start("staff:j.jansen")).id == job.id

    slow.go.set()
    await asyncio.gather(*one.tasks)
    done = await other.job(job.id)
    assert done is not None
    assert done.state is JobState.DONE
