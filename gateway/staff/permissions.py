"""What each role may do, in one table, and the one check every handler makes.

Least privilege: a liaison officer reads, releases and rejects the copies waiting in the
review queue of their desk and nothing else; compliance staff read, verify and export the
audit log, answer data-subject requests (restricting processing for a person pending a
decision, and lifting it), put signals on legal hold and lift holds, and
approve what another person proposes for a compliance account; administrators manage
partners, propose staff changes, approve other administrators' proposals
(:mod:`gateway.staff.proposals`) and read the sharing policy in force. No role includes
another: an administrator cannot release a message or read the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from gateway.contract.partners import Partner
from gateway.infra.errors import Forbidden
from gateway.staff.accounts import Role, StaffAccount


class Permission(StrEnum):
    REVIEW_READ = "review.read"
    REVIEW_RELEASE = "review.release"
    REVIEW_REJECT = "review.reject"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    AUDIT_EXPORT = "audit.export"
    SUBJECT_LOOKUP = "subject.lookup"
    SUBJECT_RESTRICT = "subject.restrict"
    LEGAL_HOLD = "retention.hold"
    PARTNERS_MANAGE = "partners.manage"
    STAFF_MANAGE = "staff.manage"
    STAFF_APPROVE = "staff.approve"
    STAFF_APPROVE_COMPLIANCE = "staff.approve_compliance"
    POLICY_READ = "policy.read"


ROLE_PERMISSIONS: Final[Mapping[Role, frozenset[Permission]]] = {
    Role.LIAISON_OFFICER: frozenset(
        {Permission.REVIEW_READ, Permission.REVIEW_RELEASE, Permission.REVIEW_REJECT}
    ),
    Role.COMPLIANCE: frozenset(
        {
            Permission.AUDIT_READ,
            Permission.AUDIT_VERIFY,
            Permission.AUDIT_EXPORT,
            Permission.SUBJECT_LOOKUP,
            Permission.SUBJECT_RESTRICT,
            Permission.LEGAL_HOLD,
            Permission.STAFF_APPROVE_COMPLIANCE,
        }
    ),
    Role.ADMINISTRATOR: frozenset(
        {
            Permission.PARTNERS_MANAGE,
            Permission.STAFF_MANAGE,
            Permission.STAFF_APPROVE,
            Permission.POLICY_READ,
        }
    ),
}

ITEM_PERMISSIONS: Final = frozenset({Permission.REVIEW_RELEASE, Permission.REVIEW_REJECT})
"""Acts on one message: the check must name its recipient, or it is a programming error."""


def require(
    account: StaffAccount,
    permission: Permission,
    *,
    partner: Partner | None = None,
    partner_id: str | None = None,
    country: str | None = None,
) -> None:
    """Raise :class:`Forbidden` unless ``account`` may do ``permission`` here.

    With a recipient (a ``partner``, or its ``partner_id`` and ``country``) the account's
    desk must cover it. Without one, this asks whether the account may use the function
    at all; a listing then keeps the items ``account.covers(...)``.
    """
    if partner is not None:
        partner_id, country = partner.id, partner.country
    if permission in ITEM_PERMISSIONS and partner_id is None and country is None:
        raise ValueError(f"{permission} acts on one message: name its recipient")
    if not allowed_to(account, permission):
        raise Forbidden(permission=str(permission))
    targeted = partner_id is not None or country is not None
    if targeted and not account.desk.admits(partner_id=partner_id, country=country):
        raise Forbidden(permission=str(permission))


def allowed_to(account: StaffAccount, permission: Permission) -> bool:
    """Whether the role of an active ``account`` includes ``permission`` (desk aside)."""
    return account.active and permission in ROLE_PERMISSIONS[account.role]


def allowed(account: StaffAccount) -> frozenset[Permission]:
    """Everything ``account`` may do somewhere, for showing only the buttons that work."""
    return ROLE_PERMISSIONS[account.role] if account.active else frozenset()
