"""The administrators' pages: partners (state, certificates, keys, webhook health) and the
sharing policy in force with its history. (Staff accounts: :mod:`gateway.edges.web.staff_accounts`.)

Administrators see no audit entries here: the policy history comes from the policy versions
the store keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final

from aiohttp import web

from gateway.contract.partners import Certificate, CertificateState, PartnerState
from gateway.edges.web import present
from gateway.edges.web.frame import (
    NavEntry,
    Section,
    Viewer,
    context,
    flash,
    render_page,
    require_permission,
)
from gateway.infra.errors import NotFound, RegistryError
from gateway.infra.expiry import WARN_DAYS, days_left
from gateway.infra.i18n import N_, translate
from gateway.registry.admin.partners import change_partner_state
from gateway.render import labels
from gateway.staff import Permission

routes = web.RouteTableDef()
PARTNERS_PATH: Final = "/admin/partners"
POLICY_PATH: Final = "/admin/policy"

SECTION: Final = Section(
    name="administration",
    routes=routes,
    navigation=(
        NavEntry(PARTNERS_PATH, N_("Partners"), Permission.PARTNERS_MANAGE),
        NavEntry(POLICY_PATH, N_("Sharing policy"), Permission.POLICY_READ),
    ),
)

STATE_LABELS: Final = {
    "active": N_("active"),
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

    rows = [
        {
            "partner": p,
            "state": state_label(p.state),
            "country": labels.country_name(p.country, language),
            "agency": present.label("agency_type", p.agency_type, language),
            "certificates": [
                (
                    c,
                    viewer.moment(c.not_before),
                    viewer.moment(c.not_after),
                    _renew_soon(c, now),
                )
                for c in await store.certificates(p.id)
            ],
            "keys": [
                (k, translate(KEY_STATES[k.state_at(now)], language))
                for k in await store.partner_keys(p.id)
            ],
            "health": health.get(p.id),
        }
        for p in await store.partners()
    ]
    return await render_page(
        request, "admin_partners.html", {"rows": rows, "state_label": state_label}
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
        await change_partner_state(context(request).store, partner_id, state, actor=viewer.actor)
    except RegistryError:
        raise NotFound() from None
    context(request).partner_changed(partner_id)
    message = N_("{id} is suspended.") if suspend else N_("{id} works again.")
    await flash(request, translate(message, viewer.language, id=partner_id))
    raise web.HTTPSeeOther(PARTNERS_PATH)


def _renew_soon(certificate: Certificate, now: datetime) -> int | None:
    """The days an active certificate has left, if it is time to renew it."""
    if certificate.state != CertificateState.ACTIVE:
        return None
    left = days_left(certificate.not_after, now)
    return left if left < WARN_DAYS else None


def _state_label(language: str) -> Callable[[object], str]:
    def label(state: object) -> str:
        return translate(STATE_LABELS.get(str(state), str(state)), language)

    return label


# --- the policy ----------------------------------------------------------------------------


@routes.get(POLICY_PATH)
@require_permission(Permission.POLICY_READ)
async def policy(request: web.Request, viewer: Viewer) -> web.Response:
    store = context(request).store
    digest = await store.policy_in_force()
    text = await store.policy_text(digest) if digest else None
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
