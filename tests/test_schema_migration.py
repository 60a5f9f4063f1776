"""The migrations after version 7 on a database that version 7 wrote: the translation memory
gets desks, the review queue a sealed reason, and start-up seals what version 7 kept in clear
or sealed the old way (gateway.flow.at_rest), once.

The version 7 database is made as version 7 made it: the same tables (the migrations up to
7), a memory row sealed under the old context, a rejection reason in clear.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from gateway.flow import at_rest
from gateway.flow.rejection import open_reason
from gateway.infra.clock import SystemClock
from gateway.infra.vault import KEY_PART_SIZE, MasterKey, SealedBlob
from gateway.store import ExchangeQuery
from gateway.store.migrations import MIGRATIONS, SCHEMA_VERSION
from gateway.store.sqlite import SqliteMaintenance, SqliteStore
from gateway.store.sqlite.schema import connect
from gateway.translate.memory import _SEAL_PURPOSE, MemoryBackend, MemorySealer, _legacy_context
from gateway.translate.types import MemoryScope
from tests.store_events import AsWrittenBefore
from tests.test_store_contract_audit_search import fetched_by
from tests.test_store_contract_retention import erased_event
from tests.test_store_contract_signal_keys import assert_every_body_opens, sealed_signal
from tests.test_store_contract_signals import AACHEN, accepted, new_signal, with_partners
from tests.test_store_contract_signals import LIEGE as LIEGE_PARTNER

SENTENCE = "De bestuurder sprak Frans."
FRENCH = "Le conducteur parlait français."
REASON = "Noemt een minderjarige getuige"
LIEGE = MemoryScope("be-pol-liege", "BE", reviewed=False)
AACHEN_REVIEWED = MemoryScope("de-pol-aachen", "DE", reviewed=True)


def version_7(path: Path, master_key: MasterKey) -> None:
    conn = connect(path)
    db = sqlite_utils.Database(conn)
    for migration in MIGRATIONS[:7]:
        migration.sqlite(db)
    db.table("meta").upsert({"key": "schema_version", "value": "7"}, pk="key")
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute(
        "INSERT INTO staff (id, name, role, desk, language, password_hash, state, created_at) "
        "VALUES ('m.dubois', 'Marie Dubois', 'liaison_officer', 'BE', 'fr', 'x', 'active', "
        "'2026-01-01T00:00:00Z')"
    )
    sealer = MemorySealer(master_key)
    old = MasterKey(master_key.derive(_SEAL_PURPOSE))
    for officer, sentence in (("m.dubois", SENTENCE), ("someone.gone", "Hij reed weg.")):
        key = sealer.lookup_key(sentence, source="nl", target="fr")
        body = json.dumps({"source": sentence, "target": FRENCH}).encode()
        sealed = old.seal(body, context=_legacy_context("nl", "fr", key)).to_bytes()
        conn.execute(
            "INSERT INTO translation_memory VALUES ('nl', 'fr', ?, ?, ?, '2026-01-02T00:00:00Z')",
            (key, sealed, officer),
        )
    conn.execute(
        "INSERT INTO review_items (id, signal_id, recipient_id, country, urgency, reasons, "
        "release_now, state, created_at, officer_id, rejection_reason) VALUES ('item-1', 's-1', "
        "'be-pol-liege', 'BE', 'urgent', '[]', 0, 'rejected', '2026-01-03T00:00:00Z', "
        "'m.dubois', ?)",
        (REASON,),
    )
    conn.close()


async def test_version_7_is_brought_forward_and_start_up_seals_what_it_kept(tmp_path: Path) -> None:
    path = tmp_path / "euregate.db"
    master_key = MasterKey.generate()
    version_7(path, master_key)

    await SqliteMaintenance(path).migrate()
    async with SqliteStore(path, clock=SystemClock()) as store:
        with sqlite3.connect(path) as conn:
            assert conn.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone() == (str(SCHEMA_VERSION),)
            rows = conn.execute(
                "SELECT officer_id, desk, seal_version FROM translation_memory ORDER BY officer_id"
            ).fetchall()
        assert rows == [("m.dubois", "BE", 1), ("someone.gone", "", 1)]

        done = await at_rest.upgrade(store, master_key)
        again = await at_rest.upgrade(store, master_key)

        assert (done.reasons_sealed, done.memory_resealed) == (1, 1)
        assert not again
        memory = MemoryBackend(store, master_key)
        served = await memory.scoped(LIEGE).translate(SENTENCE, source="nl", target="fr")
        elsewhere = await memory.scoped(AACHEN_REVIEWED).translate(
            SENTENCE, source="nl", target="de"
        )
        orphan = await memory.scoped(LIEGE).translate("Hij reed weg.", source="nl", target="fr")
        sealed = await store.rejection_reason("item-1")
    assert (served.text, served.provenance.desk, served.provenance.officer) == (
        FRENCH,
        "BE",
        "m.dubois",
    )
    assert elsewhere.provenance.kind == "original"
    assert orphan.provenance.kind == "original"
    assert sealed is not None
    assert open_reason(master_key, "item-1", sealed) == REASON
    with sqlite3.connect(path) as conn:
        assert conn.execute(
            "SELECT seal_version FROM translation_memory ORDER BY officer_id"
        ).fetchall() == [(2,), (1,)]
        assert conn.execute("SELECT rejection_reason FROM review_items").fetchall() == [(None,)]
    assert REASON.encode() not in on_disk(tmp_path)


def undo_version_24(conn: sqlite3.Connection) -> None:
    """Take away what version 24 adds (restriction of processing), for it to be made again."""
    for table in ("restricted_signals", "restriction_keys", "restrictions"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("ALTER TABLE envelopes DROP COLUMN held_at")


def undo_version_23(conn: sqlite3.Connection) -> None:
    """Each signal's key put back in front of the rest of its body, and the keys' table gone,
    as it was before version 23."""
    rows = conn.execute(
        "SELECT k.signal_id, k.sealed_key, s.sealed_body FROM signal_keys k "
        "JOIN signals s ON s.id = k.signal_id"
    ).fetchall()
    for signal_id, key, rest in rows:
        conn.execute(
            "UPDATE signals SET sealed_body = ? WHERE id = ?", (bytes(key) + bytes(rest), signal_id)
        )
    conn.execute("DROP TABLE signal_keys")


async def test_version_23_moves_the_keys_kept_before_into_rows_of_their_own(
    tmp_path: Path,
) -> None:
    """Signals kept whole in their bodies, one of them erased, at version 22: after the
    migration each kept one's key has a row of its own, the erased one has none, and every
    body read back whole opens with the master key; a signal erased afterwards leaves its key
    nowhere in the file, not in what its body held before either."""
    path = tmp_path / "euregate.db"
    *kept, erased = [sealed_signal(n, compress=n % 2 == 0) for n in range(1, 6)]
    async with SqliteStore(path, clock=SystemClock()) as store:
        await with_partners(store)
        for made in (*kept, erased):
            await store.accept_signal(made, accepted(made))
        await store.erase_signal(erased.id, rule="K0", event=erased_event)
    with sqlite3.connect(path) as conn:
        undo_version_24(conn)
        undo_version_23(conn)
        conn.execute("UPDATE meta SET value = '22' WHERE key = 'schema_version'")
        whole = dict(conn.execute("SELECT id, sealed_body FROM signals").fetchall())
    conn.close()
    assert [whole[s.id] for s in kept] == [s.sealed_body for s in kept]

    change = await SqliteMaintenance(path).migrate()

    assert (change.before, change.after) == (22, SCHEMA_VERSION)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        keys = dict(conn.execute("SELECT signal_id, sealed_key FROM signal_keys").fetchall())
    conn.close()
    assert keys == {s.id: s.sealed_body[:KEY_PART_SIZE] for s in kept}
    key = SealedBlob.from_bytes(kept[0].sealed_body).wrapped_key
    assert key in on_disk(tmp_path)
    async with SqliteStore(path, clock=SystemClock()) as store:
        await assert_every_body_opens(store, kept, erased)
        await store.erase_signal(kept[0].id, rule="K0", event=erased_event)
        await store.purge_old_versions()
    assert key not in on_disk(tmp_path), "neither its row's nor its body's old bytes are left"


def on_disk(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in directory.glob("euregate.db*"))


@pytest.mark.old_audit_entries
async def test_version_20_finds_the_inbox_fetches_chained_before_it(tmp_path: Path) -> None:
    """The fetches chained at version 19, one written as the inbox writes now and one with its
    actor as a bare id as before, are found by the search after the migration fills
    ``fetched_signals`` from them; the fetches chained after it are kept by its trigger."""
    path = tmp_path / "euregate.db"
    one, two = new_signal(1, LIEGE_PARTNER, AACHEN), new_signal(2, LIEGE_PARTNER, received=60)
    async with SqliteStore(path, clock=SystemClock()) as store:
        await with_partners(store)
        for made in (one, two):
            await store.accept_signal(made, accepted(made))
        await store.record(fetched_by(LIEGE_PARTNER.id, one.id))
        await store.record(AsWrittenBefore(AACHEN.id, one.id))  # type: ignore[arg-type]
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER audit_keeps_fetched_signals")
        conn.execute("DROP TABLE fetched_signals")
        undo_version_23(conn)
        conn.execute("DROP TABLE withdrawals")  # version 21, made again after it
        conn.execute("ALTER TABLE copies DROP COLUMN notice")
        undo_version_24(conn)
        before_version_22(conn)
        conn.execute("UPDATE meta SET value = '19' WHERE key = 'schema_version'")
    conn.close()

    change = await SqliteMaintenance(path).migrate()
    async with SqliteStore(path, clock=SystemClock()) as store:
        before = await store.export_exchanges(ExchangeQuery(event_kind="inbox.fetched"))
        await store.record(fetched_by(LIEGE_PARTNER.id, two.id))
        after = await store.export_exchanges(ExchangeQuery(event_kind="inbox.fetched"))

    assert (change.before, change.after) == (19, SCHEMA_VERSION)
    assert [(e.signal_id, e.recipient_id) for e in before] == [
        (one.id, LIEGE_PARTNER.id),
        (one.id, AACHEN.id),
    ]
    assert [(e.signal_id, e.recipient_id) for e in after] == [
        (two.id, LIEGE_PARTNER.id),
        *[(e.signal_id, e.recipient_id) for e in before],
    ]


def before_version_22(conn: sqlite3.Connection) -> None:
    """Take away what version 22 adds, for it to be made again."""
    conn.execute("DROP TABLE memory_sources")
    conn.execute("DROP INDEX translation_jobs_signal")
    conn.execute("ALTER TABLE translation_jobs DROP COLUMN signal_id")


async def test_version_22_leaves_the_memory_learnt_before_it_out_of_erasure(
    tmp_path: Path,
) -> None:
    """Entries kept at version 21 cannot be tied to the signal that taught them: after the
    migration they are counted as such, and erasing that signal leaves them (as the memory's
    documentation says); entries learnt after it go with their signal."""
    path = tmp_path / "euregate.db"
    master_key = MasterKey.generate()
    old, new = new_signal(1, AACHEN), new_signal(2, AACHEN)
    async with SqliteStore(path, clock=SystemClock()) as store:
        await with_partners(store)
        for made in (old, new):
            await store.accept_signal(made, accepted(made))
        memory = MemoryBackend(store, master_key)
        await memory.learn(
            SENTENCE,
            FRENCH,
            source="nl",
            target="fr",
            officer_id="m.dubois",
            desk="BE",
            signal_id=old.id,
        )
    with sqlite3.connect(path) as conn:
        undo_version_24(conn)
        undo_version_23(conn)
        before_version_22(conn)
        conn.execute("UPDATE meta SET value = '21' WHERE key = 'schema_version'")
    conn.close()

    change = await SqliteMaintenance(path).migrate()
    async with SqliteStore(path, clock=SystemClock()) as store:
        memory = MemoryBackend(store, master_key)
        unsourced = await store.unsourced_memory_entries()
        await memory.learn(
            "Hij reed weg.",
            "Il est parti.",
            source="nl",
            target="fr",
            officer_id="m.dubois",
            desk="BE",
            signal_id=new.id,
        )
        erased_old = await store.erase_signal(old.id, rule="K0", event=erased_event)
        erased_new = await store.erase_signal(new.id, rule="K0", event=erased_event)
        served = await memory.scoped(LIEGE).translate(SENTENCE, source="nl", target="fr")
        gone = await memory.scoped(LIEGE).translate("Hij reed weg.", source="nl", target="fr")

    assert (change.before, change.after) == (21, SCHEMA_VERSION)
    assert unsourced == 1
    assert erased_old is not None
    assert erased_new is not None
    assert (erased_old.memory_segments, erased_new.memory_segments) == (0, 1)
    assert served.text == FRENCH
    assert gone.provenance.kind == "original"
