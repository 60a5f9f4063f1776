"""The store's contract, whatever its backend: the translation memory's sealed entries, one per
desk and sentence, and the stamp that tells another process the memory changed."""

from __future__ import annotations

from datetime import timedelta

from gateway.infra.audit import AuditEvent, EventKind, refs
from gateway.infra.clock import FixedClock
from gateway.store import DESK_SEAL, MemoryStamp, Resealed, SealedSegment, Store
from tests.store_backends import START
from tests.store_events import an_event

NL_FR = ("nl", "fr")


def segments(*keys: str, text: str = "sealed") -> list[SealedSegment]:
    return [SealedSegment(key, f"{text} {key}".encode()) for key in keys]


def confirmed(entry: str) -> AuditEvent:
    return an_event(EventKind.MEMORY_CONFIRMED, by=refs.staff("j.peeters"), entry=entry)


async def test_remembered_segments_are_kept_per_desk_with_their_author_and_time(
    empty_store: Store, store_clock: FixedClock
) -> None:
    store_clock.set(START + timedelta(seconds=4))

    at = await empty_store.remember_translations(
        *NL_FR, segments("k1", "k2"), desk="BE", signal_id="s1", officer_id="m.dubois"
    )

    assert at == START + timedelta(seconds=4)
    records = await empty_store.memory_records(*NL_FR)
    assert [(r.source_key, r.sealed, r.desk) for r in records] == [
        ("k1", b"sealed k1", "BE"),
        ("k2", b"sealed k2", "BE"),
    ]
    first = records[0]
    assert (first.officer_id, first.created_at, first.seal_version) == ("m.dubois", at, DESK_SEAL)
    assert (first.confirmed_by, first.confirmed_at) == (None, None)
    assert await empty_store.memory_record(first.id) == first
    assert await empty_store.memory_record("nothing") is None
    assert await empty_store.memory_records("nl", "de") == []


async def test_a_desk_replaces_its_own_entry_never_anothers(empty_store: Store) -> None:
    await empty_store.remember_translations(
        *NL_FR, segments("k1"), desk="BE", signal_id="s1", officer_id="a"
    )
    await empty_store.remember_translations(
        *NL_FR, segments("k1"), desk="NL", signal_id="s1", officer_id="b"
    )
    await empty_store.remember_translations(
        *NL_FR, segments("k1", text="again"), desk="BE", signal_id="s1", officer_id="c"
    )

    records = await empty_store.memory_records(*NL_FR)

    assert sorted((r.desk, r.officer_id, r.sealed) for r in records) == [
        ("BE", "c", b"again k1"),
        ("NL", "b", b"sealed k1"),
    ]
    assert [r.desk for r in records] == ["NL", "BE"], "oldest change first"
    assert [r.officer_id for r in await empty_store.memory_records_of_desk("BE")] == ["c"]


async def test_a_desks_entries_are_listed_newest_change_first(empty_store: Store) -> None:
    for key in ("k1", "k2", "k3"):
        await empty_store.remember_translations(
            *NL_FR, segments(key), desk="BE", signal_id="s1", officer_id="a"
        )
    await empty_store.remember_translations(
        "fr", "nl", segments("k4"), desk="BE", signal_id="s1", officer_id="a"
    )

    listed = await empty_store.memory_records_of_desk("BE")

    assert [r.source_key for r in listed] == ["k4", "k3", "k2", "k1"]
    assert await empty_store.memory_records_of_desk("DE") == []


