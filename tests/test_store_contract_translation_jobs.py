"""The store's contract, whatever its backend: the jobs the eTranslation backend sent, found
by their keyed hash or id by whichever instance the service's callback reaches, answered once."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from gateway.store import Store
from gateway.translate.etranslation_jobs import TranslationJob, TranslationJobState
from tests.store_backends import START


def job(job_id: str = "job-1", key: str = "k" * 64) -> TranslationJob:
    return TranslationJob(
        id=job_id,
        lookup_key=key,
        source_language="nl",
        target_language="fr",
        token_digest="d" * 64,
        created_at=START,
    )


async def test_a_job_is_found_by_its_id_and_by_its_key_as_it_was_kept(empty_store: Store) -> None:
    await empty_store.add_translation_job(job())
    assert await empty_store.translation_job("job-1") == job()
    assert await empty_store.translation_job_for("k" * 64) == job()
    assert await empty_store.translation_job("job-2") is None
    assert await empty_store.translation_job_for("x" * 64) is None


async def test_a_job_records_its_request_id_and_then_its_answer_once(empty_store: Store) -> None:
    await empty_store.add_translation_job(job())
    await empty_store.translation_job_submitted("job-1", 41000001)
    later = START + timedelta(seconds=3)

    answered = await empty_store.answer_translation_job(
        "job-1", state=TranslationJobState.DONE, at=later, sealed=b"\x00sealed\xff"
    )
    again = await empty_store.answer_translation_job(
        "job-1", state=TranslationJobState.FAILED, at=later, error_code="-50004"
    )

    assert (answered, again) == (True, False)
    assert await empty_store.translation_job("job-1") == dataclasses.replace(
        job(),
        state=TranslationJobState.DONE,
        request_id=41000001,
        sealed=b"\x00sealed\xff",
        answered_at=later,
    )


async def test_a_failure_is_kept_with_its_code(empty_store: Store) -> None:
    await empty_store.add_translation_job(job())
    assert await empty_store.answer_translation_job(
        "job-1", state=TranslationJobState.FAILED, at=START, error_code="-50004"
    )
    kept = await empty_store.translation_job("job-1")
    assert kept is not None
    assert (kept.state, kept.error_code, kept.sealed) == (
        TranslationJobState.FAILED,
        "-50004",
        None,
    )


async def test_two_answers_at_once_are_taken_once(empty_store: Store) -> None:
    await empty_store.add_translation_job(job())
    answers = await asyncio.gather(
        *(
            empty_store.answer_translation_job(
                "job-1", state=TranslationJobState.DONE, at=START, sealed=bytes([n])
            )
            for n in range(5)
        )
    )
    assert sorted(answers) == [False] * 4 + [True]


async def test_a_new_job_for_the_same_text_replaces_the_old_one(empty_store: Store) -> None:
    await empty_store.add_translation_job(job("job-1"))
    await empty_store.add_translation_job(job("job-2"))
    assert await empty_store.translation_job("job-1") is None
    kept = await empty_store.translation_job_for("k" * 64)
    assert kept is not None
    assert kept.id == "job-2"
    assert not await empty_store.answer_translation_job(
        "job-1", state=TranslationJobState.DONE, at=START, sealed=b"x"
    )


async def test_jobs_are_forgotten_one_by_one_or_by_age(empty_store: Store) -> None:
    await empty_store.add_translation_job(job("job-1", "a" * 64))
    newer = dataclasses.replace(job("job-2", "b" * 64), created_at=START + timedelta(days=2))
    await empty_store.add_translation_job(newer)
    await empty_store.add_translation_job(job("job-3", "c" * 64))

    await empty_store.forget_translation_job("job-3")
    dropped = await empty_store.forget_translation_jobs_before(START + timedelta(days=1))

    assert dropped == 1
    assert await empty_store.translation_job("job-1") is None
    assert await empty_store.translation_job("job-2") == newer
    assert await empty_store.translation_job("job-3") is None
