"""The store's contract, whatever its backend: the values sealed under the master key, read
in batches by the version they are not under and replaced only where unchanged."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gateway.infra.vault import FileKey, MasterKey, SealedBlob
from gateway.store import SealedColumn, SealedValue, Store
from tests.test_store_contract_signals import LIEGE, accepted, new_signal, with_partners

FIRST = bytes(32)
OLD = MasterKey(FIRST)
NEW = MasterKey.of([FileKey(FIRST, version=1), FileKey(bytes(range(32)), version=2)], root=FIRST)


def blob_of(value: SealedValue) -> SealedBlob:
    return SealedBlob.from_bytes(value.sealed)


def rewrapped(value: SealedValue) -> bytes:
    """``value`` re-wrapped under :data:`NEW`'s version 2, as a rotation does."""
    return NEW.rewrap(blob_of(value), context=value.row_id.encode()).to_bytes()


@pytest.fixture
async def signals(empty_store: Store) -> Store:
    """Five signals, bodies 1, 3 and 5 sealed under version 1, 2 and 4 under version 2."""
    store = await with_partners(empty_store)
    for number in range(1, 6):
        key = OLD if number % 2 else NEW
        signal = new_signal(number, LIEGE)
        sealed = key.seal(b"body", context=signal.id.encode()).to_bytes()
        await store.accept_signal(replace(signal, sealed_body=sealed), accepted(signal))
    return store


async def test_values_not_under_a_version_are_read_in_batches_in_the_order_of_their_ids(
    signals: Store,
) -> None:
    first = await signals.sealed_values(SealedColumn.SIGNAL_BODY, after="", limit=2, not_version=2)
    rest = await signals.sealed_values(
        SealedColumn.SIGNAL_BODY, after=first[-1].row_id, limit=2, not_version=2
    )
    assert [v.row_id[-1] for v in first + rest] == ["1", "3", "5"]
    assert await signals.count_sealed(SealedColumn.SIGNAL_BODY, not_version=2) == 3
    assert await signals.count_sealed(SealedColumn.SIGNAL_BODY, not_version=1) == 2
    assert await signals.count_sealed(SealedColumn.STAFF_TOTP, not_version=1) == 0


async def test_a_value_is_replaced_only_where_the_row_still_holds_what_was_read(
    signals: Store,
) -> None:
    found = await signals.sealed_values(SealedColumn.SIGNAL_BODY, after="", limit=10, not_version=2)
    new = [rewrapped(value) for value in found]
    stale = replace(found[1], sealed=rewrapped(found[1]))  # not what the row holds
    replaced = await signals.replace_sealed(
        [(found[0], new[0]), (stale, new[1]), (found[2], new[2])]
    )
    assert replaced == 2
    after = await signals.sealed_values(SealedColumn.SIGNAL_BODY, after="", limit=10, not_version=0)
    by_id = {v.row_id[-1]: v.sealed for v in after}
    assert (by_id["1"], by_id["5"]) == (new[0], new[2])
    assert by_id["3"] == found[1].sealed
