"""The store's contract, whatever its backend: each signal's wrapped data key is kept in a row
of its own (``signal_keys``), the rest of its sealed body beside the signal; the interface
takes and gives the whole blob; erasure deletes the key's row; a master key rotation rewrites
that row alone.

Where the rows are looked at, the test reads them as the backend keeps them (the SQLite file,
a PostgreSQL connection of its own): the interface hands out only whole blobs."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.infra.vault import KEY_PART_SIZE, FileKey, MasterKey, SealedBlob
from gateway.store import NewSignal, SealedColumn, Store
from gateway.store.signal_keys import joined, split
from tests.test_store_contract_retention import erased_event
from tests.test_store_contract_signals import LIEGE, accepted, new_signal, with_partners

FIRST = bytes(32)
OLD = MasterKey(FIRST)
NEW = MasterKey.of([FileKey(FIRST, version=1), FileKey(bytes(range(32)), version=2)], root=FIRST)
BODY = b'{"summary": "Drugsafval aangetroffen bij Eijsden"}' * 20


def kept_rows(store: Store, signal_id: str) -> tuple[bytes | None, bytes]:
    """The signal's key row (None if there is none) and its body column, as stored."""
    key = "SELECT sealed_key FROM signal_keys WHERE signal_id = {}"
    body = "SELECT sealed_body FROM signals WHERE id = {}"
    if hasattr(store, "url"):
        with psycopg.connect(store.url) as conn:
            found = conn.execute(key.format("%s"), (signal_id,)).fetchone()
            rest = conn.execute(body.format("%s"), (signal_id,)).fetchone()
    else:
        with sqlite3.connect(f"file:{store.path}?mode=ro", uri=True) as conn:  # type: ignore[attr-defined]
            found = conn.execute(key.format("?"), (signal_id,)).fetchone()
            rest = conn.execute(body.format("?"), (signal_id,)).fetchone()
    assert rest is not None
    return (None if found is None else bytes(found[0])), bytes(rest[0])


def sealed_signal(number: int, key: MasterKey = OLD, *, compress: bool = False) -> NewSignal:
    signal = new_signal(number, LIEGE)
    blob = key.seal(BODY, context=signal.id.encode(), compress=compress)
    return replace(signal, sealed_body=blob.to_bytes())


async def assert_every_body_opens(store: Store, kept: list[NewSignal], erased: NewSignal) -> None:
    """Each of ``kept`` reads back whole and opens with :data:`OLD`; ``erased`` gives nothing."""
    for signal in kept:
        body = await store.sealed_body(signal.id)
        assert body == signal.sealed_body
        assert OLD.open(SealedBlob.from_bytes(body), context=signal.id.encode()) == BODY
    assert await store.sealed_body(erased.id) is None


@pytest.fixture
async def registry(empty_store: Store) -> Store:
    return await with_partners(empty_store)


@given(st.binary(max_size=4 * KEY_PART_SIZE))
def test_a_blob_split_in_two_joins_back_byte_for_byte(blob: bytes) -> None:
    key, rest = split(blob)
    assert joined(key, rest) == blob
    assert key == blob[:KEY_PART_SIZE]


@pytest.mark.parametrize("compress", [False, True])
async def test_intake_keeps_the_key_in_its_own_row_and_the_blob_reads_back_whole(
    registry: Store, compress: bool
) -> None:
    signal = sealed_signal(1, compress=compress)
    await registry.accept_signal(signal, accepted(signal))

    key, body = kept_rows(registry, signal.id)
    blob = SealedBlob.from_bytes(signal.sealed_body)
    assert key == signal.sealed_body[:KEY_PART_SIZE]
    assert blob.wrapped_key in key
    assert blob.wrapped_key not in body
    assert body == blob.nonce + blob.ciphertext
    assert await registry.sealed_body(signal.id) == signal.sealed_body
    opened = SealedBlob.from_bytes(await registry.sealed_body(signal.id) or b"")
    assert OLD.open(opened, context=signal.id.encode()) == BODY


async def test_erasure_deletes_the_key_row_and_empties_the_body(registry: Store) -> None:
    erased, kept = sealed_signal(1), sealed_signal(2)
    for signal in (erased, kept):
        await registry.accept_signal(signal, accepted(signal))

    assert await registry.erase_signal(erased.id, rule="K0", event=erased_event) is not None

    assert kept_rows(registry, erased.id) == (None, b"")
    assert await registry.sealed_body(erased.id) is None
    assert kept_rows(registry, kept.id)[0] is not None
    assert await registry.sealed_body(kept.id) == kept.sealed_body


async def test_a_rotation_rewrites_the_key_row_alone(registry: Store) -> None:
    signal = sealed_signal(1)
    await registry.accept_signal(signal, accepted(signal))
    _, body_before = kept_rows(registry, signal.id)
    [found] = await registry.sealed_values(
        SealedColumn.SIGNAL_BODY, after="", limit=10, not_version=2
    )
    assert found.sealed == signal.sealed_body
    new = NEW.rewrap(SealedBlob.from_bytes(found.sealed), context=signal.id.encode()).to_bytes()

    assert await registry.replace_sealed([(found, new)]) == 1

    key, body = kept_rows(registry, signal.id)
    assert (key, body) == (new[:KEY_PART_SIZE], body_before)
    assert await registry.sealed_body(signal.id) == new
    assert NEW.open(SealedBlob.from_bytes(new), context=signal.id.encode()) == BODY
    assert await registry.count_sealed(SealedColumn.SIGNAL_BODY, not_version=2) == 0


async def test_a_replacement_that_would_change_a_body_is_refused(registry: Store) -> None:
    signal = sealed_signal(1)
    await registry.accept_signal(signal, accepted(signal))
    [found] = await registry.sealed_values(
        SealedColumn.SIGNAL_BODY, after="", limit=10, not_version=2
    )
    other = NEW.seal(b"another body", context=signal.id.encode()).to_bytes()

    with pytest.raises(ValueError, match="must keep the body"):
        await registry.replace_sealed([(found, other)])

    assert await registry.sealed_body(signal.id) == signal.sealed_body


async def test_a_purge_after_an_erasure_leaves_nothing_owed(registry: Store) -> None:
    erased, kept = sealed_signal(1), sealed_signal(2)
    for signal in (erased, kept):
        await registry.accept_signal(signal, accepted(signal))
    await registry.erase_signal(erased.id, rule="K0", event=erased_event)

    purged = await registry.purge_old_versions()

    assert purged.postponed == ()
    assert await registry.purge_owed() is False
    await assert_every_body_opens(registry, [kept], erased)
