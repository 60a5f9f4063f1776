"""Hypothesis strategies for Signal v1 documents (JSON-ready dicts).

``valid_signals(now)`` draws documents the gateway must accept at ``now``: every
entity kind, optional members present, absent or null, all three countries, and
national numbers with correct check digits. ``mutations(now)`` draws one of them
broken in one known way, with the JSON pointer of the place that was broken, and
:func:`near` says whether an issue's pointer is about that place.
"""

from __future__ import annotations

import copy
import string
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple, get_args

from hypothesis import strategies as st
from stdnum import iban as stdnum_iban
from stdnum.be import nn as stdnum_be_nn
from stdnum.be import vat as stdnum_be_vat
from stdnum.de import handelsregisternummer, idnr
from stdnum.eu import vat as stdnum_vat
from stdnum.iso7064 import mod_11_10
from stdnum.nl import bsn as stdnum_bsn

from gateway.contract import codelists
from gateway.contract.signal import ENTITY_LISTS, LINK_ENDS, Signal

Document = dict[str, Any]
DEMO_PARTNERS = (
    "nl-pol-limburg",
    "nl-gem-maastricht",
    "nl-riec-limburg",
    "be-pol-lanaken",
    "be-pol-liege",
    "be-gem-eupen",
    "de-pol-aachen",
    "de-stadt-aachen",
    "de-zoll-aachen",
)


class Mutation(NamedTuple):
    """A valid document broken in one way: what was done, and where."""

    document: Document
    description: str
    pointer: str


def near(pointer: str, place: str) -> bool:
    """Whether an issue at ``pointer`` is about ``place``: the same place, or one inside the
    other (the root is near nothing in particular)."""
    inside = pointer.startswith(place + "/")
    around = bool(pointer) and place.startswith(pointer + "/")
    return pointer == place or inside or around


