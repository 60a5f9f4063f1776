"""The attributes a rule can look at, their finite domains, and how an exchange shows them.

Every attribute has a finite set of values (code lists, countries, agency types), so a
rule's condition on it is just the set of values it accepts. That is what makes matching
a few dictionary lookups and lets :mod:`gateway.decide.policy.check` try every exchange there is.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Final

from gateway.contract import codelists
from gateway.contract.partners import AGENCY_TYPES, COUNTRIES
from gateway.decide.decision import Exchange
from gateway.decide.policy.model import Match, RetentionMatch

Value = str | bool | None
"""An attribute's value: a code, ``True``/``False`` for ``special_category``, or ``None``
for ``forwards_handling_code`` when the exchange forwards nothing to a third partner."""

ATTRIBUTES: Final = (
    "border",
    "special_category",
    "sender_country",
    "sender_agency_type",
    "recipient_country",
    "recipient_agency_type",
    "purpose",
    "urgency",
    "handling_code",
    "category",
    "forwards_handling_code",
)

CARE_PREFIX: Final = "care."
"""Signal v1 requires ``special_category_data`` for every ``care.*`` category."""


@cache
def domains() -> Mapping[str, tuple[Value, ...]]:
    """Every value each attribute can take."""
    handling = codelists.codes("handling_code")
    return MappingProxyType(
        {
            "border": ("cross", "same"),
            "special_category": (False, True),
            "sender_country": COUNTRIES,
            "sender_agency_type": AGENCY_TYPES,
            "recipient_country": COUNTRIES,
            "recipient_agency_type": AGENCY_TYPES,
            "purpose": codelists.codes("purpose"),
            "urgency": codelists.codes("urgency"),
            "handling_code": handling,
            "category": codelists.codes("category"),
            "forwards_handling_code": (None, *handling),
        }
    )


def forwarded_code(exchange: Exchange) -> str | None:
    """The handling code of the signal this one carries on to a third partner, if it does.

    A third partner is neither the forwarded signal's sender nor one of its recipients:
    answering the sender, or telling a co-recipient, passes nothing on.
    """
    forwarded = exchange.forwarded
    if forwarded is None:
        return None
    recipient = exchange.recipient.id
    if recipient == forwarded.sender_id or recipient in forwarded.recipient_ids:
        return None
    return forwarded.handling_code


def values_of(exchange: Exchange) -> tuple[Value, ...]:
    """The exchange's value of every attribute, in the order of :data:`ATTRIBUTES`."""
    sender, recipient = exchange.sender, exchange.recipient
    return (
        "cross" if sender.country != recipient.country else "same",
        exchange.special_category,
        sender.country,
        sender.agency_type,
        recipient.country,
        recipient.agency_type,
        exchange.purpose,
        exchange.urgency,
        exchange.handling_code,
        exchange.category,
        forwarded_code(exchange),
    )


def accepted(match: Match | RetentionMatch, attribute: str) -> frozenset[Value] | None:
    """The values of ``attribute`` that ``match`` accepts, or None when it sets no condition."""
    given: str | bool | tuple[str, ...] | None = getattr(match, attribute)
    if given is None:
        return None
    if not isinstance(given, tuple):
        return frozenset({given})
    if attribute == "category":
        return frozenset(
            code
            for code in codelists.codes("category")
            if any(fnmatch.fnmatchcase(code, pattern) for pattern in given)
        )
    return frozenset(given)
