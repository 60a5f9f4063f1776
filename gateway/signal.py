"""Signal v1: the models of the shared contract and the rules each part checks itself.

The models are pure: the only outside fact a rule needs is the current time, and
that comes from the validation context (``context={"now": datetime}``); the real
clock is read only when no context is given. Every rule that is not a plain type
or length constraint raises :class:`~pydantic_core.PydanticCustomError` with a
stable code from :data:`RULE_MESSAGES`, whose English message is also the
message id that :mod:`gateway.validate` hands on for translation.

A rule sits as low in the tree as it can (a location checks its own codes, an
identifier its own number), so that pydantic reports it together with errors in
other parts of the document. The rules that need the whole document (refs are
unique, links and account holders name existing refs) are in
:func:`gateway.validate.reference_issues`.

Values are stored exactly as given. Identifiers, registry numbers, IBANs and
postal codes must therefore be sent in their one canonical form (no spaces,
dots or dashes, capitals), so that equal numbers are equal strings for the
recipient, the audit log and keyed pseudonyms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Annotated, Any, ClassVar, Final

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema
from stdnum import iban as stdnum_iban
from stdnum.be import nn as stdnum_be_nn
from stdnum.be import vat as stdnum_be_vat
from stdnum.de import handelsregisternummer as stdnum_handelsregister
from stdnum.de import idnr as stdnum_de_idnr
from stdnum.eu import vat as stdnum_eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat
from stdnum.exceptions import ValidationError as NumberInvalid
from stdnum.nl import bsn as stdnum_nl_bsn
from stdnum.nl import postcode as stdnum_nl_postcode

from gateway import codelists
from gateway.i18n import N_

SCHEMA_MAJOR: Final = 1
FUTURE_TOLERANCE: Final = timedelta(minutes=5)
EARLIEST_BIRTH_YEAR: Final = 1900

RULE_MESSAGES: Final[Mapping[str, str]] = {
    "schema_version_format": N_(
        "Must name the schema version as \u201csignal/<major>.<minor>\u201d, "
        "e.g. \u201csignal/1.0\u201d."
    ),
    "unsupported_schema_version": N_(
        "Unsupported schema version \u201c{found}\u201d: this gateway accepts signal/1.x only."
    ),
    "country_unknown": N_(
        "Must be an ISO 3166-1 alpha-2 country code in capitals, such as NL, BE or DE; "
        "found {found}."
    ),
    "blank": N_("Must contain text, not only white space."),
    "control_character": N_(
        "Must not contain control characters; tab and line breaks are allowed in multi-line "
        "text only."
    ),
    "datetime_format": N_(
        "Must be an RFC 3339 date-time with a UTC offset, "
        "e.g. \u201c2026-05-01T14:30:00+02:00\u201d."
    ),
    "observed_in_future": N_(
        "Must not be more than 5 minutes in the future (the gateway's clock reads {now})."
    ),
    "observed_until_before_observed_at": N_("Must not be earlier than observed_at."),
    "handling_conditions_required": N_(
        "Handling code H3 needs handling_conditions that say what applies."
    ),
    "handling_conditions_without_h3": N_(
        "Give handling_conditions only with handling code H3, not with {handling_code}."
    ),
    "special_category_required": N_(
        "Must be true: every care.* category reveals special categories of personal data."
    ),
    "municipality_code_format": N_(
        "Is not a municipality code of {country}; one of {country} is written like {example}."
    ),
    "postal_code_format": N_(
        "Is not a postal code of {country}; one of {country} is written like {example}."
    ),
    "house_number_without_street": N_("A house number needs a street."),
    "date_of_birth_format": N_("Must be a calendar date as YYYY-MM-DD, or a year as YYYY."),
    "date_of_birth_range": N_("Must lie between {earliest} and today ({today})."),
    "person_unidentified": N_("A person needs a family_name or at least one identifier."),
    "organisation_unidentified": N_("An organisation needs a name or at least one identifier."),
    "vehicle_unidentified": N_("A vehicle needs a registration or a make."),
    "registration_country_required": N_("A registration needs its registration_country."),
    "issuing_country_mismatch": N_("A {type} is issued by {expected}, not by {found}."),
    "bsn_format": N_("A BSN is 9 digits without spaces or dots, e.g. 123456782."),
    "bsn_checksum": N_("This BSN fails the eleven-test; check the digits."),
    "be_nn_format": N_(
        "A Belgian national number is 11 digits (YYMMDD, counter, check digits) without "
        "separators, e.g. 85073003328."
    ),
    "be_nn_checksum": N_("This Belgian national number fails the mod-97 check; check the digits."),
    "de_idnr_format": N_(
        "A German tax identification number is 11 digits, not starting with 0, in which exactly "
        "one digit occurs two or three times among the first ten."
    ),
    "de_idnr_checksum": N_("This German tax identification number has a wrong check digit."),
    "document_number_format": N_(
        "A document number is 5 to 20 capital letters and digits without spaces or dashes."
    ),
    "kvk_format": N_("A KvK number is 8 digits, e.g. 69599084."),
    "kbo_format": N_(
        "A Belgian enterprise number is 10 digits starting with 0 or 1, without \u201cBE\u201d, "
        "dots or spaces, e.g. 0403170701."
    ),
    "kbo_checksum": N_("This Belgian enterprise number fails the mod-97 check; check the digits."),
    "handelsregister_format": N_(
        "A Handelsregister entry is the register court, the register (HRA, HRB, GnR, PR or VR) and "
        "the number, separated by single spaces, e.g. \u201cAachen HRB 12345\u201d."
    ),
    "handelsregister_court": N_(
        "Unknown register court: write it as in the list of German register courts, e.g. "
        "\u201cAachen\u201d, \u201cK\u00f6ln\u201d or \u201cBerlin (Charlottenburg)\u201d."
    ),
    "vat_format": N_(
        "An EU VAT number is the country prefix of a member state and the national number, in "
        "capitals without spaces or dots, e.g. NL004495445B01."
    ),
    "vat_checksum": N_("This VAT number fails its country's check; check the digits."),
    "iban_format": N_(
        "An IBAN is written in capitals without spaces, e.g. NL91ABNA0417164300, and must have "
        "the length and structure of its country."
    ),
    "iban_checksum": N_("This IBAN fails the mod-97 check; check the digits."),
    "ref_format": N_(
        "A ref is 1 to 32 letters, digits, \u201c.\u201d, \u201c_\u201d or \u201c-\u201d, "
        "starting with a letter or digit, e.g. P1."
    ),
    "link_to_self": N_("A link must connect two different entities."),
    "sender_reference_format": N_(
        "Must be 1 to 64 printable ASCII characters without leading or trailing spaces."
    ),
    "registration_format": N_(
        "A registration is up to 16 capital letters and digits, in groups separated by single "
        "spaces or dashes, as on the plate, e.g. AB-123-C."
    ),
    "partner_id_format": N_(
        "A partner id is a lowercase slug such as nl-pol-limburg: country, dash, letters "
        "and digits."
    ),
    "signal_id_format": N_(
        "Must be a gateway signal id: a UUID in lowercase canonical form, "
        "e.g. 0192f0c4-3b5e-7a61-9d2e-5c8b7a6f4e31."
    ),
    "duplicate_item": N_("Lists \u201c{item}\u201d more than once."),
    "recipients_empty": N_("Name at least one partner, or route by countries and agency_types."),
    "agency_types_required": N_("Routing by countries needs agency_types as well."),
    "countries_required": N_("Routing by agency_types needs countries as well."),
    "duplicate_ref": N_("The ref \u201c{ref}\u201d is already used by {first}."),
    "unknown_ref": N_("No person, organisation, vehicle or account has the ref \u201c{ref}\u201d."),
    "wrong_ref_kind": N_(
        "The ref \u201c{ref}\u201d names a {kind}; the \u201c{relation}\u201d relation needs "
        "one of: {expected}."
    ),
}


def rule_error(code: str, **context: Any) -> PydanticCustomError:
    """The error for broken rule ``code``; its message comes from :data:`RULE_MESSAGES`."""
    return PydanticCustomError(code, RULE_MESSAGES[code], context or None)


def _now(info: ValidationInfo) -> datetime:
    context = info.context
    now = context.get("now") if isinstance(context, Mapping) else None
    return now if isinstance(now, datetime) else datetime.now(UTC)


# --- field types ------------------------------------------------------------------------


@dataclass(frozen=True)
class _CodeList:
    """A string from code list ``name``, shared as ``#/$defs/<Name>Code`` in the JSON Schema.

    A wrong value is pydantic's ``enum`` error listing the codes, or ``error`` for a list
    too long to list.
    """

    name: str
    error: str | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        values = codelists.codes(self.name)
        literal = core_schema.literal_schema(list(values))
        if self.error is None:
            schema = core_schema.custom_error_schema(
                literal,
                custom_error_type="enum",
                custom_error_context={"expected": ", ".join(values)},
            )
        else:
            schema = core_schema.custom_error_schema(
                literal,
                custom_error_type=self.error,
                custom_error_message=RULE_MESSAGES[self.error],
            )
        return {**schema, "ref": _def_name(self.name)}

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        target = handler.resolve_ref_schema(json_schema)
        target["title"] = _def_name(self.name)
        target["description"] = self._describe()
        return json_schema

    def _describe(self) -> str:
        source = f"Code list `{self.name}` (schemas/codelists/{self.name}.json)."
        if self.error is not None:
            return f"{source} ISO 3166-1 alpha-2 country codes, and XK for Kosovo."
        listing = "; ".join(f"`{c.code}` {c.meaning}" for c in codelists.load(self.name).codes)
        return f"{source} {listing}."


def _def_name(codelist: str) -> str:
    return "".join(part.capitalize() for part in codelist.split("_")) + "Code"


@dataclass(frozen=True)
class _Format:
    """Report any error of the wrapped string schema as one rule error saying what is expected."""

    code: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.custom_error_schema(
            handler(source),
            custom_error_type=self.code,
            custom_error_message=RULE_MESSAGES[self.code],
        )


# Free text needs one character that is neither white space (as ECMA-262 defines it, so the
# JSON Schema pattern means the same in every validator) nor a control character. The
# patterns cannot backtrack, so checking them costs one pass over the text.
_SPACE = r"\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_LINE_CONTROL = r"\u0000-\u001f\u007f-\u009f"
_TEXT_CONTROL = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
_TEXT_SPACE = r"\t\n\r" + _SPACE
LINE_PATTERN: Final = f"^[{_SPACE}]*[^{_SPACE}{_LINE_CONTROL}][^{_LINE_CONTROL}]*$"
TEXT_PATTERN: Final = f"^[{_TEXT_SPACE}]*[^{_TEXT_SPACE}{_TEXT_CONTROL}][^{_TEXT_CONTROL}]*$"


@dataclass(frozen=True)
class Line:
    """One line of text: 1..max_length characters, not blank, no control characters."""

    max_length: int
    pattern: ClassVar[str] = LINE_PATTERN
    controls: ClassVar[str] = _LINE_CONTROL

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(
            self._check, core_schema.str_schema(min_length=1, max_length=self.max_length)
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        return json_schema

    def _check(self, value: str) -> str:
        if _compiled(self.pattern).fullmatch(value):
            return value
        if _compiled(f"[{self.controls}]").search(value):
            raise rule_error("control_character")
        raise rule_error("blank")


@dataclass(frozen=True)
class Text(Line):
    """Free text over several lines: like :class:`Line`, but tab, CR and LF are allowed."""

    pattern: ClassVar[str] = TEXT_PATTERN
    controls: ClassVar[str] = _TEXT_CONTROL


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})?"
)


def _rfc3339_text(value: object) -> object:
    """Let only RFC 3339 text reach pydantic's parser, which also takes numbers and other forms."""
    if isinstance(value, str) and _RFC3339.fullmatch(value):
        return value
    raise rule_error("datetime_format")


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise rule_error("duplicate_item", item=value)
        seen.add(value)
    return values


