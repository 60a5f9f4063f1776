"""The administrators' pages: partners (state, certificates, keys, webhook health), staff
accounts (list, add, disable, enable, reset), and the sharing policy in force with its history.

Staff changes go through :mod:`gateway.staff.admin`, each with its audit event; a new or reset
account's second-factor secret is shown once, on the answer to the form, and kept nowhere in
clear. Administrators see no audit entries here: the policy history comes from the policy
versions the store keeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final

from aiohttp import web

from gateway import datadir, labels
from gateway.errors import NotFound, RegistryError
from gateway.i18n import LANGUAGES, N_, translate
from gateway.partners import PartnerState
from gateway.staff import Desk, Permission, Role, StaffAccount, StaffState, admin
from gateway.staff.admin import Enrolment
from gateway.staff.passwords import PASSWORD_MIN, password_problems
from gateway.web import present
from gateway.web.frame import (
    NavEntry,
    Section,
    Viewer,
    context,
    flash,
    render_page,
    require_permission,
)
from gateway.web.texts import ROLE_LABELS

routes = web.RouteTableDef()
PARTNERS_PATH: Final = "/admin/partners"
STAFF_PATH: Final = "/admin/staff"
POLICY_PATH: Final = "/admin/policy"

SECTION: Final = Section(
    name="administration",
    routes=routes,
    navigation=(
        NavEntry(PARTNERS_PATH, N_("Partners"), Permission.PARTNERS_MANAGE),
        NavEntry(STAFF_PATH, N_("Staff accounts"), Permission.STAFF_MANAGE),
        NavEntry(POLICY_PATH, N_("Sharing policy"), Permission.POLICY_READ),
    ),
)

PASSWORD_RULE: Final = N_(
    "A password has at least {min} characters and does not contain the login name."
)
ACCOUNT_EXISTS: Final = N_("An account with this login name already exists.")
ACCOUNT_REFUSED: Final = N_("The account cannot be saved as entered: {reason}")
STATE_LABELS: Final = {
    "active": N_("active"),
    "disabled": N_("disabled"),
    "suspended": N_("suspended"),
    "revoked": N_("revoked"),
}

KEY_STATES: Final = {
    "valid": N_("valid"),
    "retired": N_("retired"),
    "not yet valid": N_("not yet valid"),
    "expired": N_("expired"),
}


# --- partners ------------------------------------------------------------------------------


@routes.get(PARTNERS_PATH)
@require_permission(Permission.PARTNERS_MANAGE)
async def partners(request: web.Request, viewer: Viewer) -> web.Response:
    web_ = context(request)
    store, language, now = web_.store, viewer.language, web_.clock.now()
    health = await store.webhook_health()
    state_label = _state_label(language)

    def read() -> list[dict[str, object]]:
        return [
            {
                "partner": p,
                "state": state_label(p.state),
                "country": labels.country_name(p.country, language),
                "agency": present.label("agency_type", p.agency_type, language),
                "certificates": [
                    (c, viewer.moment(c.not_before), viewer.moment(c.not_after))
                    for c in store.certificates(p.id)
                ],
                "keys": [
                    (k, translate(KEY_STATES[k.state_at(now)], language))
                    for k in store.partner_keys(p.id)
                ],
                "health": health.get(p.id),
            }
            for p in store.partners()
        ]

    return await render_page(
        request,
        "admin_partners.html",
        {"rows": await asyncio.to_thread(read), "state_label": state_label},
    )


@routes.post(PARTNERS_PATH + "/{partner_id}/{change:suspend|reactivate}")
@require_permission(Permission.PARTNERS_MANAGE)
async def change_partner(request: web.Request, viewer: Viewer) -> web.Response:
    """Suspend a partner (it can neither send nor fetch) or let it work again; revoking it
    for good stays with ``euregate partner revoke``."""
    partner_id = request.match_info["partner_id"]
    suspend = request.match_info["change"] == "suspend"
    state = PartnerState.SUSPENDED if suspend else PartnerState.ACTIVE
    try:
        await asyncio.to_thread(
            datadir.change_partner_state,
            context(request).store,
            partner_id,
            state,
            actor=viewer.actor,
        )
    except RegistryError:
        raise NotFound() from None
    context(request).partner_changed(partner_id)
    message = N_("{id} is suspended.") if suspend else N_("{id} works again.")
    await flash(request, translate(message, viewer.language, id=partner_id))
    raise web.HTTPSeeOther(PARTNERS_PATH)


def _state_label(language: str) -> Callable[[object], str]:
    def label(state: object) -> str:
        return translate(STATE_LABELS.get(str(state), str(state)), language)

    return label


# --- staff ---------------------------------------------------------------------------------


async def _staff_page(
    request: web.Request,
    viewer: Viewer,
    *,
    form: dict[str, str] | None = None,
    problem: str | None = None,
    enrolment: Enrolment | None = None,
    reset: bool = False,
    status: int = 200,
) -> web.Response:
    web_ = context(request)
    accounts = await asyncio.to_thread(web_.store.staff_accounts)
    now = web_.clock.now()
    language = viewer.language
    rows = [
        {
            "account": a,
            "role": translate(ROLE_LABELS[a.role], language),
            "state": translate(STATE_LABELS[str(a.state)], language),
            "locked": a.locked(now),
            "created": viewer.moment(a.created_at),
        }
        for a in accounts
    ]
    return await render_page(
        request,
        "admin_staff.html",
        {
            "rows": rows,
            "form": form or {},
            "problem": problem,
            "enrolment": enrolment,
            "reset": reset,
            "roles": [(r.value, translate(ROLE_LABELS[r], language)) for r in Role],
            "languages": LANGUAGES,
            "password_rule": translate(PASSWORD_RULE, language, min=PASSWORD_MIN),
        },
        status=status,
    )


@routes.get(STAFF_PATH)
@require_permission(Permission.STAFF_MANAGE)
async def staff(request: web.Request, viewer: Viewer) -> web.Response:
    return await _staff_page(request, viewer)


@routes.post(STAFF_PATH)
@require_permission(Permission.STAFF_MANAGE)
async def add_staff(request: web.Request, viewer: Viewer) -> web.Response:
    posted = await request.post()
    form = {k: v.strip() for k, v in posted.items() if isinstance(v, str) and k != "password"}
    password = posted.get("password")
    password = password if isinstance(password, str) else ""
    web_ = context(request)
    try:
        account = StaffAccount(
            id=form.get("staff_id", ""),
            name=form.get("name", ""),
            role=Role(form.get("role", "")),
            desk=Desk.parse(form.get("desk", "")),
            language=form.get("language", "en"),
        )
        if password_problems(password, staff_id=account.id):
            return await _staff_page(
                request,
                viewer,
                form=form,
                problem=translate(PASSWORD_RULE, viewer.language, min=PASSWORD_MIN),
                status=422,
            )
        enrolment = await asyncio.to_thread(
            admin.enrol, web_.store, web_.master_key, account, password, actor=viewer.actor
        )
    except (RegistryError, ValueError) as error:
        return await _staff_page(
            request, viewer, form=form, problem=_problem(error, viewer.language), status=422
        )
    return await _staff_page(request, viewer, enrolment=enrolment)


def _problem(error: Exception, language: str) -> str:
    reason = str(error.params.get("reason", "")) if isinstance(error, RegistryError) else ""
    if "already exists" in reason:
        return translate(ACCOUNT_EXISTS, language)
    return translate(ACCOUNT_REFUSED, language, reason=reason or str(error))


@routes.post(STAFF_PATH + "/{staff_id}/{change:disable|enable}")
@require_permission(Permission.STAFF_MANAGE)
async def change_state(request: web.Request, viewer: Viewer) -> web.Response:
    staff_id = request.match_info["staff_id"]
    state = StaffState.DISABLED if request.match_info["change"] == "disable" else StaffState.ACTIVE
    try:
        await asyncio.to_thread(
            admin.set_state, context(request).store, staff_id, state, actor=viewer.actor
        )
    except RegistryError as error:
        return await _staff_page(
            request, viewer, problem=_problem(error, viewer.language), status=404
        )
    message = N_("{id} is disabled.") if state is StaffState.DISABLED else N_("{id} is enabled.")
    await flash(request, translate(message, viewer.language, id=staff_id))
    raise web.HTTPSeeOther(STAFF_PATH)


@routes.post(STAFF_PATH + "/{staff_id}/reset")
@require_permission(Permission.STAFF_MANAGE)
async def reset_staff(request: web.Request, viewer: Viewer) -> web.Response:
    staff_id = request.match_info["staff_id"]
    posted = await request.post()
    password = posted.get("password")
    password = password if isinstance(password, str) else ""
    web_ = context(request)
    if password_problems(password, staff_id=staff_id):
        return await _staff_page(
            request,
            viewer,
            problem=translate(PASSWORD_RULE, viewer.language, min=PASSWORD_MIN),
            status=422,
        )
    try:
        enrolment = await asyncio.to_thread(
            admin.reset, web_.store, web_.master_key, staff_id, password, actor=viewer.actor
        )
    except RegistryError as error:
        return await _staff_page(
            request, viewer, problem=_problem(error, viewer.language), status=404
        )
    return await _staff_page(request, viewer, enrolment=enrolment, reset=True)


# --- the policy ----------------------------------------------------------------------------


@routes.get(POLICY_PATH)
@require_permission(Permission.POLICY_READ)
async def policy(request: web.Request, viewer: Viewer) -> web.Response:
    store = context(request).store
    digest = await asyncio.to_thread(store.policy_in_force)
    text = await asyncio.to_thread(store.policy_text, digest) if digest else None
    versions = [
        {
            "version": v,
            "loaded": viewer.moment(v.first_loaded_at),
        }
        for v in await store.policy_versions()
    ]
    return await render_page(
        request,
        "admin_policy.html",
        {"digest": digest, "text": text, "versions": versions},
    )
