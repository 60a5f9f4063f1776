"""The store's contract, whatever its backend: erasing a signal reaches what translating kept
of it. The translation memory's entries learnt from that signal alone go; an entry also learnt
from another signal stays, and goes when that one is erased too. The eTranslation jobs its
copies sent go: answered ones are deleted, a waiting one is cancelled, so that the service's
answer finds it answered and is not kept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gateway.store import SealedSegment, Store
from gateway.translate.etranslation_jobs import TranslationJob, TranslationJobState
from tests.store_backends import START
from tests.test_store_contract_retention import erased_event
from tests.test_store_contract_signals import AACHEN, accepted, new_signal, with_partners

NL_FR = ("nl", "fr")


@pytest.fixture
async def registry(empty_store: Store) -> tuple[Store, str, str]:
    """A store that knows two signals (``A`` and ``B``), by id."""
    store = await with_partners(empty_store)
    ids = []
    for number in (1, 2):
        signal = new_signal(number, AACHEN)
        await store.accept_signal(signal, accepted(signal))
        ids.append(signal.id)
    return store, ids[0], ids[1]


async def learnt(store: Store, key: str, *, desk: str, signal_id: str) -> None:
    segment = SealedSegment(key, f"sealed {key} {desk}".encode())
    await store.remember_translations(
        *NL_FR, [segment], desk=desk, officer_id="m.dubois", signal_id=signal_id
    )


async def kept(store: Store) -> list[tuple[str, str]]:
    return sorted((r.source_key, r.desk) for r in await store.memory_records(*NL_FR))


async def test_an_entry_learnt_from_the_erased_signal_alone_goes_and_a_shared_one_stays(
    registry: tuple[Store, str, str],
) -> None:
    store, a, b = registry
    await learnt(store, "only-a", desk="BE", signal_id=a)
    await learnt(store, "shared", desk="BE", signal_id=a)
    await learnt(store, "shared", desk="BE", signal_id=b)
    await learnt(store, "shared", desk="NL", signal_id=a)
    await learnt(store, "only-b", desk="BE", signal_id=b)
    before = await store.memory_stamp(*NL_FR)

    first = await store.erase_signal(a, rule="K0", event=erased_event)

    assert first is not None
    assert first.memory_segments == 2, "only-a, and the Dutch desk's entry of shared"
    assert await kept(store) == [("only-b", "BE"), ("shared", "BE")]
    assert await store.memory_stamp(*NL_FR) != before
    assert await store.unsourced_memory_entries() == 0

    second = await store.erase_signal(b, rule="K0", event=erased_event)

    assert second is not None
    assert second.memory_segments == 2, "shared lost its last signal"
    assert await kept(store) == []


async def test_an_entry_written_again_from_another_signal_is_learnt_from_both(
    registry: tuple[Store, str, str],
) -> None:
    store, a, b = registry
    await learnt(store, "k1", desk="BE", signal_id=a)
    await learnt(store, "k1", desk="BE", signal_id=a)
    await learnt(store, "k1", desk="BE", signal_id=b)

    done = await store.erase_signal(b, rule="K0", event=erased_event)

    assert done is not None
    assert done.memory_segments == 0
    assert await kept(store) == [("k1", "BE")]
    again = await store.erase_signal(a, rule="K0", event=erased_event)
    assert again is not None
    assert again.memory_segments == 1


async def test_an_entry_forgotten_and_taught_again_is_learnt_only_from_the_new_signal(
    registry: tuple[Store, str, str],
) -> None:
    store, a, b = registry
    await learnt(store, "k1", desk="BE", signal_id=a)
    assert await store.forget_translations(*NL_FR, ["k1"]) == 1
    await learnt(store, "k1", desk="BE", signal_id=b)

    done = await store.erase_signal(a, rule="K0", event=erased_event)

    assert done is not None
    assert done.memory_segments == 0
    assert await kept(store) == [("k1", "BE")]


async def test_the_erased_counts_are_in_the_audit_entry(registry: tuple[Store, str, str]) -> None:
    store, a, _ = registry
    await learnt(store, "k1", desk="BE", signal_id=a)
    await learnt(store, "k2", desk="BE", signal_id=a)

    await store.erase_signal(a, rule="K0", event=erased_event)

    (entry,) = [e for e in await store.audit_entries() if e.kind == "signal.erased"]
    assert b'"memory_segments":2' in entry.canonical
    assert b'"translation_jobs":0' in entry.canonical


def a_job(name: str, signal_id: str | None, state: TranslationJobState) -> TranslationJob:
    answered = state is not TranslationJobState.PENDING
    return TranslationJob(
        id=f"job-{name}",
        lookup_key=f"key-{name}",
        source_language="nl",
        target_language="fr",
        token_digest="t" * 64,
        created_at=START,
        state=state,
        request_id=7,
        sealed=f"sealed translation {name}".encode() if answered else None,
        answered_at=START + timedelta(minutes=2) if answered else None,
        signal_id=signal_id,
    )


async def test_erasing_cancels_the_signals_waiting_jobs_and_deletes_its_answered_ones(
    registry: tuple[Store, str, str],
) -> None:
    store, a, b = registry
    jobs = [
        a_job("a-waiting", a, TranslationJobState.PENDING),
        a_job("a-done", a, TranslationJobState.DONE),
        a_job("a-failed", a, TranslationJobState.FAILED),
        a_job("b-done", b, TranslationJobState.DONE),
        a_job("unknown", None, TranslationJobState.DONE),
    ]
    for job in jobs:
        await store.add_translation_job(job)

    done = await store.erase_signal(a, rule="K0", event=erased_event)

    assert done is not None
    assert done.translation_jobs == 3
    cancelled = await store.translation_job("job-a-waiting")
    assert cancelled is not None
    assert (cancelled.state, cancelled.sealed) == (TranslationJobState.CANCELLED, None)
    assert await store.translation_job_for("key-a-waiting") is None
    answered = await store.answer_translation_job(
        "job-a-waiting",
        state=TranslationJobState.DONE,
        at=START + timedelta(minutes=5),
        sealed=b"the service's late answer",
    )
    assert answered is False
    after = await store.translation_job("job-a-waiting")
    assert after is not None
    assert (after.state, after.sealed) == (TranslationJobState.CANCELLED, None)
    assert await store.translation_job("job-a-done") is None
    assert await store.translation_job("job-a-failed") is None
    assert await store.translation_job("job-b-done") == jobs[3]
    assert await store.translation_job("job-unknown") == jobs[4]
