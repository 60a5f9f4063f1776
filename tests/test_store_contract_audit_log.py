"""The store's contract, whatever its backend: the audit chain it keeps."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from gateway.infra import audit
from gateway.infra.audit import events, refs
from gateway.infra.clock import FixedClock
from gateway.store import Store, verify_chain
from tests.store_backends import START


def event(number: int) -> events.PolicyExplained:
    return events.PolicyExplained(
        by=refs.partner(f"p{number}"),
        body_sha256=f"{number:064x}",
        policy_sha256="p" * 64,
        recipients=(),
    )


async def test_an_event_recorded_is_the_next_entry_of_the_chain_as_kept(
    empty_store: Store, store_clock: FixedClock
) -> None:
    first = await empty_store.record(event(1))
    store_clock.set(START + timedelta(seconds=1))
    second = await empty_store.record(event(2))

    assert (first.seq, second.seq) == (1, 2)
    assert second.prev == first.hash
    assert first.at == audit.timestamp(START)
    assert await empty_store.audit_entries() == [first, second]


async def test_events_recorded_together_follow_each_other_in_order(empty_store: Store) -> None:
    entries = await empty_store.record_all([event(n) for n in range(5)])

    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert [e.actor for e in await empty_store.audit_entries()] == [
        f"partner:p{n}" for n in range(5)
    ]
    assert await empty_store.record_all([]) == []


async def test_entries_are_read_after_a_sequence_number_and_at_most_a_limit(
    empty_store: Store,
) -> None:
    await empty_store.record_all([event(n) for n in range(10)])

    assert [e.seq for e in await empty_store.audit_entries(after=7)] == [8, 9, 10]
    assert [e.seq for e in await empty_store.audit_entries(after=2, limit=3)] == [3, 4, 5]
    assert await empty_store.audit_entries(after=10) == []


async def test_concurrent_records_make_one_unbroken_chain(empty_store: Store) -> None:
    await asyncio.gather(*(empty_store.record(event(n)) for n in range(40)))

    result = await verify_chain(empty_store, page=7)
    assert (result.ok, result.checked, result.last_seq) == (True, 40, 40)


async def test_the_chain_is_walked_in_pages_and_each_page_is_counted(empty_store: Store) -> None:
    await empty_store.record_all([event(n) for n in range(10)])
    counted: list[int] = []

    result = await verify_chain(empty_store, checked=counted.append, page=4)

    assert counted == [4, 8, 10]
    assert result == audit.verify(await empty_store.audit_entries())


async def test_an_empty_chain_verifies(empty_store: Store) -> None:
    result = await verify_chain(empty_store)
    assert (result.ok, result.checked, result.last_hash) == (True, 0, audit.GENESIS)


async def test_purging_old_versions_keeps_everything_current(empty_store: Store) -> None:
    kept = await empty_store.record_all([event(n) for n in range(3)])
    await empty_store.purge_old_versions()
    assert await empty_store.audit_entries() == kept
