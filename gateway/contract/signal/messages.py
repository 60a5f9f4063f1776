"""The rules' error codes and messages, and the clock the time-bound rules read.

Every rule that is not a plain type or length constraint raises
:class:`~pydantic_core.PydanticCustomError` with a stable code from :data:`RULE_MESSAGES`,
whose English message is also the message id that :mod:`gateway.contract.validate` hands on for
translation.

The models are pure: the only outside fact a rule needs is the current time, and that comes
from the validation context (``context={"now": datetime}``); the real clock is read only when
no context is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from pydantic import ValidationInfo
from pydantic_core import PydanticCustomError

from gateway.infra.i18n import N_

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
    "invisible_character": N_(
        "Must not contain invisible characters or characters that change the direction of "
        "the text; found {character} at character {position}."
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
    "unknown_place_ref": N_(
        "No place of this signal (its location or an organisation's address) has the ref "
        "\u201c{ref}\u201d."
    ),
    "indicator_ref_kind": N_(
        "The ref \u201c{ref}\u201d names a {kind}; an indicator's {member} needs one of: "
        "{expected}."
    ),
    "indicator_date_format": N_("Must be a calendar date as YYYY-MM-DD."),
    "indicator_date_in_future": N_("Must not be later than today ({today})."),
    "needs_minor_version": N_(
        "Needs schema signal/1.1 or later; this signal declares \u201c{found}\u201d."
    ),
    "colour_code": N_(
        "Since signal/1.1 a colour is a code of list colour: {expected}; found {found}."
    ),
}


def rule_error(code: str, **context: Any) -> PydanticCustomError:
    """The error for broken rule ``code``; its message comes from :data:`RULE_MESSAGES`."""
    return PydanticCustomError(code, RULE_MESSAGES[code], context or None)


def current_time(info: ValidationInfo) -> datetime:
    context = info.context
    now = context.get("now") if isinstance(context, Mapping) else None
    return now if isinstance(now, datetime) else datetime.now(UTC)
