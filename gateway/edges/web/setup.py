"""Mounting the staff pages on the staff listener: templates, static files, sessions, routes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import session_middleware

from gateway.edges.web import (
    admin,
    approvals,
    compliance,
    enrolment,
    holds,
    liaison,
    restrictions,
    signin,
    staff_accounts,
    transparency,
    withdrawals,
)
from gateway.edges.web.frame import STATIC_PREFIX, WEB, Section, WebContext, page_middleware
from gateway.edges.web.sessions import SessionStorage, Timeouts
from gateway.edges.web.verifications import Verifications
from gateway.flow.desk import ReviewDesk
from gateway.flow.restriction import Restrictions
from gateway.infra.clock import Clock
from gateway.infra.seal import Signer
from gateway.infra.vault import MasterKey
from gateway.registry.auth import Authenticator
from gateway.store import Store

HERE: Final = Path(__file__).resolve().parent
TEMPLATES: Final = HERE / "templates"
STATIC: Final = HERE / "static"
DEFAULT_TIME_ZONE: Final = "Europe/Brussels"
SECTIONS: Final[tuple[Section, ...]] = (
    signin.SECTION,
    enrolment.SECTION,
    liaison.SECTION,
    compliance.SECTION,
    holds.SECTION,
    withdrawals.SECTION,
    restrictions.SECTION,
    transparency.SECTION,
    admin.SECTION,
    staff_accounts.SECTION,
    approvals.SECTION,
)
"""Every part of the staff pages; a new part adds its :class:`Section` here."""


def setup_web(
    app: web.Application,
    *,
    desk: ReviewDesk,
    authenticator: Authenticator,
    store: Store,
    master_key: MasterKey,
    signer: Signer,
    verifications: Verifications,
    clock: Clock,
    time_zone: str = DEFAULT_TIME_ZONE,
    timeouts: Timeouts | None = None,
    sections: tuple[Section, ...] = SECTIONS,
    enrolment_code_lifetime: timedelta = timedelta(hours=72),
    partner_changed: Callable[[str], None] | None = None,
    restrictions: Restrictions | None = None,
    witness_stale_after: timedelta = timedelta(hours=24),
) -> None:
    """Serve the staff pages from ``app`` (the staff listener), beside its ``/v1/`` API;
    ``signer`` signs audit exports; ``verifications`` keeps the audit chain's verifications
    that compliance staff start; ``partner_changed`` hears the id of a partner an
    administrator suspended or let work again (the inbox ends that partner's long-polls);
    ``restrictions`` places and lifts restrictions of processing (by default without waking
    anything: what a lifting lets go is then sealed and served at the next polls)."""
    timeouts = timeouts or Timeouts()
    app[WEB] = WebContext(
        desk=desk,
        authenticator=authenticator,
        store=store,
        master_key=master_key,
        signer=signer,
        verifications=verifications,
        clock=clock,
        time_zone=ZoneInfo(time_zone),
        timeouts=timeouts,
        sections=sections,
        enrolment_code_lifetime=enrolment_code_lifetime,
        partner_changed=partner_changed or _nobody,
        restrictions=restrictions or Restrictions(store=store, master_key=master_key, clock=clock),
        witness_stale_after=witness_stale_after,
    )
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    app.middlewares.append(session_middleware(SessionStorage(store, master_key, timeouts)))
    app.middlewares.append(page_middleware)
    for section in sections:
        app.router.add_routes(section.routes)
    app.router.add_static(STATIC_PREFIX, STATIC, name="static", append_version=True)


def _nobody(_: str) -> None:
    """No one to tell."""
