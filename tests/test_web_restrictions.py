"""Restriction of processing on the compliance pages, in a real browser: after a lookup, a
compliance officer restricts processing for the person with a reason, a due day and a note;
the restrictions page lists it with the signals it holds, and lifts it; the exchange's sender
sees its copies as restricted meanwhile. Placing and lifting are audited without the person
or the note."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.test_web_subject_report import look_up_number
from tests.web_fixtures import DUTCH_SIGNAL, Person, WebGateway

NOTE = "Betrokkene betwist de juistheid; beslissing OM afwachten"


def serious_violations(page: Page) -> list[str]:
    page.wait_for_load_state()
    found = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")]


def test_a_person_is_restricted_from_the_lookup_listed_and_lifted(
    page: Page,
    web_gateway: WebGateway,
    dutch_signal: str,
    compliance: Person,
    example: Callable[[str], dict[str, Any]],
) -> None:
    document = example(DUTCH_SIGNAL)
    person = next(p for p in document["persons"] if p.get("identifiers"))
    number = person["identifiers"][0]["value"]
    look_up_number(page, number)
    due_on = web_gateway.clock.now().date() + timedelta(days=14)

    assert serious_violations(page) == []
    form = page.locator("section.restrict")
    form.get_by_label("Reason").select_option(label="kept as evidence")
    form.get_by_label("Decision due on").fill(due_on.isoformat())
    form.get_by_label("Note").fill(NOTE)
    form.get_by_role("button", name="Restrict").click()

    expect(page).to_have_url(f"{web_gateway.staff_url}/restrictions")
    expect(page.get_by_role("status").first).to_contain_text(
        "Processing is restricted for the person looked up: 1 signal(s) held"
    )
    assert serious_violations(page) == []
    (row,) = page.locator("table.restrictions tbody tr").all()
    expect(row).to_contain_text("kept as evidence")
    expect(row).to_contain_text(NOTE)
    expect(row.locator("time")).to_have_attribute("datetime", due_on.isoformat())
    expect(row.locator("td").nth(2)).to_have_text("1")
    assert web_gateway.store is not None
    assert web_gateway.run(web_gateway.store.signal_restricted(dutch_signal))
    page.goto(f"/audit/exchanges/{dutch_signal}")
    expect(page.locator("[data-restricted]")).to_have_text(
        "held: processing restricted for a person it mentions"
    )
    page.goto("/restrictions")

    row.get_by_role("button", name="Lift: deliver what is held").click()

    expect(page.get_by_role("status").first).to_contain_text(
        "The restriction is lifted: 1 signal(s) released"
    )
    expect(page.locator("table.restrictions")).to_have_count(0)
    assert not web_gateway.run(web_gateway.store.signal_restricted(dutch_signal))
    page.goto(f"/audit/exchanges/{dutch_signal}")
    expect(page.locator("[data-restricted]")).to_have_count(0)
    kinds = {e.kind: e for e in web_gateway.audit_entries()}
    placed, lifted = kinds["subject.restricted"], kinds["subject.restriction_lifted"]
    assert placed.actor == lifted.actor == "staff:a.peeters"
    assert placed.data["reason"] == "kept_as_evidence"
    for entry in (placed, lifted):
        assert NOTE not in str(entry.data)
        assert number not in str(entry.data)


def test_a_restriction_without_a_due_day_after_today_is_refused_with_the_reason(
    page: Page, web_gateway: WebGateway, dutch_signal: str, compliance: Person
) -> None:
    look_up_number(page, "314159265")
    form = page.locator("section.restrict")
    today = web_gateway.clock.now().date()
    due = form.get_by_label("Decision due on")
    due.evaluate("element => element.removeAttribute('min')")
    due.fill(today.isoformat())
    form.get_by_role("button", name="Restrict").click()

    expect(page.get_by_role("status").first).to_contain_text(
        f"the decision must be due after today ({today.isoformat()})"
    )
    expect(page.locator("table.restrictions")).to_have_count(0)
    assert "subject.restricted" not in {e.kind for e in web_gateway.audit_entries()}
