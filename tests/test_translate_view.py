"""Translating a recipient's view: only the free text it shows, never what was held or redacted.

A recording backend keeps every text it is asked to translate, so the tests can say what a
backend saw, for every signal the strategies draw and every decision a policy may make.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.contract.signal import Signal
from gateway.decide.decision import DataClass, Decision, Outcome, Verdict
from gateway.minimise import (
    FREE_TEXT_POINTERS,
    SUPPORTED_OUTCOMES,
    RecipientView,
    apply,
    effective_outcomes,
    pseudonym_key,
)
from gateway.translate import (
    NoTranslation,
    Provenance,
    TranslatedText,
    TranslationUnavailable,
    translate_view,
)
from tests.conftest import load_example
from tests.strategies import valid_signals

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RECIPIENT = "be-pol-liege"
KEY = pseudonym_key(bytes(range(32)), RECIPIENT)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MACHINE = Provenance("machine", engine="recording", version="1")


class RecordingBackend:
    """Translates by tagging, and remembers every text it was given."""

    name = "recording"

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def translate(self, text: str, *, source: str, target: str) -> TranslatedText:
        self.seen.append(text)
        return TranslatedText(f"[{target}] {text}", target, MACHINE)


class UnavailableBackend:
    name = "down"

    async def translate(self, text: str, *, source: str, target: str) -> TranslatedText:
        raise TranslationUnavailable("down: circuit open")


def parse(document: Mapping[str, Any]) -> Signal:
    return Signal.model_validate(document, context={"now": NOW})


def decision(outcomes: Mapping[DataClass, Outcome], verdict: Verdict = Verdict.DELIVER) -> Decision:
    return Decision(RECIPIENT, verdict, dict(outcomes), (), "0" * 64)


def sharing_all(free_text: Outcome = Outcome.SHARE) -> dict[DataClass, Outcome]:
    return dict.fromkeys(DataClass, Outcome.SHARE) | {DataClass.FREE_TEXT: free_text}


def decisions() -> st.SearchStrategy[Decision]:
    outcomes = {c: st.sampled_from(sorted(SUPPORTED_OUTCOMES[c])) for c in DataClass}
    return st.tuples(
        st.fixed_dictionaries(outcomes), st.sampled_from([Verdict.DELIVER, Verdict.REVIEW])
    ).map(lambda drawn: decision(drawn[0], drawn[1]))


def free_texts(document: Mapping[str, Any]) -> dict[str, str]:
    return {
        f"/{name}": document[name]
        for name in ("summary", "description", "handling_conditions")
        if isinstance(document.get(name), str)
    }


def translated(view: RecipientView, backend: Any, target: str = "fr") -> dict[str, TranslatedText]:
    return asyncio.run(translate_view(view, target, "nl", backend))


# --- for every signal and decision -----------------------------------------------------------


@PROPERTY
@given(document=valid_signals(NOW), chosen=decisions())
def test_nothing_held_or_redacted_ever_reaches_a_backend(
    document: dict[str, Any], chosen: Decision
) -> None:
    signal = parse(document)
    view = apply(signal, chosen, pseudonym_key=KEY)
    backend = RecordingBackend()

    result = translated(view, backend)

    shown = {p: t for p, t in free_texts(view.document).items() if t.strip()}
    if effective_outcomes(signal, chosen)[DataClass.FREE_TEXT] is not Outcome.SHARE:
        assert shown == {}
        assert backend.seen == []
    assert sorted(backend.seen) == sorted(shown.values())
    assert set(result) == set(shown)
    assert not set(result) & set(view.held)


@PROPERTY
@given(document=valid_signals(NOW))
def test_shared_free_text_is_all_translated_with_its_provenance(document: dict[str, Any]) -> None:
    signal = parse(document)
    view = apply(signal, decision(sharing_all()), pseudonym_key=KEY)

    result = translated(view, RecordingBackend())

    for pointer, text in free_texts(view.document).items():
        if text.strip():
            assert result[pointer] == TranslatedText(f"[fr] {text}", "fr", MACHINE)


# --- cases written out --------------------------------------------------------------------------


@pytest.fixture
def dutch() -> Signal:
    document = load_example("nl-drug-waste-maastricht.json")
    document["handling_code"] = "H3"
    document["handling_conditions"] = "Niet doorgeven zonder toestemming van de afzender."
    document["description"] = "Drugsafval gevonden in een bosperceel bij de grens."
    return parse(document)


@pytest.mark.parametrize("outcome", [Outcome.HOLD, Outcome.REDACT])
def test_held_or_redacted_free_text_is_not_sent(dutch: Signal, outcome: Outcome) -> None:
    view = apply(dutch, decision(sharing_all(outcome)), pseudonym_key=KEY)
    backend = RecordingBackend()

    result = translated(view, backend)

    assert result == {}
    assert backend.seen == []


def test_a_held_pointer_is_skipped_even_when_its_text_is_in_the_document(dutch: Signal) -> None:
    view = apply(dutch, decision(sharing_all()), pseudonym_key=KEY)
    tampered = dataclasses.replace(view, held=("/description",))
    backend = RecordingBackend()

    result = translated(tampered, backend)

    assert "/description" not in result
    assert dutch.description not in backend.seen
    assert set(result) == {"/summary", "/handling_conditions"}


def test_withheld_free_text_sends_nothing_even_when_text_is_in_the_document(
    dutch: Signal,
) -> None:
    view = apply(dutch, decision(sharing_all()), pseudonym_key=KEY)
    tampered = dataclasses.replace(view, withheld=(DataClass.FREE_TEXT,))
    backend = RecordingBackend()

    assert translated(tampered, backend) == {}
    assert backend.seen == []


def test_a_backend_that_is_down_leaves_the_text_as_written(dutch: Signal) -> None:
    view = apply(dutch, decision(sharing_all()), pseudonym_key=KEY)

    result = translated(view, UnavailableBackend())

    assert result["/summary"] == TranslatedText(dutch.summary, "nl", Provenance("original"))
    assert len(result) == 3


def test_the_none_backend_marks_every_text_untranslated(dutch: Signal) -> None:
    view = apply(dutch, decision(sharing_all()), pseudonym_key=KEY)

    result = translated(view, NoTranslation())

    assert {t.provenance.kind for t in result.values()} == {"original"}
    assert {t.language for t in result.values()} == {"nl"}


def test_the_free_text_pointers_are_those_of_the_spec() -> None:
    assert FREE_TEXT_POINTERS == ("/summary", "/description", "/handling_conditions")