def codes(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from(codelists.codes(name))


# --- text ---------------------------------------------------------------------------------

_WORD_CHARACTERS = st.characters(codec="utf-8", exclude_categories=("C", "Z"))
_WORDS = st.text(_WORD_CHARACTERS, min_size=1, max_size=12) | st.sampled_from(
    ["Maastricht", "Liège", "Aachen", "straße", "n°", "café", "’s-Gravenvoeren", "Ærø"]
)


def line(max_size: int) -> st.SearchStrategy[str]:
    """One line of text that is not blank, at most ``max_size`` characters."""
    return st.lists(_WORDS, min_size=1, max_size=6).map(lambda words: " ".join(words)[:max_size])


def text(max_size: int) -> st.SearchStrategy[str]:
    """Several lines of text, not blank."""
    lines = st.lists(line(80), min_size=1, max_size=4)
    return lines.map(lambda parts: "\n".join(parts)[:max_size])


# --- national numbers with valid check digits ---------------------------------------------


def _bsn_weighted_sum(prefix: int) -> int:
    return sum((9 - i) * int(d) for i, d in enumerate(f"{prefix:08d}"))


def bsns() -> st.SearchStrategy[str]:
    """Eight digits and the eleven-test check digit (prefixes that would need a 10 are skipped)."""
    prefixes = st.integers(1, 99_999_999).filter(lambda p: _bsn_weighted_sum(p) % 11 != 10)
    return prefixes.map(lambda p: f"{p:08d}{_bsn_weighted_sum(p) % 11}")


@st.composite
def belgian_national_numbers(draw: st.DrawFn) -> str:
    born = draw(st.dates(datetime(1920, 1, 1).date(), datetime(2025, 12, 31).date()))
    counter = draw(st.integers(1, 997))
    base = f"{born:%y%m%d}{counter:03d}"
    checked = ("2" + base) if born.year >= 2000 else base
    number = f"{base}{97 - int(checked) % 97:02d}"
    assert stdnum_be_nn.is_valid(number), number
    return number


@st.composite
def german_tax_ids(draw: st.DrawFn) -> str:
    """Ten digits in which exactly one digit occurs twice, then the ISO 7064 check digit."""
    digits = draw(st.permutations(string.digits))
    chosen = [*digits[:9], digits[0]]
    order = draw(st.permutations(chosen).filter(lambda d: d[0] != "0"))
    body = "".join(order)
    number = body + mod_11_10.calc_check_digit(body)
    assert idnr.is_valid(number), number
    return number


def kbo_numbers() -> st.SearchStrategy[str]:
    return st.integers(1, 19_999_999).map(lambda n: f"{n:08d}{97 - n % 97:02d}")


def german_register_entries() -> st.SearchStrategy[str]:
    return st.builds(
        "{} {} {}".format,
        st.sampled_from(("Aachen", "Düren", "Köln", "Mönchengladbach", "Berlin (Charlottenburg)")),
        st.sampled_from(("HRA", "HRB", "GnR", "PR", "VR")),
        st.integers(1, 999_999),
    ).filter(lambda entry: handelsregisternummer.validate(entry) == entry)


def vat_numbers() -> st.SearchStrategy[str]:
    dutch = st.builds("NL{}B{:02d}".format, bsns(), st.integers(1, 99))
    belgian = kbo_numbers().map("BE{}".format)
    german = st.integers(10_000_000, 99_999_999).map(
        lambda n: f"DE{n}{mod_11_10.calc_check_digit(str(n))}"
    )
    return st.one_of(dutch, belgian, german).filter(stdnum_vat.is_valid)


def _with_iban_check(country: str, bban: str) -> str:
    return country + stdnum_iban.calc_check_digits(country + "00" + bban) + bban


def ibans() -> st.SearchStrategy[str]:
    dutch = st.builds(
        "{}{:010d}".format,
        st.sampled_from(("ABNA", "INGB", "RABO", "SNSB")),
        st.integers(0, 10**10 - 1),
    ).map(lambda bban: _with_iban_check("NL", bban))
    belgian = st.builds(
        lambda bank, account: f"{bank}{account:07d}{(int(f'{bank}{account:07d}') % 97) or 97:02d}",
        st.sampled_from(("001", "063", "068", "310", "735")),
        st.integers(0, 9_999_999),
    ).map(lambda bban: _with_iban_check("BE", bban))
    german = st.builds(
        "{}{:010d}".format,
        st.sampled_from(("39050000", "37040044", "39060180")),
        st.integers(0, 10**10 - 1),
    ).map(lambda bban: _with_iban_check("DE", bban))
    return st.one_of(dutch, belgian, german).filter(stdnum_iban.is_valid)


# --- parts of a signal --------------------------------------------------------------------


def _put(draw: st.DrawFn, target: Document, member: str, values: st.SearchStrategy[Any]) -> None:
    """Give ``member`` a drawn value, leave it out, or (sometimes) make it null."""
    choice = draw(st.sampled_from(("value", "value", "absent", "null")))
    if choice == "value":
        target[member] = draw(values)
    elif choice == "null":
        target[member] = None


def _municipality_code(country: str) -> st.SearchStrategy[str]:
    if country == "NL":
        return st.integers(1, 9999).map("GM{:04d}".format)
    if country == "BE":
        return st.integers(10000, 99999).map(str)
    return st.builds("{:02d}{:06d}".format, st.integers(1, 16), st.integers(0, 999_999))


def _postal_code(country: str) -> st.SearchStrategy[str]:
    if country == "NL":
        letters = st.text(string.ascii_uppercase, min_size=2, max_size=2).filter(
            lambda pair: pair not in ("SA", "SD", "SS")
        )
        return st.builds("{} {}".format, st.integers(1000, 9999), letters)
    if country == "BE":
        return st.integers(1000, 9999).map(str)
    return st.integers(1000, 99999).map("{:05d}".format)


@st.composite
def locations(draw: st.DrawFn) -> Document:
    country = draw(codes("country"))
    location: Document = {
        "country": country,
        "municipality_code": draw(_municipality_code(country)),
        "municipality_name": draw(line(100)),
    }
    _put(draw, location, "postal_code", _postal_code(country))
    _put(draw, location, "street", line(200))
    if location.get("street") is not None:
        _put(draw, location, "house_number", line(20))
    coordinate = st.floats(allow_nan=False, allow_infinity=False)
    _put(
        draw,
        location,
        "coordinates",
        st.fixed_dictionaries(
            {
                "lat": coordinate.filter(lambda v: -90 <= v <= 90) | st.integers(-90, 90),
                "lon": coordinate.filter(lambda v: -180 <= v <= 180) | st.integers(-180, 180),
            }
        ),
    )
    return location


def country_codes() -> st.SearchStrategy[str]:
    return codes("iso_country")


@st.composite
def person_identifiers(draw: st.DrawFn) -> Document:
    kind = draw(codes("person_identifier_type"))
    national: Mapping[str, tuple[Callable[[], st.SearchStrategy[str]], str]] = {
        "nl.bsn": (bsns, "NL"),
        "be.nn": (belgian_national_numbers, "BE"),
        "de.idnr": (german_tax_ids, "DE"),
    }
    if kind in national:
        numbers, country = national[kind]
        return {"type": kind, "value": draw(numbers()), "issuing_country": country}
    document_number = st.from_regex(r"[A-Z0-9]{5,20}", fullmatch=True)
    return {"type": kind, "value": draw(document_number), "issuing_country": draw(country_codes())}


@st.composite
def organisation_identifiers(draw: st.DrawFn) -> Document:
    kind = draw(codes("organisation_identifier_type"))
    numbers = {
        "nl.kvk": st.integers(0, 99_999_999).map("{:08d}".format),
        "be.kbo": kbo_numbers(),
        "de.handelsregister": german_register_entries(),
        "vat": vat_numbers(),
    }[kind]
    return {"type": kind, "value": draw(numbers)}


@st.composite
def persons(draw: st.DrawFn, ref: str, now: datetime) -> Document:
    person: Document = {"ref": ref, "role": draw(codes("person_role"))}
    identifiers = draw(st.lists(person_identifiers(), max_size=3))
    if identifiers:
        person["identifiers"] = identifiers
        _put(draw, person, "family_name", line(100))
    else:
        person["family_name"] = draw(line(100))
    _put(draw, person, "given_names", line(200))
    born = st.dates(datetime(1900, 1, 1).date(), now.date())
    _put(
        draw,
        person,
        "date_of_birth",
        born.map(lambda d: d.isoformat()) | born.map(lambda d: f"{d.year:04d}"),
    )
    _put(draw, person, "place_of_birth", line(100))
    _put(draw, person, "gender", codes("gender"))
    nationalities = draw(st.lists(country_codes(), max_size=3, unique=True))
    if nationalities or draw(st.booleans()):
        person["nationalities"] = nationalities
    return person


@st.composite
def organisations(draw: st.DrawFn, ref: str) -> Document:
    organisation: Document = {"ref": ref, "role": draw(codes("organisation_role"))}
    identifiers = draw(st.lists(organisation_identifiers(), max_size=3))
    if identifiers:
        organisation["identifiers"] = identifiers
        _put(draw, organisation, "name", line(200))
    else:
        organisation["name"] = draw(line(200))
    _put(
        draw,
        organisation,
        "legal_form",
        st.sampled_from(("B.V.", "BV", "SRL", "GmbH", "UG", "VOF")),
    )
    _put(draw, organisation, "sector", codes("sector"))
    _put(draw, organisation, "address", locations())
    return organisation


_PLATES = st.from_regex(
    r"[A-Z]{1,3}-[0-9]{1,3}-[A-Z]{1,2}|[0-9]-[A-Z]{3}-[0-9]{3}|[A-Z]{1,3}-[A-Z]{1,2} [0-9]{1,4}",
    fullmatch=True,
)


@st.composite
def vehicles(draw: st.DrawFn, ref: str) -> Document:
    vehicle: Document = {"ref": ref}
    if draw(st.booleans()):
        vehicle["registration"] = draw(_PLATES)
        vehicle["registration_country"] = draw(country_codes())
        _put(draw, vehicle, "make", line(50))
    else:
        vehicle["make"] = draw(line(50))
    _put(draw, vehicle, "model", line(50))
    _put(draw, vehicle, "colour", line(30))
    return vehicle


@st.composite
def accounts(draw: st.DrawFn, ref: str, holders: list[str]) -> Document:
    account: Document = {"ref": ref, "iban": draw(ibans())}
    if holders:
        _put(draw, account, "holder_ref", st.sampled_from(holders))
    return account


@st.composite
def links(draw: st.DrawFn, refs: Mapping[str, list[str]]) -> list[Document]:
    """Links whose ends exist and are of kinds their relation allows."""
    possible = [
        relation
        for relation, (sources, targets) in LINK_ENDS.items()
        if any(refs[k] for k in sources) and any(refs[k] for k in targets)
    ]
    if not possible:
        return []
    drawn = []
    for _ in range(draw(st.integers(0, 4))):
        relation = draw(st.sampled_from(possible))
        sources, targets = LINK_ENDS[relation]
        source = draw(st.sampled_from([r for kind in sorted(sources) for r in refs[kind]]))
        target_refs = [r for kind in sorted(targets) for r in refs[kind] if r != source]
        if target_refs:
            drawn.append(
                {"from": source, "to": draw(st.sampled_from(target_refs)), "relation": relation}
            )
    return drawn


def timestamps(earliest: datetime, latest: datetime) -> st.SearchStrategy[str]:
    """RFC 3339 texts with an offset for instants between ``earliest`` and ``latest``."""
    seconds = int((latest - earliest).total_seconds())
    offsets = st.sampled_from((0, 60, 120, -300, 330)).map(lambda m: timezone(timedelta(minutes=m)))
    return st.builds(
        lambda s, zone: (earliest + timedelta(seconds=s)).astimezone(zone).isoformat(),
        st.integers(0, max(seconds, 0)),
        offsets,
    )


@st.composite
def recipient_sets(draw: st.DrawFn) -> Document:
    partners = st.lists(st.sampled_from(DEMO_PARTNERS), min_size=1, max_size=3, unique=True)
    routing = {
        "countries": st.lists(codes("country"), min_size=1, max_size=3, unique=True),
        "agency_types": st.lists(codes("agency_type"), min_size=1, max_size=3, unique=True),
    }
    chosen = draw(st.sampled_from(("partners", "routing", "both")))
    result: Document = {}
    if chosen in ("partners", "both"):
        result["partners"] = draw(partners)
    if chosen in ("routing", "both"):
        result.update(draw(st.fixed_dictionaries(routing)))
    return result


@st.composite
def _entities(draw: st.DrawFn, now: datetime) -> Document:
    counts = {member: draw(st.integers(0, 2)) for member in ENTITY_LISTS}
    prefix = {"persons": "P", "organisations": "O", "vehicles": "V", "accounts": "A"}
    refs = {
        kind: [f"{prefix[m]}{i + 1}" for i in range(counts[m])] for m, kind in ENTITY_LISTS.items()
    }
    holders = refs["person"] + refs["organisation"]
    parts: Document = {
        "persons": [draw(persons(ref, now)) for ref in refs["person"]],
        "organisations": [draw(organisations(ref)) for ref in refs["organisation"]],
        "vehicles": [draw(vehicles(ref)) for ref in refs["vehicle"]],
        "accounts": [draw(accounts(ref, holders)) for ref in refs["account"]],
        "links": draw(links(refs)),
    }
    return {member: items for member, items in parts.items() if items or draw(st.booleans())}


@st.composite
def valid_signals(draw: st.DrawFn, now: datetime, recipients: Document | None = None) -> Document:
    """A document that is a valid Signal v1 at ``now``, sent to ``recipients`` if given."""
    latest = now + timedelta(minutes=4)
    observed_at = draw(timestamps(now - timedelta(days=3 * 365), latest))
    category = draw(codes("category"))
    handling_code = draw(codes("handling_code"))
    signal: Document = {
        "schema": draw(st.sampled_from(("signal/1.0", "signal/1.0", "signal/1.3"))),
        "sender_reference": draw(
            st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 ./:_#-]{0,62}[A-Za-z0-9]", fullmatch=True)
        ),
        "language": draw(codes("language")),
        "category": category,
        "urgency": draw(codes("urgency")),
        "handling_code": handling_code,
        "source_reliability": draw(codes("source_reliability")),
        "information_reliability": draw(codes("information_reliability")),
        "observed_at": observed_at,
        "location": draw(locations()),
        "summary": draw(line(280)),
        "purpose": draw(codes("purpose")),
        "recipients": copy.deepcopy(recipients)
        if recipients is not None
        else draw(recipient_sets()),
    }
    if handling_code == "H3":
        signal["handling_conditions"] = draw(text(500))
    start = datetime.fromisoformat(observed_at)
    _put(draw, signal, "observed_until", timestamps(start, latest))
    _put(draw, signal, "description", text(8000))
    signal.update(draw(_entities(now)))
    if signal["schema"] != "signal/1.0":
        _coded(draw, signal, now)
    if category.startswith("care."):
        signal["special_category_data"] = True
    elif draw(st.booleans()):
        signal["special_category_data"] = draw(st.booleans())
    _put(draw, signal, "in_reply_to", st.uuids().map(str))
    _put(
        draw,
        signal,
        "request",
        st.fixed_dictionaries(
            {"type": codes("request_type"), "deadline": codes("request_deadline")}
        ),
    )
    return signal


def _coded(draw: st.DrawFn, signal: Document, now: datetime) -> None:
    """What signal/1.1 adds: vehicles' colours as codes, refs of places, and indicators that
    name those places and the signal's entities."""
    for vehicle in signal.get("vehicles", ()):
        if isinstance(vehicle.get("colour"), str):
            vehicle["colour"] = draw(codes("colour"))
    places = [signal["location"]] + [
        o["address"] for o in signal.get("organisations", ()) if isinstance(o.get("address"), dict)
    ]
    place_refs = []
    for index, place in enumerate(places):
        if draw(st.booleans()):
            place["ref"] = f"L{index}"
            place_refs.append(place["ref"])
    entity_refs = [e["ref"] for member in ENTITY_LISTS for e in signal.get(member, ())]
    seen = st.dates(datetime(2020, 1, 1).date(), now.date()).map(lambda d: d.isoformat())
    indicators = []
    for _ in range(draw(st.integers(0, 4))):
        indicator: Document = {"code": draw(codes("indicator"))}
        _put(draw, indicator, "date", seen)
        if place_refs:
            _put(draw, indicator, "location_ref", st.sampled_from(place_refs))
        if entity_refs:
            _put(draw, indicator, "entity_ref", st.sampled_from(entity_refs))
        indicators.append(indicator)
    if indicators or draw(st.booleans()):
        signal["indicators"] = indicators


# --- mutations ----------------------------------------------------------------------------

Mutator = Callable[[st.DrawFn, Document, datetime], tuple[str, str]]
_CODE_MEMBERS = (
    "language",
    "category",
    "urgency",
    "handling_code",
    "source_reliability",
    "information_reliability",
    "purpose",
)


def _walk(value: object, pointer: str = "") -> list[tuple[str, object]]:
    """Every (pointer, value) below ``value``, parents before children."""
    found: list[tuple[str, object]] = []
    children: list[tuple[str, object]] = []
    if isinstance(value, dict):
        children = [(f"{pointer}/{key}", item) for key, item in value.items()]
    elif isinstance(value, list):
        children = [(f"{pointer}/{index}", item) for index, item in enumerate(value)]
    for child_pointer, child in children:
        found.append((child_pointer, child))
        found.extend(_walk(child, child_pointer))
    return found


def _resolve(document: Document, pointer: str) -> tuple[Any, str | int]:
    """The container of ``pointer`` and the key of its last step."""
    parts = pointer.split("/")[1:]
    container: Any = document
    for part in parts[:-1]:
        container = container[int(part)] if isinstance(container, list) else container[part]
    last = parts[-1]
    return container, int(last) if isinstance(container, list) else last


def _required_members(document: Document) -> list[str]:
    """Pointers of the members present in ``document`` that its model requires."""
    found: list[str] = []

    def visit(value: object, model: type[Any], pointer: str) -> None:
        if not isinstance(value, dict):
            return
        for name, field in model.model_fields.items():
            key = field.alias or name
            if key not in value:
                continue
            if field.is_required():
                found.append(f"{pointer}/{key}")
            nested = _model_of(field.annotation)
            if nested is not None:
                items = value[key] if isinstance(value[key], list) else [value[key]]
                prefix = f"{pointer}/{key}"
                for index, item in enumerate(items):
                    visit(
                        item,
                        nested,
                        f"{prefix}/{index}" if isinstance(value[key], list) else prefix,
                    )

    visit(document, Signal, "")
    return found


def _model_of(annotation: object) -> type[Any] | None:
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return annotation
    for argument in get_args(annotation):
        model = _model_of(argument)
        if model is not None:
            return model
    return None


def _remove_required(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    pointer = draw(st.sampled_from(_required_members(document)))
    container, key = _resolve(document, pointer)
    del container[key]
    return f"remove required {pointer}", pointer


def _wrong_type(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    pointer, value = draw(st.sampled_from(_walk(document)))
    if value is None:
        replacements: list[object] = [True, 17, []]
    elif isinstance(value, bool):
        replacements = ["yes", 1, None]
    elif isinstance(value, int | float):
        replacements = ["50.1", True, None, []]
    elif isinstance(value, str):
        replacements = [17, True, [], {}]
    elif isinstance(value, list):
        replacements = ["x", 3, None, {"a": 1}]
    else:
        replacements = ["x", [], 3]
    container, key = _resolve(document, pointer)
    container[key] = draw(st.sampled_from(replacements))
    return f"wrong type at {pointer}", pointer


def _bad_code(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    member = draw(st.sampled_from(_CODE_MEMBERS))
    document[member] = draw(st.sampled_from(("whenever", "ROUTINE", "", "h1", "undermining")))
    return f"unknown code in {member}", f"/{member}"


def _unknown_member(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    objects = [("", document)] + [(p, v) for p, v in _walk(document) if isinstance(v, dict)]
    pointer, target = draw(st.sampled_from(objects))
    keys = sorted(target)
    if keys and draw(st.booleans()):
        key = draw(st.sampled_from(keys))
        misspelt = key[:-1] if len(key) > 2 else key + "x"
        target[misspelt] = target.pop(key)
    else:
        misspelt = draw(st.sampled_from(("colour_code", "remarks", "Summary", "x")))
        target[misspelt] = "surplus"
    return f"unknown member {misspelt} in {pointer or 'the signal'}", f"{pointer}/{misspelt}"


def _checked_numbers(document: Document) -> list[str]:
    pointers = [p for p, _ in _walk(document) if p.endswith("/iban") and p.startswith("/accounts")]
    for pointer, value in _walk(document):
        kind = value.get("type") if isinstance(value, dict) else None
        if kind in ("nl.bsn", "de.idnr", "be.kbo") or (
            kind == "vat" and value["value"][:2] != "NL"
        ):
            pointers.append(f"{pointer}/value")
    return pointers


def _bad_checksum(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    candidates = _checked_numbers(document)
    if not candidates:
        document.setdefault("persons", []).append(
            {
                "ref": "CHK1",
                "role": "involved",
                "identifiers": [{"type": "nl.bsn", "value": "123456782", "issuing_country": "NL"}],
            }
        )
        candidates = _checked_numbers(document)
    pointer = draw(st.sampled_from(candidates))
    container, key = _resolve(document, pointer)
    value: str = container[key]
    wrong = [value[:-1] + d for d in string.digits if d != value[-1]]
    container[key] = draw(st.sampled_from(wrong).filter(lambda v: not _passes_any_check(v)))
    return f"wrong check digit at {pointer}", pointer


def _passes_any_check(value: str) -> bool:
    checks = (
        stdnum_bsn.is_valid,
        idnr.is_valid,
        stdnum_be_vat.is_valid,
        stdnum_vat.is_valid,
        stdnum_iban.is_valid,
    )
    return any(check(value) for check in checks)


def _broken_ref(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    if document.get("links"):
        index = draw(st.integers(0, len(document["links"]) - 1))
        end = draw(st.sampled_from(("from", "to")))
        document["links"][index][end] = "NOPE9"
        return f"link end {end} names no entity", f"/links/{index}/{end}"
    holders = [i for i, a in enumerate(document.get("accounts", [])) if a.get("holder_ref")]
    if holders:
        index = draw(st.sampled_from(holders))
        document["accounts"][index]["holder_ref"] = "NOPE9"
        return "account holder names no entity", f"/accounts/{index}/holder_ref"
    document["links"] = [{"from": "NOPE8", "to": "NOPE9", "relation": "associate"}]
    return "link between unknown refs", "/links/0/from"


def _duplicate_ref(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    entities = [
        (member, index)
        for member in ENTITY_LISTS
        for index, _ in enumerate(document.get(member) or [])
    ]
    if len(entities) < 2:
        people = document.setdefault("persons", [])
        while len(people) < 2:
            people.append({"ref": "DUP1", "role": "witness", "family_name": "Peeters"})
        people[-2]["ref"] = people[-1]["ref"] = "DUP1"
        return "two persons with one ref", f"/persons/{len(people) - 1}/ref"
    first, second = sorted(
        draw(st.lists(st.sampled_from(entities), min_size=2, max_size=2, unique=True)),
        key=entities.index,
    )
    ref = document[first[0]][first[1]]["ref"]
    document[second[0]][second[1]]["ref"] = ref
    return f"ref {ref} used twice", f"/{second[0]}/{second[1]}/ref"


def _too_long(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    choice = draw(st.sampled_from(("summary", "description", "persons", "links", "family_name")))
    if choice == "summary":
        document["summary"] = "x" * 281
        return "summary of 281 characters", "/summary"
    if choice == "description":
        document["description"] = "y" * 8001
        return "description of 8001 characters", "/description"
    if choice == "persons":
        document["persons"] = [
            {"ref": f"M{i}", "role": "involved", "family_name": "Maes"} for i in range(51)
        ]
        return "51 persons", "/persons"
    if choice == "links":
        document["links"] = [{"from": "L1", "to": "L2", "relation": "associate"}] * 201
        return "201 links", "/links"
    document.setdefault("persons", []).append(
        {"ref": "LONG1", "role": "suspect", "family_name": "z" * 101}
    )
    return "family name of 101 characters", f"/persons/{len(document['persons']) - 1}/family_name"


def _bad_location_code(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    other = {"NL": "62063", "BE": "GM0935", "DE": "6211"}
    country = document["location"]["country"]
    if draw(st.booleans()):
        document["location"]["municipality_code"] = other[country]
        return f"municipality code of another country for {country}", "/location/municipality_code"
    document["location"]["postal_code"] = {"NL": "6211LN", "BE": "04000", "DE": "5206"}[country]
    return f"postal code in the wrong format for {country}", "/location/postal_code"


def _rule_broken(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    rule = draw(
        st.sampled_from(
            (
                "h3",
                "care",
                "future",
                "until",
                "schema",
                "blank",
                "reply",
                "born",
                "issuer",
                "recipients",
            )
        )
    )
    return _RULES[rule](draw, document, now)


def _h3(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    document["handling_code"] = "H3"
    document.pop("handling_conditions", None)
    return "H3 without handling_conditions", "/handling_conditions"


def _care(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    document["category"] = draw(
        st.sampled_from([c for c in codelists.codes("category") if c.startswith("care.")])
    )
    document["special_category_data"] = False
    return "care category without special_category_data", "/special_category_data"


def _future(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    document["observed_at"] = (now + timedelta(minutes=draw(st.integers(6, 10**6)))).isoformat()
    return "observed_at in the future", "/observed_at"


def _until(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    start = datetime.fromisoformat(document["observed_at"])
    document["observed_until"] = (
        start - timedelta(seconds=draw(st.integers(1, 10**6)))
    ).isoformat()
    return "observed_until before observed_at", "/observed_until"


def _schema(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    document["schema"] = draw(
        st.sampled_from(("signal/2.0", "signal/0.9", "signal/1", "signal 1.0", "Signal/1.0"))
    )
    return "unsupported schema", "/schema"


def _blank(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    document["summary"] = draw(
        st.sampled_from(("   ", "\u00a0", "\u3000 ", "a\u0000b", "line\nbreak"))
    )
    return "blank summary or control characters", "/summary"


def _reply(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    document["in_reply_to"] = draw(st.uuids().map(lambda u: str(u).upper()) | st.just("not-a-uuid"))
    return "in_reply_to not a lowercase UUID", "/in_reply_to"


def _born(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    people = document.setdefault("persons", [])
    people.append({"ref": "BORN1", "role": "involved", "family_name": "Wouters"})
    future = (now + timedelta(days=draw(st.integers(2, 3000)))).date().isoformat()
    people[-1]["date_of_birth"] = draw(
        st.sampled_from(("1899-12-31", "1899", future, "2001-02-30", "85-01-01"))
    )
    return "date of birth out of range or malformed", f"/persons/{len(people) - 1}/date_of_birth"


def _issuer(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    people = document.setdefault("persons", [])
    people.append(
        {
            "ref": "ISS1",
            "role": "involved",
            "identifiers": [
                {
                    "type": "nl.bsn",
                    "value": "123456782",
                    "issuing_country": draw(st.sampled_from(("BE", "DE", "FR"))),
                }
            ],
        }
    )
    return (
        "BSN issued by another country",
        f"/persons/{len(people) - 1}/identifiers/0/issuing_country",
    )


def _recipients(draw: st.DrawFn, document: Document, now: datetime) -> tuple[str, str]:
    document["recipients"] = draw(
        st.sampled_from(
            ({}, {"countries": ["NL"]}, {"agency_types": ["police"]}, {"partners": ["NL-POL"]})
        )
    )
    return "recipients empty or incomplete", "/recipients"


_RULES: Mapping[str, Mutator] = {
    "h3": _h3,
    "care": _care,
    "future": _future,
    "until": _until,
    "schema": _schema,
    "blank": _blank,
    "reply": _reply,
    "born": _born,
    "issuer": _issuer,
    "recipients": _recipients,
}

MUTATORS: Mapping[str, Mutator] = {
    "remove_required": _remove_required,
    "wrong_type": _wrong_type,
    "bad_code": _bad_code,
    "unknown_member": _unknown_member,
    "bad_checksum": _bad_checksum,
    "broken_ref": _broken_ref,
    "duplicate_ref": _duplicate_ref,
    "too_long": _too_long,
    "bad_location_code": _bad_location_code,
    "rule_broken": _rule_broken,
}


@st.composite
def mutations(draw: st.DrawFn, now: datetime) -> Mutation:
    """A valid signal broken in one way, with a description and the pointer of the break."""
    document = copy.deepcopy(draw(valid_signals(now)))
    kind = draw(st.sampled_from(sorted(MUTATORS)))
    description, pointer = MUTATORS[kind](draw, document, now)
    return Mutation(document, f"{kind}: {description}", pointer)
