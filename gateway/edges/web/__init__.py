"""The staff web pages, served by the staff listener beside its ``/v1/`` API.

setup       setup_web(app, ...): templates, static files, sessions, the sections' routes
frame       Section, NavEntry, Viewer, require_permission, render_page, page_middleware
sessions    sessions kept in the database, the cookie only their id; an encrypted cookie
            before sign-in
security    security headers, CSRF secret and check, safe redirect targets
signin      sign-in with password and TOTP, sign-out (of every session), the interface language
enrolment   a holder's first sign-in with the two halves of an enrolment code
liaison     the liaison officer's review queue and message pages
compliance  the compliance staff's pages: audit search, an exchange's story, the chain and its
            verification, data-subject lookup, charts
holds       legal holds: the holds page, and an exchange's retention with its hold form
withdrawals withdrawals and replacements, their notices and those overdue; an exchange's
            withdrawal with each recipient's notice
subject_report   a data subject's report of every exchange about them, and its signed export
charts      the charts, drawn on the server as SVG with their figures as tables
export      an audit search as CSV or JSON, with its signed manifest
admin       the administrators' pages: partners and the sharing policy
staff_accounts   the administrators' staff page: accounts, sign-in blocks, proposals
approvals        the second person's decision on a proposed staff change
proposals_view   how proposals read on those two pages
present     what those pages show, as pure functions over the desk's results
verifications   the audit chain's verifications compliance staff start, run in the background
texts       the templates' words, marked for the catalogs
"""

from __future__ import annotations

from gateway.edges.web.frame import (
    WEB,
    NavEntry,
    Section,
    Viewer,
    WebContext,
    render_page,
    require_permission,
)
from gateway.edges.web.sessions import Timeouts
from gateway.edges.web.setup import SECTIONS, setup_web

__all__ = [
    "SECTIONS",
    "WEB",
    "NavEntry",
    "Section",
    "Timeouts",
    "Viewer",
    "WebContext",
    "render_page",
    "require_permission",
    "setup_web",
]
