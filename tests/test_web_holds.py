"""Retention and legal holds on the compliance pages, in a real browser: an exchange's page
tells its retention rule and the day its content is erased, compliance staff put it on hold
with a reason and a review date and lift the hold, the holds page flags a hold whose review
date has come, and once erased the page tells on which day under which rule and the charts
count it in its month."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from playwright.sync_api import Page, expect

from gateway.edges.web import charts, present
from gateway.flow.retention import run_retention
from gateway.flow.retention_state import RetentionState, policy_kept, retention_state
from gateway.infra.audit import events, refs
from gateway.store.interface.retention import LegalHold
from tests.web_fixtures import DUTCH_SIGNAL, Person, WebGateway, sign_in

REASON = "Rb Limburg, strafzaak 03/123456-26"


def state_of(web_gateway: WebGateway, signal_id: str) -> RetentionState:
    async def read() -> RetentionState:
        assert web_gateway.store is not None
        kept = await web_gateway.store.signal_retention(signal_id)
        policy = await policy_kept(web_gateway.store)
        assert kept is not None
        assert policy is not None
        return retention_state(kept, policy.retention, today=web_gateway.clock.now().date())

    return web_gateway.run(read())


def hold_overdue(web_gateway: WebGateway, example: Callable[[str], dict[str, Any]]) -> str:
    """Another signal, held by the store directly with a review date that has passed (a hold
    placed weeks ago, without waiting weeks here); its id."""
    signal_id = web_gateway.post(example(DUTCH_SIGNAL), reference="NL-HOLD-OVERDUE")
    now = web_gateway.clock.now()
    hold = LegalHold(signal_id, "Onderzoek OM", now.date() - timedelta(days=1), "admin:x", now)
    event = events.SignalHeld(by=refs.admin("x"), signal_id=signal_id, review_on="2020-01-01")
    assert web_gateway.store is not None
    assert web_gateway.run(web_gateway.store.place_hold(hold, event))
    return signal_id


def test_an_exchange_is_held_with_a_reason_and_review_date_listed_flagged_when_due_and_lifted(
    page: Page,
    web_gateway: WebGateway,
    dutch_signal: str,
    compliance: Person,
    example: Callable[[str], dict[str, Any]],
) -> None:
    state = state_of(web_gateway, dutch_signal)
    assert state.rule is not None, "the demo policy keeps terms"
    assert state.erases_on is not None
    page.goto(f"/audit/exchanges/{dutch_signal}")
    expect(page.locator("[data-rule]")).to_have_text(state.rule)
    expect(page.locator("[data-erases] time")).to_have_attribute(
        "datetime", state.erases_on.isoformat()
    )
    expect(page.locator("[data-erases]")).to_have_text(present.day(state.erases_on, "en"))

    review_on = web_gateway.clock.now().date() + timedelta(days=30)
    page.fill("#hold-reason", REASON)
    page.fill("#hold-review", review_on.isoformat())
    page.get_by_role("button", name="Put on hold").click()

    expect(page.get_by_role("status")).to_contain_text(f"Exchange {dutch_signal} is on hold")
    expect(page.locator("[data-hold] time")).to_have_attribute("datetime", review_on.isoformat())
    expect(page.locator("[data-erases]")).to_have_text("not while on hold")
    expect(page.locator("section.retention")).to_contain_text(REASON)
    expect(page.locator("ol.story > li[data-kind='signal.held']")).to_contain_text(
        f"put on legal hold · by staff:a.peeters review date: {review_on.isoformat()}"
    )
    (held,) = [e for e in web_gateway.audit_entries() if e.kind == "signal.held"]
    assert (held.actor, held.data["signal_id"]) == ("staff:a.peeters", dutch_signal)
    assert REASON not in str(held.data)

    overdue = hold_overdue(web_gateway, example)
    page.get_by_role("link", name="Legal holds").click()
    row = page.locator(f"table.holds tr[data-signal='{dutch_signal}']")
    expect(row).to_contain_text(REASON)
    expect(row).not_to_have_class("due")
    expect(page.locator("table.holds tbody tr").first).to_have_attribute("data-signal", overdue)
    expect(page.locator(f"tr[data-signal='{overdue}']")).to_have_class("due")
    expect(page.locator(f"tr[data-signal='{overdue}']")).to_contain_text("review due")

    row.get_by_role("link", name=dutch_signal).click()
    page.get_by_role("button", name="Lift the hold").click()
    expect(page.get_by_role("status")).to_contain_text("is lifted")
    expect(page.locator("[data-hold]")).to_have_count(0)
    page.goto("/holds")
    expect(page.locator("table.holds tbody tr")).to_have_count(1)
    assert [e.kind for e in web_gateway.audit_entries()].count("signal.hold_lifted") == 1


def test_a_review_date_not_after_today_is_refused_with_the_reason_in_the_viewers_language(
    page: Page, web_gateway: WebGateway, dutch_signal: str, compliance: Person
) -> None:
    page.goto(f"/audit/exchanges/{dutch_signal}")
    page.locator("#hold-review").evaluate("field => field.removeAttribute('min')")
    page.fill("#hold-reason", REASON)
    page.fill("#hold-review", web_gateway.clock.now().date().isoformat())
    page.get_by_role("button", name="Put on hold").click()

    expect(page.get_by_role("status")).to_contain_text("the review date must be after today")
    expect(page.locator("[data-hold]")).to_have_count(0)
    assert not [e for e in web_gateway.audit_entries() if e.kind == "signal.held"]


def test_an_erased_exchange_tells_the_day_and_rule_and_offers_no_hold(
    page: Page, web_gateway: WebGateway, dutch_signal: str, compliance: Person
) -> None:
    state = state_of(web_gateway, dutch_signal)
    assert state.erases_on is not None

    async def erase() -> None:
        assert web_gateway.store is not None
        policy = await policy_kept(web_gateway.store)
        assert policy is not None
        await run_retention(web_gateway.store, policy, today=state.erases_on)

    web_gateway.later(days=(state.erases_on - web_gateway.clock.now().date()).days)
    web_gateway.run(erase())
    sign_in(page, web_gateway, compliance)
    page.goto(f"/audit/exchanges/{dutch_signal}")

    expect(page.locator("[data-rule]")).to_have_text(str(state.rule))
    expect(page.locator("[data-erased] time")).to_have_attribute(
        "datetime", web_gateway.clock.now().date().isoformat()
    )
    expect(page.locator("form.place-hold")).to_have_count(0)
    erased_line = page.locator("ol.story > li[data-kind='signal.erased']")
    expect(erased_line).to_contain_text("content erased under the retention terms")
    expect(erased_line).to_contain_text(f"retention rule: {state.rule}")

    page.goto("/charts")
    erased = page.locator("section[data-chart='erased-per-month']")
    expect(erased.locator("svg")).to_have_count(1)
    month = charts.label_of_month(web_gateway.clock.now().date().replace(day=1), "en")
    expect(erased.locator("tbody tr").last).to_have_text(f"{month}1")
