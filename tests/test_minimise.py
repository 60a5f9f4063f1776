"""Minimisation: what a recipient sees of a signal, class by class, under its decision.

Which member of a signal belongs to which data class is written out once more here, by hand, in
``members_by_class``, so that the tests check the implementation's table
(:mod:`gateway.minimise.classes`) instead of reusing it.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import math
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from gateway.contract import codelists
from gateway.contract.partners import DEMO_NETWORK, Partner
from gateway.contract.signal import Signal
from gateway.decide.decision import DataClass, Decision, Outcome, Verdict
from gateway.decide.policy import decide as policy_decide
from gateway.decide.policy import load_policy
from gateway.minimise import (
    FIELD_CLASSES,
    FREE_TEXT_POINTERS,
    NOT_FOR_RECIPIENTS,
    PERSON_IDENTIFIER_CLASSES,
    PERSON_IDENTIFIERS,
    PSEUDONYM_PATTERN,
    STRUCTURE,
    SUPPORTED_OUTCOMES,
    RecipientView,
    apply,
    classify,
    effective_outcomes,
    pseudonym_key,
    signal_document,
)
from gateway.minimise import pseudonyms as pseudonymise
from tests.conftest import EXAMPLES
from tests.strategies import valid_signals

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
MASTER_SECRET = bytes(range(32))
RECIPIENT = "nl-gem-maastricht"
KEY = pseudonym_key(MASTER_SECRET, RECIPIENT)
OTHER_KEY = pseudonym_key(MASTER_SECRET, "de-stadt-aachen")
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

C = DataClass
O = Outcome  # noqa: E741 - reads as a table below
EVERY_CLASS_BUT_OPERATIONAL = tuple(c for c in DataClass if c is not C.OPERATIONAL)
CLASSES_OF_FIELDS = tuple(c for c in EVERY_CLASS_BUT_OPERATIONAL if c is not C.SPECIAL_CATEGORY)
PSEUDONYMISABLE = (
    C.PERSON_IDENTITY,
    C.PERSON_NATIONAL_ID,
    C.PERSON_DOCUMENT,
    C.ORGANISATION,
    C.VEHICLE,
    C.FINANCIAL,
)
ENTITY_LISTS = ("persons", "organisations", "vehicles", "accounts")

# --- the data classes, by hand --------------------------------------------------------------

OPERATIONAL_MEMBERS = (
    "schema",
    "sender_reference",
    "language",
    "category",
    "urgency",
    "handling_code",
    "source_reliability",
    "information_reliability",
    "observed_at",
    "observed_until",
    "special_category_data",
    "purpose",
    "in_reply_to",
    "request",
)
FREE_TEXT_MEMBERS = ("handling_conditions", "summary", "description")
PLACE = ("country", "municipality_code", "municipality_name")
PRECISE = ("postal_code", "street", "house_number", "coordinates")
IDENTITY = (
    "role",
    "family_name",
    "given_names",
    "date_of_birth",
    "place_of_birth",
    "nationalities",
    "gender",
)
NATIONAL_NUMBERS = ("nl.bsn", "be.nn", "de.idnr")
ORGANISATION_MEMBERS = ("role", "name", "legal_form", "sector", "identifiers")
VEHICLE_MEMBERS = ("registration", "registration_country", "make", "model", "colour")


def members_by_class(document: Mapping[str, Any]) -> dict[DataClass, list[Any]]:
    """The values of a signal document (or a view) of each data class, as the spec lists them."""
    found: dict[DataClass, list[Any]] = {c: [] for c in DataClass}

    def put(data_class: DataClass, owner: Mapping[str, Any], members: tuple[str, ...]) -> None:
        found[data_class].extend(owner[m] for m in members if m in owner)

    put(C.OPERATIONAL, document, OPERATIONAL_MEMBERS)
    put(C.FREE_TEXT, document, FREE_TEXT_MEMBERS)
    put(C.OPERATIONAL, document.get("location", {}), PLACE)
    put(C.LOCATION_PRECISE, document.get("location", {}), PRECISE)
    for person in document.get("persons", ()):
        put(C.PERSON_IDENTITY, person, IDENTITY)
        for identifier in person.get("identifiers", ()):
            national = identifier["type"] in NATIONAL_NUMBERS
            found[C.PERSON_NATIONAL_ID if national else C.PERSON_DOCUMENT].append(identifier)
    for organisation in document.get("organisations", ()):
        put(C.ORGANISATION, organisation, ORGANISATION_MEMBERS)
        put(C.ORGANISATION, organisation.get("address", {}), PLACE)
        put(C.LOCATION_PRECISE, organisation.get("address", {}), PRECISE)
    for vehicle in document.get("vehicles", ()):
        put(C.VEHICLE, vehicle, VEHICLE_MEMBERS)
    for account in document.get("accounts", ()):
        put(C.FINANCIAL, account, ("iban",))
    for indicator in document.get("indicators", ()):
        put(C.INDICATOR, indicator, ("code", "date"))
    return found


def leaves(value: object) -> Iterator[object]:
    """Every string and number in ``value``; not the member names."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from leaves(item)
    elif not isinstance(value, bool):
        yield value


def structure(document: Mapping[str, Any]) -> set[object]:
    """Refs, account holders and link relations: values that belong to no class."""
    found: set[object] = {link[end] for link in document.get("links", ()) for end in link}
    for member in ENTITY_LISTS:
        for entity in document.get(member, ()):
            found |= {entity["ref"], entity.get("holder_ref")}
    places = [document.get("location", {})]
    places += [o.get("address", {}) for o in document.get("organisations", ())]
    found |= {place.get("ref") for place in places}
    for indicator in document.get("indicators", ()):
        found |= {indicator.get("location_ref"), indicator.get("entity_ref")}
    return found


def values_only_in(document: Mapping[str, Any], data_class: DataClass) -> set[object]:
    """The values of ``data_class`` that no other class (and no ref or relation) also holds."""
    by_class = members_by_class(document)
    elsewhere = set(leaves([v for c, v in by_class.items() if c is not data_class]))
    return set(leaves(by_class[data_class])) - elsewhere - structure(document)


