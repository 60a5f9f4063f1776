"""The audit chain's verification jobs as two gateway instances on one store see them: the one
started on either runs on that one alone, and both read its progress and outcome. Two
:class:`Verifications` on one store stand for the two instances; on both backends."""

from __future__ import annotations

import asyncio

from gateway.edges.web.verifications import Verifications
from gateway.infra.clock import FixedClock
from gateway.store import JobState, Store


async def test_a_job_started_on_one_instance_is_the_others_too(
    empty_store: Store, store_clock: FixedClock
) -> None:
    one, other = Verifications(empty_store, store_clock), Verifications(empty_store, store_clock)
    job = await one.start("staff:a.peeters")
    assert await other.start("staff:j.jansen") == job, "one runs at a time, across instances"
    assert job.instance == one.instance
    assert not other.tasks

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
