"""Labels for the codes of Signal v1 in the reader's language: :func:`label`.

Codes are stable ASCII (``undermining.drug_waste``); a person reads a label
(``illegale Entsorgung von Drogenabfällen``). Each label is written here in English, marked with
:func:`~gateway.infra.i18n.N_` so that Babel extracts it, and translated in ``locales/`` in the
terms officials of each country use. The English label is the message id, so two codes share a
translation exactly when they share an English label: that is done on purpose only where the meaning
is the same (``victim`` of a person and of an organisation), and ``tests/test_labels.py`` keeps it
so. Where lists would share a word with different meanings, the English label says which is meant
(``other sector``); :func:`~gateway.infra.i18n.translate` has no message contexts.

The lists that carry their own labels in every language (``indicator``, ``colour``: see
:mod:`gateway.contract.codelists`) are labelled from their files, not the catalogs; an
indicator also has a one-sentence :func:`definition` and the label of its :func:`group`.

Country names (``country``, ``iso_country``: 250 codes) are not in the catalogs but come from
the Unicode CLDR through Babel, as every country's own statistics office would write them.
The labels of data classes, verdicts and outcomes are those of :mod:`gateway.decide.decision`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from babel import Locale

from gateway.contract import codelists
from gateway.decide.decision import LABELS as DECISION_LABELS
from gateway.decide.decision import DataClass, Outcome, Verdict
from gateway.infra.i18n import LANGUAGES, N_, translate

CLDR_LISTS: Final = frozenset({"country", "iso_country"})
"""Code lists whose labels are the CLDR names of countries (ISO 3166-1 alpha-2)."""

DECISION_LISTS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "data_class": tuple(c.value for c in DataClass),
        "verdict": tuple(v.value for v in Verdict),
        "outcome": tuple(o.value for o in Outcome),
    }
)
"""Lists of the sharing decision that are not code lists of the signal, with their codes."""

_CODE_LABELS: Final[Mapping[tuple[str, str], str]] = {
    # category
    ("category", "undermining.drug_production"): N_(
        "drug production (synthetic-drug lab, cannabis plantation)"
    ),
    ("category", "undermining.drug_trafficking"): N_("drug trafficking (stash houses)"),
    ("category", "undermining.drug_waste"): N_("dumped drug waste"),
    ("category", "undermining.money_laundering"): N_(
        "money laundering (cash-intensive businesses)"
    ),
    ("category", "undermining.real_estate"): N_(
        "suspicious real-estate transactions (purchase, rental, vacancy)"
    ),
    ("category", "undermining.front_business"): N_(
        "front business (shisha lounge, car wash, nail studio, mini-market)"
    ),
    ("category", "undermining.criminal_lending"): N_("criminal moneylending (loan sharks)"),
    ("category", "undermining.intimidation"): N_(
        "intimidation of residents, officials or businesses"
    ),
    ("category", "undermining.human_trafficking"): N_(
        "trafficking in human beings (sexual exploitation)"
    ),
    ("category", "undermining.labour_exploitation"): N_("labour exploitation"),
    ("category", "undermining.outlaw_motorcycle_gang"): N_("outlaw motorcycle gangs"),
    ("category", "undermining.firearms"): N_("illegal firearms and explosives"),
    ("category", "undermining.address_fraud"): N_("address and housing fraud (slum landlords)"),
    ("category", "nuisance.drugs"): N_("drug-related nuisance (use, street dealing)"),
    ("category", "nuisance.youth"): N_("nuisance by loitering youth"),
    ("category", "nuisance.vandalism"): N_("vandalism, litter, neglect of public space"),
    ("category", "security.radicalisation"): N_("radicalisation, violent extremism"),
    ("category", "security.polarisation"): N_("polarisation, tensions between groups"),
    ("category", "care.confused_behaviour"): N_("persons with confused behaviour"),
    ("category", "care.multi_problem_family"): N_("families with multiple problems"),
    ("category", "care.vulnerable_youth"): N_("vulnerable young people at risk of recruitment"),
    # sector
    ("sector", "hospitality"): N_("hospitality (hotels, restaurants, cafés, bars)"),
    ("sector", "shisha_lounge"): N_("shisha lounge"),
    ("sector", "car_wash"): N_("car wash"),
    ("sector", "beauty_salon"): N_("beauty, nail or barber salon"),
    ("sector", "retail"): N_("retail (shops, mini-markets)"),
    ("sector", "real_estate"): N_("real estate (buying, selling, letting, management)"),
    ("sector", "construction"): N_("construction and demolition"),
    ("sector", "transport_logistics"): N_("transport, logistics and storage"),
    ("sector", "agriculture"): N_("agriculture and horticulture (sheds, barns)"),
    ("sector", "automotive"): N_("car trade, rental and repair"),
    ("sector", "money_services"): N_(
        "money services (money transfer, currency exchange, pawnshops, gold buyers)"
    ),
    ("sector", "recreation_parks"): N_("holiday parks and campsites"),
    ("sector", "other"): N_("other sector"),
    # agency_type
    ("agency_type", "police"): N_("police"),
    ("agency_type", "municipality"): N_("municipality"),
    ("agency_type", "prosecution"): N_("public prosecution service"),
    ("agency_type", "tax"): N_("tax administration"),
    ("agency_type", "customs"): N_("customs"),
    ("agency_type", "labour_inspection"): N_("labour inspectorate"),
    ("agency_type", "border_police"): N_("border police"),
    ("agency_type", "safety_house"): N_("safety house (care and safety partnership)"),
    ("agency_type", "expertise_centre"): N_("expertise centre (RIEC / ARIEC / EURIEC)"),
    # person_role and organisation_role: "victim" and "otherwise involved" mean the same
    ("person_role", "suspect"): N_("suspect"),
    ("person_role", "victim"): N_("victim"),
    ("person_role", "witness"): N_("witness"),
    ("person_role", "involved"): N_("otherwise involved"),
    ("person_role", "reporter"): N_("reporting person"),
    ("organisation_role", "subject"): N_("subject of the signal"),
    ("organisation_role", "involved"): N_("otherwise involved"),
    ("organisation_role", "victim"): N_("victim"),
    # relation: what ``from`` is to ``to``
    ("relation", "owner"): N_("owner"),
    ("relation", "director"): N_("director"),
    ("relation", "employee"): N_("employee"),
    ("relation", "tenant"): N_("tenant"),
    ("relation", "resident"): N_("resident"),
    ("relation", "driver"): N_("driver"),
    ("relation", "holder"): N_("account holder"),
    ("relation", "associate"): N_("associate"),
    # gender
    ("gender", "female"): N_("female"),
    ("gender", "male"): N_("male"),
    ("gender", "other"): N_("other gender"),
    ("gender", "unknown"): N_("gender unknown"),
    # handling_code
    ("handling_code", "H0"): N_("H0 — no restriction beyond the law"),
    ("handling_code", "H1"): N_(
        "H1 — not to be used as evidence in court without the sender's consent"
    ),
    ("handling_code", "H2"): N_("H2 — not to be passed on without the sender's consent"),
    ("handling_code", "H3"): N_("H3 — other restrictions: see the handling conditions"),
    # source_reliability and information_reliability: the 4x4 evaluation of Europol
    ("source_reliability", "A"): N_("A — reliable"),
    ("source_reliability", "B"): N_("B — usually reliable"),
    ("source_reliability", "C"): N_("C — not usually reliable"),
    ("source_reliability", "X"): N_("X — reliability cannot be assessed"),
    ("information_reliability", "1"): N_("1 — known to be true without reservation"),
    ("information_reliability", "2"): N_("2 — known personally to the source"),
    ("information_reliability", "3"): N_("3 — not known personally to the source but corroborated"),
    ("information_reliability", "4"): N_("4 — truth cannot be assessed"),
    # purpose
    ("purpose", "prevention"): N_("prevention of crime or nuisance"),
    ("purpose", "administrative_approach"): N_(
        "administrative approach (permits, integrity screening, closures)"
    ),
    ("purpose", "criminal_investigation"): N_("detection and investigation of criminal offences"),
    ("purpose", "public_order"): N_("maintaining public order"),
    ("purpose", "vital_interest"): N_("protecting a person's vital interests (life, health)"),
    ("purpose", "care_coordination"): N_("coordinating care and support"),
    # urgency
    ("urgency", "routine"): N_("routine"),
    ("urgency", "urgent"): N_("urgent: act within days"),
    ("urgency", "immediate"): N_("immediate: act now"),
    # request_type and request_deadline (EU Directive 2023/977, art. 5)
    ("request_type", "information_request"): N_(
        "request for information (Directive (EU) 2023/977)"
    ),
    ("request_deadline", "urgent_direct"): N_(
        "urgent, information directly accessible: 8 hours from receipt"
    ),
    ("request_deadline", "urgent_indirect"): N_(
        "urgent, information to be obtained from other authorities: 3 calendar days from receipt"
    ),
    ("request_deadline", "standard"): N_("standard: 7 calendar days from receipt"),
    # person_identifier_type and organisation_identifier_type
    ("person_identifier_type", "nl.bsn"): N_("Dutch citizen service number (BSN)"),
    ("person_identifier_type", "be.nn"): N_("Belgian national register number"),
    ("person_identifier_type", "de.idnr"): N_("German tax identification number (IdNr)"),
    ("person_identifier_type", "passport"): N_("passport number"),
    ("person_identifier_type", "id_card"): N_("identity card number"),
    ("person_identifier_type", "driving_licence"): N_("driving licence number"),
    ("organisation_identifier_type", "nl.kvk"): N_("Dutch Chamber of Commerce number (KvK)"),
    ("organisation_identifier_type", "be.kbo"): N_("Belgian enterprise number (KBO/BCE)"),
    ("organisation_identifier_type", "de.handelsregister"): N_(
        "German commercial register entry (Handelsregister)"
    ),
    ("organisation_identifier_type", "vat"): N_("VAT number"),
    # language
    ("language", "nl"): N_("Dutch"),
    ("language", "fr"): N_("French"),
    ("language", "de"): N_("German"),
    ("language", "en"): N_("English"),
}

CODE_LABELS: Final[Mapping[tuple[str, str], str]] = MappingProxyType(
    {
        **_CODE_LABELS,
        **{("data_class", c.value): DECISION_LABELS[c] for c in DataClass},
        **{("verdict", v.value): DECISION_LABELS[v] for v in Verdict},
        **{("outcome", o.value): DECISION_LABELS[o] for o in Outcome},
    }
)
"""The English label of each code, by (list name, code); country lists are in the CLDR."""


def lists() -> tuple[str, ...]:
    """Every list :func:`label` knows: the code lists of the signal and of the decision."""
    return (*codelists.names(), *DECISION_LISTS)


def codes(list_name: str) -> tuple[str, ...]:
    """The codes of ``list_name`` (a code list of the signal or of the decision)."""
    if list_name in DECISION_LISTS:
        return DECISION_LISTS[list_name]
    return codelists.codes(list_name)


def label(list_name: str, code: str, language: str) -> str:
    """The label of ``code`` of list ``list_name`` in ``language`` (one of ``LANGUAGES``).

    A code that is not in the list is a KeyError, a language we do not speak a ValueError:
    both are mistakes of the caller, never something to show a reader.
    """
    _check_language(language)
    if list_name in CLDR_LISTS:
        if code not in codelists.codes(list_name):
            raise KeyError(f"{code!r} is not in code list {list_name!r}")
        return country_name(code, language)
    if list_name in codelists.labelled_names():
        return codelists.load(list_name).entry(code).labels[language]
    english = CODE_LABELS.get((list_name, code))
    if english is None:
        raise KeyError(f"no label for {code!r} in list {list_name!r}")
    return translate(english, language)


def definition(list_name: str, code: str, language: str) -> str | None:
    """The one-sentence definition of ``code`` in ``language``, for a list that gives them."""
    _check_language(language)
    definitions = codelists.load(list_name).entry(code).definitions
    return definitions.get(language)


def group(list_name: str, code: str, language: str) -> str | None:
    """The label of the group ``code`` belongs to in ``language``, for a list with groups."""
    _check_language(language)
    listed = codelists.load(list_name)
    name = listed.entry(code).group
    return None if name is None else listed.group(name).labels[language]


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"no labels in {language!r}; languages are {', '.join(LANGUAGES)}")


def country_name(code: str, language: str) -> str:
    """The CLDR name of the country ``code`` (ISO 3166-1 alpha-2) in ``language``."""
    name = Locale.parse(language).territories.get(code)
    if not isinstance(name, str):
        raise KeyError(f"the CLDR has no name for the country {code!r} in {language!r}")
    return name
