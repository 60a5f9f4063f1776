"""The pydantic models of Signal v1, and the JSON Schema fragments for rules between members.

A rule sits as low in the tree as it can (a location checks its own codes, an identifier its
own number), so that pydantic reports it together with errors in other parts of the document.
The rules that need the whole document (refs are unique, links and account holders name
existing refs) are in :func:`gateway.contract.validate.reference_issues`.

Values are stored exactly as given; postal codes, like the numbers in
:mod:`gateway.contract.signal.numbers`, must be sent in their one canonical form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from stdnum.exceptions import ValidationError as NumberInvalid
from stdnum.nl import postcode as stdnum_nl_postcode

from gateway.contract.signal.fields import (
    SCHEMA_PATTERN,
    AgencyType,
    CountryCode,
    InCodeList,
    Items,
    Line,
    PartnerId,
    Ref,
    Registration,
    SenderReference,
    SignalCountry,
    SignalId,
    Text,
    Timestamp,
    check_schema_version,
    compiled,
    unique,
)
from gateway.contract.signal.messages import current_time, rule_error
from gateway.contract.signal.numbers import (
    IBAN_RULE,
    ORGANISATION_NUMBERS,
    PERSON_NUMBERS,
    NumberRule,
)

FUTURE_TOLERANCE: Final = timedelta(minutes=5)
EARLIEST_BIRTH_YEAR: Final = 1900


# --- JSON Schema fragments for rules between members ------------------------------------


def _requires(member: str, other: str) -> JsonSchemaValue:
    """When ``member`` is a string, ``other`` must be one too."""
    return {
        "if": {"properties": {member: {"type": "string"}}, "required": [member]},
        "then": {"properties": {other: {"type": "string"}}, "required": [other]},
    }


def _given(member: str, *, array: bool = False) -> JsonSchemaValue:
    """``member`` is given: a string, or a non-empty array."""
    shape: JsonSchemaValue = {"minItems": 1} if array else {"type": "string"}
    return {"properties": {member: shape}, "required": [member]}


def _config(**json_schema_extra: Any) -> ConfigDict:
    return ConfigDict(
        extra="forbid",
        frozen=True,
        serialize_by_alias=True,
        hide_input_in_errors=True,
        json_schema_extra=json_schema_extra or None,
    )


def _number_rules(numbers: Mapping[str, NumberRule]) -> list[JsonSchemaValue]:
    rules: list[JsonSchemaValue] = []
    for kind, rule in numbers.items():
        then: dict[str, JsonSchemaValue] = {"value": {"pattern": rule.pattern}}
        if rule.country is not None:
            then["issuing_country"] = {"const": rule.country}
        rules.append(
            {
                "if": {"properties": {"type": {"const": kind}}, "required": ["type"]},
                "then": {"properties": then},
            }
        )
    return rules


# --- models -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _CountryFormat:
    municipality_pattern: str
    municipality_example: str
    postal_pattern: str
    postal_example: str
    postal_check: Callable[[str], str] | None = None


COUNTRY_FORMATS: Final[Mapping[str, _CountryFormat]] = {
    "NL": _CountryFormat(
        "^GM[0-9]{4}$",
        "GM0935",
        "^[1-9][0-9]{3} (?!SA|SD|SS)[A-Z]{2}$",
        "6211 LN",
        postal_check=stdnum_nl_postcode.validate,
    ),
    "BE": _CountryFormat(
        "^[1-9][0-9]{4}$",
        "62063",
        "^[1-9][0-9]{3}$",
        "4000",
    ),
    "DE": _CountryFormat(
        "^(0[1-9]|1[0-6])[0-9]{6}$",
        "05334002",
        "^(0[1-9]|[1-9][0-9])[0-9]{3}$",
        "52062",
    ),
}


def _country_rules() -> list[JsonSchemaValue]:
    return [
        {
            "if": {"properties": {"country": {"const": country}}, "required": ["country"]},
            "then": {
                "properties": {
                    "municipality_code": {"pattern": form.municipality_pattern},
                    "postal_code": {"pattern": form.postal_pattern},
                }
            },
        }
        for country, form in COUNTRY_FORMATS.items()
    ]


def _fits(pattern: str, value: str, check: Callable[[str], str] | None = None) -> bool:
    if not compiled(pattern).fullmatch(value):
        return False
    if check is None:
        return True
    try:
        return check(value) == value
    except NumberInvalid:
        return False


class Coordinates(BaseModel):
    """A point in WGS 84."""

    model_config = _config()

    lat: float = Field(
        strict=True, ge=-90, le=90, description="Latitude in decimal degrees (WGS 84), -90 to 90."
    )
    lon: float = Field(
        strict=True,
        ge=-180,
        le=180,
        description="Longitude in decimal degrees (WGS 84), -180 to 180.",
    )


class Location(BaseModel):
    """A place down to the municipality, optionally down to the address.

    The municipality code and the postal code must have the format of `country`.
    """

    model_config = _config(allOf=[*_country_rules(), _requires("house_number", "street")])

    country: SignalCountry = Field(description="Country of the place: NL, BE or DE.")
    municipality_code: str = Field(
        max_length=8,
        description=(
            "Official code of the municipality, in the format of `country`: NL `GM` and 4 digits "
            "(CBS code, e.g. Maastricht GM0935, Heerlen GM0917), BE 5 digits (NIS/INS code, "
            "e.g. Li\u00e8ge 62063, Eupen 63023), DE 8 digits (Amtlicher Gemeindeschl\u00fcssel, "
            "e.g. Aachen 05334002)."
        ),
    )
    municipality_name: Annotated[str, Line(100)] = Field(
        description="Name of the municipality as written locally, e.g. Maastricht, Li\u00e8ge."
    )
    postal_code: str | None = Field(
        default=None,
        max_length=7,
        description=(
            "Postal code in the format of `country`: NL 4 digits, one space and 2 capitals "
            "(e.g. 6211 LN; SA, SD and SS are not used), BE 4 digits, DE 5 digits."
        ),
    )
    street: Annotated[str, Line(200)] | None = Field(
        default=None, description="Street name, without the house number."
    )
    house_number: Annotated[str, Line(20)] | None = Field(
        default=None,
        description=(
            "House number with any addition, as written locally (e.g. 12a, 3 bus 2). "
            "Only together with `street`."
        ),
    )
    coordinates: Coordinates | None = Field(
        default=None, description="The point, when known more precisely than the address."
    )
    ref: Ref | None = Field(
        default=None,
        description=(
            "Name of this place within the signal, e.g. L1, for indicators to point at "
            "(`location_ref`); unique among all refs of the signal. Since signal/1.1."
        ),
    )

    @field_validator("municipality_code")
    @classmethod
    def _municipality_code_fits_country(cls, value: str, info: ValidationInfo) -> str:
        country = info.data.get("country")
        form = COUNTRY_FORMATS.get(country) if isinstance(country, str) else None
        if form is not None and not _fits(form.municipality_pattern, value):
            raise rule_error(
                "municipality_code_format", country=country, example=form.municipality_example
            )
        return value

    @field_validator("postal_code")
    @classmethod
    def _postal_code_fits_country(cls, value: str | None, info: ValidationInfo) -> str | None:
        country = info.data.get("country")
        form = COUNTRY_FORMATS.get(country) if isinstance(country, str) else None
        if value is None or form is None:
            return value
        if not _fits(form.postal_pattern, value, form.postal_check):
            raise rule_error("postal_code_format", country=country, example=form.postal_example)
        return value

    @field_validator("house_number")
    @classmethod
    def _house_number_needs_street(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and "street" in info.data and info.data["street"] is None:
            raise rule_error("house_number_without_street")
        return value


class PersonIdentifier(BaseModel):
    """A national number or an identity document number of a person."""

    model_config = _config(allOf=_number_rules(PERSON_NUMBERS))

    type: Annotated[str, InCodeList("person_identifier_type")] = Field(
        description=(
            "Kind of number. National numbers are checked: `nl.bsn` (9 digits, eleven-test), "
            "`be.nn` (11 digits, mod-97), `de.idnr` (11 digits, ISO 7064 check digit)."
        )
    )
    value: str = Field(
        max_length=20,
        description=(
            "The number in its canonical form, exactly as stored and forwarded: digits only for "
            "national numbers (e.g. BSN 123456782), 5 to 20 capitals and digits for document "
            "numbers, no spaces, dots or dashes."
        ),
    )
    issuing_country: CountryCode = Field(
        description=(
            "Country that issued the number: NL for `nl.bsn`, BE for `be.nn`, DE for `de.idnr`; "
            "any country for documents."
        )
    )

    @field_validator("value")
    @classmethod
    def _number_is_valid(cls, value: str, info: ValidationInfo) -> str:
        rule = PERSON_NUMBERS.get(info.data.get("type", ""))
        return value if rule is None else rule.verify(value)

    @field_validator("issuing_country")
    @classmethod
    def _country_fits_type(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("type", "")
        rule = PERSON_NUMBERS.get(kind)
        if rule is not None and rule.country is not None and value != rule.country:
            raise rule_error(
                "issuing_country_mismatch", type=kind, expected=rule.country, found=value
            )
        return value


class Person(BaseModel):
    """A natural person; needs a `family_name` or at least one identifier."""

    model_config = _config(anyOf=[_given("family_name"), _given("identifiers", array=True)])

    ref: Ref = Field(
        description=(
            "Name of this person within the signal, e.g. P1: unique among all refs of persons, "
            "organisations, vehicles and accounts, and used by links and account holders."
        )
    )
    role: Annotated[str, InCodeList("person_role")] = Field(
        description="Role of the person in what is reported."
    )
    family_name: Annotated[str, Line(100)] | None = Field(
        default=None, description="Family name, with any prefixes (e.g. van der Berg)."
    )
    given_names: Annotated[str, Line(200)] | None = Field(
        default=None, description="Given names, separated by spaces."
    )
    date_of_birth: str | None = Field(
        default=None,
        pattern="^[0-9]{4}(-[0-9]{2}-[0-9]{2})?$",
        description=(
            "Date of birth as YYYY-MM-DD, or YYYY when only the year is known; a real calendar "
            "date between 1900 and today."
        ),
    )
    place_of_birth: Annotated[str, Line(100)] | None = Field(
        default=None, description="Place of birth, with the country when abroad."
    )
    nationalities: Annotated[tuple[CountryCode, ...], Items(10), AfterValidator(unique)] = Field(
        default=(),
        json_schema_extra={"uniqueItems": True},
        description="Nationalities as ISO 3166-1 alpha-2 codes, each at most once, at most 10.",
    )
    gender: Annotated[str, InCodeList("gender")] | None = Field(default=None, description="Gender.")
    identifiers: Annotated[tuple[PersonIdentifier, ...], Items(10)] = Field(
        default=(),
        description="National numbers and document numbers of the person, at most 10.",
    )

    @field_validator("date_of_birth", mode="before")
    @classmethod
    def _date_of_birth_is_plausible(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        born = _calendar_date(value)
        if born is None:
            raise rule_error("date_of_birth_format")
        today = current_time(info).date()
        if born.year < EARLIEST_BIRTH_YEAR or born > today:
            raise rule_error(
                "date_of_birth_range", earliest=EARLIEST_BIRTH_YEAR, today=today.isoformat()
            )
        return value

    @model_validator(mode="after")
    def _identifiable(self) -> Person:
        if self.family_name is None and not self.identifiers:
            raise rule_error("person_unidentified")
        return self


def _calendar_date(value: str) -> date | None:
    """The date (or 1 January of the year) that ``value`` names, or None."""
    if not re.fullmatch(r"[0-9]{4}(-[0-9]{2}-[0-9]{2})?", value):
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else date(int(value), 1, 1)
    except ValueError:
        return None


class OrganisationIdentifier(BaseModel):
    """A register or VAT number of an organisation."""

    model_config = _config(allOf=_number_rules(ORGANISATION_NUMBERS))

    type: Annotated[str, InCodeList("organisation_identifier_type")] = Field(
        description=(
            "Kind of number: `nl.kvk` (8 digits), `be.kbo` (10 digits, mod-97), "
            "`de.handelsregister` (court, register and number), `vat` (EU VAT number, checked "
            "by its country's rule)."
        )
    )
    value: str = Field(
        max_length=100,
        description=(
            "The number in its canonical form, exactly as stored and forwarded: `nl.kvk` "
            "69599084; `be.kbo` 0403170701 (10 digits, no BE, dots or spaces); "
            "`de.handelsregister` `Aachen HRB 12345` (court spelt as in the official list of "
            "register courts, register, number, single spaces); `vat` NL004495445B01 (country "
            "prefix, capitals, no spaces or dots)."
        ),
    )

    @field_validator("value")
    @classmethod
    def _number_is_valid(cls, value: str, info: ValidationInfo) -> str:
        rule = ORGANISATION_NUMBERS.get(info.data.get("type", ""))
        return value if rule is None else rule.verify(value)


class Organisation(BaseModel):
    """A company, association or other organisation; needs a `name` or at least one identifier."""

    model_config = _config(anyOf=[_given("name"), _given("identifiers", array=True)])

    ref: Ref = Field(
        description="Name of this organisation within the signal, e.g. O1; unique among all refs."
    )
    role: Annotated[str, InCodeList("organisation_role")] = Field(
        description="Role of the organisation in what is reported."
    )
    name: Annotated[str, Line(200)] | None = Field(
        default=None, description="Registered or trading name."
    )
    legal_form: Annotated[str, Line(50)] | None = Field(
        default=None, description="Legal form as written in its country, e.g. B.V., SRL, GmbH."
    )
    sector: Annotated[str, InCodeList("sector")] | None = Field(
        default=None, description="Sector of activity."
    )
    address: Location | None = Field(default=None, description="Registered or business address.")
    identifiers: Annotated[tuple[OrganisationIdentifier, ...], Items(10)] = Field(
        default=(),
        description="Register and VAT numbers of the organisation, at most 10.",
    )

    @model_validator(mode="after")
    def _identifiable(self) -> Organisation:
        if self.name is None and not self.identifiers:
            raise rule_error("organisation_unidentified")
        return self


class Vehicle(BaseModel):
    """A vehicle; needs a `registration` or a `make`."""

    model_config = _config(
        anyOf=[_given("registration"), _given("make")],
        allOf=[_requires("registration", "registration_country")],
    )

    ref: Ref = Field(
        description="Name of this vehicle within the signal, e.g. V1; unique among all refs."
    )
    registration: Registration | None = Field(
        default=None,
        description=(
            "Registration as on the plate, in capitals with the plate's spaces or dashes, "
            "e.g. AB-123-C, 1-ABC-123, AC-AB 123. Needs `registration_country`."
        ),
    )
    registration_country: CountryCode | None = Field(
        default=None,
        validate_default=True,
        description="Country of registration; required with `registration`.",
    )
    make: Annotated[str, Line(50)] | None = Field(
        default=None, description="Make, e.g. Volkswagen."
    )
    model: Annotated[str, Line(50)] | None = Field(default=None, description="Model, e.g. Golf.")
    colour: Annotated[str, Line(30)] | None = Field(
        default=None,
        description=(
            "Colour. Since signal/1.1 a code of list `colour` (schemas/codelists/colour.json), "
            "which every recipient reads in its own language; in signal/1.0 free text in the "
            "language of the signal, passed on as written."
        ),
    )

    @field_validator("registration_country")
    @classmethod
    def _country_with_registration(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("registration") is not None:
            raise rule_error("registration_country_required")
        return value

    @model_validator(mode="after")
    def _identifiable(self) -> Vehicle:
        if self.registration is None and self.make is None:
            raise rule_error("vehicle_unidentified")
        return self


class Account(BaseModel):
    """A bank account."""

    model_config = _config()

    ref: Ref = Field(
        description="Name of this account within the signal, e.g. A1; unique among all refs."
    )
    iban: str = Field(
        max_length=34,
        description=(
            "IBAN in capitals without spaces, e.g. NL91ABNA0417164300; the check digits and the "
            "country's length and structure are checked."
        ),
    )
    holder_ref: Ref | None = Field(
        default=None,
        description="Ref of the person or organisation in this signal that holds the account.",
    )

    @field_validator("iban")
    @classmethod
    def _iban_is_valid(cls, value: str) -> str:
        return IBAN_RULE.verify(value)


PERSON: Final = "person"
ORGANISATION: Final = "organisation"
VEHICLE: Final = "vehicle"
ACCOUNT: Final = "account"
PLACE: Final = "place"

ENTITY_LISTS: Final[Mapping[str, str]] = {
    "persons": PERSON,
    "organisations": ORGANISATION,
    "vehicles": VEHICLE,
    "accounts": ACCOUNT,
}
"""Which member of a signal holds which kind of entity."""

_PARTIES: Final = frozenset({PERSON, ORGANISATION})

LINK_ENDS: Final[Mapping[str, tuple[frozenset[str], frozenset[str]]]] = {
    "owner": (_PARTIES, frozenset({ORGANISATION, VEHICLE, ACCOUNT})),
    "director": (_PARTIES, frozenset({ORGANISATION})),
    "employee": (frozenset({PERSON}), frozenset({ORGANISATION})),
    "tenant": (_PARTIES, _PARTIES),
    "resident": (frozenset({PERSON}), _PARTIES),
    "driver": (frozenset({PERSON}), frozenset({VEHICLE})),
    "holder": (_PARTIES, frozenset({ACCOUNT})),
    "associate": (_PARTIES, _PARTIES),
}
"""For each relation, the kinds of entity its `from` and its `to` may name."""

HOLDER_KINDS: Final = _PARTIES
ENTITY_KINDS: Final = frozenset(ENTITY_LISTS.values())

MAX_ITEMS: Final[Mapping[str, int]] = {
    "persons": 50,
    "organisations": 50,
    "vehicles": 50,
    "accounts": 50,
    "links": 200,
    "indicators": 100,
}
"""The most items each list of a signal may hold: a signal is about a case, not a register."""


def _describe_link_ends() -> str:
    def kinds(names: frozenset[str]) -> str:
        return " or ".join(sorted(names))

    return "; ".join(
        f"{relation}: {kinds(ends[0])} \u2192 {kinds(ends[1])}"
        for relation, ends in LINK_ENDS.items()
    )


class Link(BaseModel):
    """A relation between two entities of the signal: `from` is `relation` of `to`."""

    model_config = _config()

    from_ref: Ref = Field(alias="from", description="Ref of the entity the relation starts from.")
    to_ref: Ref = Field(
        alias="to", description="Ref of the entity the relation points to; not the same as `from`."
    )
    relation: Annotated[str, InCodeList("relation")] = Field(
        description=(
            "How `from` relates to `to`. Each end must name an entity of this signal of a kind "
            f"the relation allows ({_describe_link_ends()})."
        )
    )

    @field_validator("to_ref")
    @classmethod
    def _not_to_itself(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("from_ref"):
            raise rule_error("link_to_self")
        return value


class Recipients(BaseModel):
    """Who should receive the signal: named partners, routing by country and agency type, or both.

    The gateway resolves routing to partners and never sends a signal back to its sender.
    """

    model_config = _config(
        anyOf=[_given("partners", array=True), _given("countries", array=True)],
        allOf=[
            {"if": _given("countries", array=True), "then": _given("agency_types", array=True)},
            {"if": _given("agency_types", array=True), "then": _given("countries", array=True)},
        ],
    )

    partners: Annotated[tuple[PartnerId, ...], Items(100), AfterValidator(unique)] = Field(
        default=(),
        json_schema_extra={"uniqueItems": True},
        description=(
            "Partner ids, e.g. be-pol-liege. Whether they exist and may receive is checked when "
            "the gateway resolves the recipients, not by this schema."
        ),
    )
    countries: Annotated[tuple[SignalCountry, ...], Items(3), AfterValidator(unique)] = Field(
        default=(),
        json_schema_extra={"uniqueItems": True},
        description="Route to the partners in these countries whose agency type is listed.",
    )
    agency_types: Annotated[tuple[AgencyType, ...], Items(20), AfterValidator(unique)] = Field(
        default=(),
        validate_default=True,
        json_schema_extra={"uniqueItems": True},
        description="Agency types to route to in `countries`; given together with `countries`.",
    )

    @field_validator("agency_types")
    @classmethod
    def _routing_is_complete(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if "countries" not in info.data:
            return value
        if info.data["countries"] and not value:
            raise rule_error("agency_types_required")
        if value and not info.data["countries"]:
            raise rule_error("countries_required")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Recipients:
        if not self.partners and not self.countries:
            raise rule_error("recipients_empty")
        return self


class Request(BaseModel):
    """Makes the signal a request for information (EU Directive 2023/977, art. 5)."""

    model_config = _config()

    type: Annotated[str, InCodeList("request_type")] = Field(description="Kind of request.")
    deadline: Annotated[str, InCodeList("request_deadline")] = Field(
        description=(
            "Time limit counted from receipt: `urgent_direct` 8 hours, `urgent_indirect` 3 "
            "calendar days, `standard` 7 calendar days. The gateway tracks it until a reply "
            "(a signal with `in_reply_to`) arrives."
        )
    )


class Indicator(BaseModel):
    """A red flag of undermining seen in the facts, from code list `indicator` (since 1.1).

    It may be dated and may point at a place (`location_ref`) or an entity (`entity_ref`) of
    the signal, which must exist.
    """

    model_config = _config()

    code: Annotated[str, InCodeList("indicator")] = Field(
        description=(
            "What was seen, a code of list `indicator` (schemas/codelists/indicator.json), which "
            "gives each code's label and definition in nl, fr, de and en."
        )
    )
    date: str | None = Field(
        default=None,
        pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        description=(
            "When it was seen, as YYYY-MM-DD: a real calendar date, not after today; omit it "
            "when it is the time of the signal."
        ),
    )
    location_ref: Ref | None = Field(
        default=None,
        description="Ref of the place of this signal (`location` or an organisation's address).",
    )
    entity_ref: Ref | None = Field(
        default=None,
        description="Ref of the person, organisation, vehicle or account it concerns.",
    )

    @field_validator("date", mode="before")
    @classmethod
    def _date_is_real(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        seen = _calendar_date(value)
        if seen is None or len(value) != len("YYYY-MM-DD"):
            raise rule_error("indicator_date_format")
        today = current_time(info).date()
        if seen > today:
            raise rule_error("indicator_date_in_future", today=today.isoformat())
        return value


def _minor_version_rules() -> JsonSchemaValue:
    """signal/1.0 has no indicators and no place refs; from 1.1 a colour is a code."""
    no_ref: JsonSchemaValue = {"properties": {"ref": False}}
    return {
        "if": {"properties": {"schema": {"const": "signal/1.0"}}, "required": ["schema"]},
        "then": {
            "properties": {
                "indicators": {"maxItems": 0},
                "location": no_ref,
                "organisations": {"items": {"properties": {"address": no_ref}}},
            }
        },
        "else": {
            "properties": {
                "vehicles": {
                    "items": {
                        "properties": {
                            "colour": {
                                "anyOf": [InCodeList("colour").definition(), {"type": "null"}]
                            }
                        }
                    }
                }
            }
        },
    }


class Signal(BaseModel):
    """A signal as a partner posts it (Signal v1)."""

    model_config = _config(
        allOf=[
            {
                "if": {
                    "properties": {"handling_code": {"const": "H3"}},
                    "required": ["handling_code"],
                },
                "then": _given("handling_conditions"),
                "else": {"properties": {"handling_conditions": {"type": "null"}}},
            },
            {
                "if": {
                    "properties": {"category": {"pattern": "^care\\."}},
                    "required": ["category"],
                },
                "then": {
                    "properties": {"special_category_data": {"const": True}},
                    "required": ["special_category_data"],
                },
            },
            _minor_version_rules(),
        ]
    )

    schema_version: Annotated[str, AfterValidator(check_schema_version)] = Field(
        alias="schema",
        json_schema_extra={"pattern": SCHEMA_PATTERN},
        description=(
            "Schema version: `signal/1.1`, or `signal/1.0` for a signal without indicators, "
            "place refs or coded colours. Any minor version 1.x is accepted and read as 1.1; "
            "another major version is refused as unsupported."
        ),
    )
    sender_reference: SenderReference = Field(
        description=(
            "Your own reference for this signal, 1 to 64 printable ASCII characters. Unique per "
            "sender: posting the same reference again with the same content is answered with "
            "the first result, with other content refused."
        ),
    )
    language: Annotated[str, InCodeList("language")] = Field(
        description="Language of the free text: summary, description, handling conditions."
    )
    category: Annotated[str, InCodeList("category")] = Field(
        description="What the signal is about."
    )
    urgency: Annotated[str, InCodeList("urgency")] = Field(
        description="How fast recipients should act."
    )
    handling_code: Annotated[str, InCodeList("handling_code")] = Field(
        description="Restrictions on what recipients may do with the signal."
    )
    handling_conditions: Annotated[str, Text(500)] | None = Field(
        default=None,
        validate_default=True,
        description="The restrictions of handling code H3; required with H3, refused otherwise.",
    )
    source_reliability: Annotated[str, InCodeList("source_reliability")] = Field(
        description="Reliability of the source (admiralty code letter)."
    )
    information_reliability: Annotated[str, InCodeList("information_reliability")] = Field(
        description="Reliability of the information (admiralty code digit, as a string)."
    )
    observed_at: Timestamp = Field(
        description=(
            "When the facts were observed (or the period began): an RFC 3339 date-time with a UTC "
            "offset, at most 5 minutes ahead of the gateway's clock."
        )
    )
    observed_until: Timestamp | None = Field(
        default=None,
        description=(
            "End of the observed period: not before `observed_at`, and like it at most 5 minutes "
            "ahead of the gateway's clock. Omit it for a moment or an ongoing situation."
        ),
    )
    location: Location = Field(description="Where the facts were observed.")
    summary: Annotated[str, Line(280)] = Field(
        description="One-line summary in `language`, 1 to 280 characters, not blank."
    )
    description: Annotated[str, Text(8000)] | None = Field(
        default=None,
        description="Full account in `language`, up to 8000 characters; may span lines.",
    )
    persons: Annotated[tuple[Person, ...], Items(MAX_ITEMS["persons"])] = Field(
        default=(), description="Persons involved, at most 50."
    )
    organisations: Annotated[tuple[Organisation, ...], Items(MAX_ITEMS["organisations"])] = Field(
        default=(), description="Organisations involved, at most 50."
    )
    vehicles: Annotated[tuple[Vehicle, ...], Items(MAX_ITEMS["vehicles"])] = Field(
        default=(), description="Vehicles involved, at most 50."
    )
    accounts: Annotated[tuple[Account, ...], Items(MAX_ITEMS["accounts"])] = Field(
        default=(), description="Bank accounts involved, at most 50."
    )
    links: Annotated[tuple[Link, ...], Items(MAX_ITEMS["links"])] = Field(
        default=(),
        description="Relations between persons, organisations, vehicles and accounts, at most 200.",
    )
    indicators: Annotated[tuple[Indicator, ...], Items(MAX_ITEMS["indicators"])] = Field(
        default=(),
        description=(
            "Red flags of undermining seen in the facts, as codes every recipient reads in its "
            "own language, at most 100. Since signal/1.1."
        ),
    )
    special_category_data: StrictBool = Field(
        default=False,
        validate_default=True,
        description=(
            "True when the signal reveals health, religion, ethnicity, sexual life, criminal "
            "convictions or similar (GDPR art. 9 and 10). Must be true for every `care.*` "
            "category. Across a border such a signal is held back unless the policy allows it."
        ),
    )
    purpose: Annotated[str, InCodeList("purpose")] = Field(
        description="Why the information is shared."
    )
    recipients: Recipients = Field(
        description="Who should receive the signal; the gateway never sends it back to its sender."
    )
    in_reply_to: SignalId | None = Field(
        default=None,
        description=(
            "Makes this signal a reply: the gateway id (lowercase UUID) of a signal delivered "
            "to you."
        ),
    )
    request: Request | None = Field(
        default=None, description="Makes this signal a request for information with a deadline."
    )

    @field_validator("handling_conditions")
    @classmethod
    def _conditions_fit_code(cls, value: str | None, info: ValidationInfo) -> str | None:
        code = info.data.get("handling_code")
        if code == "H3" and value is None:
            raise rule_error("handling_conditions_required")
        if code not in (None, "H3") and value is not None:
            raise rule_error("handling_conditions_without_h3", handling_code=code)
        return value

    @field_validator("observed_at")
    @classmethod
    def _observed_at_not_ahead(cls, value: datetime, info: ValidationInfo) -> datetime:
        return _not_ahead(value, info)

    @field_validator("observed_until")
    @classmethod
    def _observed_until_in_order(
        cls, value: datetime | None, info: ValidationInfo
    ) -> datetime | None:
        if value is None:
            return None
        start = info.data.get("observed_at")
        if start is not None and value < start:
            raise rule_error("observed_until_before_observed_at")
        return _not_ahead(value, info)

    @field_validator("special_category_data")
    @classmethod
    def _care_is_special(cls, value: bool, info: ValidationInfo) -> bool:
        category = info.data.get("category")
        if isinstance(category, str) and category.startswith("care.") and not value:
            raise rule_error("special_category_required")
        return value


def _not_ahead(value: datetime, info: ValidationInfo) -> datetime:
    now = current_time(info)
    if value > now + FUTURE_TOLERANCE:
        raise rule_error("observed_in_future", now=now.isoformat(timespec="seconds"))
    return value
