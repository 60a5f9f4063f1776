"""The memory backend: officers' corrections served again, sealed at rest, chained to a machine.

Everything runs for real: the demo data directory's SQLite database and master key, and for
the chain a stand-in LibreTranslate server (see tests/test_translate_libretranslate.py for why
LibreTranslate itself cannot run here).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.infra.audit import events, refs, timestamp
from gateway.infra.clock import FixedClock
from gateway.infra.config import DataDir, Settings
from gateway.infra.vault import MasterKey, load_master_key_file
from gateway.store import Store
from gateway.store.sqlite import SqliteStore
from gateway.translate import (
    Learner,
    LibreTranslateBackend,
    MemoryBackend,
    MemoryScope,
    NoTranslation,
    Provenance,
    TranslationUnavailable,
    backend_from_settings,
    build_backend,
)
from tests.libretranslate_standin import LibreTranslateStandIn, tagged

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
OFFICER = "m.dubois"
DESK = "BE"
SIGNAL = "0190a6c2-5d0e-7000-8000-000000000001"
LIEGE = MemoryScope("be-pol-liege", "BE", reviewed=False)
"""The copy of a Belgian recipient, which the Belgian desk's entries serve unreviewed."""
DUTCH = "De bestelbus stond twee dagen op de Boschstraat. De bestuurder sprak Frans."
FRENCH = "La camionnette est restée deux jours dans la Boschstraat. Le conducteur parlait français."
MEMORY = Provenance("memory", desk=DESK, officer=OFFICER)
PAIR = {"source": "nl", "target": "fr"}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def store(layout: DataDir, clock: FixedClock) -> AsyncIterator[Store]:
    async with SqliteStore(layout.database, clock=clock) as opened:
        yield opened


@pytest.fixture
def master_key(layout: DataDir) -> MasterKey:
    return load_master_key_file(layout.master_key)


@pytest.fixture
def memory(store: Store, master_key: MasterKey) -> MemoryBackend:
    return MemoryBackend(store, master_key)


@pytest.fixture
async def chained(
    store: Store, master_key: MasterKey, standin: LibreTranslateStandIn
) -> AsyncIterator[MemoryBackend]:
    machine = LibreTranslateBackend(standin.url, backoff=0.0, retries=0, version="1.6.2")
    backend = MemoryBackend(store, master_key, machine=machine)
    yield backend
    await backend.close()


# --- serving corrections ----------------------------------------------------------------------


async def test_a_correction_is_served_for_the_next_identical_text(memory: MemoryBackend) -> None:
    assert isinstance(memory, Learner)
    kept = await memory.learn(
        DUTCH, FRENCH, source="nl", target="fr", signal_id=SIGNAL, officer_id=OFFICER, desk=DESK
    )

    result = await memory.scoped(LIEGE).translate(DUTCH, source="nl", target="fr")

    assert kept == 2
    assert (result.text, result.language, result.provenance) == (FRENCH, "fr", MEMORY)


async def test_corrections_are_kept_per_sentence_and_serve_them_in_a_new_text(
    memory: MemoryBackend,
) -> None:
    await memory.learn(
        DUTCH, FRENCH, source="nl", target="fr", signal_id=SIGNAL, officer_id=OFFICER, desk=DESK
    )

    result = await memory.scoped(LIEGE).translate(
        "De bestuurder sprak Frans.\n\n  De bestelbus stond twee dagen op de Boschstraat.  ",
        source="nl",
        target="fr",
    )

    assert result.text == (
        "Le conducteur parlait français.\n\n"
        "  La camionnette est restée deux jours dans la Boschstraat.  "
    )
    assert result.provenance == MEMORY


async def test_a_text_memory_knows_only_in_part_stays_as_written_without_a_machine(
    memory: MemoryBackend,
) -> None:
    await memory.learn(
        DUTCH, FRENCH, source="nl", target="fr", signal_id=SIGNAL, officer_id=OFFICER, desk=DESK
    )
    text = "De bestuurder sprak Frans. Hij had een Belgisch kenteken."

    result = await memory.scoped(LIEGE).translate(text, source="nl", target="fr")

    assert (result.text, result.language, result.provenance.kind) == (text, "nl", "original")


async def test_a_correction_serves_only_its_own_language_pair(memory: MemoryBackend) -> None:
    await memory.learn(
        DUTCH, FRENCH, source="nl", target="fr", signal_id=SIGNAL, officer_id=OFFICER, desk=DESK
    )

    result = await memory.scoped(LIEGE).translate(DUTCH, source="nl", target="de")

    assert result.provenance.kind == "original"


