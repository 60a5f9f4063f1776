"""The liaison officer's pages in a real browser: the desk's queue, a message with the
correction form beside the original, correcting and releasing it (the correction feeds the
translation memory) with a choice for each text still in a language the recipient does not
read, a refused release summarised at the top, rejecting it, and the whole flow by keyboard
alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from gateway.render import labels
from tests.web_fixtures import Person, WebGateway, sign_in

DUTCH_SIGNAL = "nl-drug-waste-maastricht.json"
FRENCH_SUMMARY = (
    "Déchets de production de drogues (env. 40 fûts) déversés le long de la Lage Kanaaldijk ; "
    "camionnette avec un équipage belgo-néerlandais aperçue"
)


@pytest.fixture
def belgian_officer(page: Page, web_gateway: WebGateway) -> Person:
    officer = web_gateway.enrol("m.dubois", desk="BE")
    sign_in(page, web_gateway, officer)
    return officer


@pytest.fixture
def dutch_signal(web_gateway: WebGateway, example: Callable[[str], dict[str, Any]]) -> str:
    return web_gateway.post(example(DUTCH_SIGNAL))


def test_the_queue_lists_only_the_desks_copies_with_what_makes_them_pressing(
    page: Page, web_gateway: WebGateway, belgian_officer: Person, dutch_signal: str
) -> None:
    page.goto("/review")
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(1)
    cells = rows.first.locator("td")
    expect(cells.nth(0)).to_have_text("urgent: act within days")
    expect(cells.nth(1)).to_have_text("none")
    expect(cells.nth(2).locator(".partner-name")).to_have_text("Politie Eenheid Limburg")
    expect(cells.nth(2).locator(".partner-id")).to_have_text("nl-pol-limburg")
    expect(cells.nth(2).locator(".partner")).to_have_attribute("title", "nl-pol-limburg")
    expect(cells.nth(3).locator(".partner-name")).to_have_text("Zone de police de Liège")
    expect(cells.nth(3).locator(".partner-id")).to_have_text("be-pol-liege")
    expect(cells.nth(4)).to_have_text("dumped drug waste")
    expect(cells.nth(6)).to_contain_text("free text in a language the recipient did not list")
    one_line = "el => el.getClientRects().length"
    assert cells.nth(3).locator(".partner-id").evaluate(one_line) == 1, "not broken at hyphens"


def test_a_message_shows_the_original_beside_the_rendering_with_provenance_and_rules(
    page: Page,
    web_gateway: WebGateway,
    example: Callable[[str], dict[str, Any]],
) -> None:
    to_the_city = example(DUTCH_SIGNAL) | {"recipients": {"partners": ["de-stadt-aachen"]}}
    web_gateway.post(to_the_city, reference="MAA-2026-0412-C")
    sign_in(page, web_gateway, web_gateway.enrol("k.schmidt", desk="de-stadt-aachen"))
    page.goto("/review")
    page.locator("table.queue a").first.click()

    original = page.locator("section.original p.text[data-pointer='/summary']")
    expect(original).to_have_text(example(DUTCH_SIGNAL)["summary"])
    expect(page.locator("section.original")).to_have_attribute("lang", "nl")
    mark = original.locator("mark").first
    expect(mark).to_have_text("Drugsafval")
    expect(mark).to_have_attribute("title", "Drogenabfälle")
    expect(page.locator("section.rendering")).to_have_attribute("lang", "de")
    expect(page.locator("section.rendering")).to_contain_text("MAA-2026-0412-C")
    expect(page.locator("fieldset[data-pointer='/summary'] .provenance")).to_have_text(
        "Now: as written; held by the sharing rules: goes to the recipient only when you release it"
    )
    indicator = page.locator("section.rendering [data-pointer='/indicators/0']")
    expect(indicator.locator("dd .text")).to_contain_text("illegale Entsorgung von Drogenabfällen")
    expect(indicator.locator(".definition")).to_have_text(
        str(labels.definition("indicator", "drugs.waste_dumping", "de"))
    )
    treatments = page.locator("table.treatments tbody")
    expect(treatments).to_contain_text("national identification numbers")
    first_rule = page.locator("dl.rules > div").first
    expect(first_rule).to_contain_text("Legal basis:")


def test_a_released_correction_is_served_from_memory_for_the_next_identical_sentence(
    page: Page,
    web_gateway: WebGateway,
    belgian_officer: Person,
    dutch_signal: str,
    example: Callable[[str], dict[str, Any]],
) -> None:
    page.goto("/review")
    page.locator("table.queue a").first.click()
    page.fill("fieldset[data-pointer='/summary'] textarea", FRENCH_SUMMARY)
    page.locator("fieldset[data-pointer='/description']").get_by_label(
        "The text as written, in Dutch, marked so for the recipient"
    ).check()
    page.get_by_role("button", name="Release to be-pol-liege").click()

    expect(page.get_by_role("status")).to_have_text(f"Released {dutch_signal} for be-pol-liege.")
    expect(page.locator("table.queue")).to_have_count(0)

    web_gateway.post(example(DUTCH_SIGNAL), reference="MAA-2026-0412-B")
    page.goto("/review")
    page.locator("table.queue a").first.click()
    summary = page.locator("fieldset[data-pointer='/summary']")
    expect(summary.locator("textarea")).to_have_value(FRENCH_SUMMARY)
    expect(summary.locator(".provenance")).to_have_text(
        "Now: from the translation memory of liaison desk BE "
        f"(written by {belgian_officer.staff_id}, not confirmed by a second officer)"
    )


def test_a_refused_form_comes_back_with_the_officers_text_and_the_problem_beside_the_field(
    page: Page, web_gateway: WebGateway, belgian_officer: Person, dutch_signal: str
) -> None:
    page.goto("/review")
    page.locator("table.queue a").first.click()
    page.fill("fieldset[data-pointer='/summary'] textarea", FRENCH_SUMMARY)
    page.fill("fieldset[data-pointer='/description'] textarea", "   ")
    page.get_by_role("button", name="Release to be-pol-liege").click()

    description = page.locator("fieldset[data-pointer='/description']")
    expect(description.get_by_role("alert")).to_contain_text("Write the text the recipient")
    expect(description.locator("textarea")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("fieldset[data-pointer='/summary'] textarea")).to_have_value(FRENCH_SUMMARY)

    page.select_option("#category", "purpose_mismatch")
    page.get_by_role("button", name="Reject the message for be-pol-liege").click()
    expect(page.locator("form.reject").get_by_role("alert")).to_contain_text("Give a reason")
    expect(page.locator("#category")).to_have_value("purpose_mismatch")
    page.fill("#reason", "Wrong recipient: this concerns the Maastricht area only.")
    page.get_by_role("button", name="Reject the message for be-pol-liege").click()
    expect(page.get_by_role("status")).to_have_text(f"Rejected {dutch_signal} for be-pol-liege.")
    rejected = [e for e in web_gateway.audit_entries() if e.kind == "review.rejected"]
    assert [e.actor for e in rejected] == ["staff:m.dubois"]


def test_the_review_flow_works_by_keyboard_alone(
    page: Page, web_gateway: WebGateway, dutch_signal: str
) -> None:
    officer = web_gateway.enrol("m.dubois", desk="BE")
    page.goto("/login")
    tab_to(page, "#staff_id")
    page.keyboard.type(officer.staff_id)
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery staple")
    page.keyboard.press("Tab")
    page.keyboard.type(web_gateway.code(officer))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")

    tab_to(page, "table.queue a")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Message for be-pol-liege")
    tab_to(page, "fieldset[data-pointer='/summary'] textarea")
    page.keyboard.press("Control+A")
    page.keyboard.type(FRENCH_SUMMARY)
    tab_to(page, "#choice-description-translated")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#choice-description-as_written")).to_be_checked()
    tab_to(page, "form.release button")
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text(f"Released {dutch_signal} for be-pol-liege.")


def open_on_a_wide_screen(page: Page) -> None:
    """The first message of the queue, on a screen of 1280 by 900 pixels."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/review")
    page.locator("table.queue a").first.click()


