"""The store's contract, whatever its backend: the audit chain's verification jobs, which every
instance on the store reads and at most one of which runs at a time, across all of them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from gateway.infra import audit
from gateway.store import JobState, Store, VerificationJob
from gateway.store.interface.verification_jobs import STALE_AFTER
from tests.store_backends import START


async def start(store: Store, job_id: str, instance: str = "one") -> tuple[VerificationJob, bool]:
    return await store.start_verification(
        job_id=job_id, by="staff:a.peeters", instance=instance, total=40, now=START
    )


async def test_a_job_is_kept_with_its_progress_and_its_outcome(empty_store: Store) -> None:
    job, started = await start(empty_store, "job-1")
    assert started
    assert (job.id, job.started_by, job.instance, job.total, job.checked) == (
        "job-1",
        "staff:a.peeters",
        "one",
        40,
        0,
    )
    assert (job.state, job.started_at, job.heartbeat_at, job.result) == (
        JobState.RUNNING,
        START,
        START,
        None,
    )
    later = START + timedelta(seconds=5)
    assert await empty_store.verification_checked("job-1", instance="one", checked=17, now=later)
    assert not await empty_store.verification_checked(
        "job-1", instance="two", checked=30, now=later
    ), "only the instance running it says how far it got"
    running = await empty_store.running_verification()
    assert running is not None
    assert (running.checked, running.heartbeat_at) == (17, later)

    kept = await empty_store.record_verification(audit.verify([]), by="staff:a.peeters")
    await empty_store.finish_verification("job-1", instance="one", result=kept, now=later)
    done = await empty_store.verification_job("job-1")
    assert done is not None
    assert (done.state, done.result, done.finished_at, done.done) == (
        JobState.DONE,
        kept,
        later,
        True,
    )
    assert await empty_store.running_verification() is None
    assert await empty_store.verification_job("job-2") is None


async def test_one_runs_at_a_time_even_when_two_start_at_once(empty_store: Store) -> None:
    answers = await asyncio.gather(*(start(empty_store, f"job-{n}", f"i{n}") for n in range(4)))
    started = [job for job, new in answers if new]
    assert len(started) == 1
    assert {job.id for job, _ in answers} == {started[0].id}, "the others see the one running"

    await empty_store.finish_verification(
        started[0].id, instance=started[0].instance, result=None, now=START
    )
    failed = await empty_store.verification_job(started[0].id)
    assert failed is not None
    assert (failed.state, failed.failed) == (JobState.FAILED, True)
    _, again = await start(empty_store, "job-next")
    assert again, "a failed job lets the next start"


async def test_a_job_whose_instance_went_quiet_is_abandoned_and_another_may_start(
    empty_store: Store,
) -> None:
    job, _ = await start(empty_store, "job-1")
    assert job.seen_at(START + STALE_AFTER) == job
    quiet = job.seen_at(START + STALE_AFTER + timedelta(seconds=1))
    assert (quiet.state, quiet.failed) == (JobState.ABANDONED, True)

    still, started = await empty_store.start_verification(
        job_id="job-2", by="x", instance="two", total=1, now=START + STALE_AFTER
    )
    assert (still.id, started) == ("job-1", False)
    later = START + STALE_AFTER + timedelta(seconds=1)
    new, started = await empty_store.start_verification(
        job_id="job-2", by="x", instance="two", total=1, now=later
    )
    assert (new.id, started) == ("job-2", True)
    old = await empty_store.verification_job("job-1")
    assert old is not None
    assert (old.state, old.finished_at) == (JobState.ABANDONED, later)
    await empty_store.finish_verification("job-1", instance="one", result=None, now=later)
    old = await empty_store.verification_job("job-1")
    assert old is not None
    assert old.state is JobState.ABANDONED, "its instance coming back changes nothing"