REF_PATTERN: Final = "^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
PARTNER_ID_PATTERN: Final = "^[a-z]{2}-[a-z0-9]+(-[a-z0-9]+)*$"
SIGNAL_ID_PATTERN: Final = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
SENDER_REFERENCE_PATTERN: Final = "^[!-~]([ -~]*[!-~])?$"
REGISTRATION_PATTERN: Final = "^[A-Z0-9\u00c4\u00d6\u00dc]+([ -][A-Z0-9\u00c4\u00d6\u00dc]+)*$"
SCHEMA_PATTERN: Final = r"^signal/1\.(0|[1-9][0-9]*)$"
_SCHEMA_VERSION = re.compile(r"signal/(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")

Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text)]
Ref = Annotated[str, StringConstraints(pattern=REF_PATTERN), _Format("ref_format")]
PartnerId = Annotated[
    str, StringConstraints(max_length=64, pattern=PARTNER_ID_PATTERN), _Format("partner_id_format")
]
CountryCode = Annotated[str, _CodeList("iso_country", error="country_unknown")]
SignalCountry = Annotated[str, _CodeList("country")]
AgencyType = Annotated[str, _CodeList("agency_type")]
Registration = Annotated[
    str,
    StringConstraints(max_length=16, pattern=REGISTRATION_PATTERN),
    _Format("registration_format"),
]
SenderReference = Annotated[
    str,
    StringConstraints(max_length=64, pattern=SENDER_REFERENCE_PATTERN),
    _Format("sender_reference_format"),
]
SignalId = Annotated[str, StringConstraints(pattern=SIGNAL_ID_PATTERN), _Format("signal_id_format")]


