"""Proposing a staff change and deciding it: the two people's steps, each with its audit event.

The rules are in :mod:`gateway.staff.proposals`; the holder's own step, enrolling with both
halves of the code, is :meth:`gateway.registry.auth.Authenticator.enrol`. Events name accounts,
roles and desks, never a person's name, a half of a code or a secret.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

from gateway.infra.audit import events, refs, timestamp
from gateway.infra.audit.refs import Ref
from gateway.infra.audit.schema import ABSENT
from gateway.infra.errors import Forbidden, NotFound, RegistryError
from gateway.infra.i18n import N_
from gateway.infra.vault import MasterKey
from gateway.staff import throttle
from gateway.staff.accounts import StaffAccount
from gateway.staff.permissions import Permission, require
from gateway.staff.proposals import (
    Half,
    Proposal,
    ProposalKind,
    WithHalf,
    half_hash,
    may_decide,
    new_half,
    new_proposal_id,
)

if TYPE_CHECKING:
    from gateway.store import Decided, Store


async def propose(
    store: Store,
    kind: ProposalKind,
    account: StaffAccount,
    *,
    proposer: StaffAccount,
    now: datetime,
) -> WithHalf:
    """Record ``proposer``'s proposal: add ``account``, reset it, or give it the role and desk
    of ``account``. For an addition or a reset, the proposer's half of the enrolment code."""
    require(proposer, Permission.STAFF_MANAGE)
    if kind is ProposalKind.RESET:
        account = await store.staff_account(account.id)
    elif kind is ProposalKind.CHANGE:
        current = await store.staff_account(account.id)
        if (current.role, current.desk) == (account.role, account.desk):
            raise RegistryError(N_("{id} already has this role and desk"), id=account.id)
        account = replace(current, role=account.role, desk=account.desk)
    proposal = Proposal(
        id=new_proposal_id(), kind=kind, account=account, proposed_by=proposer.id, proposed_at=now
    )
    half = new_half() if kind.enrols else None
    kept = await store.add_staff_proposal(
        proposal,
        None if half is None else half_hash(proposal.id, Half.PROPOSER, half),
        events.StaffProposed(
            by=refs.staff(proposer.id),
            **_facts(proposal),
            approver=str(proposal.approver_role),
        ),
    )
    return WithHalf(kept, half)


async def decide(
    store: Store,
    key: MasterKey,
    proposal_id: str,
    *,
    approve: bool,
    decider: StaffAccount,
    now: datetime,
    code_lifetime: timedelta,
) -> WithHalf:
    """Approve or refuse a proposal; an approved addition or reset gives the approver's half
    of the enrolment code, which works until ``now + code_lifetime``."""
    proposal = await store.staff_proposal(proposal_id)
    if proposal is None:
        raise NotFound()
    if not may_decide(proposal, decider):
        raise Forbidden(permission=str(proposal.approver_permission))
    half = new_half() if approve and proposal.kind.enrols else None
    expires = None if half is None else now + code_lifetime

    def event(decided: Decided) -> events.StaffProposalApproved | events.StaffProposalRefused:
        by, facts = refs.staff(decider.id), _facts(decided.proposal)
        if not approve:
            return events.StaffProposalRefused(by=by, **facts)
        kind = proposal.kind
        return events.StaffProposalApproved(
            by=by,
            **facts,
            sessions_ended=ABSENT if kind is ProposalKind.ADD else decided.sessions_ended,
            tokens_revoked=decided.tokens_revoked if kind is ProposalKind.RESET else ABSENT,
            code_expires_at=ABSENT if expires is None else timestamp(expires),
        )

    decided = await store.decide_staff_proposal(
        proposal_id,
        approve=approve,
        decided_by=decider.id,
        now=now,
        approver_half=None if half is None else half_hash(proposal_id, Half.APPROVER, half),
        code_expires_at=expires,
        name_key=throttle.name_key(key, proposal.account.id),
        event_for=event,
    )
    return WithHalf(decided.proposal, half)


class _Facts(TypedDict):
    about: Ref
    proposal: str
    proposal_kind: str
    role: str
    desk: str
    language: str


def _facts(proposal: Proposal) -> _Facts:
    """What every event of a proposal names."""
    return _Facts(
        about=refs.staff(proposal.account.id),
        proposal=proposal.id,
        proposal_kind=str(proposal.kind),
        role=str(proposal.account.role),
        desk=str(proposal.account.desk),
        language=proposal.account.language,
    )
