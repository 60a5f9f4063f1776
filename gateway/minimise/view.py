"""The recipient's view of a signal under a decision.

For each data class the decision's outcome says what the recipient sees:

- ``share``: the values as sent;
- ``generalise``: a precise location loses its street and house number, its postal code is cut
  to the postal-code area (:func:`postal_area`) and its coordinates are rounded to two decimals
  (:func:`rounded`); a date of birth becomes its year, the other identity members stay;
- ``pseudonymise``: keyed pseudonyms (:mod:`gateway.minimise.pseudonyms`) replace what identifies
  an entity. A pseudonymised person keeps its ref, its role and a ``pseudonym``; an identifier
  keeps its ``type`` and gets a ``pseudonym`` instead of its value and issuing country; an
  organisation keeps its ref, role, a ``pseudonym`` of its name and its identifiers so
  pseudonymised, and loses its address (which would name it); a vehicle and an account keep their
  ref and a ``pseudonym`` of the registration or IBAN. Everything else about them is left out;
- ``hold`` (free text only): the text is left out and its pointer listed in ``held``;
- ``redact``: the values are left out, and the class is listed in ``withheld``.

Entities, refs and links. An entity of which nothing may be shown is left out entirely, ref
included: a bare ``{"ref": "P1"}`` would still tell how many persons there are and, through its
links, how they relate to what is shown (the director of a named company is easy to find). A link
or an account holder is shown only when both entities it joins are shown, and both in the open or
both under pseudonyms: a link between a pseudonym and a named organisation, a plate or an IBAN
would let the recipient name the pseudonymised person.

Places and indicators. A place keeps its ref whenever it is shown (the signal's location always,
an organisation's address with the organisation in the open). The ``indicator`` class is shared or
redacted as a whole; a shared indicator keeps its ``location_ref`` when that place is shown, and
one tied to an entity (``entity_ref``) is shown only together with that entity, in the open or
under its pseudonym: what is said about a person goes where the person goes.

A signal with ``special_category_data`` whose ``special_category`` outcome is ``redact`` shows
operational data only. ``recipients`` never reaches a view (see :mod:`gateway.minimise.classes`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from gateway.contract.signal import Signal
from gateway.decide.decision import DataClass, Decision, Outcome, Verdict
from gateway.minimise import pseudonyms
from gateway.minimise.classes import (
    FIELD_CLASSES,
    SUPPORTED_OUTCOMES,
    classify,
    identifier_class,
)

Member = Mapping[str, Any]


@dataclass(frozen=True)
class RecipientView:
    """What one recipient may see of a signal, and which classes it was not shown.

    ``withheld`` lists every class the decision redacts, whether or not the signal held anything
    of it, so that the list says nothing about the content; likewise ``generalised`` and
    ``pseudonymised``. ``special_category`` is listed only for a signal that has such data.
    ``held`` gives the JSON pointers of the free text waiting for a liaison officer, and
    ``withheld_texts`` those of the free text a liaison officer withheld from this recipient
    (absent from ``document``).
    """

    recipient_id: str
    document: dict[str, Any]
    withheld: tuple[DataClass, ...]
    held: tuple[str, ...]
    generalised: tuple[DataClass, ...]
    pseudonymised: tuple[DataClass, ...]
    withheld_texts: tuple[str, ...] = ()


@dataclass(frozen=True)
class SignalDocument:
    """A signal as a JSON document and the data class of each of its members, by JSON pointer:
    what every recipient's view is cut from, the same for all of them. Views share parts of it,
    so neither it nor a view is ever changed in place."""

    document: Member
    classes: Mapping[str, DataClass]


def signal_document(signal: Signal) -> SignalDocument:
    """``signal``'s document and classes, for :func:`apply` to cut every recipient's view from."""
    document = signal.model_dump(mode="json", by_alias=True, exclude_none=True)
    return SignalDocument(document, classify(document))


def apply(
    signal: Signal,
    decision: Decision,
    *,
    pseudonym_key: bytes,
    source: SignalDocument | None = None,
) -> RecipientView:
    """The view of ``signal`` for the recipient of ``decision``: pure and deterministic.

    ``pseudonym_key`` is that recipient's key (:func:`~gateway.minimise.pseudonym_key`). A denied
    recipient gets no view at all, not even an operational one: calling this with a ``deny``
    decision is a ValueError, as is an outcome a class cannot have (``SUPPORTED_OUTCOMES``).
    ``source`` is :func:`signal_document` of ``signal``, made once for all of its recipients.
    """
    if decision.verdict is Verdict.DENY:
        raise ValueError(f"{decision.recipient_id} is denied this signal and gets no view")
    if len(pseudonym_key) < pseudonyms.KEY_BYTES:
        raise ValueError(f"a pseudonym key has at least {pseudonyms.KEY_BYTES} bytes")
    outcomes = effective_outcomes(signal, decision)
    source = source or signal_document(signal)

    def having(outcome: Outcome) -> tuple[DataClass, ...]:
        return tuple(c for c in DataClass if outcomes.get(c) is outcome)

    return RecipientView(
        recipient_id=decision.recipient_id,
        document=_Minimiser(outcomes, pseudonym_key).signal(source.document),
        withheld=having(Outcome.REDACT),
        held=tuple(p for p, c in source.classes.items() if outcomes[c] is Outcome.HOLD),
        generalised=having(Outcome.GENERALISE),
        pseudonymised=having(Outcome.PSEUDONYMISE),
    )


def effective_outcomes(signal: Signal, decision: Decision) -> dict[DataClass, Outcome]:
    """The outcome that applies to each class of ``signal``.

    ``special_category`` counts only for a signal that has special-category data; when such a
    signal's is ``redact``, every class but ``operational`` is redacted.
    """
    outcomes: dict[DataClass, Outcome] = {}
    for data_class in DataClass:
        outcome = decision.outcome(data_class)
        if outcome not in SUPPORTED_OUTCOMES[data_class]:
            raise ValueError(f"{data_class} cannot be {outcome}")
        outcomes[data_class] = outcome
    special = outcomes.pop(DataClass.SPECIAL_CATEGORY)
    if not signal.special_category_data:
        return outcomes
    if special is Outcome.REDACT:
        outcomes = dict.fromkeys(outcomes, Outcome.REDACT) | {
            DataClass.OPERATIONAL: outcomes[DataClass.OPERATIONAL]
        }
    return outcomes | {DataClass.SPECIAL_CATEGORY: special}


# --- generalisation ----------------------------------------------------------------------

COORDINATE_DECIMALS: Final = 2


def postal_area(country: str, postal_code: str) -> str:
    """The postal-code area: NL ``6211 LN`` → ``6211`` (the letters narrow it to a street).

    A Belgian (4 digits) or German (5 digits) code already names an area and stays whole.
    """
    return postal_code.split(" ", maxsplit=1)[0] if country == "NL" else postal_code


def rounded(point: Member) -> dict[str, float]:
    """Latitude and longitude to two decimals: cells of 0.01° by 0.01°.

    0.01° of latitude is 1.11 km; 0.01° of longitude is 1.11 km × cos(latitude), 0.70 km in
    the Euregio (about 51° N). One precision for both keeps it simple; a rounded point lies at
    most 0.8 km from the original.
    """
    return {axis: round(point[axis], COORDINATE_DECIMALS) for axis in ("lat", "lon")}


_COARSER: Final[Mapping[str, Callable[[Any, Member], Any]]] = {
    "postal_code": lambda code, place: postal_area(place["country"], code),
    "coordinates": lambda point, _: rounded(point),
    "date_of_birth": lambda born, _: born[:4],
}
"""Members with a coarser form; a generalised member not named here is left out..."""

_UNCHANGED_WHEN_GENERALISED: Final = frozenset({DataClass.PERSON_IDENTITY})
"""...unless its class keeps its other members as they are (names stay, only the date coarsens)."""

_KEPT_WHEN_PSEUDONYMISED: Final = frozenset({"/persons/*/role", "/organisations/*/role"})


# --- the view ----------------------------------------------------------------------------


class _Level(Enum):
    """How an entity is shown: as what it is (shared or generalised), or under pseudonyms."""

    OPEN = "open"
    PSEUDONYMOUS = "pseudonymous"


def _level(outcome: Outcome) -> _Level:
    return _Level.PSEUDONYMOUS if outcome is Outcome.PSEUDONYMISE else _Level.OPEN


Shown = tuple[dict[str, Any], _Level] | None


@dataclass(frozen=True)
class _Minimiser:
    outcomes: Mapping[DataClass, Outcome]
    key: bytes

    def signal(self, document: Member) -> dict[str, Any]:
        levels: dict[str, _Level] = {}
        view = self._select(document, "")
        view["location"] = _with_ref(
            document["location"], self._select(document["location"], "/location")
        )
        view["persons"] = _shown(document.get("persons", ()), self._person, levels)
        view["organisations"] = _shown(document.get("organisations", ()), self._org, levels)
        view["vehicles"] = _shown(document.get("vehicles", ()), self._vehicle, levels)
        view["accounts"] = _shown(
            document.get("accounts", ()), lambda a: self._account(a, levels), levels
        )
        view["links"] = [
            link
            for link in document.get("links", ())
            if _joinable(levels, link["from"], link["to"])
        ]
        view["indicators"] = self._indicators(document.get("indicators", ()), view, levels)
        return _in_order_of(document, view)

    def _indicators(
        self, indicators: Iterable[Member], view: Member, levels: Mapping[str, _Level]
    ) -> list[dict[str, Any]]:
        if self.outcomes[DataClass.INDICATOR] is not Outcome.SHARE:
            return []
        shown_places = _place_refs(view)
        kept: list[dict[str, Any]] = []
        for indicator in indicators:
            entity = indicator.get("entity_ref")
            if entity is not None and entity not in levels:
                continue
            shown = self._select(indicator, "/indicators/*")
            if indicator.get("location_ref") in shown_places:
                shown["location_ref"] = indicator["location_ref"]
            if entity is not None:
                shown["entity_ref"] = entity
            kept.append(_in_order_of(indicator, shown))
        return kept

    def _select(self, member: Member, pattern: str) -> dict[str, Any]:
        """The members of ``member`` (at ``pattern``) the recipient may see, as it may see them.

        A member without a data class (structure, nested parts, recipients) is left to the
        caller, so nothing the table does not know slips through.
        """
        kept: dict[str, Any] = {}
        for key, value in member.items():
            data_class = FIELD_CLASSES.get(f"{pattern}/{key}")
            if data_class is None:
                continue
            outcome = self.outcomes[data_class]
            if outcome is Outcome.GENERALISE and key in _COARSER:
                kept[key] = _COARSER[key](value, member)
            elif _as_sent(outcome, data_class, f"{pattern}/{key}"):
                kept[key] = value
        return kept

    def _person(self, person: Member) -> Shown:
        identity = self.outcomes[DataClass.PERSON_IDENTITY]
        shown: dict[str, Any] = {"ref": person["ref"], **self._select(person, "/persons/*")}
        levels: set[_Level] = set() if identity is Outcome.REDACT else {_level(identity)}
        if identity is Outcome.PSEUDONYMISE and (alias := pseudonyms.person(self.key, person)):
            shown["pseudonym"] = alias
        shown["identifiers"] = []
        for identifier in person.get("identifiers", ()):
            data_class = identifier_class(identifier)
            outcome = self.outcomes[data_class]
            if outcome is Outcome.SHARE:
                shown["identifiers"].append(identifier)
            elif outcome is Outcome.PSEUDONYMISE:
                alias = pseudonyms.person_identifier(self.key, identifier, data_class)
                shown["identifiers"].append({"type": identifier["type"], "pseudonym": alias})
            else:
                continue
            levels.add(_level(outcome))
        if not levels:
            return None
        return shown, _Level.OPEN if _Level.OPEN in levels else _Level.PSEUDONYMOUS

    def _org(self, organisation: Member) -> Shown:
        outcome = self.outcomes[DataClass.ORGANISATION]
        if outcome is Outcome.REDACT:
            return None
        shown = {"ref": organisation["ref"], **self._select(organisation, "/organisations/*")}
        if outcome is Outcome.SHARE:
            if "address" in organisation:
                address = organisation["address"]
                shown["address"] = _with_ref(
                    address, self._select(address, "/organisations/*/address")
                )
            return _in_order_of(organisation, shown), _Level.OPEN
        if alias := pseudonyms.organisation(self.key, organisation):
            shown["pseudonym"] = alias
        shown["identifiers"] = [
            {"type": i["type"], "pseudonym": pseudonyms.organisation_identifier(self.key, i)}
            for i in organisation.get("identifiers", ())
        ]
        return shown, _Level.PSEUDONYMOUS

    def _vehicle(self, vehicle: Member) -> Shown:
        outcome = self.outcomes[DataClass.VEHICLE]
        if outcome is Outcome.SHARE:
            return {"ref": vehicle["ref"], **self._select(vehicle, "/vehicles/*")}, _Level.OPEN
        if outcome is Outcome.PSEUDONYMISE and (alias := pseudonyms.vehicle(self.key, vehicle)):
            return {"ref": vehicle["ref"], "pseudonym": alias}, _Level.PSEUDONYMOUS
        return None

    def _account(self, account: Member, levels: Mapping[str, _Level]) -> Shown:
        outcome = self.outcomes[DataClass.FINANCIAL]
        if outcome is Outcome.REDACT:
            return None
        level = _level(outcome)
        shown: dict[str, Any] = {"ref": account["ref"]}
        if outcome is Outcome.SHARE:
            shown |= self._select(account, "/accounts/*")
        else:
            shown["pseudonym"] = pseudonyms.account(self.key, account)
        holder = account.get("holder_ref")
        if holder is not None and levels.get(holder) is level:
            shown["holder_ref"] = holder
        return shown, level


def _as_sent(outcome: Outcome, data_class: DataClass, pattern: str) -> bool:
    """Whether a member with this outcome is shown as it was sent."""
    return (
        outcome is Outcome.SHARE
        or (outcome is Outcome.GENERALISE and data_class in _UNCHANGED_WHEN_GENERALISED)
        or (outcome is Outcome.PSEUDONYMISE and pattern in _KEPT_WHEN_PSEUDONYMISED)
    )


def _shown(
    entities: Iterable[Member], show: Callable[[Member], Shown], levels: dict[str, _Level]
) -> list[dict[str, Any]]:
    """The entities that are shown, each as shown; records how each ref is shown in ``levels``."""
    kept: list[dict[str, Any]] = []
    for entity in entities:
        shown = show(entity)
        if shown is not None:
            kept.append(shown[0])
            levels[entity["ref"]] = shown[1]
    return kept


def _with_ref(place: Member, shown: dict[str, Any]) -> dict[str, Any]:
    """A shown place with its ref, when it has one."""
    return _in_order_of(place, {**shown, "ref": place["ref"]}) if "ref" in place else shown


def _place_refs(view: Member) -> set[str]:
    """The refs of the places a view shows."""
    places = [view["location"], *(o["address"] for o in view["organisations"] if "address" in o)]
    return {place["ref"] for place in places if "ref" in place}


def _joinable(levels: Mapping[str, _Level], a: str, b: str) -> bool:
    return a in levels and levels.get(b) is levels[a]


def _in_order_of(original: Member, shown: dict[str, Any]) -> dict[str, Any]:
    return {key: shown[key] for key in original if key in shown} | shown
