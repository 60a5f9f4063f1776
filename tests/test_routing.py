"""Routing: recipients named or selected by country and agency type; never the sender."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.contract.partners import AGENCY_TYPES, COUNTRIES, DEMO_NETWORK, Partner, PartnerState
from gateway.decide import routing
from gateway.infra.errors import RecipientsInvalid

REGISTRY = DEMO_NETWORK
LIMBURG = REGISTRY[0]


def test_named_partners_are_the_recipients() -> None:
    assert routing.resolve(
        partners=["de-pol-aachen", "be-pol-liege"],
        countries=None,
        agency_types=None,
        sender=LIMBURG,
        registry=REGISTRY,
    ) == ("be-pol-liege", "de-pol-aachen")


def test_countries_and_agency_types_select_every_matching_partner() -> None:
    assert routing.resolve(
        partners=None,
        countries=["BE", "DE"],
        agency_types=["police"],
        sender=LIMBURG,
        registry=REGISTRY,
    ) == ("be-pol-lanaken", "be-pol-liege", "de-pol-aachen")


def test_routing_never_returns_to_the_sender() -> None:
    assert "nl-pol-limburg" not in routing.resolve(
        partners=None, countries=["NL"], agency_types=None, sender=LIMBURG, registry=REGISTRY
    )


def test_naming_yourself_is_an_error_at_its_pointer() -> None:
    with pytest.raises(RecipientsInvalid) as caught:
        routing.resolve(
            partners=["be-pol-liege", "nl-pol-limburg"],
            countries=None,
            agency_types=None,
            sender=LIMBURG,
            registry=REGISTRY,
        )
    [issue] = caught.value.issues
    assert (issue.pointer, issue.code) == ("/recipients/partners/1", "recipient_is_sender")


def test_unknown_and_inactive_partners_are_each_reported() -> None:
    registry = [
        dataclasses.replace(p, state=PartnerState.SUSPENDED) if p.id == "be-pol-liege" else p
        for p in REGISTRY
    ]
    with pytest.raises(RecipientsInvalid) as caught:
        routing.resolve(
            partners=["xx-nobody", "be-pol-liege", "de-pol-aachen"],
            countries=None,
            agency_types=None,
            sender=LIMBURG,
            registry=registry,
        )
    assert [(i.pointer, i.code) for i in caught.value.issues] == [
        ("/recipients/partners/0", "unknown_recipient"),
        ("/recipients/partners/1", "recipient_inactive"),
    ]


def test_routing_that_finds_nobody_is_an_error() -> None:
    with pytest.raises(RecipientsInvalid) as caught:
        routing.resolve(
            partners=None,
            countries=["DE"],
            agency_types=["tax"],
            sender=LIMBURG,
            registry=REGISTRY,
        )
    assert caught.value.issues[0].code == "no_recipients"


@given(
    sender=st.sampled_from(REGISTRY),
    countries=st.none() | st.lists(st.sampled_from(COUNTRIES), min_size=1, unique=True),
    agency_types=st.none() | st.lists(st.sampled_from(AGENCY_TYPES), min_size=1, unique=True),
    suspended=st.sets(st.sampled_from([p.id for p in REGISTRY])),
)
def test_routed_recipients_always_match_are_active_and_exclude_the_sender(
    sender: Partner,
    countries: list[str] | None,
    agency_types: list[str] | None,
    suspended: set[str],
) -> None:
    if not countries and not agency_types:
        countries = list(COUNTRIES)
    registry = [
        dataclasses.replace(p, state=PartnerState.SUSPENDED) if p.id in suspended else p
        for p in REGISTRY
    ]
    expected = tuple(
        p.id
        for p in registry
        if p.active
        and p.id != sender.id
        and (not countries or p.country in countries)
        and (not agency_types or p.agency_type in agency_types)
    )
    try:
        got = routing.resolve(
            partners=None,
            countries=countries,
            agency_types=agency_types,
            sender=sender,
            registry=registry,
        )
    except RecipientsInvalid:
        assert expected == ()
    else:
        assert got == expected