# --- helpers ------------------------------------------------------------------------------


def parse(document: Mapping[str, Any]) -> Signal:
    return Signal.model_validate(document, context={"now": NOW})


def dump(signal: Signal) -> dict[str, Any]:
    return signal.model_dump(mode="json", by_alias=True, exclude_none=True)


def signals() -> st.SearchStrategy[Signal]:
    return valid_signals(NOW).map(parse)


def example(name: str) -> Signal:
    return parse(json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8")))


def decide(
    outcomes: Mapping[DataClass, Outcome] | None = None,
    *,
    otherwise: Outcome = O.SHARE,
    verdict: Verdict = Verdict.DELIVER,
    recipient: str = RECIPIENT,
) -> Decision:
    """A decision with ``outcomes``, ``otherwise`` for other classes; operational is shared."""
    every = dict.fromkeys(DataClass, otherwise) | {C.OPERATIONAL: O.SHARE} | dict(outcomes or {})
    return Decision(recipient, verdict, every, (), "0" * 64)


def only(*shared: DataClass, **outcomes: Outcome) -> Decision:
    """Operational and ``shared`` shared, ``outcomes`` by class name, everything else redacted."""
    named = {DataClass(name): outcome for name, outcome in outcomes.items()}
    return decide(dict.fromkeys(shared, O.SHARE) | named, otherwise=O.REDACT)


def view_of(signal: Signal, decision: Decision, key: bytes = KEY) -> RecipientView:
    return apply(signal, decision, pseudonym_key=key)


PSEUDONYMISE_ALL = only(
    special_category=O.SHARE, **{c.value: O.PSEUDONYMISE for c in PSEUDONYMISABLE}
)
REDACT_ALL = only(special_category=O.SHARE)


def pseudonyms(value: object) -> list[str]:
    """Every pseudonym in a view document."""
    if isinstance(value, Mapping):
        found = [value["pseudonym"]] if "pseudonym" in value else []
        return found + [p for k, v in value.items() if k != "pseudonym" for p in pseudonyms(v)]
    if isinstance(value, list):
        return [p for item in value for p in pseudonyms(item)]
    return []


def by_ref(view: Mapping[str, Any], member: str) -> dict[str, dict[str, Any]]:
    return {entity["ref"]: entity for entity in view.get(member, ())}


def locations(document: Mapping[str, Any], view: Mapping[str, Any]) -> Iterator[tuple[Any, Any]]:
    """Each location of a signal with its form in the view: the signal's, organisations'."""
    yield document["location"], view["location"]
    shown = by_ref(view, "organisations")
    for organisation in document.get("organisations", ()):
        if "address" in organisation and organisation["ref"] in shown:
            yield organisation["address"], shown[organisation["ref"]]["address"]


def kilometres(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Great-circle distance on a sphere of radius 6371 km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a["lat"], a["lon"], b["lat"], b["lon"]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


def decimals(number: float) -> int:
    text = json.dumps(number)
    return len(text.split(".")[1]) if "." in text else 0


def pseudonymous(entity: Mapping[str, Any]) -> bool:
    """Shown under pseudonyms only: nothing but a ref, a role, pseudonyms and identifier types."""
    plain = set(entity) <= {"ref", "role", "pseudonym", "identifiers", "holder_ref"}
    return plain and all(set(i) == {"type", "pseudonym"} for i in entity.get("identifiers", ()))


# --- the table -----------------------------------------------------------------------------


def _nested(annotation: object) -> tuple[type[BaseModel] | None, bool]:
    """The model inside a field's annotation, and whether the field is a list of them."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    for argument in get_args(annotation):
        model, _ = _nested(argument)
        if model is not None:
            return model, get_origin(annotation) is tuple
    return None, False


def member_patterns(model: type[BaseModel], pointer: str = "") -> Iterator[str]:
    """Every member of ``model`` down to where the table names it as a whole."""
    for name, field in model.model_fields.items():
        child = f"{pointer}/{field.alias or name}"
        nested, listed = _nested(field.annotation)
        known = FIELD_CLASSES.keys() | STRUCTURE | NOT_FOR_RECIPIENTS
        element = f"{child}/*" if listed else child
        if child in known or nested is None or element == PERSON_IDENTIFIERS:
            yield element if element == PERSON_IDENTIFIERS else child
        else:
            yield from member_patterns(nested, element)


def test_every_member_of_a_signal_has_a_data_class_or_joins_entities() -> None:
    patterns = list(member_patterns(Signal))
    known = FIELD_CLASSES.keys() | STRUCTURE | NOT_FOR_RECIPIENTS | {PERSON_IDENTIFIERS}
    assert [p for p in patterns if p not in known] == []
    assert set(FIELD_CLASSES) | STRUCTURE | NOT_FOR_RECIPIENTS <= set(patterns)
    assert not (FIELD_CLASSES.keys() & STRUCTURE)


def test_the_free_text_pointers_are_every_free_text_member_of_the_table() -> None:
    assert set(FREE_TEXT_POINTERS) == {f"/{member}" for member in FREE_TEXT_MEMBERS}
    assert len(FREE_TEXT_POINTERS) == len(FREE_TEXT_MEMBERS)


def test_every_kind_of_person_identifier_has_a_data_class() -> None:
    assert set(PERSON_IDENTIFIER_CLASSES) == set(codelists.codes("person_identifier_type"))
    assert {k for k, c in PERSON_IDENTIFIER_CLASSES.items() if c is C.PERSON_NATIONAL_ID} == set(
        NATIONAL_NUMBERS
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"location": {"country": "NL", "altitude": 50}},
            "no data class for the member at /location/altitude",
        ),
        (
            {"persons": [{"ref": "P1", "identifiers": [{"type": "lu.matricule"}]}]},
            "no data class for person identifiers of type 'lu.matricule'",
        ),
        (
            {"persons": [{"ref": "P1", "identifiers": [{"type": ["nl.bsn"]}]}]},
            "no data class for person identifiers of type ['nl.bsn']",
        ),
        (
            {"persons": [{"ref": "P1", "identifiers": [{"value": "123456782"}]}]},
            "no data class for person identifiers of type None",
        ),
    ],
)
def test_a_member_the_table_does_not_know_is_refused_naming_it(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        classify(document)


def test_every_class_can_be_redacted_and_only_free_text_held() -> None:
    assert SUPPORTED_OUTCOMES[C.OPERATIONAL] == {O.SHARE}
    assert all(O.REDACT in SUPPORTED_OUTCOMES[c] for c in EVERY_CLASS_BUT_OPERATIONAL)
    assert SUPPORTED_OUTCOMES[C.FREE_TEXT] == {O.SHARE, O.HOLD, O.REDACT}
    assert {c for c, outcomes in SUPPORTED_OUTCOMES.items() if O.HOLD in outcomes} == {C.FREE_TEXT}
    assert {c for c, o in SUPPORTED_OUTCOMES.items() if O.GENERALISE in o} == {
        C.LOCATION_PRECISE,
        C.PERSON_IDENTITY,
    }


def resolve(document: Any, pointer: str) -> Any:
    for part in pointer.split("/")[1:]:
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document


@PROPERTY
@given(signal=signals())
def test_the_table_puts_each_member_in_the_class_the_spec_gives(signal: Signal) -> None:
    document = dump(signal)
    classified: dict[DataClass, list[Any]] = {c: [] for c in DataClass}
    for pointer, data_class in classify(document).items():
        classified[data_class].append(resolve(document, pointer))
    expected = members_by_class(document)
    assert {c: sorted(map(repr, leaves(v))) for c, v in classified.items()} == {
        c: sorted(map(repr, leaves(v))) for c, v in expected.items()
    }


# --- share ---------------------------------------------------------------------------------


@PROPERTY
@given(signal=signals())
def test_sharing_every_class_shows_the_signal_as_sent_but_not_its_recipients(
    signal: Signal,
) -> None:
    view = view_of(signal, decide())
    expected = dump(signal)
    del expected["recipients"]
    assert view.document == expected
    assert view.withheld == view.held == view.generalised == view.pseudonymised == ()


@PROPERTY
@given(signal=signals(), data_class=st.sampled_from(CLASSES_OF_FIELDS))
def test_a_class_shared_alone_keeps_its_values_and_nothing_else_shows(
    signal: Signal, data_class: DataClass
) -> None:
    document = dump(signal)
    view = view_of(signal, only(data_class, special_category=O.SHARE))
    shown = members_by_class(view.document)
    if data_class is C.LOCATION_PRECISE:
        # an organisation's address goes with the organisation
        assert shown[data_class] == members_by_class({"location": document["location"]})[data_class]
    elif data_class is C.INDICATOR:
        # an indicator about an entity goes with the entity, and none is shown
        untied = [i for i in document.get("indicators", ()) if "entity_ref" not in i]
        assert shown[data_class] == members_by_class({"indicators": untied})[data_class]
    else:
        assert shown[data_class] == members_by_class(document)[data_class]
    others = [c for c in EVERY_CLASS_BUT_OPERATIONAL if c is not data_class]
    assert {c: shown[c] for c in others} == {c: [] for c in others}
    assert shown[C.OPERATIONAL] == members_by_class(document)[C.OPERATIONAL]


# --- redact --------------------------------------------------------------------------------


@PROPERTY
@given(signal=signals(), data_class=st.sampled_from(CLASSES_OF_FIELDS))
def test_a_redacted_class_leaves_no_value_anywhere_in_the_view(
    signal: Signal, data_class: DataClass
) -> None:
    view = view_of(signal, decide({data_class: O.REDACT}))
    secret = values_only_in(dump(signal), data_class)
    assert secret.isdisjoint(leaves(view.document))
    assert members_by_class(view.document)[data_class] == []
    assert view.withheld == (data_class,)


@PROPERTY
@given(signal=signals())
def test_the_withheld_classes_are_named_even_when_the_signal_held_nothing_of_them(
    signal: Signal,
) -> None:
    view = view_of(signal, decide({C.VEHICLE: O.REDACT, C.FINANCIAL: O.REDACT}))
    assert view.withheld == (C.VEHICLE, C.FINANCIAL)


@PROPERTY
@given(document=valid_signals(NOW))
def test_a_redacted_special_category_leaves_operational_data_only(document: dict[str, Any]) -> None:
    document["special_category_data"] = True
    signal = parse(document)
    view = view_of(signal, decide({C.SPECIAL_CATEGORY: O.REDACT}))
    assert view.withheld == EVERY_CLASS_BUT_OPERATIONAL
    assert view.held == view.generalised == view.pseudonymised == ()
    shown = members_by_class(view.document)
    assert {c: shown[c] for c in EVERY_CLASS_BUT_OPERATIONAL} == {
        c: [] for c in EVERY_CLASS_BUT_OPERATIONAL
    }
    assert all(view.document[member] == [] for member in (*ENTITY_LISTS, "links"))
    assert values_only_in(dump(signal), C.OPERATIONAL) <= set(leaves(view.document))


@PROPERTY
@given(document=valid_signals(NOW).filter(lambda d: not d["category"].startswith("care.")))
def test_the_special_category_outcome_counts_only_when_the_signal_has_such_data(
    document: dict[str, Any],
) -> None:
    document["special_category_data"] = False
    signal = parse(document)
    view = view_of(signal, decide({C.SPECIAL_CATEGORY: O.REDACT}))
    assert view == view_of(signal, decide())


def test_a_class_the_decision_does_not_name_is_redacted() -> None:
    signal = example("nl-drug-waste-maastricht")
    decision = Decision(RECIPIENT, Verdict.DELIVER, {C.OPERATIONAL: O.SHARE}, (), "0" * 64)
    assert view_of(signal, decision).withheld == (
        C.LOCATION_PRECISE,
        C.PERSON_IDENTITY,
        C.PERSON_NATIONAL_ID,
        C.PERSON_DOCUMENT,
        C.ORGANISATION,
        C.VEHICLE,
        C.FINANCIAL,
        C.INDICATOR,
        C.FREE_TEXT,
    )


# --- generalise ----------------------------------------------------------------------------


@PROPERTY
@given(signal=signals())
def test_a_generalised_location_keeps_the_postal_area_and_a_point_within_a_kilometre(
    signal: Signal,
) -> None:
    document = dump(signal)
    view = view_of(signal, decide({C.LOCATION_PRECISE: O.GENERALISE}))
    assert view.generalised == (C.LOCATION_PRECISE,)
    for original, shown in locations(document, view.document):
        assert "street" not in shown
        assert "house_number" not in shown
        assert {k: shown[k] for k in PLACE} == {k: original[k] for k in PLACE}
        if "postal_code" in original:
            code, area = original["postal_code"], shown["postal_code"]
            assert code.startswith(area)
            assert area == (code[:4] if original["country"] == "NL" else code)
        assert ("coordinates" in shown) == ("coordinates" in original)
        if "coordinates" in original:
            point = shown["coordinates"]
            assert kilometres(original["coordinates"], point) <= 1.0
            assert decimals(point["lat"]) <= 2
            assert decimals(point["lon"]) <= 2


@PROPERTY
@given(signal=signals())
def test_a_generalised_identity_keeps_the_names_and_only_the_year_of_birth(signal: Signal) -> None:
    document = dump(signal)
    view = view_of(signal, decide({C.PERSON_IDENTITY: O.GENERALISE}))
    assert view.generalised == (C.PERSON_IDENTITY,)
    shown = by_ref(view.document, "persons")
    for person in document.get("persons", ()):
        seen = shown[person["ref"]]
        if "date_of_birth" in person:
            assert seen["date_of_birth"] == person["date_of_birth"][:4]
            assert re.fullmatch("[0-9]{4}", seen["date_of_birth"])
        assert {k: seen.get(k) for k in IDENTITY if k != "date_of_birth"} == {
            k: person.get(k) for k in IDENTITY if k != "date_of_birth"
        }


# --- pseudonymise --------------------------------------------------------------------------


def identifying(document: Mapping[str, Any]) -> set[object]:
    """What the pseudonyms stand for: all of an entity but its ref, role and identifier types."""
    by_class = members_by_class(document)
    found: set[object] = set()
    for person in document.get("persons", ()):
        found |= set(leaves([person.get(k) for k in IDENTITY if k != "role"]))
    for data_class in (C.PERSON_NATIONAL_ID, C.PERSON_DOCUMENT):
        found |= set(leaves([(i["value"], i["issuing_country"]) for i in by_class[data_class]]))
    for organisation in document.get("organisations", ()):
        without_role = {k: v for k, v in organisation.items() if k not in ("ref", "role")}
        found |= set(leaves(without_role)) - {i["type"] for i in organisation["identifiers"]}
    found |= set(leaves(by_class[C.VEHICLE])) | set(leaves(by_class[C.FINANCIAL]))
    return found - {None}


@PROPERTY
@given(signal=signals())
def test_pseudonyms_reveal_nothing_of_what_they_stand_for(signal: Signal) -> None:
    document = dump(signal)
    view = view_of(signal, PSEUDONYMISE_ALL)
    without = view_of(signal, REDACT_ALL)
    secret = identifying(document) - set(leaves(without.document)) - structure(document)
    assert secret.isdisjoint(leaves(view.document))
    for alias in pseudonyms(view.document):
        assert re.fullmatch(PSEUDONYM_PATTERN, alias)
        assert not [s for s in secret if isinstance(s, str) and len(s) >= 6 and s in alias]
    assert view.pseudonymised == PSEUDONYMISABLE


@PROPERTY
@given(first=valid_signals(NOW), second=valid_signals(NOW))
def test_the_same_entities_get_the_same_pseudonyms_in_another_signal(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    for member in (*ENTITY_LISTS, "links"):
        second[member] = copy.deepcopy(first.get(member, []))
    one = view_of(parse(first), PSEUDONYMISE_ALL).document
    other = view_of(parse(second), PSEUDONYMISE_ALL).document
    assert {m: one[m] for m in (*ENTITY_LISTS, "links")} == {
        m: other[m] for m in (*ENTITY_LISTS, "links")
    }


@PROPERTY
@given(signal=signals())
def test_each_recipient_gets_its_own_pseudonyms(signal: Signal) -> None:
    mine = pseudonyms(view_of(signal, PSEUDONYMISE_ALL).document)
    theirs = pseudonyms(view_of(signal, PSEUDONYMISE_ALL, key=OTHER_KEY).document)
    assert len(mine) == len(theirs)
    assert set(mine).isdisjoint(theirs)


def person(**members: Any) -> dict[str, Any]:
    return {"ref": "P1", "role": "suspect", **members}


def with_persons(*people: dict[str, Any]) -> Signal:
    document = json.loads((EXAMPLES / "nl-drug-waste-maastricht.json").read_text("utf-8"))
    document.update(persons=list(people), links=[])
    return parse(document)


def person_pseudonym(**members: Any) -> str | None:
    view = view_of(with_persons(person(**members)), PSEUDONYMISE_ALL)
    shown: str | None = view.document["persons"][0].get("pseudonym")
    return shown


def test_a_person_gets_one_pseudonym_however_the_name_is_written() -> None:
    written = [
        {"family_name": "van der Berg", "given_names": "Jan-Willem"},
        {"family_name": "Van Der Berg", "given_names": "jan willem"},
        {"family_name": " van  der-Berg ", "given_names": "JAN WILLEM"},
    ]
    aliases = {person_pseudonym(date_of_birth="1990-02-03", **names) for names in written}
    assert len(aliases) == 1
    assert None not in aliases
    assert person_pseudonym(
        family_name="Müller", given_names="Jürgen", date_of_birth="1970"
    ) == person_pseudonym(family_name="MULLER", given_names="Jurgen", date_of_birth="1970")


def test_a_person_pseudonym_needs_names_and_date_of_birth() -> None:
    known = {"family_name": "Jansen", "given_names": "Piet", "date_of_birth": "1990-02-03"}
    assert person_pseudonym(**known) != person_pseudonym(**known | {"date_of_birth": "1990"})
    assert person_pseudonym(**known) != person_pseudonym(**known | {"given_names": "Pieter"})
    assert person_pseudonym(family_name="Jansen", given_names="Piet") is None
    assert person_pseudonym(family_name="Jansen", date_of_birth="1990-02-03") is None


def test_equal_numbers_of_different_kinds_get_different_pseudonyms() -> None:
    signal = with_persons(
        person(identifiers=[{"type": "passport", "value": "NX12345", "issuing_country": "NL"}]),
        person(
            ref="P2",
            identifiers=[{"type": "passport", "value": "NX12345", "issuing_country": "BE"}],
        ),
        person(
            ref="P3",
            identifiers=[{"type": "id_card", "value": "NX12345", "issuing_country": "NL"}],
        ),
    )
    aliases = pseudonyms(view_of(signal, PSEUDONYMISE_ALL).document["persons"])
    assert len(set(aliases)) == len(aliases) == 3


def documented_pseudonym(key: bytes, *kind_and_parts: str) -> str:
    """The pseudonym as the module's docstring defines it, worked out here on its own."""
    message = json.dumps(list(kind_and_parts), ensure_ascii=False, separators=(",", ":"))
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()[:20]
    return "psn:" + base64.b32encode(digest).decode().lower()


@pytest.mark.parametrize(
    ("alias", "kind_and_parts"),
    [
        (
            lambda: pseudonymise.person(
                KEY,
                {"family_name": "’s-Gravenvoeren", "given_names": "Zoë", "date_of_birth": "1984"},
            ),
            ("person", "s gravenvoeren", "zoe", "1984"),
        ),
        (
            lambda: pseudonymise.person(
                KEY,
                {"family_name": "Kierkegård", "given_names": "Søren", "date_of_birth": "1813"},
            ),
            ("person", "kierkegard", "søren", "1813"),
        ),
        (
            lambda: pseudonymise.person_identifier(
                KEY, {"type": "nl.bsn", "value": "1234 56 782"}, C.PERSON_NATIONAL_ID
            ),
            ("person_identifier", "nl.bsn", "123456782"),
        ),
        (
            lambda: pseudonymise.person_identifier(
                KEY,
                {"type": "passport", "value": "nx-12345", "issuing_country": "NL"},
                C.PERSON_DOCUMENT,
            ),
            ("person_identifier", "passport", "NL", "NX12345"),
        ),
        (
            lambda: pseudonymise.organisation(KEY, {"name": "Nargile  Lounge-Aachen GmbH"}),
            ("organisation", "nargile lounge aachen gmbh"),
        ),
        (
            lambda: pseudonymise.organisation_identifier(
                KEY, {"type": "vat", "value": "de 283.475.614"}
            ),
            ("organisation_identifier", "vat", "DE283475614"),
        ),
        (
            lambda: pseudonymise.vehicle(
                KEY, {"registration": "a-bc  123", "registration_country": "DE"}
            ),
            ("vehicle", "DE", "A-BC 123"),
        ),
        (
            lambda: pseudonymise.vehicle(KEY, {"registration": " 1-abc-234"}),
            ("vehicle", "", "1-ABC-234"),
        ),
        (
            lambda: pseudonymise.account(KEY, {"iban": "nl91 abna 0417 1643 00"}),
            ("account", "NL91ABNA0417164300"),
        ),
    ],
)
def test_each_pseudonym_is_the_documented_hmac_of_its_kind_and_normalised_parts(
    alias: Any, kind_and_parts: tuple[str, ...]
) -> None:
    assert alias() == documented_pseudonym(KEY, *kind_and_parts)


def test_without_what_identifies_it_an_entity_gets_no_pseudonym() -> None:
    assert pseudonymise.organisation(KEY, {"legal_form": "GmbH"}) is None
    assert pseudonymise.vehicle(KEY, {"make": "Audi", "registration_country": "DE"}) is None
    assert pseudonymise.person(KEY, {"family_name": "Maes", "given_names": "An"}) is None


def test_the_pseudonym_key_is_the_documented_hkdf_of_the_master_secret() -> None:
    info = b"euregate minimise pseudonym key v1\x00" + RECIPIENT.encode()
    expected = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info)
    assert pseudonym_key(MASTER_SECRET, RECIPIENT) == expected.derive(MASTER_SECRET)


# --- hold ----------------------------------------------------------------------------------


@PROPERTY
@given(signal=signals())
def test_held_free_text_is_not_in_the_view_but_its_place_is_listed(signal: Signal) -> None:
    document = dump(signal)
    view = view_of(signal, decide({C.FREE_TEXT: O.HOLD}))
    assert view.held == tuple(f"/{m}" for m in document if m in FREE_TEXT_MEMBERS)
    assert "/summary" in view.held
    assert not set(FREE_TEXT_MEMBERS) & set(view.document)
    assert values_only_in(document, C.FREE_TEXT).isdisjoint(leaves(view.document))
    assert view.withheld == ()


# --- refs and links ------------------------------------------------------------------------


def any_decision() -> st.SearchStrategy[Decision]:
    outcomes = {c: st.sampled_from(sorted(SUPPORTED_OUTCOMES[c])) for c in DataClass}
    return st.fixed_dictionaries(outcomes).map(
        lambda chosen: Decision(RECIPIENT, Verdict.DELIVER, chosen, (), "0" * 64)
    )


@PROPERTY
@given(signal=signals(), decision=any_decision())
def test_links_join_only_entities_shown_and_never_a_pseudonym_to_a_name(
    signal: Signal, decision: Decision
) -> None:
    view = view_of(signal, decision).document
    entities = {e["ref"]: e for member in ENTITY_LISTS for e in view[member]}
    joined = [(link["from"], link["to"]) for link in view["links"]]
    joined += [(a["ref"], a["holder_ref"]) for a in view["accounts"] if "holder_ref" in a]
    for one, other in joined:
        assert one in entities
        assert other in entities
        assert pseudonymous(entities[one]) == pseudonymous(entities[other])
    assert all(set(e) != {"ref"} for e in entities.values())


def test_an_entity_with_nothing_to_show_is_left_out_with_its_links() -> None:
    signal = example("de-shisha-aachen")
    view = view_of(signal, only(C.FINANCIAL)).document
    assert view["persons"] == view["organisations"] == view["links"] == []
    assert view["accounts"] == [{"ref": "A1", "iban": "DE67390500001072836450"}]


def test_pseudonymised_entities_stay_linked_to_each_other() -> None:
    signal = example("nl-drug-waste-maastricht")
    view = view_of(signal, PSEUDONYMISE_ALL).document
    assert view["links"] == [{"from": "P1", "to": "V1", "relation": "driver"}]
    assert view["persons"][1] == {"ref": "P2", "role": "witness", "identifiers": []}


def test_a_pseudonymised_entity_is_its_ref_its_role_and_pseudonyms_known_answers() -> None:
    """Every kind of entity under pseudonyms, as a whole: nothing renamed, nothing more."""
    shisha = view_of(example("de-shisha-aachen"), PSEUDONYMISE_ALL).document
    assert shisha["organisations"] == [
        {
            "ref": "O1",
            "role": "subject",
            "pseudonym": "psn:oqtklfrvcudeazcw2xoqakogim45ljus",
            "identifiers": [
                {"type": "de.handelsregister", "pseudonym": "psn:3gqzmdum2olrlnk3p5pavqh7ezlycsnh"},
                {"type": "vat", "pseudonym": "psn:2zpkcrgoiyenhcao3oikykf3b5qswjil"},
            ],
        }
    ]
    assert shisha["accounts"] == [
        {"ref": "A1", "pseudonym": "psn:azajlq2c4b4qvgna66dvrjolyhhactwa", "holder_ref": "O1"}
    ]
    waste = view_of(example("nl-drug-waste-maastricht"), PSEUDONYMISE_ALL).document
    assert waste["vehicles"] == [{"ref": "V1", "pseudonym": "psn:dkjskigubvkidcayeuuqzpurmie2ezfk"}]
    assert waste["persons"][0] == {
        "ref": "P1",
        "role": "suspect",
        "pseudonym": "psn:ag4kng6t4hkdwk62cli7dxgzpajklawi",
        "identifiers": [{"type": "nl.bsn", "pseudonym": "psn:cow74obv2virvgy6szhno3qsgdel7cap"}],
    }


def test_a_person_shown_by_a_shared_document_alone_is_linked_to_what_is_shared() -> None:
    """Its identity withheld, the person is still shown in the open, by its document."""
    view = view_of(example("de-shisha-aachen"), only(C.PERSON_DOCUMENT, C.ORGANISATION)).document
    assert [entity["ref"] for entity in view["persons"] + view["organisations"]] == ["P1", "O1"]
    assert view["links"] == [
        {"from": "P1", "to": "O1", "relation": "director"},
        {"from": "P1", "to": "O1", "relation": "owner"},
    ]


def test_a_withheld_national_number_hides_none_of_the_documents_after_it() -> None:
    view = view_of(example("de-shisha-aachen"), only(C.PERSON_DOCUMENT)).document
    assert view["persons"] == [
        {
            "ref": "P1",
            "identifiers": [{"type": "id_card", "value": "L01X00T47", "issuing_country": "DE"}],
        }
    ]


# --- what may not be asked -----------------------------------------------------------------


def test_a_denied_recipient_gets_no_view() -> None:
    signal = example("nl-drug-waste-maastricht")
    with pytest.raises(ValueError, match="denied"):
        view_of(signal, decide(verdict=Verdict.DENY))


@pytest.mark.parametrize(
    ("data_class", "outcome"),
    [
        (C.OPERATIONAL, O.REDACT),
        (C.FREE_TEXT, O.GENERALISE),
        (C.FREE_TEXT, O.PSEUDONYMISE),
        (C.LOCATION_PRECISE, O.PSEUDONYMISE),
        (C.VEHICLE, O.HOLD),
        (C.SPECIAL_CATEGORY, O.GENERALISE),
    ],
)
def test_an_outcome_a_class_cannot_have_is_refused(data_class: DataClass, outcome: Outcome) -> None:
    with pytest.raises(ValueError, match="cannot be"):
        view_of(example("nl-drug-waste-maastricht"), decide({data_class: outcome}))


def test_a_pseudonym_key_is_32_bytes_of_its_own_per_recipient() -> None:
    assert len(KEY) == 32
    assert pseudonym_key(MASTER_SECRET, RECIPIENT) == KEY
    assert KEY != OTHER_KEY
    assert pseudonym_key(bytes(32), RECIPIENT) != KEY
    with pytest.raises(ValueError, match="master secret"):
        pseudonym_key(b"short", RECIPIENT)
    with pytest.raises(ValueError, match="key"):
        view_of(example("nl-drug-waste-maastricht"), decide(), key=b"")


# --- examples ------------------------------------------------------------------------------

DRUG_WASTE_OPERATIONAL = {
    "schema": "signal/1.1",
    "sender_reference": "PL2400-2026-041877",
    "language": "nl",
    "category": "undermining.drug_waste",
    "urgency": "urgent",
    "handling_code": "H1",
    "source_reliability": "B",
    "information_reliability": "2",
    "observed_at": "2026-10-14T05:40:00+02:00",
    "observed_until": "2026-10-14T06:15:00+02:00",
    "special_category_data": False,
    "purpose": "criminal_investigation",
}
SHISHA_OPERATIONAL = {
    "schema": "signal/1.1",
    "sender_reference": "AC-2026-VG-00912",
    "language": "de",
    "category": "undermining.front_business",
    "urgency": "routine",
    "handling_code": "H2",
    "source_reliability": "B",
    "information_reliability": "3",
    "observed_at": "2026-09-03T20:15:00+02:00",
    "observed_until": "2026-10-28T23:30:00+01:00",
    "special_category_data": False,
    "purpose": "administrative_approach",
}
AACHEN = {"country": "DE", "municipality_code": "05334002", "municipality_name": "Aachen"}
NARGILE = {
    "ref": "O1",
    "role": "subject",
    "name": "Nargile Lounge Aachen GmbH",
    "legal_form": "GmbH",
    "sector": "shisha_lounge",
    "identifiers": [
        {"type": "de.handelsregister", "value": "Aachen HRB 23456"},
        {"type": "vat", "value": "DE283475614"},
    ],
}
PERSON_CLASSES = (C.PERSON_IDENTITY, C.PERSON_NATIONAL_ID, C.PERSON_DOCUMENT)
SHISHA_INDICATORS = [
    {"code": "business.cash_intensive_little_custom", "location_ref": "L1", "entity_ref": "O1"},
    {"code": "business.turnover_out_of_line", "entity_ref": "O1"},
    {"code": "finance.structured_cash_deposits", "entity_ref": "A1"},
]


def test_police_to_a_foreign_municipality_sees_the_place_but_no_one_in_it() -> None:
    """Reference rule 3: operational, organisation, precise location and indicators shared; free
    text held. The indicator about the withheld van is left out with the van."""
    signal = example("nl-drug-waste-maastricht")
    view = view_of(
        signal,
        only(C.ORGANISATION, C.LOCATION_PRECISE, C.INDICATOR, free_text=O.HOLD),
        key=pseudonym_key(MASTER_SECRET, "de-stadt-aachen"),
    )
    assert view == RecipientView(
        recipient_id=RECIPIENT,
        document=DRUG_WASTE_OPERATIONAL
        | {
            "location": {
                "country": "NL",
                "municipality_code": "GM0935",
                "municipality_name": "Maastricht",
                "postal_code": "6222 NV",
                "street": "Lage Kanaaldijk",
                "coordinates": {"lat": 50.8386, "lon": 5.7008},
                "ref": "L1",
            },
            "persons": [],
            "organisations": [],
            "vehicles": [],
            "accounts": [],
            "links": [],
            "indicators": [
                {"code": "drugs.waste_dumping", "date": "2026-10-14", "location_ref": "L1"}
            ],
        },
        withheld=(*PERSON_CLASSES, C.VEHICLE, C.FINANCIAL),
        held=("/summary", "/description"),
        generalised=(),
        pseudonymised=(),
    )


def test_municipality_to_a_foreign_municipality_sees_the_company_and_the_area() -> None:
    """Reference rule 4: like rule 3, but the precise location generalised; the indicator about
    the withheld account is left out."""
    view = view_of(
        example("de-shisha-aachen"),
        only(C.ORGANISATION, C.INDICATOR, location_precise=O.GENERALISE, free_text=O.HOLD),
    )
    assert view.document == SHISHA_OPERATIONAL | {
        "location": AACHEN | {"postal_code": "52062", "coordinates": {"lat": 50.78, "lon": 6.09}},
        "persons": [],
        "organisations": [NARGILE | {"address": AACHEN | {"postal_code": "52062", "ref": "L1"}}],
        "vehicles": [],
        "accounts": [],
        "links": [],
        "indicators": SHISHA_INDICATORS[:2],
    }
    assert view.withheld == (*PERSON_CLASSES, C.VEHICLE, C.FINANCIAL)
    assert view.generalised == (C.LOCATION_PRECISE,)
    assert view.held == ("/summary", "/description")


def test_tax_to_a_foreign_partner_sees_the_money_and_pseudonyms_of_the_people() -> None:
    """Reference rule 6, and known answers: pseudonyms must not change between releases."""
    view = view_of(
        example("de-shisha-aachen"),
        only(
            C.ORGANISATION,
            C.FINANCIAL,
            C.INDICATOR,
            free_text=O.HOLD,
            **{c.value: O.PSEUDONYMISE for c in PERSON_CLASSES},
        ),
    )
    assert view.document == SHISHA_OPERATIONAL | {
        "location": AACHEN,
        "persons": [
            {
                "ref": "P1",
                "role": "suspect",
                "pseudonym": "psn:vp3fy3hjlcacibgvwdnk4amp6zf5f2am",
                "identifiers": [
                    {"type": "de.idnr", "pseudonym": "psn:nbsba7bvq2ub3qqtveo53mm5hm7ywlcu"},
                    {"type": "id_card", "pseudonym": "psn:jssxoiimhrus7cofwk47yi3z7hki5vmq"},
                ],
            }
        ],
        "organisations": [NARGILE | {"address": AACHEN | {"ref": "L1"}}],
        "vehicles": [],
        "accounts": [{"ref": "A1", "iban": "DE67390500001072836450", "holder_ref": "O1"}],
        "links": [],
        "indicators": SHISHA_INDICATORS,
    }
    assert view.pseudonymised == PERSON_CLASSES
    assert view.withheld == (C.LOCATION_PRECISE, C.VEHICLE)


def test_a_care_signal_whose_special_category_is_redacted_shows_operational_data_only() -> None:
    view = view_of(
        example("nl-care-vulnerable-youth-maastricht"), decide({C.SPECIAL_CATEGORY: O.REDACT})
    )
    assert view.document == {
        "schema": "signal/1.0",
        "sender_reference": "PL2400-2026-044120",
        "language": "nl",
        "category": "care.vulnerable_youth",
        "urgency": "urgent",
        "handling_code": "H2",
        "source_reliability": "A",
        "information_reliability": "2",
        "observed_at": "2026-11-21T16:45:00+01:00",
        "location": {
            "country": "NL",
            "municipality_code": "GM0935",
            "municipality_name": "Maastricht",
        },
        "persons": [],
        "organisations": [],
        "vehicles": [],
        "accounts": [],
        "links": [],
        "indicators": [],
        "special_category_data": True,
        "purpose": "care_coordination",
    }
    assert view.withheld == EVERY_CLASS_BUT_OPERATIONAL


REFERENCE = load_policy(
    Path(__file__).resolve().parent.parent / "deploy" / "policy" / "euregio.toml"
)


@settings(max_examples=60, deadline=None)
@given(
    document=valid_signals(datetime(2026, 11, 25, 12, 0, tzinfo=UTC)),
    sender=st.sampled_from(DEMO_NETWORK),
    recipient=st.sampled_from(DEMO_NETWORK),
)
def test_every_decision_of_the_reference_policy_can_be_applied(
    document: dict[str, object], sender: Partner, recipient: Partner
) -> None:
    document.pop("in_reply_to", None)
    signal = Signal.model_validate(
        document, context={"now": datetime(2026, 11, 25, 12, 0, tzinfo=UTC)}
    )
    decision = policy_decide(signal, sender, recipient, REFERENCE)
    if decision.verdict is Verdict.DENY:
        return
    view = apply(signal, decision, pseudonym_key=b"k" * 32)
    assert view.document["category"] == document["category"]
    assert DataClass.OPERATIONAL not in view.withheld


# --- indicators ----------------------------------------------------------------------------

ABOUT_THE_DIRECTOR = {"code": "ownership.criminal_antecedents", "entity_ref": "P1"}


def shisha_with_the_director_s_antecedents() -> Signal:
    document = json.loads((EXAMPLES / "de-shisha-aachen.json").read_text(encoding="utf-8"))
    document["indicators"].append(ABOUT_THE_DIRECTOR)
    return parse(document)


def test_an_indicator_about_a_withheld_entity_goes_with_it() -> None:
    signal = shisha_with_the_director_s_antecedents()
    shown = view_of(signal, only(C.ORGANISATION, C.INDICATOR)).document["indicators"]
    assert shown == SHISHA_INDICATORS[:2]


def test_an_indicator_about_a_pseudonymised_entity_keeps_its_ref() -> None:
    signal = shisha_with_the_director_s_antecedents()
    view = view_of(signal, only(C.INDICATOR, C.FINANCIAL, person_identity=O.PSEUDONYMISE))
    assert view.document["indicators"] == [SHISHA_INDICATORS[2], ABOUT_THE_DIRECTOR]
    assert "pseudonym" in view.document["persons"][0]


def test_an_indicator_keeps_its_place_only_where_the_place_is_shown() -> None:
    """The address of a pseudonymised organisation is left out, and so is the ref to it."""
    signal = example("de-shisha-aachen")
    view = view_of(signal, only(C.INDICATOR, organisation=O.PSEUDONYMISE))
    assert view.document["indicators"][0] == {
        "code": "business.cash_intensive_little_custom",
        "entity_ref": "O1",
    }
    assert "address" not in view.document["organisations"][0]


def test_withheld_indicators_are_left_out_and_listed() -> None:
    view = view_of(example("be-cannabis-lanaken"), decide({C.INDICATOR: O.REDACT}))
    assert view.document["indicators"] == []
    assert view.withheld == (C.INDICATOR,)
    assert view.document["location"]["ref"] == "L1"


INDICATOR_DECISIONS = (
    decide({C.PERSON_IDENTITY: O.REDACT, C.VEHICLE: O.REDACT}),
    only(C.INDICATOR, **{c.value: O.PSEUDONYMISE for c in PSEUDONYMISABLE}),
    only(C.INDICATOR),
)


@given(signal=signals())
@settings(max_examples=60, deadline=None)
def test_every_shown_indicator_names_only_what_the_view_shows(signal: Signal) -> None:
    for decision in INDICATOR_DECISIONS:
        document = view_of(signal, decision).document
        refs = {e["ref"] for m in ENTITY_LISTS for e in document[m]}
        places = {document["location"].get("ref")} | {
            o["address"].get("ref") for o in document["organisations"] if "address" in o
        }
        for indicator in document["indicators"]:
            assert indicator.get("entity_ref") in refs | {None}
            assert indicator.get("location_ref") in places | {None}
        if effective_outcomes(signal, decision)[C.INDICATOR] is O.SHARE:
            about_hidden = [i for i in signal.indicators if i.entity_ref not in refs | {None}]
            assert len(document["indicators"]) == len(signal.indicators) - len(about_hidden)
        else:
            assert document["indicators"] == []


def decisions() -> st.SearchStrategy[Decision]:
    """Any decision to deliver, each class with an outcome it can have."""
    return st.fixed_dictionaries(
        {c: st.sampled_from(sorted(SUPPORTED_OUTCOMES[c], key=str)) for c in DataClass}
    ).map(decide)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(signal=signals(), first=decisions(), second=decisions())
def test_views_cut_from_one_shared_document_are_the_views_cut_each_from_its_own(
    signal: Signal, first: Decision, second: Decision
) -> None:
    """The courier dumps and classifies a signal once for all of its recipients: every view is
    as if made alone, and none changes what the others are cut from."""
    source = signal_document(signal)
    shared = [
        apply(signal, decision, pseudonym_key=key, source=source)
        for decision, key in ((first, KEY), (second, b"k" * 32), (first, b"k" * 32))
    ]
    alone = [
        apply(signal, decision, pseudonym_key=key)
        for decision, key in ((first, KEY), (second, b"k" * 32), (first, b"k" * 32))
    ]
    assert shared == alone
    assert source.document == dump(signal)
    assert source.classes == classify(dump(signal))
