"""How staff proposals read on the pages: their kinds, who decides them, and refusals of a
form in the viewer's language. Shared by the staff accounts page and the approvals page."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from gateway.edges.web.frame import Viewer
from gateway.edges.web.texts import ROLE_LABELS
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_, translate
from gateway.staff import Role
from gateway.staff.proposals import Proposal, ProposalKind, may_decide

KIND_LABELS: Final[Mapping[ProposalKind, str]] = MappingProxyType(
    {
        ProposalKind.ADD: N_("new account"),
        ProposalKind.RESET: N_("new password and second factor"),
        ProposalKind.CHANGE: N_("new role or desk"),
    }
)
DECIDED_BY: Final[Mapping[Role, str]] = MappingProxyType(
    {
        Role.ADMINISTRATOR: N_("a second administrator"),
        Role.COMPLIANCE: N_("a compliance officer"),
        Role.LIAISON_OFFICER: N_("a liaison officer"),
    }
)
OWN: Final = N_("your proposal: another person decides")
ABOUT_YOU: Final = N_("about your own account: another person decides")
WAITS: Final = N_("waits for {who}")

REFUSALS: Final = (
    ("already exists", N_("An account with this login name already exists.")),
    ("already waits", N_("A proposal for this account already waits for a decision.")),
    ("already has this role", N_("The account already has this role and desk.")),
    ("no longer pending", N_("This proposal has been decided already.")),
    ("no staff", N_("There is no account with this login name.")),
)
"""Registry refusals a form can meet, by what their English reason says."""
ACCOUNT_REFUSED: Final = N_("The account cannot be saved as entered: {reason}")


def problem(error: Exception, language: str) -> str:
    """A refused form's problem in ``language``."""
    reason = str(error.params.get("reason", "")) if isinstance(error, RegistryError) else ""
    for fragment, message in REFUSALS:
        if fragment in reason:
            return translate(message, language)
    return translate(ACCOUNT_REFUSED, language, reason=reason or str(error))


def rows(proposals: list[Proposal], viewer: Viewer) -> list[dict[str, object]]:
    """What a table of proposals shows ``viewer``, and whether they may decide each."""
    language = viewer.language
    return [
        {
            "proposal": proposal,
            "kind": translate(KIND_LABELS[proposal.kind], language),
            "role": translate(ROLE_LABELS[proposal.account.role], language),
            "proposed": viewer.moment(proposal.proposed_at),
            "decide": may_decide(proposal, viewer.account),
            "waits": _waits(proposal, viewer),
        }
        for proposal in proposals
    ]


def _waits(proposal: Proposal, viewer: Viewer) -> str:
    language = viewer.language
    if proposal.proposed_by == viewer.account.id:
        return translate(OWN, language)
    if proposal.account.id == viewer.account.id:
        return translate(ABOUT_YOU, language)
    who = translate(DECIDED_BY[proposal.approver_role], language)
    return translate(WAITS, language, who=who)