def schema_major(value: object) -> int | None:
    """The major version of a ``schema`` member, or None when it is not a schema version at all."""
    if isinstance(value, str) and (match := _SCHEMA_VERSION.fullmatch(value)):
        return int(match.group(1))
    return None


def _check_schema_version(value: str) -> str:
    major = schema_major(value)
    if major is None:
        raise rule_error("schema_version_format")
    if major != SCHEMA_MAJOR:
        raise rule_error("unsupported_schema_version", found=value)
    return value


# --- numbers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberRule:
    """How one kind of number is written and checked.

    ``check`` is python-stdnum's ``validate``, which returns the canonical form; a value
    that passes but is written another way is refused with ``format_code`` (or with
    ``component_code``, for a register court spelt another way).
    """

    pattern: str
    format_code: str
    checksum_code: str | None = None
    component_code: str | None = None
    check: Callable[[str], str] | None = None
    country: str | None = None

    def verify(self, value: str) -> str:
        if not _compiled(self.pattern).fullmatch(value):
            raise rule_error(self.format_code)
        if self.check is None:
            return value
        try:
            canonical = self.check(value)
        except InvalidChecksum:
            raise rule_error(self.checksum_code or self.format_code) from None
        except InvalidComponent:
            raise rule_error(self.component_code or self.format_code) from None
        except NumberInvalid:
            raise rule_error(self.format_code) from None
        if canonical != value:
            raise rule_error(self.component_code or self.format_code)
        return value


