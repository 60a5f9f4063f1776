"""The policy in force: adopted at start, swapped on reload only when it passes, always audited."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.decide.sharing import PolicyInForce, PolicyRefused
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir, Settings
from gateway.store import Store
from gateway.store.sqlite import SqliteStore
from tests.conftest import gateway_in_process
from tests.polling import until

LIMBURG = "nl-pol-limburg"


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


async def test_another_process_on_the_store_follows_a_policy_reloaded_elsewhere(
    layout: DataDir, store: Store, tmp_path: Path
) -> None:
    """Two gateway processes on one store, each with its own copy of the file: a reload on
    one is what the other decides by after its next look at the store, without touching its
    own file and without a second audit entry."""
    elsewhere = tmp_path / "policy-on-the-other-machine.toml"
    elsewhere.write_bytes(layout.policy.read_bytes())
    here = await PolicyInForce.adopt(layout.policy, store=store)
    async with SqliteStore(layout.database, clock=SystemClock()) as other_store:
        there = await PolicyInForce.adopt(elsewhere, store=other_store)
        assert not await there.catch_up()

        changed = layout.policy.read_text(encoding="utf-8") + "\n# agreed at the Euregio\n"
        layout.policy.write_text(changed, encoding="utf-8")
        assert (await here.reload()).adopted
        adopted = (await kinds(store)).count("policy.adopted")

        assert await there.catch_up()
        assert there.policy.digest == here.policy.digest != elsewhere_digest(elsewhere)
        assert there.policy.rules == here.policy.rules
        assert (await kinds(other_store)).count("policy.adopted") == adopted
        assert not await there.catch_up()


async def test_following_runs_until_cancelled_and_takes_up_each_adoption(
    layout: DataDir, store: Store
) -> None:
    here = await PolicyInForce.adopt(layout.policy, store=store)
    async with SqliteStore(layout.database, clock=SystemClock()) as other_store:
        there = await PolicyInForce.adopt(layout.policy, store=other_store)
        following = asyncio.create_task(there.follow(0.01))
        try:
            for n in range(3):
                text = layout.policy.read_text(encoding="utf-8")
                layout.policy.write_text(text + f"\n# revision {n}\n", encoding="utf-8")
                assert (await here.reload()).adopted
                await until(same_policy(here, there))
        finally:
            following.cancel()
        with pytest.raises(asyncio.CancelledError):
            await following


def same_policy(here: PolicyInForce, there: PolicyInForce) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return there.policy.digest == here.policy.digest

    return check


def elsewhere_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_a_serving_gateway_decides_by_a_policy_adopted_by_another_on_its_store(
    layout: DataDir, tmp_path: Path, example: Callable[[str], dict[str, Any]]
) -> None:
    """The follower is wired into ``serve``: a policy another process adopts on the store is
    what this gateway's explanations name within a few of its intervals."""
    settings = Settings(
        data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0, policy_follow_interval=0.05
    )
    revised = tmp_path / "revised.toml"
    revised.write_text(layout.policy.read_text(encoding="utf-8") + "\n# revised\n", "utf-8")
    signal = example("nl-drug-waste-maastricht.json")
    async with gateway_in_process(settings) as gateway, gateway.client(LIMBURG) as client:
        assert (await client.explain(signal))["policy_sha256"] == gateway.policy_digest
        async with SqliteStore(layout.database, clock=SystemClock()) as elsewhere:
            adopted = await PolicyInForce.adopt(revised, store=elsewhere)

        async def explained_by_the_revision() -> bool:
            explained = await client.explain(signal)
            return explained["policy_sha256"] == adopted.policy.digest

        await until(explained_by_the_revision)
