"""Untranslated text never leaves silently: the officer's choice per field, and what the
recipient's rendering says of a text in a language it does not read or of one withheld."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import MultiDict

from gateway.contract.partners import Partner
from gateway.decide.policy import decide
from gateway.edges.web.liaison import posted_release
from gateway.flow.prepare import Released, with_released
from gateway.flow.release_choices import (
    FieldChoice,
    UntranslatedField,
    release_choices,
    untranslated_fields,
)
from gateway.infra.errors import CorrectionInvalid, ReleaseChoiceConflict, UntranslatedUnresolved
from gateway.minimise import FREE_TEXT_POINTERS, apply, pseudonym_key
from gateway.render.renderer import RenderedDocument, render
from gateway.translate.types import Provenance, TranslatedText
from tests.test_render import PARTNERS, PROPERTY, RECEIVED, SECRET, example, policy

FRENCH_SUMMARY = "Déchets de production de drogues déversés le long de la Lage Kanaaldijk"
HUMAN = Provenance("human", officer="m.dubois", at="2026-10-14T06:30:00Z")
LIMIT = 10_000
SHARED = policy(
    """
[[rule]]
id = "20"
title = "Everything to every partner"
verdict = "deliver"

[rule.match]

[rule.outcomes]
"*" = "share"
"""
)


def text(language: str, kind: str = "machine") -> TranslatedText:
    return TranslatedText(f"text in {language}", language, Provenance(kind))  # type: ignore[arg-type]


# --- which fields need a choice --------------------------------------------------------------


def test_a_text_left_in_the_senders_language_needs_a_choice_and_a_translation_does_not() -> None:
    texts = {"/summary": text("fr"), "/description": text("nl", "original")}
    found = untranslated_fields(texts, held=(), source_language="nl", readable=("fr",))
    assert found == (UntranslatedField("/description", "nl"),)


def test_held_text_needs_a_choice_only_when_the_recipient_cannot_read_it() -> None:
    held = ("/summary", "/description")
    for_liege = untranslated_fields({}, held=held, source_language="nl", readable=("fr",))
    assert [f.pointer for f in for_liege] == ["/description", "/summary"]
    assert {f.language for f in for_liege} == {"nl"}
    for_lanaken = untranslated_fields({}, held=held, source_language="nl", readable=("nl",))
    assert for_lanaken == ()


def test_a_reader_of_several_languages_reads_each_of_them() -> None:
    texts = {"/summary": text("fr", "original"), "/description": text("de")}
    assert untranslated_fields(texts, held=(), source_language="fr", readable=("de", "fr")) == ()


# --- the choices -----------------------------------------------------------------------------

POINTERS = st.lists(st.sampled_from(FREE_TEXT_POINTERS), unique=True)
FATES = st.sampled_from([*FieldChoice, None])


@PROPERTY
@given(untranslated=POINTERS, fates=st.lists(FATES, min_size=3, max_size=3))
def test_a_release_goes_through_exactly_when_every_untranslated_field_has_a_choice(
    untranslated: list[str], fates: list[FieldChoice | None]
) -> None:
    chosen = dict(zip(FREE_TEXT_POINTERS, fates, strict=True))
    translated = {p: "texte" for p, c in chosen.items() if c is FieldChoice.TRANSLATED}
    as_written = [p for p, c in chosen.items() if c is FieldChoice.AS_WRITTEN]
    withheld = [p for p, c in chosen.items() if c is FieldChoice.WITHHELD]
    fields = [UntranslatedField(p, "nl") for p in untranslated]
    unresolved = sorted(p for p in untranslated if chosen[p] is None)
    call: dict[str, Any] = {
        "as_written": as_written,
        "withheld": withheld,
        "fields": FREE_TEXT_POINTERS,
        "untranslated": fields,
        "limit": LIMIT,
    }
    if unresolved:
        with pytest.raises(UntranslatedUnresolved) as refused:
            release_choices(translated, **call)
        listed = refused.value.extensions()["untranslated"]
        assert sorted(f["pointer"] for f in listed) == unresolved  # type: ignore[attr-defined]
        return
    choices = release_choices(translated, **call)
    assert {p: choices.choice(p) for p in FREE_TEXT_POINTERS} == chosen


@pytest.mark.parametrize(
    ("translated", "as_written", "withheld"),
    [
        ({"/description": "x"}, ["/description"], []),
        ({}, ["/description"], ["/description"]),
        ({"/description": "x"}, [], ["/description"]),
    ],
)
def test_one_field_gets_one_fate(
    translated: dict[str, str], as_written: list[str], withheld: list[str]
) -> None:
    with pytest.raises(ReleaseChoiceConflict) as refused:
        release_choices(
            translated,
            as_written=as_written,
            withheld=withheld,
            fields=FREE_TEXT_POINTERS,
            untranslated=(),
            limit=LIMIT,
        )
    assert refused.value.extensions() == {"pointer": "/description"}


@pytest.mark.parametrize(
    ("translated", "as_written"),
    [({"/persons/0/family_name": "x"}, []), ({}, ["/location/street"]), ({"/summary": "  "}, [])],
)
def test_a_choice_names_a_free_text_of_the_copy_and_a_translation_holds_text(
    translated: dict[str, str], as_written: list[str]
) -> None:
    with pytest.raises(CorrectionInvalid):
        release_choices(
            translated,
            as_written=as_written,
            fields=("/summary",),
            untranslated=(),
            limit=LIMIT,
        )


# --- what the recipient reads ----------------------------------------------------------------


def for_recipient(
    recipient: str, released: Released, *, source_translations: bool = False
) -> RenderedDocument:
    """Maastricht's signal as ``recipient`` reads it once an officer released ``released``."""
    signal = example()
    partner = PARTNERS[recipient]
    decision = decide(signal, PARTNERS["nl-gem-maastricht"], partner, SHARED)
    view = with_released(
        apply(signal, decision, pseudonym_key=pseudonym_key(SECRET, partner.id)), released
    )
    return render(view, partner, decision, translations=released.texts, received_at=RECEIVED)