async def test_case_quotes_and_spacing_do_not_keep_an_exact_match_from_being_found(
    memory: MemoryBackend,
) -> None:
    await memory.learn(
        "Hij zei: “niet nu”.",
        "Il a dit : « pas maintenant ».",
        **PAIR,
        signal_id=SIGNAL,
        officer_id=OFFICER,
        desk=DESK,
    )

    result = await memory.scoped(LIEGE).translate('hij  zei: "niet nu" .', **PAIR)

    assert result.text == "Il a dit : « pas maintenant »."


async def test_a_near_match_serves_a_sentence_with_a_spelling_slip(memory: MemoryBackend) -> None:
    await memory.learn(DUTCH, FRENCH, **PAIR, signal_id=SIGNAL, officer_id=OFFICER, desk=DESK)

    result = await memory.scoped(LIEGE).translate(
        "De bestelbus stondt twee dagen op de Boschstraat.", **PAIR
    )

    assert result.text == "La camionnette est restée deux jours dans la Boschstraat."
    assert result.provenance == MEMORY


@pytest.mark.parametrize(
    "changed",
    [
        "De bestelbus stond drie dagen op de Boschstraat.",  # another word of substance
        "De bestelbus stond 2 dagen op de Boschstraat.",  # a number
        "De bestelbus stond niet op de Boschstraat.",  # a negation
        "De bestelbus stond twee dagen op de Boschstraat?",  # a question
        "De bestelbus stond twee dagen op de Brusselsestraat.",  # a name
    ],
)
async def test_a_sentence_that_says_something_else_is_not_served(
    memory: MemoryBackend, changed: str
) -> None:
    await memory.learn(
        "De bestelbus stond twee dagen op de Boschstraat.",
        "La camionnette est restée deux jours dans la Boschstraat.",
        **PAIR,
        signal_id=SIGNAL,
        officer_id=OFFICER,
        desk=DESK,
    )

    result = await memory.scoped(LIEGE).translate(changed, **PAIR)

    assert result.provenance.kind == "original"
    assert result.text == changed


async def test_a_later_correction_replaces_the_earlier_one(memory: MemoryBackend) -> None:
    sentence = "De bestuurder sprak Frans."
    await memory.learn(
        sentence,
        "Le chauffeur parlait français.",
        **PAIR,
        signal_id=SIGNAL,
        officer_id=OFFICER,
        desk=DESK,
    )
    await memory.scoped(LIEGE).translate(sentence, **PAIR)
    await memory.learn(
        sentence,
        "Le conducteur parlait français.",
        **PAIR,
        signal_id=SIGNAL,
        officer_id="staff:2",
        desk=DESK,
    )

    result = await memory.scoped(LIEGE).translate(sentence, **PAIR)

    assert result.text == "Le conducteur parlait français."


async def test_texts_with_unequal_sentences_are_remembered_whole(memory: MemoryBackend) -> None:
    kept = await memory.learn(
        DUTCH,
        "La camionnette, dont le conducteur parlait français, est restée deux jours.",
        **PAIR,
        signal_id=SIGNAL,
        officer_id=OFFICER,
        desk=DESK,
    )

    whole = await memory.scoped(LIEGE).translate(DUTCH, **PAIR)
    part = await memory.scoped(LIEGE).translate("De bestuurder sprak Frans.", **PAIR)

    assert kept == 1
    assert whole.text.startswith("La camionnette, dont")
    assert part.provenance.kind == "original"


async def test_a_glossary_term_alone_is_translated_as_the_glossary_gives_it(
    memory: MemoryBackend,
) -> None:
    result = await memory.scoped(LIEGE).translate("Ondermijning.", **PAIR)

    assert (result.text, result.provenance) == (
        "Criminalité déstabilisante.",
        Provenance("memory", engine="glossary"),
    )


async def test_forgetting_a_correction_stops_serving_it(memory: MemoryBackend) -> None:
    await memory.learn(DUTCH, FRENCH, **PAIR, signal_id=SIGNAL, officer_id=OFFICER, desk=DESK)
    await memory.scoped(LIEGE).translate(DUTCH, **PAIR)

    removed = await memory.forget(DUTCH, **PAIR)
    result = await memory.scoped(LIEGE).translate(DUTCH, **PAIR)

    assert removed == 2
    assert result.provenance.kind == "original"


async def test_blank_text_and_text_in_the_target_language_come_back_as_they_are(
    memory: MemoryBackend,
) -> None:
    for text, source in (("  \n", "nl"), (DUTCH, "fr")):
        result = await memory.scoped(LIEGE).translate(text, source=source, target="fr")
        assert (result.text, result.provenance.kind) == (text, "original")
    assert (
        await memory.learn(
            DUTCH, DUTCH, source="nl", target="nl", signal_id=SIGNAL, officer_id=OFFICER, desk=DESK
        )
        == 0
    )


