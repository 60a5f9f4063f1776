"""The compliance and administrator pages in Dutch, French and German, photographed.

``make screenshots`` writes them to ``docs/screenshots/`` (EUREGATE_SCREENSHOTS) beside the
liaison pages'; otherwise they go to a temporary directory. Either way each picture is checked
to be of the page it is named for: its heading is the catalog's translation.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.test_web_screenshots import (  # noqa: F401 - shots is a fixture
    LANGUAGES,
    assert_pictures,
    choose,
    expect_page,
    shots,
)
from tests.web_fixtures import WebGateway, sign_in

DUTCH_SIGNAL = "nl-drug-waste-maastricht.json"
HEADINGS = {
    "nl": "Zoeken in de auditlog",
    "fr": "Recherche dans le journal d’audit",
    "de": "Suche im Prüfprotokoll",
}
ADMIN_HEADINGS = {"partners": "Partners", "staff": "Staff accounts", "policy": "Sharing policy"}


def test_every_compliance_and_administrator_page_in_dutch_french_and_german(
    page: Page,
    web_gateway: WebGateway,
    example: Callable[[str], dict[str, Any]],
    shots: Path,  # noqa: F811
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    signal_id = web_gateway.post(example(DUTCH_SIGNAL))
    number = next(p for p in example(DUTCH_SIGNAL)["persons"] if p.get("identifiers"))[
        "identifiers"
    ][0]["value"]
    compliance = web_gateway.enrol("a.peeters", role="compliance", desk="*")
    administrator = web_gateway.enrol("j.jansen", role="administrator", desk="*")
    taken = []

    def shoot(name: str, language: str) -> None:
        path = shots / f"{name}-{language}.png"
        page.screenshot(path=path, full_page=True)
        taken.append(path)

    for language in LANGUAGES:
        sign_in(page, web_gateway, compliance)
        choose(page, language)
        page.goto("/audit")
        expect(page.locator("h1")).to_have_text(HEADINGS[language])
        expect_page(page, language, "Audit search")
        shoot("audit-search", language)
        page.goto(f"/audit/exchanges/{signal_id}")
        expect_page(page, language, "Exchange {id}", id=signal_id)
        shoot("audit-exchange", language)
        page.goto("/chain")
        expect_page(page, language, "Audit chain")
        shoot("audit-chain", language)
        page.locator("form.verify button").click()
        expect(page.locator(".result")).to_be_visible(timeout=30_000)
        expect_page(page, language, "Verifying the audit chain")
        shoot("audit-verify", language)
        page.goto("/lookup")
        page.fill("#identifier", number)
        page.locator("form.by-number button").click()
        expect(page.locator("table.found")).to_be_visible()
        expect_page(page, language, "Data-subject lookup")
        shoot("audit-lookup", language)
        page.goto("/charts")
        expect_page(page, language, "Charts")
        shoot("audit-charts", language)
        page.goto("/transparency")
        shoot("audit-transparency", language)
        page.locator("form[action='/logout'] button").click()

        sign_in(page, web_gateway, administrator)
        choose(page, language)
        page.goto("/admin/staff")
        page.fill("#new-staff_id", f"l.maes-{language}")
        page.fill("#new-name", "L. Maes")
        page.fill("#new-desk", "BE")
        page.locator("form.staff.add button[type=submit]").click()
        expect(page.locator("[data-half=proposer]")).to_be_visible()
        for name, heading in ADMIN_HEADINGS.items():
            page.goto(f"/admin/{name}")
            expect_page(page, language, heading)
            shoot(f"admin-{name}", language)
        page.goto("/approvals")
        expect_page(page, language, "Approvals")
        shoot("admin-approvals", language)
        page.locator("form[action='/logout'] button").click()
        page.goto("/enrol")
        choose(page, language)
        expect_page(page, language, "Enrol")
        shoot("enrol", language)

    assert len(taken) == 12 * len(LANGUAGES)
    assert_pictures(taken)