def field(document: RenderedDocument, pointer: str) -> dict[str, Any]:
    found = [
        item
        for section in document.as_json()["sections"]  # type: ignore[attr-defined]
        for item in section["fields"]
        if item["pointer"] == pointer
    ]
    assert len(found) == 1, pointer
    return dict(found[0])


def test_a_text_sent_as_written_is_marked_in_the_recipients_language_in_text_and_json() -> None:
    description = example().description
    assert description is not None
    released = Released(
        {
            "/summary": TranslatedText(FRENCH_SUMMARY, "fr", HUMAN),
            "/description": TranslatedText(description, "nl", Provenance("original")),
        }
    )
    document = for_recipient("be-pol-liege", released)

    shown = field(document, "/description")
    assert shown["value"] == description
    assert shown["untranslated"] == {
        "language": "nl",
        "marker": "[tel que rédigé, en néerlandais]",
    }
    assert "untranslated" not in field(document, "/summary")
    assert "Description\u00a0: \n    [tel que rédigé, en néerlandais] Een getuige" in (
        document.as_text()
    )
    language = field(document, "/language")
    assert language["value"] == "français (Résumé), néerlandais (Description)"
    assert language["code"] == "nl"
    assert "Langue du texte\u00a0: français (Résumé), néerlandais (Description)" in (
        document.as_text()
    )


def test_the_language_line_names_the_language_sent_and_the_one_it_was_written_in() -> None:
    released = Released(
        {"/summary": TranslatedText("Drogenabfälle an der Lage Kanaaldijk", "de", HUMAN)},
        withheld=("/description",),
    )
    document = for_recipient("de-pol-aachen", released)
    language = field(document, "/language")
    assert (language["value"], language["note"]) == ("Deutsch", "verfasst auf Niederländisch")
    assert "Sprache des Textes: Deutsch (verfasst auf Niederländisch)" in document.as_text()


def test_a_withheld_text_is_absent_and_listed_as_withheld() -> None:
    released = Released(
        {"/summary": TranslatedText(FRENCH_SUMMARY, "fr", HUMAN)}, withheld=("/description",)
    )
    document = for_recipient("be-pol-liege", released)
    shown = field(document, "/description")
    assert shown["value"] is None
    assert shown["note"] == "retenu par un officier de liaison, non traduit"
    assert "Description\u00a0: (retenu par un officier de liaison, non traduit)" in (
        document.as_text()
    )
    assert "Een getuige" not in document.as_text()


def test_withholding_takes_the_text_out_of_the_view_itself() -> None:
    signal = example()
    partner = PARTNERS["be-pol-liege"]
    decision = decide(signal, PARTNERS["nl-gem-maastricht"], partner, SHARED)
    view = apply(signal, decision, pseudonym_key=pseudonym_key(SECRET, partner.id))
    held = replace(view, held=("/description",))
    released = with_released(held, Released({}, withheld=("/description",)))
    assert "description" not in released.document
    assert (released.held, released.withheld_texts) == ((), ("/description",))


READERS = st.sampled_from(["nl-pol-limburg", "be-pol-liege", "be-gem-eupen", "de-pol-aachen"])


@PROPERTY
@given(
    recipient=READERS,
    languages=st.lists(st.sampled_from(["nl", "fr", "de", "en"]), min_size=2, max_size=2),
)
def test_every_text_in_a_language_the_recipient_does_not_read_is_marked_and_no_other(
    recipient: str, languages: list[str]
) -> None:
    partner: Partner = PARTNERS[recipient]
    texts = {
        pointer: TranslatedText(f"text {language}", language, HUMAN)
        for pointer, language in zip(("/summary", "/description"), languages, strict=True)
    }
    document = for_recipient(recipient, Released(texts))
    for pointer, sent in texts.items():
        shown = field(document, pointer)
        marked = sent.language not in partner.languages
        assert ("untranslated" in shown) == marked
        assert (f"] {sent.text}" in document.as_text()) == marked


def test_what_an_officer_released_before_fields_could_be_withheld_still_opens() -> None:
    kept = {"/summary": {"text": FRENCH_SUMMARY, "language": "fr", "provenance": HUMAN.as_json()}}
    assert Released.from_json(kept) == Released(
        {"/summary": TranslatedText(FRENCH_SUMMARY, "fr", HUMAN)}
    )
    both = Released({"/summary": TranslatedText(FRENCH_SUMMARY, "fr", HUMAN)}, ("/description",))
    assert Released.from_json(both.as_json()) == both


def test_on_the_page_a_choice_wins_over_the_text_and_a_changed_text_is_a_translation() -> None:
    form = MultiDict(
        [
            ("text:/summary", "Résumé traduit\r\n"),
            ("shown:/summary", "Samenvatting"),
            ("text:/description", "Beschrijving, half vertaald"),
            ("shown:/description", "Beschrijving"),
            ("choice:/description", "as_written"),
            ("text:/handling_conditions", "Voorwaarden"),
            ("shown:/handling_conditions", "Voorwaarden"),
            ("choice:/handling_conditions", "withheld"),
        ]
    )
    posted = posted_release(form)
    assert posted.corrections == {"/summary": "Résumé traduit"}
    assert (posted.as_written, posted.withheld) == (["/description"], ["/handling_conditions"])
    assert posted.choices == {"/description": "as_written", "/handling_conditions": "withheld"}
    assert posted.texts["/description"] == "Beschrijving, half vertaald"