async def test_a_correction_needs_a_translation(memory: MemoryBackend) -> None:
    with pytest.raises(ValueError, match="needs a translation"):
        await memory.learn(DUTCH, "  ", **PAIR, signal_id=SIGNAL, officer_id=OFFICER, desk=DESK)


# --- at rest ----------------------------------------------------------------------------------


async def test_the_memory_is_sealed_at_rest_and_keyed_by_a_keyed_hash(
    layout: DataDir, store: Store, memory: MemoryBackend
) -> None:
    await memory.learn(DUTCH, FRENCH, **PAIR, signal_id=SIGNAL, officer_id=OFFICER, desk=DESK)
    await store.close()

    on_disk = b"".join(path.read_bytes() for path in layout.root.glob("euregate.db*"))
    for sentence in (*DUTCH.split(". "), *FRENCH.split(". ")):
        for form in (sentence, sentence.casefold()):
            assert form.encode() not in on_disk
    with sqlite3.connect(layout.database) as conn:
        rows = conn.execute(
            "SELECT source_language, target_language, source_key, officer_id, created_at "
            "FROM translation_memory"
        ).fetchall()
    keys = {row[2] for row in rows}
    assert keys == {
        memory.lookup_key(s, source="nl", target="fr")
        for s in ("De bestelbus stond twee dagen op de Boschstraat.", "De bestuurder sprak Frans.")
    }
    assert all(len(key) == 64 and int(key, 16) >= 0 for key in keys)
    assert {(r[0], r[1], r[3], r[4]) for r in rows} == {("nl", "fr", OFFICER, timestamp(NOW))}


async def test_the_lookup_key_depends_on_the_master_key_not_only_on_the_text(
    store: Store, memory: MemoryBackend
) -> None:
    other = MemoryBackend(store, MasterKey.generate())

    mine = memory.lookup_key(DUTCH, source="nl", target="fr")
    assert mine != other.lookup_key(DUTCH, source="nl", target="fr")
    assert mine == memory.lookup_key("  " + DUTCH.upper(), source="nl", target="fr")


async def test_a_memory_sealed_under_another_master_key_serves_nothing(
    store: Store, memory: MemoryBackend
) -> None:
    await memory.learn(DUTCH, FRENCH, **PAIR, signal_id=SIGNAL, officer_id=OFFICER, desk=DESK)
    other = MemoryBackend(store, MasterKey.generate())

    result = await other.scoped(LIEGE).translate(DUTCH, **PAIR)

    assert result.provenance.kind == "original"


async def test_a_correction_learnt_elsewhere_is_served_here(
    store: Store, master_key: MasterKey, memory: MemoryBackend, clock: FixedClock
) -> None:
    """The CLI releases a review in its own process; the running server must see it."""
    assert (await memory.scoped(LIEGE).translate(DUTCH, **PAIR)).provenance.kind == "original"
    elsewhere = MemoryBackend(store, master_key)
    clock.set(NOW + timedelta(minutes=5))
    await elsewhere.learn(DUTCH, FRENCH, **PAIR, signal_id=SIGNAL, officer_id=OFFICER, desk=DESK)

    result = await memory.scoped(LIEGE).translate(DUTCH, **PAIR)

    assert result.text == FRENCH


async def test_a_confirmation_made_elsewhere_is_seen_here_at_the_same_moment(
    store: Store, master_key: MasterKey, memory: MemoryBackend
) -> None:
    """A confirmation changes neither the number of entries nor, on a clock that stands still,
    the time: the revision it raises is what tells the running server."""
    sentence = "De bestuurder sprak Frans."
    german_desk = MemoryScope("de-pol-aachen", "DE", reviewed=True)
    await memory.learn(sentence, FRENCH, **PAIR, signal_id=SIGNAL, officer_id=OFFICER, desk=DESK)
    before = await memory.scoped(german_desk).translate(sentence, **PAIR)
    elsewhere = MemoryBackend(store, master_key)
    (entry,) = await elsewhere.entries_of(DESK)
    found = await elsewhere.entry(entry.id)
    assert found is not None
    event = events.MemoryConfirmed(
        by=refs.staff("j.peeters"),
        entry=entry.id,
        desk=DESK,
        author=entry.officer,
        source_language=entry.source_language,
        target_language=entry.target_language,
    )
    await elsewhere.confirm(found[0], found[1], officer_id="j.peeters", event=event)

    after = await memory.scoped(german_desk).translate(sentence, **PAIR)
    unreviewed = await memory.scoped(replace(german_desk, reviewed=False)).translate(
        sentence, **PAIR
    )

    assert before.provenance.kind == "original"
    assert (after.text, after.provenance.confirmed_by) == (FRENCH, "j.peeters")
    assert unreviewed.provenance.kind == "original"


