"""Every staff page in Dutch, French and German, photographed.

``make screenshots`` writes them to ``docs/screenshots/`` (EUREGATE_SCREENSHOTS); otherwise
they go to a temporary directory. Either way each picture is checked to be of the page it is
named for, in its language: its heading is the catalog's translation, and the "not allowed"
page is a refusal (403, saying so).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from gateway.infra.errors import Forbidden
from gateway.infra.i18n import translate
from tests.web_fixtures import WebGateway, sign_in

LANGUAGES = ("nl", "fr", "de")
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("EUREGATE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def choose(page: Page, language: str) -> None:
    page.locator(f"form.languages button[value={language}]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def expect_page(page: Page, language: str, heading: str, /, **params: object) -> None:
    """The page speaks ``language`` and is headed ``heading`` (a message id) in it."""
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("h1")).to_have_text(translate(heading, language, **params))


def assert_pictures(taken: list[Path]) -> None:
    assert all(path.read_bytes().startswith(PNG) for path in taken)
    assert len({path.read_bytes() for path in taken}) == len(taken)


def test_every_page_in_dutch_french_and_german(
    page: Page, web_gateway: WebGateway, example: Callable[[str], dict[str, Any]], shots: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    web_gateway.post(example("nl-drug-waste-maastricht.json"))
    officer = web_gateway.enrol("m.dubois", desk="BE")
    compliance = web_gateway.enrol("a.peeters", role="compliance", desk="*")
    taken = []

    def shoot(name: str, language: str, part: str | None = None) -> None:
        path = shots / f"{name}-{language}.png"
        if part is None:
            page.screenshot(path=path, full_page=True)
        else:
            page.locator(part).screenshot(path=path)
        taken.append(path)

    for language in LANGUAGES:
        page.goto("/login")
        choose(page, language)
        expect_page(page, language, "Sign in")
        shoot("sign-in", language)
        sign_in(page, web_gateway, officer)
        choose(page, language)
        expect_page(page, language, "Review queue")
        shoot("review-queue", language)
        cell = page.locator("table.queue tbody tr td").nth(3)
        recipient = cell.locator(".partner-id").inner_text()
        page.locator("table.queue a").first.click()
        expect_page(page, language, "Message for {recipient}", recipient=recipient)
        shoot("message", language)
        page.locator("form.release button").click()
        expect_page(page, language, "Message for {recipient}", recipient=recipient)
        expect(page.locator(".error-summary")).to_be_visible()
        shoot("message-refused-form", language)
        page.locator("form[action='/logout'] button").click()
        sign_in(page, web_gateway, compliance)
        choose(page, language)
        expect_page(page, language, "Welcome, {name}", name="A.Peeters")
        shoot("start", language)
        refused = page.goto("/review")
        assert refused is not None
        assert refused.status == 403
        expect_page(page, language, Forbidden.title)
        expect(page.locator(".problem")).to_have_text(translate(Forbidden.detail_message, language))
        expect(page.locator("table.queue")).to_have_count(0)
        shoot("not-allowed", language)
        page.locator("form[action='/logout'] button").click()

    assert len(taken) == 6 * len(LANGUAGES)
    assert_pictures(taken)
