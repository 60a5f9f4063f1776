"""Indicators and colours as a reader at the recipient reads them: in its own language.

The goal of Signal 1.1: with the free text withheld, the rewritten examples are still
understandable to a French- or German-reading officer, because what was seen travels as codes
that each recipient reads in its language, with their definitions.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.contract import codelists
from gateway.contract.partners import DEMO_NETWORK, Partner
from gateway.contract.signal import Signal
from gateway.decide.decision import DataClass, Decision, Outcome, Verdict
from gateway.infra.i18n import LANGUAGES, translate
from gateway.minimise import apply, pseudonym_key
from gateway.render import labels
from gateway.render.renderer import HEADINGS, RenderedDocument, render
from tests.conftest import EXAMPLES
from tests.strategies import valid_signals

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PARTNERS = {partner.id: partner for partner in DEMO_NETWORK}
READERS = {"fr": PARTNERS["be-pol-liege"], "de": PARTNERS["de-pol-aachen"]}
REWRITTEN = ("nl-drug-waste-maastricht", "be-cannabis-lanaken", "de-shisha-aachen")
INDICATORS = codelists.load("indicator")
DUTCH_LABELS = {code.labels["nl"] for code in INDICATORS.codes} | {
    group.labels["nl"] for group in INDICATORS.groups
}


def signal_of(document: dict[str, Any]) -> Signal:
    return Signal.model_validate(document, context={"now": NOW})


def example(name: str) -> Signal:
    return signal_of(json.loads((EXAMPLES / f"{name}.json").read_text("utf-8")))


def everything_but(withheld: set[DataClass], recipient: Partner) -> Decision:
    outcomes = {c: Outcome.REDACT if c in withheld else Outcome.SHARE for c in DataClass}
    return Decision(recipient.id, Verdict.DELIVER, outcomes, (), "0" * 64)


def rendered(signal: Signal, recipient: Partner, withheld: set[DataClass]) -> RenderedDocument:
    decision = everything_but(withheld, recipient)
    key = pseudonym_key(bytes(range(32)), recipient.id)
    return render(apply(signal, decision, pseudonym_key=key), recipient, decision)


def reader(language: str) -> Partner:
    """A recipient reading ``language``; English is no demo partner's, so one is made."""
    return READERS.get(language) or dataclasses.replace(
        PARTNERS["nl-pol-limburg"], languages=(language,)
    )


def indicator_fields(document: RenderedDocument) -> dict[str, dict[str, Any]]:
    [section] = [s for s in document.as_json()["sections"] if s["pointer"] == "/indicators"]
    return {field["pointer"]: field for field in section["fields"]}


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize("name", REWRITTEN)
def test_with_free_text_withheld_every_indicator_reads_in_the_reader_s_language(
    name: str, language: str
) -> None:
    signal = example(name)
    document = rendered(signal, READERS[language], {DataClass.FREE_TEXT})
    text = document.as_text()
    fields = indicator_fields(document)
    assert len(fields) == len(signal.indicators) >= 2
    for index, indicator in enumerate(signal.indicators):
        label = labels.label("indicator", indicator.code, language)
        definition = labels.definition("indicator", indicator.code, language)
        group = labels.group("indicator", indicator.code, language)
        field = fields[f"/indicators/{index}"]
        assert field["code"] == indicator.code
        assert field["value"].startswith(label)
        assert field["definition"] == definition
        assert group is not None
        assert field["label"].casefold() == group.casefold()
        assert label in text
        assert definition is not None
        assert definition in text
    assert translate(HEADINGS["indicators"], language) in text
    leaked = sorted(dutch for dutch in DUTCH_LABELS if dutch in text)
    assert leaked == []
    assert signal.summary not in text
    assert all(part not in text for part in (signal.description or "").split("\n"))


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize("name", ["nl-drug-waste-maastricht", "be-cannabis-lanaken"])
def test_a_vehicle_s_colour_reads_in_the_reader_s_language(name: str, language: str) -> None:
    signal = example(name)
    document = rendered(signal, READERS[language], {DataClass.FREE_TEXT})
    [vehicle] = signal.vehicles
    assert vehicle.colour is not None
    colour = [
        field
        for section in document.as_json()["sections"]
        for field in section["fields"]
        if field["pointer"] == "/vehicles/0/colour"
    ]
    assert colour == [
        {
            "pointer": "/vehicles/0/colour",
            "label": translate("Colour", language),
            "value": labels.label("colour", vehicle.colour, language),
            "provenance": {"kind": "original"},
            "code": vehicle.colour,
        }
    ]
    assert codelists.load("colour").entry(vehicle.colour).labels["nl"] not in document.as_text()


def test_a_signal_1_0_colour_in_words_is_shown_as_written() -> None:
    document = json.loads((EXAMPLES / "be-fr-liege-stockage.json").read_text("utf-8"))
    assert document["schema"] == "signal/1.0"
    text = rendered(signal_of(document), PARTNERS["de-pol-aachen"], set()).as_text()
    assert "Farbe: noir" in text
    assert "Farbe: gris" in text


def test_when_or_where_an_indicator_was_seen_and_whom_it_concerns_read_in_words() -> None:
    document = rendered(example("nl-drug-waste-maastricht"), READERS["fr"], set())
    fields = indicator_fields(document)
    assert fields["/indicators/1"]["value"] == (
        "camionnettes ou camions à des heures inhabituelles "
        "(constaté le 14 octobre 2026, au lieu L1, concerne V1)"
    )
    german = indicator_fields(rendered(example("de-shisha-aachen"), READERS["de"], set()))
    assert german["/indicators/0"]["value"] == (
        "bargeldintensiver Betrieb mit wenig sichtbarer Kundschaft (am Ort L1, betrifft O1)"
    )
    assert german["/indicators/0"]["label"] == "Geschäftsbetrieb"


def test_withheld_indicators_leave_no_section_and_say_so() -> None:
    document = rendered(example("be-cannabis-lanaken"), READERS["de"], {DataClass.INDICATOR})
    assert all(section.pointer != "/indicators" for section in document.sections)
    [notice] = [n for n in document.notices if n.data_class is DataClass.INDICATOR]
    assert notice.label == translate("indicators of undermining", "de")
    assert "Strom" not in document.as_text()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    document=valid_signals(NOW).filter(lambda d: d["schema"] != "signal/1.0"),
    codes=st.lists(st.sampled_from(codelists.codes("indicator")), min_size=1, max_size=6),
)
def test_any_signal_1_1_renders_every_indicator_and_colour_in_every_language(
    document: dict[str, Any], codes: list[str]
) -> None:
    document["indicators"] = [*document.get("indicators", ()), *({"code": c} for c in codes)]
    signal = signal_of(document)
    for language in LANGUAGES:
        result = rendered(signal, reader(language), set())
        fields = indicator_fields(result)
        assert len(fields) == len(signal.indicators)
        for index, indicator in enumerate(signal.indicators):
            field = fields[f"/indicators/{index}"]
            assert field["value"].startswith(labels.label("indicator", indicator.code, language))
            assert field["definition"] == labels.definition("indicator", indicator.code, language)
        for index, vehicle in enumerate(signal.vehicles):
            if vehicle.colour is not None:
                shown = labels.label("colour", vehicle.colour, language)
                assert f"/vehicles/{index}/colour" in {
                    f["pointer"]
                    for s in result.as_json()["sections"]
                    for f in s["fields"]
                    if f["value"] == shown
                }
