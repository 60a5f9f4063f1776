"""Roles and account states by their names in a person's language (message ids)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from gateway.infra.i18n import N_
from gateway.staff.accounts import Role, StaffState

ROLE_LABELS: Final[Mapping[Role, str]] = MappingProxyType(
    {
        Role.LIAISON_OFFICER: N_("liaison officer"),
        Role.COMPLIANCE: N_("compliance staff"),
        Role.ADMINISTRATOR: N_("administrator"),
    }
)
STATE_LABELS: Final[Mapping[StaffState, str]] = MappingProxyType(
    {
        StaffState.ACTIVE: N_("active"),
        StaffState.DISABLED: N_("disabled"),
    }
)