# --- chained to a machine ----------------------------------------------------------------------


async def test_the_machine_translates_only_what_memory_lacks(
    chained: MemoryBackend, standin: LibreTranslateStandIn
) -> None:
    await chained.learn(DUTCH, FRENCH, **PAIR, signal_id=SIGNAL, officer_id=OFFICER, desk=DESK)
    plate, seen = "Hij had een Belgisch kenteken.", "Hij werd gezien in Visé."

    result = await chained.scoped(LIEGE).translate(
        f"{plate} De bestuurder sprak Frans.\n{seen}", **PAIR
    )

    assert result.text == (
        f"{tagged(plate, 'nl', 'fr')} Le conducteur parlait français.\n{tagged(seen, 'nl', 'fr')}"
    )
    assert result.provenance == Provenance(
        "machine", engine="memory+libretranslate", version="1.6.2"
    )
    assert standin.translations_asked == [[plate, seen]]  # one request for both


async def test_a_text_memory_knows_nothing_of_is_the_machines_alone(
    chained: MemoryBackend, standin: LibreTranslateStandIn
) -> None:
    result = await chained.scoped(LIEGE).translate(DUTCH, **PAIR)

    assert result.provenance == Provenance("machine", engine="libretranslate", version="1.6.2")
    assert result.text == tagged(DUTCH, "nl", "fr")
    assert standin.translations_asked == [DUTCH]


async def test_a_text_memory_knows_wholly_never_reaches_the_machine(
    chained: MemoryBackend, standin: LibreTranslateStandIn
) -> None:
    await chained.learn(DUTCH, FRENCH, **PAIR, signal_id=SIGNAL, officer_id=OFFICER, desk=DESK)

    result = await chained.scoped(LIEGE).translate(DUTCH, **PAIR)

    assert result.provenance == MEMORY
    assert standin.translations_asked == []


async def test_a_machine_that_is_down_makes_the_chain_unavailable(
    chained: MemoryBackend, standin: LibreTranslateStandIn
) -> None:
    standin.mode = "fail"

    with pytest.raises(TranslationUnavailable):
        await chained.scoped(LIEGE).translate(DUTCH, **PAIR)


async def test_a_chain_to_no_translation_keeps_the_text_as_written(
    store: Store, master_key: MasterKey
) -> None:
    backend = MemoryBackend(store, master_key, machine=NoTranslation())

    result = await backend.scoped(LIEGE).translate(DUTCH, **PAIR)

    assert (result.text, result.provenance.kind) == (DUTCH, "original")


# --- configuration -------------------------------------------------------------------------------


async def test_the_default_settings_give_the_memory_backend(
    store: Store, master_key: MasterKey
) -> None:
    backend = backend_from_settings(Settings(), store=store, master_key=master_key)

    assert isinstance(backend, MemoryBackend)
    assert backend.machine is None


async def test_settings_chain_memory_to_libretranslate_with_the_key_from_its_file(
    store: Store,
    master_key: MasterKey,
    standin: LibreTranslateStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    standin.api_key = "from-the-file"
    key_file = tmp_path / "libretranslate.key"
    key_file.write_text("from-the-file\n", encoding="utf-8")
    monkeypatch.setenv("EUREGATE_TRANSLATOR", "memory")
    monkeypatch.setenv("EUREGATE_LIBRETRANSLATE_URL", standin.url)
    monkeypatch.setenv("EUREGATE_LIBRETRANSLATE_ALLOW_HTTP", "true")
    monkeypatch.setenv("EUREGATE_LIBRETRANSLATE_API_KEY_FILE", str(key_file))

    backend = backend_from_settings(Settings(), store=store, master_key=master_key)
    try:
        result = await backend.translate("Hij had een Belgisch kenteken.", **PAIR)
    finally:
        await backend.close()  # type: ignore[attr-defined]

    assert backend.name == "memory+libretranslate"
    assert result.provenance.engine == "libretranslate"
    assert standin.received[-1]["api_key"] == "from-the-file"


def test_the_none_backend_needs_nothing_and_memory_needs_the_store_and_key() -> None:
    assert isinstance(build_backend("none"), NoTranslation)
    with pytest.raises(ValueError, match="store and the master key"):
        build_backend("memory")