def test_the_correction_form_is_beside_the_original_within_the_first_screen(
    page: Page, web_gateway: WebGateway, belgian_officer: Person, dutch_signal: str
) -> None:
    open_on_a_wide_screen(page)

    form = page.locator("form.release").bounding_box()
    original = page.locator("section.original p.text[data-pointer='/summary']").bounding_box()
    box = page.locator("fieldset[data-pointer='/summary'] textarea").bounding_box()
    assert form is not None
    assert original is not None
    assert box is not None
    assert form["y"] < 900, form
    assert box["x"] > original["x"] + original["width"], (original, box)
    assert box["y"] < original["y"] + original["height"] + 200, (original, box)
    description = page.locator("section.rendering [data-pointer='/description']")
    expect(description.locator(".untranslated-mark")).to_have_text(
        "[tel que rédigé, en néerlandais]"
    )


def test_a_refused_release_is_summarised_at_the_top_with_what_was_typed_and_chosen(
    page: Page, web_gateway: WebGateway, belgian_officer: Person, dutch_signal: str
) -> None:
    open_on_a_wide_screen(page)
    summary = page.locator("fieldset[data-pointer='/summary']")
    summary.locator("textarea").fill(FRENCH_SUMMARY)
    summary.get_by_label("The translation in the box above").check()
    page.get_by_role("button", name="Release to be-pol-liege").click()

    errors = page.locator(".error-summary")
    expect(errors).to_contain_text("The form could not be accepted")
    expected = (
        "Description is still in Dutch, which the recipient does not read: write the "
        "translation, send it as written, or withhold it."
    )
    expect(errors.get_by_role("link")).to_have_text([expected])
    expect(errors).to_be_focused()
    top = errors.bounding_box()
    assert top is not None
    assert top["y"] < 400, top
    expect(summary.locator("textarea")).to_have_value(FRENCH_SUMMARY)
    expect(summary.get_by_label("The translation in the box above")).to_be_checked()
    description = page.locator("fieldset[data-pointer='/description']")
    expect(description.locator(".problem")).to_have_text(expected)
    errors.get_by_role("link").click()
    assert page.url.endswith("#choice-description-translated")
    expect(description.locator("#choice-description-translated")).to_be_in_viewport()

    description.get_by_label("Nothing: withhold this field").check()
    page.get_by_role("button", name="Release to be-pol-liege").click()
    expect(page.get_by_role("status")).to_have_text(f"Released {dutch_signal} for be-pol-liege.")
    (released,) = [e for e in web_gateway.audit_entries() if e.kind == "review.released"]
    assert released.data["corrected"] == ["/summary"]
    assert released.data["withheld_texts"] == ["/description"]


def tab_to(page: Page, selector: str, *, presses: int = 80) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate(
            "selector => document.activeElement === document.querySelector(selector)", selector
        ):
            return
    raise AssertionError(f"{selector} never received the focus by Tab")
