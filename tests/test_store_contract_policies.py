"""The store's contract, whatever its backend: the sharing policy's history (the policy in
force and its text are in ``test_store_contract_registry``)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from gateway.infra.audit import events
from gateway.infra.clock import FixedClock
from gateway.store import PolicyVersion, Store
from tests.store_backends import START


def adopted(digest: str, previous: str | None = None) -> events.PolicyAdopted:
    return events.PolicyAdopted(sha256=digest, previous_sha256=previous, rules=3)


async def test_the_history_lists_each_policy_once_the_latest_adopted_first(
    empty_store: Store, store_clock: FixedClock
) -> None:
    assert await empty_store.policy_versions() == []
    await empty_store.adopt_policy("a" * 64, "[[rule]] # first", adopted("a" * 64))
    store_clock.set(START + timedelta(minutes=5))
    await empty_store.adopt_policy("b" * 64, "[[rule]] # second", adopted("b" * 64, "a" * 64))

    assert await empty_store.policy_versions() == [
        PolicyVersion("b" * 64, START + timedelta(minutes=5)),
        PolicyVersion("a" * 64, START),
    ]


async def test_a_policy_adopted_again_keeps_when_it_was_first_adopted(
    empty_store: Store, store_clock: FixedClock
) -> None:
    await empty_store.adopt_policy("a" * 64, "first", adopted("a" * 64))
    store_clock.set(START + timedelta(minutes=1))
    await empty_store.adopt_policy("b" * 64, "second", adopted("b" * 64, "a" * 64))
    store_clock.set(START + timedelta(minutes=2))
    await empty_store.adopt_policy("a" * 64, "first", adopted("a" * 64, "b" * 64))

    assert await empty_store.policy_in_force() == "a" * 64
    assert [(v.sha256, v.first_loaded_at) for v in await empty_store.policy_versions()] == [
        ("b" * 64, START + timedelta(minutes=1)),
        ("a" * 64, START),
    ]


async def test_the_policy_in_force_adopted_again_is_recorded_once(empty_store: Store) -> None:
    """Processes on one store reloading the same file at once: the first records the adoption,
    the others find it in force and record nothing."""
    await empty_store.adopt_policy("a" * 64, "first", adopted("a" * 64))
    await asyncio.gather(
        *(
            empty_store.adopt_policy("b" * 64, "second", adopted("b" * 64, "a" * 64))
            for _ in range(4)
        )
    )

    kinds = [entry.kind for entry in await empty_store.audit_entries()]
    assert kinds.count("policy.adopted") == 2
    assert await empty_store.policy_in_force() == "b" * 64
