"""The store's contract, whatever its backend: a signal's acceptance entry in the audit log, read
by the signal's id (for receipts and their proofs)."""

from __future__ import annotations

import pytest

from gateway.store import Store
from tests.test_store_contract_signals import LIEGE, accepted, new_signal, with_partners


@pytest.fixture
async def registry(empty_store: Store) -> Store:
    """An empty store that knows four partners."""
    return await with_partners(empty_store)


async def test_the_acceptance_entries_of_signals_are_read_by_their_ids(registry: Store) -> None:
    kept = [
        (await registry.accept_signal(signal, accepted(signal))).signal
        for signal in (new_signal(n, LIEGE) for n in range(1, 4))
    ]
    entries = {entry.seq: entry for entry in await registry.audit_entries()}

    found = await registry.signal_entries([kept[0].id, kept[2].id, "no-such-signal", kept[0].id])

    assert found == {kept[0].id: entries[kept[0].audit_seq], kept[2].id: entries[kept[2].audit_seq]}
    assert await registry.signal_entries([]) == {}
