"""The administrators' pages in a real browser: staff accounts added, disabled, enabled and
reset (each audited, the new second factor shown once), partners with their certificates and
keys, and the policy in force with its history; and every new page, of compliance staff and
administrators, without a serious or critical accessibility violation (axe-core)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.web_fixtures import PASSWORD, Person, WebGateway, sign_in

NEW_PASSWORD = "a long and new passphrase"


@pytest.fixture
def administrator(page: Page, web_gateway: WebGateway) -> Person:
    person = web_gateway.enrol("j.jansen", role="administrator", desk="*")
    sign_in(page, web_gateway, person)
    return person


def audited(web_gateway: WebGateway, kind: str) -> list[Any]:
    assert web_gateway.store is not None
    return [e for e in web_gateway.store.audit_entries() if e.kind == kind]


def test_an_administrator_adds_disables_enables_and_resets_a_staff_account(
    page: Page, web_gateway: WebGateway, administrator: Person
) -> None:
    page.goto("/admin/staff")
    page.fill("#new-staff_id", "l.maes")
    page.fill("#new-name", "L. Maes")
    page.select_option("#new-role", "liaison_officer")
    page.fill("#new-desk", "BE")
    page.select_option("#new-language", "nl")
    page.fill("#new-password", "short")
    page.get_by_role("button", name="Add the account").click()
    expect(page.get_by_role("alert")).to_contain_text("at least 12 characters")
    expect(page.locator("#new-staff_id")).to_have_value("l.maes")

    page.fill("#new-password", PASSWORD)
    page.get_by_role("button", name="Add the account").click()
    expect(page.locator("#enrolment-heading")).to_have_text("Account l.maes added")
    secret = page.locator("[data-secret]").inner_text().strip()
    row = page.locator("tr[data-staff='l.maes']")
    expect(row.locator("td.state")).to_have_text("active")

    row.get_by_role("button", name="Disable l.maes").click()
    expect(page.get_by_role("status")).to_have_text("l.maes is disabled.")
    expect(row.locator("td.state")).to_have_text("disabled")
    row.get_by_role("button", name="Enable l.maes").click()
    expect(row.locator("td.state")).to_have_text("active")

    row.locator("input[name=password]").fill(NEW_PASSWORD)
    row.get_by_role("button", name="Reset password and second factor l.maes").click()
    expect(page.locator("#enrolment-heading")).to_have_text("New sign-in for l.maes")
    new_secret = page.locator("[data-secret]").inner_text().strip()
    assert new_secret != secret

    (added,) = audited(web_gateway, "staff.added")[-1:]
    assert (added.actor, added.subject) == ("staff:j.jansen", "staff:l.maes")
    changes = [e.data["to"] for e in audited(web_gateway, "staff.state_changed")]
    assert changes == ["disabled", "active"]
    (reset,) = audited(web_gateway, "staff.credentials_reset")
    assert reset.actor == "staff:j.jansen"
    log = b"".join(e.canonical for e in web_gateway.store.audit_entries())  # type: ignore[union-attr]
    assert secret.encode() not in log
    assert NEW_PASSWORD.encode() not in log

    page.get_by_role("button", name="Sign out").click()
    web_gateway.later(seconds=30)
    page.goto("/login")
    page.fill("#staff_id", "l.maes")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#code", pyotp.TOTP(new_secret).at(web_gateway.clock.now()))
    page.click("form.sign-in button[type=submit]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Beoordelingswachtrij")  # in nl


def test_partners_and_the_policy_in_force_are_shown_with_their_history(
    page: Page, web_gateway: WebGateway, administrator: Person
) -> None:
    page.goto("/admin/partners")
    limburg = page.locator("section[data-partner='nl-pol-limburg']")
    expect(limburg.locator("dd.state")).to_have_text("active")
    expect(limburg.locator("table.certificates tbody tr")).to_have_count(1)
    valid_from = limburg.locator("table.certificates time").first
    expect(valid_from).not_to_contain_text("+00:00")  # a moment in the viewer's zone
    expect(limburg.locator("table.keys tbody td").nth(2)).to_have_text("valid")
    expect(limburg.locator("dd.webhook")).to_contain_text("none: the partner fetches its inbox")

    limburg.get_by_role("button", name="Suspend nl-pol-limburg").click()
    expect(page.get_by_role("status")).to_have_text("nl-pol-limburg is suspended.")
    expect(limburg.locator("dd.state")).to_have_text("suspended")
    assert web_gateway.store is not None
    assert str(web_gateway.store.partner("nl-pol-limburg").state) == "suspended"
    limburg.get_by_role("button", name="Let nl-pol-limburg work again").click()
    expect(limburg.locator("dd.state")).to_have_text("active")
    changes = audited(web_gateway, "partner.state_changed")
    assert [(e.actor, e.data["to"]) for e in changes] == [
        ("staff:j.jansen", "suspended"),
        ("staff:j.jansen", "active"),
    ]

    page.goto("/admin/policy")
    assert web_gateway.store is not None
    digest = web_gateway.store.policy_in_force()
    assert digest is not None
    expect(page.locator("dd.in-force")).to_have_text(digest)
    expect(page.locator("table.policies tr.in-force")).to_contain_text(digest)
    expect(page.locator("pre.policy")).to_contain_text("[rule.match]")

    for path in ("/audit", "/chain", "/lookup"):
        answer = page.goto(path)
        assert answer is not None
        assert answer.status == 403


def test_every_new_page_has_no_serious_or_critical_accessibility_violation(
    page: Page, web_gateway: WebGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    signal_id = web_gateway.post(example("nl-drug-waste-maastricht.json"))
    axe = Axe()
    found: dict[str, list[str]] = {}

    def check(name: str) -> None:
        page.wait_for_load_state()
        results = axe.run(page)
        found[name] = [
            f"{v['id']}: {v['help']}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    sign_in(page, web_gateway, web_gateway.enrol("a.peeters", role="compliance", desk="*"))
    page.goto("/audit")
    check("audit search")
    page.goto("/audit?since=not-a-date&outcome=nonsense")
    check("audit search with problems")
    page.goto(f"/audit/exchanges/{signal_id}")
    check("exchange")
    page.goto("/chain")
    check("chain")
    page.get_by_role("button", name="Verify the chain now").click()
    expect(page.locator(".result")).to_contain_text("intact", timeout=30_000)
    check("verification")
    page.goto("/lookup")
    check("lookup")
    page.fill("#identifier", "x")
    page.get_by_role("button", name="Look up the number").click()
    check("lookup refused")
    page.goto("/charts")
    check("charts")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, web_gateway, web_gateway.enrol("j.jansen", role="administrator", desk="*"))
    for path in ("/admin/partners", "/admin/staff", "/admin/policy"):
        page.goto(path)
        check(path)

    assert len(found) == 11
    assert {name: problems for name, problems in found.items() if problems} == {}
