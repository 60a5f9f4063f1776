"""The store's contract, whatever its backend: the sharing policy's history."""

from __future__ import annotations

from datetime import timedelta

from gateway.infra.audit import events
from gateway.infra.clock import FixedClock
from gateway.store import PolicyVersion, Store
from tests.store_backends import START


def adopted(digest: str, previous: str | None = None) -> events.PolicyAdopted:
    return events.PolicyAdopted(sha256=digest, previous_sha256=previous, rules=3)


async def test_a_new_store_has_no_policy_in_force_and_no_history(empty_store: Store) -> None:
    assert await empty_store.policy_in_force() is None
    assert await empty_store.policy_versions() == []
    assert await empty_store.policy_text("a" * 64) is None


async def test_the_policy_adopted_last_is_in_force_and_each_text_is_kept(
    empty_store: Store, store_clock: FixedClock
) -> None:
    await empty_store.adopt_policy("a" * 64, "[[rule]] # first", adopted("a" * 64))
    store_clock.set(START + timedelta(minutes=5))
    await empty_store.adopt_policy("b" * 64, "[[rule]] # second", adopted("b" * 64, "a" * 64))

    assert await empty_store.policy_in_force() == "b" * 64
    assert await empty_store.policy_text("a" * 64) == "[[rule]] # first"
    assert await empty_store.policy_text("b" * 64) == "[[rule]] # second"
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


async def test_each_adoption_is_audited_in_its_own_write(empty_store: Store) -> None:
    await empty_store.adopt_policy("a" * 64, "first", adopted("a" * 64))
    await empty_store.adopt_policy("b" * 64, "second", adopted("b" * 64, "a" * 64))

    entries = await empty_store.audit_entries()
    assert [(e.seq, e.kind, e.subject) for e in entries] == [
        (1, "policy.adopted", f"policy:{'a' * 64}"),
        (2, "policy.adopted", f"policy:{'b' * 64}"),
    ]
