"""Every staff page in Dutch, French and German, photographed.

``make screenshots`` writes them to ``docs/screenshots/`` (EUREGATE_SCREENSHOTS); otherwise
they go to a temporary directory, and the test still checks each page speaks the language.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.web_fixtures import WebGateway, sign_in

LANGUAGES = ("nl", "fr", "de")


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("EUREGATE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def choose(page: Page, language: str) -> None:
    page.locator(f"form.languages button[value={language}]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def test_every_page_in_dutch_french_and_german(
    page: Page, web_gateway: WebGateway, example: Callable[[str], dict[str, Any]], shots: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    web_gateway.post(example("nl-drug-waste-maastricht.json"))
    officer = web_gateway.enrol("m.dubois", desk="BE")
    compliance = web_gateway.enrol("a.peeters", role="compliance", desk="*")
    taken = []

    def shoot(name: str, language: str, part: str | None = None) -> None:
        expect(page.locator("html")).to_have_attribute("lang", language)
        path = shots / f"{name}-{language}.png"
        if part is None:
            page.screenshot(path=path, full_page=True)
        else:
            page.locator(part).screenshot(path=path)
        taken.append(path)

    for language in LANGUAGES:
        page.goto("/login")
        choose(page, language)
        shoot("sign-in", language)
        sign_in(page, web_gateway, officer)
        choose(page, language)
        shoot("review-queue", language)
        page.locator("table.queue a").first.click()
        shoot("message", language)
        page.locator("form.reject button").click()
        shoot("message-refused-form", language, part="section[aria-labelledby=reject-heading]")
        page.locator("form[action='/logout'] button").click()
        sign_in(page, web_gateway, compliance)
        choose(page, language)
        shoot("start", language)
        page.goto("/review")
        shoot("not-allowed", language)
        page.locator("form[action='/logout'] button").click()

    assert all(path.stat().st_size > 0 for path in taken)
    assert len(taken) == 6 * len(LANGUAGES)
