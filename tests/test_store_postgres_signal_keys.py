"""Erasure is final in PostgreSQL's data files: after a signal is erased and the old row
versions are purged, its wrapped data key is in no file of the keys' table (nor of the signals
table), read from the throwaway cluster's data directory after a ``CHECKPOINT``; a purge that
cannot lock the table at once is postponed and stays owed; a rotation leaves the signals' rows
untouched; version 23 moves the keys of the signals kept before out of their bodies and
leaves no old version of those rows behind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest

from gateway.decide.policy import load_policy
from gateway.flow.retention import run_retention
from gateway.infra.clock import SystemClock
from gateway.infra.vault import KEY_PART_SIZE, SealedBlob
from gateway.store import NewSignal, SealedColumn, Store
from gateway.store.migrations import MIGRATIONS, SCHEMA_VERSION
from gateway.store.postgres import PostgresMaintenance, PostgresStore
from tests.conftest import REPO
from tests.postgres import Cluster
from tests.store_backends import START
from tests.test_store_contract_retention import erased_event
from tests.test_store_contract_signal_keys import NEW, assert_every_body_opens, sealed_signal
from tests.test_store_contract_signals import LIEGE, LIMBURG, accepted, with_partners

POLICY = load_policy(REPO / "deploy" / "policy" / "euregio.toml")


def data_files(cluster: Cluster, url: str, table: str) -> bytes:
    """Every file of ``table`` (and of its TOAST table) in the cluster's data directory, after
    a checkpoint has written what the server holds in memory."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        row = conn.execute(
            "SELECT pg_relation_filepath(c.oid), pg_relation_filepath(nullif(c.reltoastrelid, 0)) "
            "FROM pg_class c WHERE c.oid = %s::regclass",
            (table,),
        ).fetchone()
    assert row is not None
    files = [
        found
        for relative in row
        if relative is not None
        for found in (cluster.data / relative).parent.glob(Path(relative).name + "*")
    ]
    assert files, f"no file of {table}"
    return b"".join(path.read_bytes() for path in files)


@pytest.fixture
async def store(postgres_url: str) -> AsyncIterator[Store]:
    async with PostgresStore(postgres_url, clock=SystemClock(), pool_size=4) as opened:
        yield await with_partners(opened)


async def accepted_signals(store: Store, count: int) -> list[NewSignal]:
    signals = [sealed_signal(number) for number in range(1, count + 1)]
    for signal in signals:
        await store.accept_signal(signal, accepted(signal))
    return signals


def wrapped_key(signal: NewSignal) -> bytes:
    return SealedBlob.from_bytes(signal.sealed_body).wrapped_key


async def test_after_erasure_and_the_purge_the_key_is_in_no_data_file(
    store: Store, postgres_url: str, postgres_cluster: Cluster
) -> None:
    erased, *kept = await accepted_signals(store, 20)
    assert wrapped_key(erased) in data_files(postgres_cluster, postgres_url, "signal_keys")

    await store.erase_signal(erased.id, rule="K0", event=erased_event)
    assert await store.purge_owed() is True
    purged = await store.purge_old_versions()

    assert purged.postponed == ()
    assert await store.purge_owed() is False
    keys = data_files(postgres_cluster, postgres_url, "signal_keys")
    assert wrapped_key(erased) not in keys
    assert all(wrapped_key(signal) in keys for signal in kept)
    assert wrapped_key(erased) not in data_files(postgres_cluster, postgres_url, "signals")
    assert await store.sealed_body(erased.id) is None


async def test_a_purge_that_cannot_lock_the_keys_is_postponed_and_owed_until_one_is_done(
    store: Store, postgres_url: str, postgres_cluster: Cluster
) -> None:
    erased, _ = await accepted_signals(store, 2)
    await store.erase_signal(erased.id, rule="K0", event=erased_event)

    with psycopg.connect(postgres_url) as busy:
        busy.execute("SELECT count(*) FROM signal_keys")  # a transaction left open on the table
        postponed = await store.purge_old_versions()
        owed_while_busy = await store.purge_owed()
        busy.rollback()
    files_before = data_files(postgres_cluster, postgres_url, "signal_keys")
    done = await store.purge_old_versions()

    assert postponed.postponed == ("signal_keys",)
    assert owed_while_busy is True
    assert wrapped_key(erased) in files_before, "the deleted row's old version, not yet purged"
    assert done.postponed == ()
    assert await store.purge_owed() is False
    assert wrapped_key(erased) not in data_files(postgres_cluster, postgres_url, "signal_keys")


async def test_an_erasure_during_a_purge_leaves_the_next_one_owed(store: Store) -> None:
    first, second = await accepted_signals(store, 2)
    await store.erase_signal(first.id, rule="K0", event=erased_event)
    await store.purge_old_versions()
    await store.erase_signal(second.id, rule="K0", event=erased_event)

    assert await store.purge_owed() is True


