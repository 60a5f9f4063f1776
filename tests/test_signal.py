"""Signal v1 models: what each part of a signal accepts, and the rule it breaks otherwise."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from gateway.contract import json_pointer
from gateway.contract import signal as models
from gateway.contract.signal import Signal

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def minimal(**members: Any) -> dict[str, Any]:
    """The smallest valid signal, with ``members`` replaced or added."""
    document: dict[str, Any] = {
        "schema": "signal/1.0",
        "sender_reference": "PL2400-2026-000001",
        "language": "nl",
        "category": "undermining.drug_waste",
        "urgency": "routine",
        "handling_code": "H0",
        "source_reliability": "B",
        "information_reliability": "2",
        "observed_at": "2026-11-20T08:00:00+01:00",
        "location": {
            "country": "NL",
            "municipality_code": "GM0935",
            "municipality_name": "Maastricht",
        },
        "summary": "Vaten met drugsafval gevonden",
        "purpose": "criminal_investigation",
        "recipients": {"partners": ["be-pol-liege"]},
    }
    document.update(members)
    return document


def problems(document: dict[str, Any], now: datetime = NOW) -> set[tuple[str, str]]:
    """Each (pointer, code) the models report, or nothing when the document is valid."""
    try:
        Signal.model_validate(document, context={"now": now})
    except ValidationError as exc:
        return {(json_pointer.join(*error["loc"]), error["type"]) for error in exc.errors()}
    return set()


def with_location(**members: Any) -> dict[str, Any]:
    location = {"country": "NL", "municipality_code": "GM0935", "municipality_name": "Maastricht"}
    location.update(members)
    return minimal(location=location)


def with_person(**members: Any) -> dict[str, Any]:
    person: dict[str, Any] = {"ref": "P1", "role": "suspect", "family_name": "Jansen"}
    person.update(members)
    return minimal(persons=[person])


def with_identifier(kind: str, value: str, country: str) -> dict[str, Any]:
    return with_person(identifiers=[{"type": kind, "value": value, "issuing_country": country}])


def with_organisation_identifier(kind: str, value: str) -> dict[str, Any]:
    organisation = {"ref": "O1", "role": "subject", "identifiers": [{"type": kind, "value": value}]}
    return minimal(organisations=[organisation])


# --- the signal as a whole ---------------------------------------------------------------


def test_the_smallest_signal_is_valid_and_empty_where_nothing_was_said() -> None:
    signal = Signal.model_validate(minimal(), context={"now": NOW})
    assert signal.persons == signal.links == ()
    assert signal.special_category_data is False
    assert signal.handling_conditions is None


def test_a_signal_cannot_be_changed_once_validated() -> None:
    signal = Signal.model_validate(minimal(), context={"now": NOW})
    with pytest.raises(ValidationError):
        signal.summary = "something else"  # type: ignore[misc]


def test_a_misspelt_member_is_an_error_at_every_level() -> None:
    document = minimal(sumary="typo")
    document["location"]["postcode"] = "6211 LN"
    document["recipients"]["partner"] = ["de-pol-aachen"]
    assert problems(document) == {
        ("/sumary", "extra_forbidden"),
        ("/location/postcode", "extra_forbidden"),
        ("/recipients/partner", "extra_forbidden"),
    }


@pytest.mark.parametrize("version", ["signal/1.0", "signal/1.1", "signal/1.12"])
def test_any_minor_version_of_signal_1_is_accepted(version: str) -> None:
    assert problems(minimal(schema=version)) == set()


@pytest.mark.parametrize(
    ("version", "code"),
    [
        ("signal/2.0", "unsupported_schema_version"),
        ("signal/0.9", "unsupported_schema_version"),
        ("signal/1", "schema_version_format"),
        ("1.0", "schema_version_format"),
        ("signal/01.0", "schema_version_format"),
        ("Signal/1.0", "schema_version_format"),
    ],
)
def test_other_schema_versions_are_refused_with_a_clear_reason(version: str, code: str) -> None:
    assert problems(minimal(schema=version)) == {("/schema", code)}


@pytest.mark.parametrize("reference", ["A", "PL2400/2026 #17", "x" * 64])
def test_a_sender_reference_is_printable_ascii_up_to_64(reference: str) -> None:
    assert problems(minimal(sender_reference=reference)) == set()


@pytest.mark.parametrize("reference", ["", " leading", "trailing ", "x" * 65, "tab\there", "é"])
def test_other_sender_references_are_refused(reference: str) -> None:
    assert problems(minimal(sender_reference=reference)) == {
        ("/sender_reference", "sender_reference_format")
    }


def test_handling_code_h3_needs_its_conditions_and_only_h3_has_them() -> None:
    assert problems(minimal(handling_code="H3")) == {
        ("/handling_conditions", "handling_conditions_required")
    }
    assert (
        problems(minimal(handling_code="H3", handling_conditions="Niet delen met derden.")) == set()
    )
    assert problems(minimal(handling_code="H1", handling_conditions="Niet delen.")) == {
        ("/handling_conditions", "handling_conditions_without_h3")
    }


@pytest.mark.parametrize("category", ["care.confused_behaviour", "care.vulnerable_youth"])
def test_a_care_category_must_be_flagged_as_special_category_data(category: str) -> None:
    expected = {("/special_category_data", "special_category_required")}
    assert problems(minimal(category=category)) == expected
    assert problems(minimal(category=category, special_category_data=False)) == expected
    assert problems(minimal(category=category, special_category_data=True)) == set()


def test_special_category_data_is_a_boolean_not_something_like_one() -> None:
    for value in ("true", 1, "yes"):
        assert problems(minimal(special_category_data=value)) == {
            ("/special_category_data", "bool_type")
        }


def test_observed_at_may_be_at_most_five_minutes_ahead_of_the_gateway_clock() -> None:
    at_limit = (NOW + timedelta(minutes=5)).isoformat()
    beyond = (NOW + timedelta(minutes=5, seconds=1)).isoformat()
    assert problems(minimal(observed_at=at_limit)) == set()
    assert problems(minimal(observed_at=beyond)) == {("/observed_at", "observed_in_future")}


def test_without_a_clock_in_the_context_the_real_clock_decides() -> None:
    document = minimal(observed_at="2100-01-01T00:00:00Z")
    with pytest.raises(ValidationError, match="observed_in_future"):
        Signal.model_validate(document)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2026-11-20T08:00:00", "timezone_aware"),
        ("2026-11-20", "datetime_format"),
        ("2026-11-20 08:00:00+01:00", "datetime_format"),
        ("20 November 2026", "datetime_format"),
        (1763625600, "datetime_format"),
        ("2026-02-30T08:00:00Z", "datetime_from_date_parsing"),
        ("2026-11-20T25:00:00Z", "datetime_from_date_parsing"),
    ],
)
def test_times_are_rfc_3339_with_an_offset(value: object, code: str) -> None:
    assert problems(minimal(observed_at=value)) == {("/observed_at", code)}


def test_a_period_ends_after_it_starts_and_not_in_the_future() -> None:
    start = "2026-11-20T08:00:00+01:00"
    assert problems(minimal(observed_at=start, observed_until="2026-11-20T07:00:00Z")) == set()
    assert problems(minimal(observed_at=start, observed_until="2026-11-20T06:59:59Z")) == {
        ("/observed_until", "observed_until_before_observed_at")
    }
    assert problems(minimal(observed_at=start, observed_until="2026-12-24T00:00:00Z")) == {
        ("/observed_until", "observed_in_future")
    }


@pytest.mark.parametrize(
    ("summary", "code"),
    [
        ("", "string_too_short"),
        ("   ", "blank"),
        ("\u00a0\u3000", "blank"),
        ("two\nlines", "control_character"),
        ("bell\u0007", "control_character"),
        ("x" * 281, "string_too_long"),
        (42, "string_type"),
    ],
)
def test_a_summary_is_one_line_of_1_to_280_characters_with_text_in_it(
    summary: object, code: str
) -> None:
    assert problems(minimal(summary=summary)) == {("/summary", code)}


def test_a_description_may_span_lines_up_to_8000_characters() -> None:
    assert problems(minimal(description="Regel een.\r\nRegel\ttwee.\n" + "x" * 7900)) == set()
    assert problems(minimal(description="x" * 8001)) == {("/description", "string_too_long")}
    assert problems(minimal(description="\n\t ")) == {("/description", "blank")}
    assert problems(minimal(description="nul\u0000")) == {("/description", "control_character")}


@pytest.mark.parametrize("member", ["urgency", "category", "purpose", "language", "handling_code"])
def test_coded_members_take_only_codes_from_their_list(member: str) -> None:
    assert problems(minimal(**{member: "whenever"})) == {(f"/{member}", "enum")}


def test_optional_members_may_be_null_and_lists_may_be_empty() -> None:
    document = minimal(description=None, observed_until=None, request=None, persons=[], links=[])
    assert problems(document) == set()


def test_lists_have_their_limits() -> None:
    people = [{"ref": f"P{i}", "role": "witness", "family_name": "Peeters"} for i in range(51)]
    assert problems(minimal(persons=people)) == {("/persons", "too_long")}
    assert problems(minimal(persons=people[:50])) == set()


# --- location -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "code"),
    [("NL", "GM0935"), ("NL", "GM0917"), ("BE", "62063"), ("BE", "73042"), ("DE", "05334002")],
)
def test_a_municipality_code_has_its_countrys_format(country: str, code: str) -> None:
    assert problems(with_location(country=country, municipality_code=code)) == set()


@pytest.mark.parametrize(
    ("country", "code"),
    [
        ("NL", "0935"),
        ("NL", "gm0935"),
        ("NL", "62063"),
        ("BE", "GM0935"),
        ("BE", "6206"),
        ("BE", "02063"),
        ("DE", "5334002"),
        ("DE", "17334002"),
        ("DE", "62063"),
    ],
)
def test_a_municipality_code_of_another_format_is_refused(country: str, code: str) -> None:
    assert problems(with_location(country=country, municipality_code=code)) == {
        ("/location/municipality_code", "municipality_code_format")
    }


@pytest.mark.parametrize(
    ("country", "postal_code", "valid"),
    [
        ("NL", "6211 LN", True),
        ("NL", "6211LN", False),
        ("NL", "6211 ln", False),
        ("NL", "0211 LN", False),
        ("NL", "6211 SS", False),
        ("BE", "4000", True),
        ("BE", "0400", False),
        ("BE", "40000", False),
        ("DE", "52062", True),
        ("DE", "01067", True),
        ("DE", "00100", False),
        ("DE", "5206", False),
    ],
)
def test_a_postal_code_has_its_countrys_format(country: str, postal_code: str, valid: bool) -> None:
    code = {"NL": "GM0935", "BE": "62063", "DE": "05334002"}[country]
    document = with_location(country=country, municipality_code=code, postal_code=postal_code)
    assert problems(document) == (
        set() if valid else {("/location/postal_code", "postal_code_format")}
    )


def test_a_house_number_needs_a_street() -> None:
    assert problems(with_location(house_number="12a")) == {
        ("/location/house_number", "house_number_without_street")
    }
    assert problems(with_location(street="Markt", house_number="12a")) == set()


def test_coordinates_are_wgs84_degrees() -> None:
    assert problems(with_location(coordinates={"lat": 50.85, "lon": 5})) == set()
    assert problems(with_location(coordinates={"lat": 91, "lon": -181})) == {
        ("/location/coordinates/lat", "less_than_equal"),
        ("/location/coordinates/lon", "greater_than_equal"),
    }
    assert problems(with_location(coordinates={"lat": "50.85", "lon": True})) == {
        ("/location/coordinates/lat", "float_type"),
        ("/location/coordinates/lon", "float_type"),
    }


def test_an_unknown_country_leaves_the_codes_unchecked_but_is_itself_an_error() -> None:
    assert problems(with_location(country="FR", municipality_code="75056")) == {
        ("/location/country", "enum")
    }


# --- persons ----------------------------------------------------------------------------------


def test_a_person_needs_a_family_name_or_an_identifier() -> None:
    assert problems(with_person(family_name=None)) == {("/persons/0", "person_unidentified")}
    assert problems(with_identifier("nl.bsn", "123456782", "NL")) == set()


@pytest.mark.parametrize("born", ["1985", "1985-02-28", "1900-01-01", "2026-11-25"])
def test_a_date_of_birth_is_a_date_or_a_year_from_1900_to_today(born: str) -> None:
    assert problems(with_person(date_of_birth=born)) == set()


@pytest.mark.parametrize(
    ("born", "code"),
    [
        ("1985-02-30", "date_of_birth_format"),
        ("85-01-01", "date_of_birth_format"),
        ("1985-2-3", "date_of_birth_format"),
        ("1899-12-31", "date_of_birth_range"),
        ("1899", "date_of_birth_range"),
        ("2026-11-26", "date_of_birth_range"),
        (1985, "string_type"),
    ],
)
def test_other_dates_of_birth_are_refused(born: object, code: str) -> None:
    assert problems(with_person(date_of_birth=born)) == {("/persons/0/date_of_birth", code)}


def test_nationalities_are_distinct_alpha_2_codes() -> None:
    assert problems(with_person(nationalities=["NL", "MA", "XK"])) == set()
    assert problems(with_person(nationalities=["NL", "nl", "NLD"])) == {
        ("/persons/0/nationalities/1", "country_unknown"),
        ("/persons/0/nationalities/2", "country_unknown"),
    }
    assert problems(with_person(nationalities=["NL", "NL"])) == {
        ("/persons/0/nationalities", "duplicate_item")
    }


@pytest.mark.parametrize(
    ("kind", "value", "country"),
    [
        ("nl.bsn", "123456782", "NL"),
        ("be.nn", "85073003328", "BE"),
        ("be.nn", "17073003384", "BE"),
        ("de.idnr", "36574261809", "DE"),
        ("passport", "NXC3F1JH2", "NL"),
        ("id_card", "591123456789", "BE"),
        ("driving_licence", "B072RRE2I55", "DE"),
        ("passport", "P1234567", "MA"),
    ],
)
def test_valid_person_numbers_are_accepted(kind: str, value: str, country: str) -> None:
    assert problems(with_identifier(kind, value, country)) == set()


@pytest.mark.parametrize(
    ("kind", "value", "code"),
    [
        ("nl.bsn", "123456789", "bsn_checksum"),
        ("nl.bsn", "1234.56.782", "bsn_format"),
        ("nl.bsn", "12345678", "bsn_format"),
        ("be.nn", "85073003329", "be_nn_checksum"),
        ("be.nn", "85.07.30-033.28", "be_nn_format"),
        ("be.nn", "85133003370", "be_nn_format"),
        ("de.idnr", "36574261808", "de_idnr_checksum"),
        ("de.idnr", "12345678903", "de_idnr_format"),
        ("de.idnr", "06574261809", "de_idnr_format"),
        ("passport", "nxc3f1jh2", "document_number_format"),
        ("passport", "NXC 3F1 JH2", "document_number_format"),
    ],
)
def test_wrong_person_numbers_say_what_is_wrong(kind: str, value: str, code: str) -> None:
    country = {"nl.bsn": "NL", "be.nn": "BE", "de.idnr": "DE"}.get(kind, "NL")
    assert problems(with_identifier(kind, value, country)) == {
        ("/persons/0/identifiers/0/value", code)
    }


@pytest.mark.parametrize(
    ("kind", "value", "country"),
    [
        ("nl.bsn", "123456782", "BE"),
        ("be.nn", "85073003328", "NL"),
        ("de.idnr", "36574261809", "AT"),
    ],
)
def test_a_national_number_is_issued_by_its_own_country(
    kind: str, value: str, country: str
) -> None:
    assert problems(with_identifier(kind, value, country)) == {
        ("/persons/0/identifiers/0/issuing_country", "issuing_country_mismatch")
    }


def test_a_document_needs_a_real_issuing_country() -> None:
    assert problems(with_identifier("passport", "NXC3F1JH2", "XX")) == {
        ("/persons/0/identifiers/0/issuing_country", "country_unknown")
    }


# --- organisations, vehicles, accounts, links --------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("nl.kvk", "69599084"),
        ("be.kbo", "0403170701"),
        ("de.handelsregister", "Aachen HRB 12345"),
        ("de.handelsregister", "Berlin (Charlottenburg) HRB 1234 B"),
        ("vat", "NL004495445B01"),
        ("vat", "BE0403170701"),
        ("vat", "DE136695976"),
    ],
)
def test_valid_organisation_numbers_are_accepted(kind: str, value: str) -> None:
    assert problems(with_organisation_identifier(kind, value)) == set()


@pytest.mark.parametrize(
    ("kind", "value", "code"),
    [
        ("nl.kvk", "6959908", "kvk_format"),
        ("be.kbo", "0403170702", "kbo_checksum"),
        ("be.kbo", "BE0403170701", "kbo_format"),
        ("be.kbo", "0403.170.701", "kbo_format"),
        ("de.handelsregister", "HRB 12345", "handelsregister_format"),
        ("de.handelsregister", "Aachen HRC 12345", "handelsregister_format"),
        ("de.handelsregister", "Atlantis HRB 12345", "handelsregister_court"),
        ("de.handelsregister", "aachen HRB 12345", "handelsregister_court"),
        ("de.handelsregister", "Berlin HRB 12345", "handelsregister_court"),
        ("vat", "NL004495446B01", "vat_checksum"),
        ("vat", "DE136695977", "vat_checksum"),
        ("vat", "US123456789", "vat_format"),
        ("vat", "nl004495445b01", "vat_format"),
    ],
)
def test_wrong_organisation_numbers_say_what_is_wrong(kind: str, value: str, code: str) -> None:
    assert problems(with_organisation_identifier(kind, value)) == {
        ("/organisations/0/identifiers/0/value", code)
    }


def test_an_organisation_needs_a_name_or_an_identifier() -> None:
    assert problems(minimal(organisations=[{"ref": "O1", "role": "subject"}])) == {
        ("/organisations/0", "organisation_unidentified")
    }


def test_an_organisation_address_is_checked_like_any_location() -> None:
    address = {"country": "BE", "municipality_code": "GM0935", "municipality_name": "Lanaken"}
    organisation = {"ref": "O1", "role": "subject", "name": "Serres BV", "address": address}
    assert problems(minimal(organisations=[organisation])) == {
        ("/organisations/0/address/municipality_code", "municipality_code_format")
    }


@pytest.mark.parametrize("registration", ["AB-123-C", "1-ABC-123", "AC-AB 123", "M-ÖL 77"])
def test_a_registration_is_written_as_on_the_plate(registration: str) -> None:
    vehicle = {"ref": "V1", "registration": registration, "registration_country": "DE"}
    assert problems(minimal(vehicles=[vehicle])) == set()


@pytest.mark.parametrize(
    "registration", ["ab-123-c", "AB--123", " AB-123", "AB-123-C-DE-1234567", 1234]
)
def test_other_registrations_are_refused(registration: object) -> None:
    vehicle = {"ref": "V1", "registration": registration, "registration_country": "NL"}
    assert problems(minimal(vehicles=[vehicle])) == {
        ("/vehicles/0/registration", "registration_format")
    }


def test_a_vehicle_needs_a_registration_with_its_country_or_a_make() -> None:
    assert problems(minimal(vehicles=[{"ref": "V1", "make": "Audi"}])) == set()
    assert problems(minimal(vehicles=[{"ref": "V1", "colour": "zwart"}])) == {
        ("/vehicles/0", "vehicle_unidentified")
    }
    assert problems(minimal(vehicles=[{"ref": "V1", "registration": "AB-123-C"}])) == {
        ("/vehicles/0/registration_country", "registration_country_required")
    }


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("NL91ABNA0417164300", None),
        ("BE74001528934107", None),
        ("DE89370400440532013000", None),
        ("NL91ABNA0417164301", "iban_checksum"),
        ("NL91 ABNA 0417 1643 00", "iban_format"),
        ("nl91abna0417164300", "iban_format"),
        ("BE74001528934108", "iban_checksum"),
        ("BE91001528934108", "iban_checksum"),
        ("NL91ABNA041716430", "iban_format"),
    ],
)
def test_an_iban_is_checked_and_written_compactly(value: str, code: str | None) -> None:
    expected = set() if code is None else {("/accounts/0/iban", code)}
    assert problems(minimal(accounts=[{"ref": "A1", "iban": value}])) == expected


@pytest.mark.parametrize("ref", ["P1", "person-2", "O.1", "x_y", "A" * 32])
def test_refs_are_short_names(ref: str) -> None:
    assert problems(with_person(ref=ref)) == set()


@pytest.mark.parametrize("ref", ["", "-P1", "P 1", "P/1", "A" * 33, 1])
def test_other_refs_are_refused(ref: object) -> None:
    assert problems(with_person(ref=ref)) == {("/persons/0/ref", "ref_format")}


def test_a_link_uses_the_json_names_from_and_to_and_joins_two_entities() -> None:
    link = {"from": "P1", "to": "P1", "relation": "associate"}
    assert problems(with_person() | {"links": [link]}) == {("/links/0/to", "link_to_self")}
    document = minimal(
        persons=[{"ref": "P1", "role": "suspect", "family_name": "Jansen"}],
        vehicles=[{"ref": "V1", "make": "Audi"}],
        links=[{"from": "P1", "to": "V1", "relation": "driver"}],
    )
    signal = Signal.model_validate(document, context={"now": NOW})
    assert (signal.links[0].from_ref, signal.links[0].to_ref) == ("P1", "V1")
    assert signal.model_dump(mode="json", exclude_none=True)["links"] == document["links"]


# --- recipients, request, reply ---------------------------------------------------------


@pytest.mark.parametrize(
    "recipients",
    [
        {"partners": ["be-pol-liege"]},
        {"countries": ["BE", "DE"], "agency_types": ["police", "customs"]},
        {"partners": ["nl-riec-limburg"], "countries": ["DE"], "agency_types": ["municipality"]},
    ],
)
def test_recipients_are_partners_or_routing_or_both(recipients: dict[str, Any]) -> None:
    assert problems(minimal(recipients=recipients)) == set()


@pytest.mark.parametrize(
    ("recipients", "expected"),
    [
        ({}, {("/recipients", "recipients_empty")}),
        ({"partners": []}, {("/recipients", "recipients_empty")}),
        ({"countries": ["NL"]}, {("/recipients/agency_types", "agency_types_required")}),
        ({"agency_types": ["police"]}, {("/recipients/agency_types", "countries_required")}),
        ({"partners": ["Be-Pol-Liege"]}, {("/recipients/partners/0", "partner_id_format")}),
        (
            {"partners": ["be-pol-liege", "be-pol-liege"]},
            {("/recipients/partners", "duplicate_item")},
        ),
        ({"countries": ["FR"], "agency_types": ["police"]}, {("/recipients/countries/0", "enum")}),
    ],
)
def test_recipients_must_name_someone(recipients: dict[str, Any], expected: set[Any]) -> None:
    assert problems(minimal(recipients=recipients)) == expected


def test_a_request_has_a_deadline_of_directive_2023_977() -> None:
    for deadline in ("urgent_direct", "urgent_indirect", "standard"):
        assert (
            problems(minimal(request={"type": "information_request", "deadline": deadline}))
            == set()
        )
    assert problems(minimal(request={"type": "information_request", "deadline": "asap"})) == {
        ("/request/deadline", "enum")
    }


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("0192f0c4-3b5e-7a61-9d2e-5c8b7a6f4e31", True),
        ("0192F0C4-3B5E-7A61-9D2E-5C8B7A6F4E31", False),
        ("{0192f0c4-3b5e-7a61-9d2e-5c8b7a6f4e31}", False),
        ("0192f0c43b5e7a619d2e5c8b7a6f4e31", False),
    ],
)
def test_a_reply_names_a_gateway_signal_id_in_canonical_form(value: str, valid: bool) -> None:
    expected = set() if valid else {("/in_reply_to", "signal_id_format")}
    assert problems(minimal(in_reply_to=value)) == expected


# --- all at once, and the shape of the models -----------------------------------------------


def test_errors_in_different_parts_are_reported_together() -> None:
    document = with_identifier("nl.bsn", "123456789", "NL")
    document["urgency"] = "whenever"
    document["location"]["municipality_code"] = "0935"
    document["handling_code"] = "H3"
    document["recipients"] = {}
    assert problems(document) == {
        ("/urgency", "enum"),
        ("/handling_conditions", "handling_conditions_required"),
        ("/location/municipality_code", "municipality_code_format"),
        ("/persons/0/identifiers/0/value", "bsn_checksum"),
        ("/recipients", "recipients_empty"),
    }


def test_a_validated_signal_survives_a_round_trip_through_json() -> None:
    document = with_identifier("be.nn", "85073003328", "BE")
    document["links"] = [{"from": "P1", "to": "P1x", "relation": "associate"}]
    document["persons"].append({"ref": "P1x", "role": "witness", "family_name": "Maes"})
    signal = Signal.model_validate(document, context={"now": NOW})
    dumped = signal.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert Signal.model_validate(copy.deepcopy(dumped), context={"now": NOW}) == signal


def _models() -> list[type[BaseModel]]:
    return [
        value
        for value in vars(models).values()
        if isinstance(value, type) and issubclass(value, BaseModel) and value is not BaseModel
    ]


@pytest.mark.parametrize("model", _models(), ids=lambda model: model.__name__)
def test_every_model_is_strict_frozen_and_documented(model: type[BaseModel]) -> None:
    assert model.model_config.get("extra") == "forbid"
    assert model.model_config.get("frozen") is True
    assert model.__doc__
    for name, field in model.model_fields.items():
        assert field.description, f"{model.__name__}.{name} has no description"
