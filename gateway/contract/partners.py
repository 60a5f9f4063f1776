"""Partners and their certificates: who may speak to the gateway, and who a caller is.

A caller is identified by the SHA-256 fingerprint of the client certificate it
presented in the TLS handshake, never by anything it writes in a body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gateway.infra.errors import NotAuthenticated, Reason, RegistryError
from gateway.infra.i18n import LANGUAGES, N_

PARTNER_ID = re.compile(r"^[a-z]{2}-[a-z0-9]+(?:-[a-z0-9]+)*$")
COUNTRIES = ("NL", "BE", "DE")
AGENCY_TYPES = (
    "police",
    "municipality",
    "prosecution",
    "tax",
    "customs",
    "labour_inspection",
    "border_police",
    "safety_house",
    "expertise_centre",
)


class PartnerState(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class CertificateState(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    country: str
    agency_type: str
    languages: tuple[str, ...]
    state: PartnerState = PartnerState.ACTIVE
    webhook_url: str | None = None

    def __post_init__(self) -> None:
        problems = partner_problems(self)
        if problems:
            raise RegistryError(problems)

    @property
    def active(self) -> bool:
        return self.state is PartnerState.ACTIVE


@dataclass(frozen=True)
class Certificate:
    fingerprint: str
    partner_id: str
    serial: str
    not_before: datetime
    not_after: datetime
    state: CertificateState = CertificateState.ACTIVE


def partner_problems(partner: Partner) -> list[Reason]:
    """Everything wrong with a partner's registry entry, in words an administrator can act on."""
    problems = []
    if not PARTNER_ID.match(partner.id) or len(partner.id) > 64:
        problems.append(Reason(ID_MALFORMED, {"id": partner.id}))
    if partner.country not in COUNTRIES:
        problems.append(Reason(COUNTRY_UNKNOWN, {"choices": _choices(COUNTRIES)}))
    if partner.agency_type not in AGENCY_TYPES:
        problems.append(Reason(AGENCY_TYPE_UNKNOWN, {"choices": _choices(AGENCY_TYPES)}))
    if not partner.languages or any(lang not in LANGUAGES for lang in partner.languages):
        problems.append(Reason(LANGUAGES_UNKNOWN, {"choices": _choices(LANGUAGES)}))
    if not partner.name.strip():
        problems.append(Reason(NAME_BLANK))
    return problems


def _choices(codes: tuple[str, ...]) -> str:
    """Codes to type, written as the command line's help writes an option's choices."""
    return "{" + ",".join(codes) + "}"


ID_MALFORMED = N_(
    "partner id '{id}' must be a lowercase slug starting with a country prefix, e.g. nl-pol-limburg"
)
COUNTRY_UNKNOWN = N_("country must be one of {choices}")
AGENCY_TYPE_UNKNOWN = N_("agency type must be one of {choices}")
LANGUAGES_UNKNOWN = N_("languages must be a non-empty list of {choices}")
NAME_BLANK = N_("name must not be blank")

AUTH_UNKNOWN = N_("unknown certificate")
AUTH_CERT_REVOKED = N_("certificate revoked")
AUTH_SUSPENDED = N_("partner suspended")
AUTH_REVOKED = N_("partner revoked")


def admit(partner: Partner | None, certificate: Certificate | None) -> Partner:
    """The partner a certificate speaks for, or :class:`NotAuthenticated` saying why not."""
    if partner is None or certificate is None:
        raise NotAuthenticated(reason=AUTH_UNKNOWN)
    if partner.state is PartnerState.REVOKED:
        raise NotAuthenticated(reason=AUTH_REVOKED)
    if partner.state is PartnerState.SUSPENDED:
        raise NotAuthenticated(reason=AUTH_SUSPENDED)
    if certificate.state is CertificateState.REVOKED:
        raise NotAuthenticated(reason=AUTH_CERT_REVOKED)
    return partner


DEMO_NETWORK: tuple[Partner, ...] = (
    Partner("nl-pol-limburg", "Politie Eenheid Limburg", "NL", "police", ("nl",)),
    Partner("nl-gem-maastricht", "Gemeente Maastricht", "NL", "municipality", ("nl",)),
    Partner("nl-riec-limburg", "RIEC Limburg", "NL", "expertise_centre", ("nl",)),
    Partner("be-pol-lanaken", "Politiezone Lanaken-Maasmechelen", "BE", "police", ("nl",)),
    Partner("be-pol-liege", "Zone de police de Liège", "BE", "police", ("fr",)),
    Partner("be-gem-eupen", "Stadt Eupen", "BE", "municipality", ("de", "fr")),
    Partner("de-pol-aachen", "Polizeipräsidium Aachen", "DE", "police", ("de",)),
    Partner("de-stadt-aachen", "Stadt Aachen", "DE", "municipality", ("de",)),
    Partner("de-zoll-aachen", "Hauptzollamt Aachen", "DE", "customs", ("de",)),
)
