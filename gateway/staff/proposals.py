"""Changes to staff accounts that need a second person, as pure rules.

On the staff pages no one person can give anyone access to police data or to the audit
alone. Adding an account, resetting its password and second factor, or giving it another
role or desk is a :class:`Proposal` by an administrator that another person decides:

- a compliance officer, when the account is (or becomes) compliance staff;
- otherwise a second administrator (administrators approve each other's accounts too, or one
  administrator could make a second one and approve their own proposals with it).

Neither the proposer nor the account concerned may decide. An added or reset account cannot
sign in until its holder enrols with an enrolment code made of two halves: the proposer
gets one when proposing, the approver the other when approving, each shown once and each
handed to the holder in person, so neither alone holds the whole code. The holder enrols
with both halves, choosing their own password and seeing their new TOTP secret once; the
code works once, until it expires. Only a SHA-256 of each half is kept, bound to the
proposal (80 random bits each: a fast hash is safe, as for API tokens).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final

from gateway.staff.accounts import Role, StaffAccount
from gateway.staff.permissions import Permission, allowed_to

HALF_BYTES: Final = 10
_HALF: Final = re.compile(r"^[a-z2-7]{16}$")
NO_PASSWORD: Final = "!enrolling"  # noqa: S105 - a marker that is no argon2 hash
"""What an account that waits for its holder's enrolment has for a password hash: nothing
verifies against it."""


class ProposalKind(StrEnum):
    ADD = "add"
    RESET = "reset"
    CHANGE = "change"

    @property
    def enrols(self) -> bool:
        """Whether the holder enrols afterwards, with an enrolment code."""
        return self is not ProposalKind.CHANGE


class ProposalState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    ENROLLED = "enrolled"


class Half(StrEnum):
    PROPOSER = "proposer"
    APPROVER = "approver"


@dataclass(frozen=True)
class Proposal:
    """A proposed change: ``account`` is the account as it will be (for a reset: as it is)."""

    id: str
    kind: ProposalKind
    account: StaffAccount
    proposed_by: str
    proposed_at: datetime
    state: ProposalState = ProposalState.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    code_expires_at: datetime | None = None

    @property
    def approver_role(self) -> Role:
        return approver_role(self.account.role)

    @property
    def approver_permission(self) -> Permission:
        if self.approver_role is Role.COMPLIANCE:
            return Permission.STAFF_APPROVE_COMPLIANCE
        return Permission.STAFF_APPROVE


@dataclass(frozen=True)
class WithHalf:
    """A proposal, and the half of its enrolment code to show once (none for a change)."""

    proposal: Proposal
    half: str | None = field(default=None, repr=False)


def approver_role(role: Role) -> Role:
    """Who approves a change that leaves an account with ``role``."""
    return Role.COMPLIANCE if role is Role.COMPLIANCE else Role.ADMINISTRATOR


def may_decide(proposal: Proposal, account: StaffAccount) -> bool:
    """Whether ``account`` may approve or refuse ``proposal``: a pending one, by an active
    person of the approving role who neither proposed it nor is its subject."""
    return (
        proposal.state is ProposalState.PENDING
        and allowed_to(account, proposal.approver_permission)
        and account.id not in (proposal.proposed_by, proposal.account.id)
    )


def new_proposal_id() -> str:
    return "prop-" + secrets.token_hex(8)


def new_half() -> str:
    """80 random bits as 16 base32 letters and digits, in groups of four to read aloud."""
    raw = base64.b32encode(secrets.token_bytes(HALF_BYTES)).decode("ascii").lower()
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalised_half(typed: str) -> str | None:
    """A half as typed (any case, with or without spaces and dashes), or ``None``."""
    half = re.sub(r"[\s-]", "", typed).lower()
    return half if _HALF.match(half) else None


def half_hash(proposal_id: str, which: Half, half: str) -> str:
    """What the database keeps of a half, bound to its proposal and to which half it is."""
    normal = normalised_half(half) or ""
    material = f"euregate/enrolment/{which}\x00{proposal_id}\x00{normal}".encode()
    return hashlib.sha256(material).hexdigest()


def halves_match(proposal_id: str, kept: tuple[str, str], first: str, second: str) -> bool:
    """Whether ``first`` (the proposer's) and ``second`` (the approver's) are the halves
    whose hashes are ``kept``; both are compared whatever the first gives."""
    if normalised_half(first) is None or normalised_half(second) is None:
        return False
    proposer = hmac.compare_digest(half_hash(proposal_id, Half.PROPOSER, first), kept[0])
    approver = hmac.compare_digest(half_hash(proposal_id, Half.APPROVER, second), kept[1])
    return proposer and approver