_DOCUMENT = NumberRule(pattern="^[A-Z0-9]{5,20}$", format_code="document_number_format")

PERSON_NUMBERS: Final[Mapping[str, NumberRule]] = {
    "nl.bsn": NumberRule(
        "^[0-9]{9}$", "bsn_format", "bsn_checksum", check=stdnum_nl_bsn.validate, country="NL"
    ),
    "be.nn": NumberRule(
        "^[0-9]{11}$", "be_nn_format", "be_nn_checksum", check=stdnum_be_nn.validate, country="BE"
    ),
    "de.idnr": NumberRule(
        "^[1-9][0-9]{10}$",
        "de_idnr_format",
        "de_idnr_checksum",
        check=stdnum_de_idnr.validate,
        country="DE",
    ),
    "passport": _DOCUMENT,
    "id_card": _DOCUMENT,
    "driving_licence": _DOCUMENT,
}

ORGANISATION_NUMBERS: Final[Mapping[str, NumberRule]] = {
    "nl.kvk": NumberRule("^[0-9]{8}$", "kvk_format"),
    "be.kbo": NumberRule(
        "^[01][0-9]{9}$", "kbo_format", "kbo_checksum", check=stdnum_be_vat.validate
    ),
    "de.handelsregister": NumberRule(
        "^[^ ].* (HRA|HRB|GnR|PR|VR) [1-9][0-9]{0,5}( [A-Z]{1,3})?$",
        "handelsregister_format",
        component_code="handelsregister_court",
        check=stdnum_handelsregister.validate,
    ),
    "vat": NumberRule(
        "^[A-Z]{2}[0-9A-Z+*]{2,13}$", "vat_format", "vat_checksum", check=stdnum_eu_vat.validate
    ),
}


def _validate_iban(value: str) -> str:
    """stdnum's IBAN check, but an IBAN of the wrong length or structure is a format error.

    stdnum tests the check digits first, so a number that is too short fails as a checksum;
    it is a format error when correct check digits would not make it valid for another reason.
    """
    try:
        return str(stdnum_iban.validate(value))
    except InvalidChecksum:
        repaired = value[:2] + stdnum_iban.calc_check_digits(value) + value[4:]
        try:
            stdnum_iban.validate(repaired)
        except InvalidChecksum:
            pass
        except NumberInvalid:
            raise InvalidFormat from None
        raise


