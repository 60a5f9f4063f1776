"""The approvals page: the second person's decision on a proposed staff change.

Administrators decide what another administrator proposed for liaison officers and
administrators; compliance officers decide what an administrator proposed for compliance
staff (:mod:`gateway.staff.proposals`). Nobody decides their own proposal or one about
their own account. Approving an addition or a reset shows the approver's half of the enrolment code,
once.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from gateway.edges.web import proposals_view
from gateway.edges.web.frame import (
    NavEntry,
    Section,
    Viewer,
    context,
    render_page,
    require_permission,
)
from gateway.edges.web.texts import ROLE_LABELS
from gateway.infra.errors import Forbidden, RegistryError
from gateway.infra.i18n import N_, translate
from gateway.registry.admin import approvals
from gateway.staff import Permission, Role
from gateway.staff.proposals import Proposal, ProposalState, WithHalf

routes = web.RouteTableDef()
APPROVALS_PATH: Final = "/approvals"
DECIDERS: Final = (Permission.STAFF_APPROVE, Permission.STAFF_APPROVE_COMPLIANCE)
SECTION: Final = Section(
    name="approvals",
    routes=routes,
    navigation=tuple(
        NavEntry(APPROVALS_PATH, N_("Approvals"), permission) for permission in DECIDERS
    ),
)


def _decider(viewer: Viewer) -> None:
    if not any(viewer.may(permission) for permission in DECIDERS):
        raise Forbidden(permission=str(Permission.STAFF_APPROVE))


def _visible(proposal: Proposal, viewer: Viewer) -> bool:
    """Administrators see every proposal; compliance officers those they decide."""
    return viewer.may(Permission.STAFF_APPROVE) or proposal.approver_role is Role.COMPLIANCE


async def _page(
    request: web.Request,
    viewer: Viewer,
    *,
    decided: WithHalf | None = None,
    problem: str | None = None,
    status: int = 200,
) -> web.Response:
    pending = await context(request).store.staff_proposals(ProposalState.PENDING)
    visible = [proposal for proposal in pending if _visible(proposal, viewer)]
    language = viewer.language
    return await render_page(
        request,
        "approvals.html",
        {
            "proposals": proposals_view.rows(visible, viewer),
            "decided": decided,
            "decided_role": None
            if decided is None
            else translate(ROLE_LABELS[decided.proposal.account.role], language),
            "expires": None
            if decided is None or decided.proposal.code_expires_at is None
            else viewer.moment(decided.proposal.code_expires_at),
            "problem": problem,
        },
        status=status,
    )


@routes.get(APPROVALS_PATH)
@require_permission(None)
async def approvals_page(request: web.Request, viewer: Viewer) -> web.Response:
    _decider(viewer)
    return await _page(request, viewer)


@routes.post(APPROVALS_PATH + "/{proposal_id}/{decision:approve|refuse}")
@require_permission(None)
async def decide(request: web.Request, viewer: Viewer) -> web.Response:
    _decider(viewer)
    web_ = context(request)
    try:
        decided = await approvals.decide(
            web_.store,
            web_.master_key,
            request.match_info["proposal_id"],
            approve=request.match_info["decision"] == "approve",
            decider=viewer.account,
            now=web_.clock.now(),
            code_lifetime=web_.enrolment_code_lifetime,
        )
    except RegistryError as error:
        problem = proposals_view.problem(error, viewer.language)
        return await _page(request, viewer, problem=problem, status=409)
    return await _page(request, viewer, decided=decided)
