"""Roles and desks: each role may do exactly what its table says, a liaison officer only
for the partners of their desk, and nobody anything once disabled."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.contract.partners import AGENCY_TYPES, COUNTRIES, DEMO_NETWORK, Partner
from gateway.edges.problems import problem_document
from gateway.infra.errors import Forbidden, RegistryError
from gateway.staff import (
    ROLE_PERMISSIONS,
    Desk,
    Permission,
    Role,
    StaffAccount,
    StaffState,
    allowed,
    require,
)
from gateway.staff.permissions import ITEM_PERMISSIONS

partner_ids = st.from_regex(r"\A(nl|be|de)-[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}\Z")
partners = st.builds(
    Partner,
    id=partner_ids,
    name=st.just("Agency"),
    country=st.sampled_from(COUNTRIES),
    agency_type=st.sampled_from(AGENCY_TYPES),
    languages=st.just(("nl",)),
)
officer_desks = st.one_of(
    st.sampled_from(COUNTRIES).map(lambda country: Desk(country=country)),
    st.lists(partner_ids, min_size=1, max_size=5, unique=True).map(
        lambda ids: Desk(partners=tuple(ids))
    ),
)
desks = st.one_of(officer_desks, st.just(Desk(everything=True)))


@st.composite
def accounts(draw: st.DrawFn, role: Role | None = None) -> StaffAccount:
    role = draw(st.sampled_from(Role)) if role is None else role
    desk = draw(officer_desks if role is Role.LIAISON_OFFICER else desks)
    return StaffAccount(id="j.jansen", name="Jan Jansen", role=role, desk=desk)


def account(role: Role, desk: str, *, state: StaffState = StaffState.ACTIVE) -> StaffAccount:
    return StaffAccount(
        id="j.jansen", name="Jan Jansen", role=role, desk=Desk.parse(desk), state=state
    )


def demo(partner_id: str) -> Partner:
    return next(p for p in DEMO_NETWORK if p.id == partner_id)


# --- the table ----------------------------------------------------------------------------


def test_the_table_gives_each_role_exactly_its_work() -> None:
    assert {
        Role.LIAISON_OFFICER: {"review.read", "review.release", "review.reject"},
        Role.COMPLIANCE: {
            "audit.read",
            "audit.verify",
            "audit.export",
            "subject.lookup",
            "subject.restrict",
            "retention.hold",
            "staff.approve_compliance",
        },
        Role.ADMINISTRATOR: {"partners.manage", "staff.manage", "staff.approve", "policy.read"},
    } == ROLE_PERMISSIONS


def test_no_role_includes_another_and_every_permission_belongs_to_one_role() -> None:
    tables = list(ROLE_PERMISSIONS.values())
    assert sum(len(t) for t in tables) == len(frozenset().union(*tables)) == len(Permission)


@given(accounts(), st.sampled_from(Permission), partners)
def test_no_role_has_a_permission_outside_its_table(
    person: StaffAccount, permission: Permission, partner: Partner
) -> None:
    assert allowed(person) == ROLE_PERMISSIONS[person.role]
    if permission in ROLE_PERMISSIONS[person.role]:
        return
    with pytest.raises(Forbidden):
        require(person, permission, partner=partner)
    if permission not in ITEM_PERMISSIONS:
        with pytest.raises(Forbidden):
            require(person, permission)


@given(accounts(), st.sampled_from(Permission), partners)
def test_a_disabled_account_may_do_nothing_at_all(
    person: StaffAccount, permission: Permission, partner: Partner
) -> None:
    disabled = StaffAccount(
        id=person.id, name=person.name, role=person.role, desk=person.desk,
        state=StaffState.DISABLED,
    )  # fmt: skip
    assert allowed(disabled) == frozenset()
    with pytest.raises(Forbidden):
        require(disabled, permission, partner=partner)


@given(accounts(), st.sampled_from(sorted(set(Permission) - ITEM_PERMISSIONS)))
def test_a_role_may_open_every_function_of_its_table(
    person: StaffAccount, permission: Permission
) -> None:
    if permission in ROLE_PERMISSIONS[person.role]:
        require(person, permission)
    else:
        with pytest.raises(Forbidden):
            require(person, permission)


@pytest.mark.parametrize("permission", sorted(ITEM_PERMISSIONS))
def test_deciding_a_message_without_naming_its_recipient_is_a_programming_error(
    permission: Permission,
) -> None:
    with pytest.raises(ValueError, match="name its recipient"):
        require(account(Role.LIAISON_OFFICER, "NL"), permission)


def test_a_refusal_is_a_403_problem_naming_the_permission_in_the_persons_language() -> None:
    with pytest.raises(Forbidden) as refusal:
        require(account(Role.ADMINISTRATOR, "*"), Permission.AUDIT_READ)
    document = problem_document(refusal.value, language="fr")
    assert document["status"] == 403
    assert document["permission"] == "audit.read"
    assert document["title"] == "Non autorisé"
    assert document["type"] == "urn:euregate:problem:forbidden"


# --- desks ----------------------------------------------------------------------------------


@given(accounts(Role.LIAISON_OFFICER), partners, st.sampled_from(sorted(ITEM_PERMISSIONS)))
def test_a_liaison_officer_decides_exactly_the_copies_their_desk_covers(
    officer: StaffAccount, partner: Partner, permission: Permission
) -> None:
    desk = officer.desk
    covered = partner.country == desk.country or partner.id in desk.partners
    assert officer.covers(partner) is covered
    if covered:
        require(officer, permission, partner=partner)
        require(officer, permission, partner_id=partner.id, country=partner.country)
    else:
        with pytest.raises(Forbidden):
            require(officer, permission, partner=partner)


def test_a_country_desk_covers_its_countrys_partners_and_no_others() -> None:
    officer = account(Role.LIAISON_OFFICER, "BE")
    assert officer.covers(demo("be-pol-liege"))
    assert officer.covers(demo("be-pol-lanaken"))
    assert not officer.covers(demo("nl-pol-limburg"))


def test_a_partner_desk_covers_its_partners_and_not_the_rest_of_their_country() -> None:
    officer = account(Role.LIAISON_OFFICER, "be-pol-liege,nl-gem-maastricht")
    assert officer.covers(demo("be-pol-liege"))
    assert officer.covers(demo("nl-gem-maastricht"))
    assert not officer.covers(demo("be-pol-lanaken"))
    assert not officer.covers(demo("nl-pol-limburg"))


@given(partners)
def test_everything_covers_every_partner(partner: Partner) -> None:
    assert Desk.parse("*").covers(partner)


def test_a_liaison_officer_serves_a_particular_desk_never_everything() -> None:
    with pytest.raises(RegistryError, match="liaison officer"):
        account(Role.LIAISON_OFFICER, "*")
    assert account(Role.COMPLIANCE, "*").desk.everything


@given(desks)
def test_a_desk_reads_back_as_written(desk: Desk) -> None:
    assert Desk.parse(str(desk)) == desk


@pytest.mark.parametrize("text", ["", " , ", "FR", "Politie Limburg", "nl-pol-limburg;be-x"])
def test_a_desk_that_is_no_country_partner_list_or_star_is_refused(text: str) -> None:
    with pytest.raises(RegistryError):
        Desk.parse(text)


def test_a_desk_country_may_be_written_in_lowercase() -> None:
    assert Desk.parse(" nl ") == Desk(country="NL")
