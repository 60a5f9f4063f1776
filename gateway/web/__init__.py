"""The staff web pages, served by the staff listener beside its ``/v1/`` API.

setup       setup_web(app, ...): templates, static files, sessions, the sections' routes
frame       Section, NavEntry, Viewer, require_permission, render_page, page_middleware
sessions    encrypted-cookie sessions with idle and absolute timeouts
security    security headers, CSRF secret and check, safe redirect targets
signin      sign-in with password and TOTP, sign-out, the interface language
liaison     the liaison officer's review queue and message pages
present     what those pages show, as pure functions over the desk's results
texts       the templates' words, marked for the catalogs
"""

from __future__ import annotations

from gateway.web.frame import (
    WEB,
    NavEntry,
    Section,
    Viewer,
    WebContext,
    render_page,
    require_permission,
)
from gateway.web.sessions import Timeouts
from gateway.web.setup import SECTIONS, setup_web

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
