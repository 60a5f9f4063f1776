"""Proposed changes to staff accounts, their decision by a second person, and enrolment.

Each step is one transaction with its audit event. Approving an added account creates it
waiting for enrolment; approving a reset takes the account's password, second factor, API
tokens and sessions away at once; approving a change gives the new role or desk and ends the
account's sessions. Enrolling consumes the code: the account gets the holder's password and a
new second factor, once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gateway.infra.audit import AuditEvent
from gateway.staff.accounts import StaffAccount
from gateway.staff.proposals import Proposal, ProposalState


@dataclass(frozen=True)
class Decided:
    """A decision as kept: the proposal afterwards, and what the approval took away."""

    proposal: Proposal
    tokens_revoked: int = 0
    sessions_ended: int = 0


@dataclass(frozen=True)
class EnrolmentCode:
    """What an approved, unexpired proposal keeps of its code: the hashes of its halves."""

    proposal_id: str
    proposer_half: str
    approver_half: str


class StaffProposalStore(Protocol):
    async def add_staff_proposal(
        self, proposal: Proposal, proposer_half: str | None, event: AuditEvent
    ) -> Proposal:
        """Keep a proposal (with the hash of the proposer's half of the code, if any): one
        waits at a time per account; an addition names a new account, a reset or a change an
        existing one (:class:`~gateway.infra.errors.RegistryError`)."""
        ...

    async def staff_proposal(self, proposal_id: str) -> Proposal | None:
        """One proposal, in whatever state."""
        ...

    async def staff_proposals(self, *states: ProposalState) -> list[Proposal]:
        """Proposals in ``states`` (all when none given), oldest first."""
        ...

    async def decide_staff_proposal(
        self,
        proposal_id: str,
        *,
        approve: bool,
        decided_by: str,
        now: datetime,
        approver_half: str | None,
        code_expires_at: datetime | None,
        name_key: str,
        event_for: Callable[[Decided], AuditEvent],
    ) -> Decided:
        """Approve or refuse a pending proposal and carry out what an approval means; a
        proposal is decided once (:class:`~gateway.infra.errors.RegistryError`)."""
        ...

    async def enrolment_codes(self, staff_id: str, now: datetime) -> list[EnrolmentCode]:
        """The codes an account may enrol with at ``now``: approved, unused, unexpired;
        the latest decided first."""
        ...

    async def enrol_staff(
        self,
        proposal_id: str,
        *,
        password_hash: str,
        totp_sealed: bytes,
        now: datetime,
        name_key: str,
        event: AuditEvent,
    ) -> StaffAccount:
        """Use an enrolment code once: the account gets its holder's password and second
        factor and may sign in. :class:`~gateway.infra.errors.RegistryError` if the code was used or
        expired, or the account no longer waits for enrolment."""
        ...
