"""The policy in force: adopted at start, swapped on reload only when it passes, always audited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.decide.sharing import PolicyInForce, PolicyRefused
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.store import Store
from gateway.store.sqlite import SqliteStore


async def kinds(store: Store) -> list[str]:
    return [entry.kind for entry in await store.audit_entries()]


@pytest.fixture
async def store(layout: DataDir) -> AsyncIterator[Store]:
    async with SqliteStore(layout.database, clock=SystemClock()) as opened:
        yield opened


async def test_the_policy_is_adopted_once_and_audited_with_its_digest(
    layout: DataDir, store: Store
) -> None:
    first = await PolicyInForce.adopt(layout.policy, store=store)
    assert await store.policy_in_force() == first.policy.digest
    assert (await kinds(store)).count("policy.adopted") == 1
    await PolicyInForce.adopt(layout.policy, store=store)
    assert (await kinds(store)).count("policy.adopted") == 1
    last = [e for e in await store.audit_entries() if e.kind == "policy.adopted"][-1]
    assert last.data["sha256"] == first.policy.digest
    assert await store.policy_text(first.policy.digest) == layout.policy.read_text(encoding="utf-8")


async def test_a_changed_file_is_adopted_on_reload(layout: DataDir, store: Store) -> None:
    in_force = await PolicyInForce.adopt(layout.policy, store=store)
    before = in_force.policy.digest
    text = layout.policy.read_text(encoding="utf-8")
    layout.policy.write_text(text + "\n# reviewed by the privacy officers\n", encoding="utf-8")
    result = await in_force.reload()
    assert result.adopted
    assert in_force.policy.digest != before
    assert await store.policy_in_force() == in_force.policy.digest
    adopted = [e for e in await store.audit_entries() if e.kind == "policy.adopted"][-1]
    assert adopted.data["previous_sha256"] == before


async def test_a_broken_file_is_refused_and_the_old_policy_stays(
    layout: DataDir, store: Store
) -> None:
    in_force = await PolicyInForce.adopt(layout.policy, store=store)
    before = in_force.policy
    layout.policy.write_text("version = 1\n[[rule]\nid = ", encoding="utf-8")
    result = await in_force.reload()
    assert not result.adopted
    assert result.problems
    assert in_force.policy is before
    assert await store.policy_in_force() == before.digest
    assert (await kinds(store))[-1] == "policy.refused"


async def test_a_gateway_does_not_start_on_a_broken_policy(layout: DataDir, store: Store) -> None:
    broken = layout.root / "broken.toml"
    broken.write_text('version = 1\n[[rule]]\nid = "x"\nverdict = "maybe"\n', encoding="utf-8")
    with pytest.raises(PolicyRefused):
        await PolicyInForce.adopt(Path(broken), store=store)