async def test_every_change_moves_the_pairs_stamp_on(empty_store: Store) -> None:
    empty = await empty_store.memory_stamp(*NL_FR)
    await empty_store.remember_translations(
        *NL_FR, segments("k1", "k2"), desk="BE", signal_id="s1", officer_id="a"
    )
    learnt = await empty_store.memory_stamp(*NL_FR)
    (record, _) = await empty_store.memory_records(*NL_FR)
    await empty_store.confirm_translation(
        record.id,
        expected=record.sealed,
        sealed=b"confirmed",
        officer_id="b",
        event=confirmed(record.id),
    )
    confirmed_stamp = await empty_store.memory_stamp(*NL_FR)
    await empty_store.forget_translations(*NL_FR, ["k2"])
    forgotten = await empty_store.memory_stamp(*NL_FR)

    assert empty == MemoryStamp(entries=0, revision=0)
    assert learnt.entries == 2
    assert len({empty, learnt, confirmed_stamp, forgotten}) == 4
    assert forgotten.entries == 1
    assert await empty_store.memory_stamp("nl", "de") == MemoryStamp(entries=0, revision=0)


async def test_an_entry_is_confirmed_once_and_only_as_it_was_read(
    empty_store: Store, store_clock: FixedClock
) -> None:
    await empty_store.remember_translations(
        *NL_FR, segments("k1"), desk="BE", signal_id="s1", officer_id="a"
    )
    (record,) = await empty_store.memory_records(*NL_FR)
    store_clock.set(START + timedelta(minutes=1))

    stale = await empty_store.confirm_translation(
        record.id,
        expected=b"what it was before",
        sealed=b"x",
        officer_id="b",
        event=confirmed(record.id),
    )
    done = await empty_store.confirm_translation(
        record.id,
        expected=record.sealed,
        sealed=b"confirmed",
        officer_id="b",
        event=confirmed(record.id),
    )
    again = await empty_store.confirm_translation(
        record.id, expected=b"confirmed", sealed=b"y", officer_id="c", event=confirmed(record.id)
    )

    assert stale is None
    assert again is None
    assert done is not None
    assert (done.sealed, done.confirmed_by, done.confirmed_at) == (
        b"confirmed",
        "b",
        START + timedelta(minutes=1),
    )
    kinds = [e.kind for e in await empty_store.audit_entries()]
    assert kinds == ["memory.confirmed"]


async def test_writing_an_entry_again_takes_its_confirmation_away(empty_store: Store) -> None:
    await empty_store.remember_translations(
        *NL_FR, segments("k1"), desk="BE", signal_id="s1", officer_id="a"
    )
    (record,) = await empty_store.memory_records(*NL_FR)
    await empty_store.confirm_translation(
        record.id, expected=record.sealed, sealed=b"c", officer_id="b", event=confirmed(record.id)
    )

    await empty_store.remember_translations(
        *NL_FR, segments("k1"), desk="BE", signal_id="s1", officer_id="a"
    )

    (rewritten,) = await empty_store.memory_records(*NL_FR)
    assert (rewritten.confirmed_by, rewritten.confirmed_at) == (None, None)


async def test_forgetting_removes_every_desks_entries_under_the_keys(empty_store: Store) -> None:
    for desk in ("BE", "NL"):
        await empty_store.remember_translations(
            *NL_FR, segments("k1", "k2"), desk=desk, signal_id="s1", officer_id="a"
        )

    removed = await empty_store.forget_translations(*NL_FR, ["k1", "unknown"])

    assert removed == 2
    assert {r.source_key for r in await empty_store.memory_records(*NL_FR)} == {"k2"}


async def test_nothing_is_sealed_the_old_way_in_a_new_store(empty_store: Store) -> None:
    await empty_store.remember_translations(
        *NL_FR, segments("k1"), desk="BE", signal_id="s1", officer_id="a"
    )
    (record,) = await empty_store.memory_records(*NL_FR)

    assert await empty_store.legacy_memory_records() == []
    stale = Resealed(record.id, expected=b"not as kept", sealed=b"new")
    assert await empty_store.reseal_memory([stale]) == 0
    assert await empty_store.reseal_memory([Resealed(record.id, record.sealed, b"new")]) == 1
    (resealed,) = await empty_store.memory_records(*NL_FR)
    assert (resealed.sealed, resealed.seal_version) == (b"new", DESK_SEAL)
