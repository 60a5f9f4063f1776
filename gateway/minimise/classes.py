"""Which data class each member of a signal belongs to: one table for minimisation, policy and UI.

Pointers are JSON pointers into a signal document (its JSON names), with ``*`` for any array
index. A pointer in :data:`FIELD_CLASSES` names a member as a whole: everything under
``/location/coordinates`` is ``location_precise``, every identifier of an organisation is
``organisation``. The identifiers of a person belong to the class their ``type`` names
(:data:`PERSON_IDENTIFIER_CLASSES`).

Two kinds of member have no data class:

- :data:`STRUCTURE`: refs, links, account holders and the refs of an indicator join entities
  and places and hold no data of their own (a ref such as ``P1`` is not personal data). A view
  shows them exactly when it shows what they name; see :mod:`gateway.minimise.view`.
- :data:`NOT_FOR_RECIPIENTS`: ``recipients`` says who else receives the signal, which is not a
  recipient's to know. It never reaches a view, whatever the decision.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any, Final

from gateway.contract import json_pointer
from gateway.decide.decision import DataClass, Outcome

_PLACE: Final = ("country", "municipality_code", "municipality_name")
_ADDRESS: Final = ("postal_code", "street", "house_number", "coordinates")


def _location(pointer: str, place: DataClass) -> dict[str, DataClass]:
    """A location's municipality and country belong to ``place``; the address is precise."""
    return {
        **{f"{pointer}/{member}": place for member in _PLACE},
        **{f"{pointer}/{member}": DataClass.LOCATION_PRECISE for member in _ADDRESS},
    }


FIELD_CLASSES: Final[Mapping[str, DataClass]] = MappingProxyType(
    {
        "/schema": DataClass.OPERATIONAL,
        "/sender_reference": DataClass.OPERATIONAL,
        "/language": DataClass.OPERATIONAL,
        "/category": DataClass.OPERATIONAL,
        "/urgency": DataClass.OPERATIONAL,
        "/handling_code": DataClass.OPERATIONAL,
        "/source_reliability": DataClass.OPERATIONAL,
        "/information_reliability": DataClass.OPERATIONAL,
        "/observed_at": DataClass.OPERATIONAL,
        "/observed_until": DataClass.OPERATIONAL,
        **_location("/location", DataClass.OPERATIONAL),
        "/summary": DataClass.FREE_TEXT,
        "/description": DataClass.FREE_TEXT,
        "/handling_conditions": DataClass.FREE_TEXT,
        "/special_category_data": DataClass.OPERATIONAL,
        "/purpose": DataClass.OPERATIONAL,
        "/in_reply_to": DataClass.OPERATIONAL,
        "/request": DataClass.OPERATIONAL,
        "/persons/*/role": DataClass.PERSON_IDENTITY,
        "/persons/*/family_name": DataClass.PERSON_IDENTITY,
        "/persons/*/given_names": DataClass.PERSON_IDENTITY,
        "/persons/*/date_of_birth": DataClass.PERSON_IDENTITY,
        "/persons/*/place_of_birth": DataClass.PERSON_IDENTITY,
        "/persons/*/nationalities": DataClass.PERSON_IDENTITY,
        "/persons/*/gender": DataClass.PERSON_IDENTITY,
        "/organisations/*/role": DataClass.ORGANISATION,
        "/organisations/*/name": DataClass.ORGANISATION,
        "/organisations/*/legal_form": DataClass.ORGANISATION,
        "/organisations/*/sector": DataClass.ORGANISATION,
        "/organisations/*/identifiers": DataClass.ORGANISATION,
        **_location("/organisations/*/address", DataClass.ORGANISATION),
        "/vehicles/*/registration": DataClass.VEHICLE,
        "/vehicles/*/registration_country": DataClass.VEHICLE,
        "/vehicles/*/make": DataClass.VEHICLE,
        "/vehicles/*/model": DataClass.VEHICLE,
        "/vehicles/*/colour": DataClass.VEHICLE,
        "/accounts/*/iban": DataClass.FINANCIAL,
        "/indicators/*/code": DataClass.INDICATOR,
        "/indicators/*/date": DataClass.INDICATOR,
    }
)
"""The data class of each member of a signal, by pointer pattern."""

FREE_TEXT_POINTERS: Final = tuple(
    pointer for pointer, data_class in FIELD_CLASSES.items() if data_class is DataClass.FREE_TEXT
)
"""Every member that holds free text, in the order a reader meets them: what reaches a
translation backend or a liaison officer only when the rules let the recipient see it."""

