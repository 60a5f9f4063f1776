"""Staff accounts: who a person is at the gateway, what role they hold and which desk they serve.

A desk is the scope of a person's work: a country (``NL``, ``BE``, ``DE``), a list of
partner ids, or ``*`` for everything. Only compliance staff and administrators may
hold ``*``; a liaison officer always serves a particular desk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from gateway.contract.partners import COUNTRIES, PARTNER_ID, Partner
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import LANGUAGES, N_

STAFF_ID: Final = re.compile(r"^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$")
STAFF_ID_MAX: Final = 64
NAME_MAX: Final = 200
EVERYTHING: Final = "*"


class Role(StrEnum):
    LIAISON_OFFICER = "liaison_officer"
    COMPLIANCE = "compliance"
    ADMINISTRATOR = "administrator"


class StaffState(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    ENROLLING = "enrolling"
    """Approved, not yet signed in: waits for its holder to enrol with the enrolment code."""


@dataclass(frozen=True)
class Desk:
    """Exactly one of: every desk, one country, or a list of partners."""

    everything: bool = False
    country: str | None = None
    partners: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.everything + (self.country is not None) + bool(self.partners) != 1:
            raise RegistryError(N_("a desk is *, a country or a list of partner ids"))
        if self.country is not None and self.country not in COUNTRIES:
            raise RegistryError(N_("desk country must be one of {c}"), c=", ".join(COUNTRIES))
        for partner_id in self.partners:
            if not PARTNER_ID.match(partner_id):
                raise RegistryError(N_("desk partner {id} is not a partner id"), id=partner_id)

    @classmethod
    def parse(cls, text: str) -> Desk:
        """``*``, ``NL``, or ``be-pol-liege,be-gem-eupen``."""
        text = text.strip()
        if text == EVERYTHING:
            return cls(everything=True)
        if text.upper() in COUNTRIES:
            return cls(country=text.upper())
        partners = tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
        return cls(partners=partners)

    def __str__(self) -> str:
        if self.everything:
            return EVERYTHING
        return self.country or ",".join(self.partners)

    def admits(self, *, partner_id: str | None = None, country: str | None = None) -> bool:
        """Whether an item for this recipient belongs to the desk. Pass both when known:
        a country desk decides by ``country``, a partner desk by ``partner_id``."""
        if self.everything:
            return True
        if self.country is not None:
            return country == self.country
        return partner_id is not None and partner_id in self.partners

    def covers(self, partner: Partner) -> bool:
        """Whether copies for ``partner`` belong to this desk."""
        return self.admits(partner_id=partner.id, country=partner.country)


@dataclass(frozen=True)
class StaffAccount:
    """A person's account as everyone may see it: no password hash, no second factor."""

    id: str
    name: str
    role: Role
    desk: Desk
    language: str = "en"
    state: StaffState = StaffState.ACTIVE
    created_at: datetime | None = None

    def __post_init__(self) -> None:
        problems = account_problems(self)
        if problems:
            raise RegistryError("; ".join(problems))

    @property
    def active(self) -> bool:
        return self.state is StaffState.ACTIVE

    def covers(self, partner: Partner) -> bool:
        """Whether ``partner``'s copies are this person's work (the desk's scope)."""
        return self.desk.covers(partner)


def account_problems(account: StaffAccount) -> list[str]:
    """Everything wrong with an account, in words an administrator can act on."""
    problems = []
    if not STAFF_ID.match(account.id) or len(account.id) > STAFF_ID_MAX:
        problems.append(
            f"staff id {account.id!r} must be a lowercase login name of letters and digits, "
            "optionally joined by . or -, e.g. j.jansen"
        )
    if not account.name.strip() or len(account.name) > NAME_MAX:
        problems.append(f"name must be 1 to {NAME_MAX} characters")
    elif any(not character.isprintable() for character in account.name):
        problems.append("name must not contain control characters")
    if account.language not in LANGUAGES:
        problems.append(f"language must be one of {', '.join(LANGUAGES)}")
    if account.desk.everything and account.role is Role.LIAISON_OFFICER:
        problems.append("a liaison officer serves a country or partners, not every desk (*)")
    return problems