async def test_a_rotation_leaves_the_signals_row_as_it_was(store: Store, postgres_url: str) -> None:
    [signal] = await accepted_signals(store, 1)
    where = "SELECT xmin::text, ctid::text FROM {} WHERE {} = %s"
    with psycopg.connect(postgres_url) as conn:
        body_before = conn.execute(where.format("signals", "id"), (signal.id,)).fetchone()
        key_before = conn.execute(where.format("signal_keys", "signal_id"), (signal.id,)).fetchone()
    [found] = await store.sealed_values(SealedColumn.SIGNAL_BODY, after="", limit=1, not_version=2)
    new = NEW.rewrap(SealedBlob.from_bytes(found.sealed), context=signal.id.encode()).to_bytes()

    await store.replace_sealed([(found, new)])

    with psycopg.connect(postgres_url) as conn:
        body_after = conn.execute(where.format("signals", "id"), (signal.id,)).fetchone()
        key_after = conn.execute(where.format("signal_keys", "signal_id"), (signal.id,)).fetchone()
    assert body_after == body_before
    assert key_after != key_before
    assert await store.sealed_body(signal.id) == new


def version_21(url: str, signals: list[NewSignal], erased: NewSignal) -> None:
    """A database as version 21 made it, holding ``signals`` whole in their bodies and
    ``erased`` as erasure left it then."""
    with psycopg.connect(url) as conn:
        for migration in MIGRATIONS[:21]:
            for statement in migration.postgres:
                conn.execute(statement.encode())
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '21')")
        for partner in (LIMBURG, LIEGE):
            conn.execute(
                "INSERT INTO partners (id, name, country, agency_type, languages, state, "
                "created_at) VALUES (%s, %s, %s, 'police', '[]', 'active', now())",
                (partner.id, partner.name, partner.country),
            )
        for signal in (*signals, erased):
            gone = signal is erased
            conn.execute(
                "INSERT INTO signals (id, sender_id, sender_reference, body_sha256, received_at, "
                "sealed_body, erased_at, erased_rule) VALUES (%s, %s, %s, 'd', now(), %s, %s, %s)",
                (
                    signal.id,
                    signal.sender_id,
                    signal.sender_reference,
                    b"" if gone else signal.sealed_body,
                    "2026-03-02T09:00:00Z" if gone else None,
                    "K0" if gone else None,
                ),
            )


async def test_version_23_moves_the_keys_kept_before_and_every_body_still_opens(
    postgres_url: str, postgres_cluster: Cluster
) -> None:
    *signals, erased = [sealed_signal(number, compress=number % 2 == 0) for number in range(1, 6)]
    version_21(postgres_url, signals, erased)
    assert wrapped_key(signals[0]) in data_files(postgres_cluster, postgres_url, "signals")

    change = await PostgresMaintenance(postgres_url).migrate()

    assert (change.before, change.after) == (21, SCHEMA_VERSION)
    async with PostgresStore(postgres_url, clock=SystemClock()) as store:
        await assert_every_body_opens(store, signals, erased)
        assert await store.count_sealed(SealedColumn.SIGNAL_BODY, not_version=0) == len(signals)
    kept = data_files(postgres_cluster, postgres_url, "signals")
    assert [s.id for s in signals if wrapped_key(s) in kept] == []
    assert [s.id for s in signals if s.sealed_body[KEY_PART_SIZE:] in kept] == [
        s.id for s in signals
    ]


async def test_a_retention_run_that_erases_nothing_does_the_purge_still_owed(
    store: Store, postgres_url: str
) -> None:
    erased, kept = await accepted_signals(store, 2)
    await store.erase_signal(erased.id, rule="K0", event=erased_event)
    today = START.date()  # nothing is due: the kept signal was received today

    with psycopg.connect(postgres_url) as busy:
        busy.execute("SELECT count(*) FROM signal_keys")
        while_busy = await run_retention(store, POLICY, today=today)
        busy.rollback()
    afterwards = await run_retention(store, POLICY, today=today)

    assert (while_busy.erased, while_busy.postponed) == ((), ("signal_keys",))
    assert (afterwards.erased, afterwards.postponed) == ((), ())
    assert await store.purge_owed() is False
    assert await store.sealed_body(kept.id) == kept.sealed_body


async def test_a_purge_postponed_without_an_erasure_is_owed_too(
    store: Store, postgres_url: str
) -> None:
    """Start-up's purge after sealing what was kept in the clear
    (:mod:`gateway.flow.at_rest`) is taken up by the next retention run if it was postponed."""
    with psycopg.connect(postgres_url) as busy:
        busy.execute("SELECT count(*) FROM review_items")
        postponed = await store.purge_old_versions()
        busy.rollback()
    owed = await store.purge_owed()
    done = await store.purge_old_versions()

    assert (postponed.postponed, owed) == (("review_items",), True)
    assert done.postponed == ()
    assert await store.purge_owed() is False