IBAN_RULE: Final = NumberRule(
    "^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$", "iban_format", "iban_checksum", check=_validate_iban
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
    if not _compiled(pattern).fullmatch(value):
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

    type: Annotated[str, _CodeList("person_identifier_type")] = Field(
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
    role: Annotated[str, _CodeList("person_role")] = Field(
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
    nationalities: Annotated[tuple[CountryCode, ...], AfterValidator(_unique)] = Field(
        default=(),
        max_length=10,
        json_schema_extra={"uniqueItems": True},
        description="Nationalities as ISO 3166-1 alpha-2 codes, each at most once, at most 10.",
    )
    gender: Annotated[str, _CodeList("gender")] | None = Field(default=None, description="Gender.")
    identifiers: tuple[PersonIdentifier, ...] = Field(
        default=(),
        max_length=10,
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
        today = _now(info).date()
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

    type: Annotated[str, _CodeList("organisation_identifier_type")] = Field(
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
    role: Annotated[str, _CodeList("organisation_role")] = Field(
        description="Role of the organisation in what is reported."
    )
    name: Annotated[str, Line(200)] | None = Field(
        default=None, description="Registered or trading name."
    )
    legal_form: Annotated[str, Line(50)] | None = Field(
        default=None, description="Legal form as written in its country, e.g. B.V., SRL, GmbH."
    )
    sector: Annotated[str, _CodeList("sector")] | None = Field(
        default=None, description="Sector of activity."
    )
    address: Location | None = Field(default=None, description="Registered or business address.")
    identifiers: tuple[OrganisationIdentifier, ...] = Field(
        default=(),
        max_length=10,
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
        default=None, description="Colour, in the language of the signal."
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
    relation: Annotated[str, _CodeList("relation")] = Field(
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

    partners: Annotated[tuple[PartnerId, ...], AfterValidator(_unique)] = Field(
        default=(),
        max_length=100,
        json_schema_extra={"uniqueItems": True},
        description=(
            "Partner ids, e.g. be-pol-liege. Whether they exist and may receive is checked when "
            "the gateway resolves the recipients, not by this schema."
        ),
    )
    countries: Annotated[tuple[SignalCountry, ...], AfterValidator(_unique)] = Field(
        default=(),
        max_length=3,
        json_schema_extra={"uniqueItems": True},
        description="Route to the partners in these countries whose agency type is listed.",
    )
    agency_types: Annotated[tuple[AgencyType, ...], AfterValidator(_unique)] = Field(
        default=(),
        max_length=20,
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

    type: Annotated[str, _CodeList("request_type")] = Field(description="Kind of request.")
    deadline: Annotated[str, _CodeList("request_deadline")] = Field(
        description=(
            "Time limit counted from receipt: `urgent_direct` 8 hours, `urgent_indirect` 3 "
            "calendar days, `standard` 7 calendar days. The gateway tracks it until a reply "
            "(a signal with `in_reply_to`) arrives."
        )
    )


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
        ]
    )

    schema_version: Annotated[str, AfterValidator(_check_schema_version)] = Field(
        alias="schema",
        json_schema_extra={"pattern": SCHEMA_PATTERN},
        description=(
            "Schema version, `signal/1.0`. Any minor version 1.x is accepted; another major "
            "version is refused as unsupported."
        ),
    )
    sender_reference: SenderReference = Field(
        description=(
            "Your own reference for this signal, 1 to 64 printable ASCII characters. Unique per "
            "sender: posting the same reference again with the same content is answered with "
            "the first result, with other content refused."
        ),
    )
    language: Annotated[str, _CodeList("language")] = Field(
        description="Language of the free text: summary, description, handling conditions."
    )
    category: Annotated[str, _CodeList("category")] = Field(description="What the signal is about.")
    urgency: Annotated[str, _CodeList("urgency")] = Field(
        description="How fast recipients should act."
    )
    handling_code: Annotated[str, _CodeList("handling_code")] = Field(
        description="Restrictions on what recipients may do with the signal."
    )
    handling_conditions: Annotated[str, Text(500)] | None = Field(
        default=None,
        validate_default=True,
        description="The restrictions of handling code H3; required with H3, refused otherwise.",
    )
    source_reliability: Annotated[str, _CodeList("source_reliability")] = Field(
        description="Reliability of the source (admiralty code letter)."
    )
    information_reliability: Annotated[str, _CodeList("information_reliability")] = Field(
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
    persons: tuple[Person, ...] = Field(
        default=(), max_length=50, description="Persons involved, at most 50."
    )
    organisations: tuple[Organisation, ...] = Field(
        default=(), max_length=50, description="Organisations involved, at most 50."
    )
    vehicles: tuple[Vehicle, ...] = Field(
        default=(), max_length=50, description="Vehicles involved, at most 50."
    )
    accounts: tuple[Account, ...] = Field(
        default=(), max_length=50, description="Bank accounts involved, at most 50."
    )
    links: tuple[Link, ...] = Field(
        default=(),
        max_length=200,
        description="Relations between persons, organisations, vehicles and accounts, at most 200.",
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
    purpose: Annotated[str, _CodeList("purpose")] = Field(
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
    now = _now(info)
    if value > now + FUTURE_TOLERANCE:
        raise rule_error("observed_in_future", now=now.isoformat(timespec="seconds"))
    return value