PERSON_IDENTIFIERS: Final = "/persons/*/identifiers/*"
"""The pattern of a person's identifiers, whose class depends on their type."""

PERSON_IDENTIFIER_CLASSES: Final[Mapping[str, DataClass]] = MappingProxyType(
    {
        "nl.bsn": DataClass.PERSON_NATIONAL_ID,
        "be.nn": DataClass.PERSON_NATIONAL_ID,
        "de.idnr": DataClass.PERSON_NATIONAL_ID,
        "passport": DataClass.PERSON_DOCUMENT,
        "id_card": DataClass.PERSON_DOCUMENT,
        "driving_licence": DataClass.PERSON_DOCUMENT,
    }
)
"""The data class of a person's identifier, by its ``type``."""

STRUCTURE: Final = frozenset(
    {
        "/persons/*/ref",
        "/organisations/*/ref",
        "/vehicles/*/ref",
        "/accounts/*/ref",
        "/accounts/*/holder_ref",
        "/links",
        "/location/ref",
        "/organisations/*/address/ref",
        "/indicators/*/location_ref",
        "/indicators/*/entity_ref",
    }
)
NOT_FOR_RECIPIENTS: Final = frozenset({"/recipients"})

_ALWAYS: Final = frozenset({Outcome.SHARE, Outcome.REDACT})
_NUMBERS: Final = _ALWAYS | {Outcome.PSEUDONYMISE}

SUPPORTED_OUTCOMES: Final[Mapping[DataClass, frozenset[Outcome]]] = MappingProxyType(
    {
        DataClass.OPERATIONAL: frozenset({Outcome.SHARE}),
        DataClass.LOCATION_PRECISE: _ALWAYS | {Outcome.GENERALISE},
        DataClass.PERSON_IDENTITY: _NUMBERS | {Outcome.GENERALISE},
        DataClass.PERSON_NATIONAL_ID: _NUMBERS,
        DataClass.PERSON_DOCUMENT: _NUMBERS,
        DataClass.ORGANISATION: _NUMBERS,
        DataClass.VEHICLE: _NUMBERS,
        DataClass.FINANCIAL: _NUMBERS,
        DataClass.INDICATOR: _ALWAYS,
        DataClass.FREE_TEXT: _ALWAYS | {Outcome.HOLD},
        DataClass.SPECIAL_CATEGORY: _ALWAYS,
    }
)
"""The outcomes each class can have; a policy that gives another one is an error.

Operational data is the skeleton of every view: a recipient that may not see it must be denied.
Only a precise location and a date of birth have a coarser form; only free text is held.
"""

_INDEX = re.compile(r"/[0-9]+(?=/|$)")


def pattern_of(pointer: str) -> str:
    """The table's pattern for a pointer: ``/persons/0/role`` → ``/persons/*/role``."""
    return _INDEX.sub("/*", pointer)


def identifier_class(identifier: Mapping[str, Any]) -> DataClass:
    kind = identifier.get("type")
    data_class = PERSON_IDENTIFIER_CLASSES.get(kind) if isinstance(kind, str) else None
    if data_class is None:
        raise ValueError(f"no data class for person identifiers of type {kind!r}")
    return data_class


def classify(document: Mapping[str, Any]) -> dict[str, DataClass]:
    """The data class of every member of a signal document, by JSON pointer, in document order.

    Members are named at the granularity of the table (``/location/coordinates``, not its
    ``lat``); structure and recipients are left out. A member the table does not know is an
    error, so that a new field cannot slip through without a class.
    """
    return dict(_classified(document, ""))


def _classified(value: object, pointer: str) -> Iterator[tuple[str, DataClass]]:
    children: list[tuple[str, object]] = []
    if isinstance(value, Mapping):
        children = [(pointer + json_pointer.join(key), item) for key, item in value.items()]
    elif isinstance(value, list | tuple):
        children = [(f"{pointer}/{index}", item) for index, item in enumerate(value)]
    for child, item in children:
        pattern = pattern_of(child)
        if pattern in STRUCTURE or pattern in NOT_FOR_RECIPIENTS:
            continue
        if pattern in FIELD_CLASSES:
            yield child, FIELD_CLASSES[pattern]
        elif pattern == PERSON_IDENTIFIERS and isinstance(item, Mapping):
            yield child, identifier_class(item)
        elif isinstance(item, Mapping | list | tuple):
            yield from _classified(item, child)
        else:
            raise ValueError(f"no data class for the member at {child}")
