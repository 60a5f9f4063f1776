"""The administrators' staff page: accounts with their sign-in blocks, and proposals.

An administrator disables and enables accounts and lifts sign-in blocks alone. Adding an
account, resetting its password and second factor, or giving it another role or desk is
only proposed here (:mod:`gateway.registry.admin.approvals`): another person approves it on the
approvals page (:mod:`gateway.edges.web.approvals`). The proposer sees their half of the
enrolment code once, on the answer to the form, and never a second factor's secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from aiohttp import web

from gateway.edges.web import proposals_view
from gateway.edges.web.frame import (
    NavEntry,
    Section,
    Viewer,
    context,
    flash,
    render_page,
    require_permission,
)
from gateway.edges.web.texts import ROLE_LABELS
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import LANGUAGES, N_, translate
from gateway.registry.admin import approvals
from gateway.registry.admin import staff as staff_admin
from gateway.staff import (
    Desk,
    Permission,
    Role,
    StaffAccount,
    StaffState,
)
from gateway.staff.proposals import ProposalKind, ProposalState, WithHalf

routes = web.RouteTableDef()
STAFF_PATH: Final = "/admin/staff"
SECTION: Final = Section(
    name="staff accounts",
    routes=routes,
    navigation=(NavEntry(STAFF_PATH, N_("Staff accounts"), Permission.STAFF_MANAGE),),
)

UNBLOCKED: Final = N_("{id} may sign in again from every address ({count} unblocked).")
STATE_LABELS: Final = {
    str(StaffState.ACTIVE): N_("active"),
    str(StaffState.DISABLED): N_("disabled"),
    str(StaffState.ENROLLING): N_("waits for enrolment"),
}


async def _staff_page(
    request: web.Request,
    viewer: Viewer,
    *,
    form: dict[str, str] | None = None,
    problem: str | None = None,
    proposed: WithHalf | None = None,
    status: int = 200,
) -> web.Response:
    web_ = context(request)
    store = web_.store
    accounts = await store.staff_accounts()
    pending = await store.staff_proposals(ProposalState.PENDING)
    now = web_.clock.now()
    blocks = await staff_admin.sign_in_blocks(
        store, web_.master_key, [a.id for a in accounts], now, web_.authenticator.throttle
    )
    language = viewer.language
    rows = [
        {
            "account": a,
            "role": translate(ROLE_LABELS[a.role], language),
            "state": translate(STATE_LABELS[str(a.state)], language),
            "blocked": [
                (block.address, viewer.moment(block.blocked_until))
                for block in blocks[a.id]
                if block.blocked_until is not None and block.blocked_until > now
            ],
            "failures": sum(block.failures for block in blocks[a.id]),
            "created": viewer.moment(a.created_at),
        }
        for a in accounts
    ]
    return await render_page(
        request,
        "admin_staff.html",
        {
            "rows": rows,
            "proposals": proposals_view.rows(pending, viewer),
            "form": form or {},
            "problem": problem,
            "proposed": proposed,
            "proposed_kind": None
            if proposed is None
            else translate(proposals_view.KIND_LABELS[proposed.proposal.kind], language),
            "decided_by": None
            if proposed is None
            else translate(proposals_view.DECIDED_BY[proposed.proposal.approver_role], language),
            "roles": [(r.value, translate(ROLE_LABELS[r], language)) for r in Role],
            "languages": LANGUAGES,
        },
        status=status,
    )


@routes.get(STAFF_PATH)
@require_permission(Permission.STAFF_MANAGE)
async def staff(request: web.Request, viewer: Viewer) -> web.Response:
    return await _staff_page(request, viewer)


async def _propose(
    request: web.Request,
    viewer: Viewer,
    kind: ProposalKind,
    account: StaffAccount,
    form: dict[str, str],
) -> web.Response:
    web_ = context(request)
    try:
        proposed = await approvals.propose(
            web_.store, kind, account, proposer=viewer.account, now=web_.clock.now()
        )
    except RegistryError as error:
        problem = proposals_view.problem(error, viewer.language)
        return await _staff_page(request, viewer, form=form, problem=problem, status=422)
    return await _staff_page(request, viewer, proposed=proposed)


def _account(
    form: Mapping[str, str],
    *,
    staff_id: str | None = None,
    name: str | None = None,
    language: str | None = None,
) -> StaffAccount:
    """The account a form describes (or the named parts of one that exists);
    :class:`RegistryError` with what is wrong."""
    try:
        role = Role(form.get("role", ""))
    except ValueError:
        raise RegistryError(N_("choose a role")) from None
    return StaffAccount(
        id=form.get("staff_id", "") if staff_id is None else staff_id,
        name=form.get("name", "") if name is None else name,
        role=role,
        desk=Desk.parse(form.get("desk", "")),
        language=form.get("language", "en") if language is None else language,
    )


def _form(posted: Mapping[str, object]) -> dict[str, str]:
    return {k: v.strip() for k, v in posted.items() if isinstance(v, str) and k != "csrf"}


@routes.post(STAFF_PATH)
@require_permission(Permission.STAFF_MANAGE)
async def propose_account(request: web.Request, viewer: Viewer) -> web.Response:
    """Propose a new account; nothing is created until another person approves."""
    form = _form(await request.post())
    try:
        account = _account(form)
    except RegistryError as error:
        problem = proposals_view.problem(error, viewer.language)
        return await _staff_page(request, viewer, form=form, problem=problem, status=422)
    return await _propose(request, viewer, ProposalKind.ADD, account, form)


@routes.post(STAFF_PATH + "/changes")
@require_permission(Permission.STAFF_MANAGE)
async def propose_change(request: web.Request, viewer: Viewer) -> web.Response:
    """Propose a new role or desk for an account."""
    form = _form(await request.post())
    try:
        store = context(request).store
        current = await store.staff_account(form.get("staff_id", ""))
        account = _account(form, staff_id=current.id, name=current.name, language=current.language)
    except RegistryError as error:
        problem = proposals_view.problem(error, viewer.language)
        return await _staff_page(request, viewer, form=form, problem=problem, status=422)
    return await _propose(request, viewer, ProposalKind.CHANGE, account, form)


@routes.post(STAFF_PATH + "/{staff_id}/reset")
@require_permission(Permission.STAFF_MANAGE)
async def propose_reset(request: web.Request, viewer: Viewer) -> web.Response:
    """Propose a new password and second factor for an account, which its holder will
    choose and receive at enrolment."""
    staff_id = request.match_info["staff_id"]
    try:
        current = await context(request).store.staff_account(staff_id)
    except RegistryError as error:
        problem = proposals_view.problem(error, viewer.language)
        return await _staff_page(request, viewer, problem=problem, status=404)
    return await _propose(request, viewer, ProposalKind.RESET, current, {})


@routes.post(STAFF_PATH + "/{staff_id}/{change:disable|enable}")
@require_permission(Permission.STAFF_MANAGE)
async def change_state(request: web.Request, viewer: Viewer) -> web.Response:
    """Disable an account (its sessions and tokens stop at once) or enable it again; alone,
    as neither gives anyone access they did not have."""
    staff_id = request.match_info["staff_id"]
    state = StaffState.DISABLED if request.match_info["change"] == "disable" else StaffState.ACTIVE
    try:
        await staff_admin.set_state(context(request).store, staff_id, state, actor=viewer.actor)
    except RegistryError as error:
        problem = proposals_view.problem(error, viewer.language)
        return await _staff_page(request, viewer, problem=problem, status=404)
    message = N_("{id} is disabled.") if state is StaffState.DISABLED else N_("{id} is enabled.")
    await flash(request, translate(message, viewer.language, id=staff_id))
    raise web.HTTPSeeOther(STAFF_PATH)


@routes.post(STAFF_PATH + "/{staff_id}/unblock")
@require_permission(Permission.STAFF_MANAGE)
async def unblock(request: web.Request, viewer: Viewer) -> web.Response:
    """Lift the sign-in blocks of an account, from every address."""
    staff_id = request.match_info["staff_id"]
    web_ = context(request)
    try:
        lifted = await staff_admin.lift_sign_in_blocks(
            web_.store, web_.master_key, staff_id, actor=viewer.actor
        )
    except RegistryError as error:
        problem = proposals_view.problem(error, viewer.language)
        return await _staff_page(request, viewer, problem=problem, status=404)
    await flash(request, translate(UNBLOCKED, viewer.language, id=staff_id, count=lifted))
    raise web.HTTPSeeOther(STAFF_PATH)
