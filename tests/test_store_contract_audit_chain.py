"""The store's contract, whatever its backend: the audit chain's head and the last walk of
the chain, kept so that its state survives a restart (what the compliance officer's pages show
beside the search)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from gateway.infra import audit
from gateway.infra.audit import EventKind
from gateway.infra.clock import FixedClock
from gateway.store import Store
from tests.store_backends import START
from tests.store_events import an_event


async def test_the_chain_head_is_the_last_entry(
    empty_store: Store, store_clock: FixedClock
) -> None:
    assert await empty_store.chain_head() is None
    store_clock.set(START + timedelta(seconds=9))
    last = (await empty_store.record_all([an_event(EventKind.POLICY_EXPLAINED)] * 3))[-1]

    head = await empty_store.chain_head()

    assert head is not None
    assert (head.seq, head.hash, head.at) == (last.seq, last.hash, START + timedelta(seconds=9))


async def test_a_verification_is_kept_with_who_made_it_and_when(
    empty_store: Store, store_clock: FixedClock
) -> None:
    await empty_store.record_all([an_event(EventKind.POLICY_EXPLAINED)] * 2)
    result = audit.verify(await empty_store.audit_entries())
    assert await empty_store.last_verification() is None
    store_clock.set(START + timedelta(minutes=2))

    kept = await empty_store.record_verification(result, by="staff:a.peeters")
    broken = replace(result, first_bad_seq=2, reason="the entry's content does not match its hash")
    again = await empty_store.record_verification(broken, by="staff:b")

    assert (kept.at, kept.by, kept.checked, kept.last_seq, kept.ok) == (
        START + timedelta(minutes=2),
        "staff:a.peeters",
        2,
        2,
        True,
    )
    assert not again.ok
    assert await empty_store.last_verification() == again
