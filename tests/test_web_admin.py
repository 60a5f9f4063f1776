"""The administrators' pages in a real browser: staff accounts proposed by one administrator
and approved by another, the holder enrolling with both halves of the code and alone seeing
the second factor; disabling, enabling and proposing a reset; partners with their
certificates and keys, and the policy in force with its history; and every new page, of
compliance staff and administrators, without a serious or critical accessibility violation
(axe-core)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.web_fixtures import Person, WebGateway, sign_in

NEW_PASSWORD = "a long and new passphrase"


@pytest.fixture
def administrator(page: Page, web_gateway: WebGateway) -> Person:
    person = web_gateway.enrol("j.jansen", role="administrator", desk="*")
    sign_in(page, web_gateway, person)
    return person


def audited(web_gateway: WebGateway, kind: str) -> list[Any]:
    assert web_gateway.store is not None
    return [e for e in web_gateway.audit_entries() if e.kind == kind]


@pytest.fixture
def second_page(browser: Browser, web_gateway: WebGateway) -> Iterator[Page]:
    """Another person's browser (a fresh profile) on the same staff pages."""
    context = browser.new_context(base_url=web_gateway.staff_url, locale="en-GB")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def enrol_in_browser(page: Page, staff_id: str, first: str, second: str) -> str:
    """The holder's first visit: both halves of the code and a password of their own; the
    TOTP secret the page shows once."""
    page.goto("/login")
    page.get_by_role("link", name="First sign-in with an enrolment code? Enrol here.").click()
    page.fill("#staff_id", staff_id)
    page.fill("#first_half", first)
    page.fill("#second_half", second)
    page.fill("#password", NEW_PASSWORD)
    page.fill("#password_again", NEW_PASSWORD)
    page.get_by_role("button", name="Enrol").click()
    expect(page.locator("#enrolled-heading")).to_have_text(f"Welcome, {staff_id.title()}")
    return page.locator("[data-secret]").inner_text().strip()


def test_an_administrator_proposes_a_second_approves_and_only_the_holder_sees_the_secret(
    page: Page, second_page: Page, web_gateway: WebGateway, administrator: Person
) -> None:
    sign_in(second_page, web_gateway, web_gateway.enrol("p.claes", role="administrator", desk="*"))
    page.goto("/admin/staff")
    page.fill("#new-staff_id", "l.maes")
    page.fill("#new-name", "L.Maes")
    page.select_option("#new-role", "liaison_officer")
    page.fill("#new-desk", "BE")
    page.select_option("#new-language", "nl")
    page.get_by_role("button", name="Propose the account").click()
    expect(page.locator("#proposed-heading")).to_have_text(
        "Proposal for l.maes recorded: new account"
    )
    first = page.locator("[data-half=proposer]").inner_text().strip()
    expect(page.locator("[data-secret]")).to_have_count(0)
    expect(page.locator("tr[data-staff='l.maes']")).to_have_count(0)
    expect(page.locator("table.proposals")).to_contain_text("your proposal: another person decides")

    second_page.goto("/approvals")
    second_page.get_by_role("button", name="Approve l.maes").click()
    expect(second_page.locator("#decided-heading")).to_have_text(
        "Approved: l.maes may enrol with both halves of the enrolment code."
    )
    second = second_page.locator("[data-half=approver]").inner_text().strip()
    expect(second_page.locator("[data-secret]")).to_have_count(0)

    page.goto("/admin/staff")
    row = page.locator("tr[data-staff='l.maes']")
    expect(row.locator("td.state")).to_have_text("waits for enrolment")
    page.get_by_role("button", name="Sign out").click()

    secret = enrol_in_browser(page, "l.maes", first, second)
    web_gateway.later(seconds=30)
    page.goto("/login")
    page.fill("#staff_id", "l.maes")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#code", pyotp.TOTP(secret).at(web_gateway.clock.now()))
    page.click("form.sign-in button[type=submit]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Beoordelingswachtrij")  # in nl

    steps = ("staff.proposed", "staff.proposal_approved", "staff.enrolled", "staff.login_succeeded")
    kinds = [(e.kind, e.actor) for e in audited_staff(web_gateway) if e.kind in steps]
    assert kinds[-4:] == [
        ("staff.proposed", "staff:j.jansen"),
        ("staff.proposal_approved", "staff:p.claes"),
        ("staff.enrolled", "staff:l.maes"),
        ("staff.login_succeeded", "staff:l.maes"),
    ]
    log = b"".join(e.canonical for e in web_gateway.audit_entries())
    for kept_apart in (first, second, secret, NEW_PASSWORD):
        assert kept_apart.encode() not in log


def test_an_administrator_disables_enables_and_proposes_a_reset_that_a_second_approves(
    page: Page, second_page: Page, web_gateway: WebGateway, administrator: Person
) -> None:
    web_gateway.enrol("l.maes", desk="BE")
    sign_in(second_page, web_gateway, web_gateway.enrol("p.claes", role="administrator", desk="*"))
    page.goto("/admin/staff")
    row = page.locator("tr[data-staff='l.maes']")
    row.get_by_role("button", name="Disable l.maes").click()
    expect(page.get_by_role("status")).to_have_text("l.maes is disabled.")
    expect(row.locator("td.state")).to_have_text("disabled")
    row.get_by_role("button", name="Enable l.maes").click()
    expect(row.locator("td.state")).to_have_text("active")

    row.get_by_role("button", name="Propose a new password and second factor l.maes").click()
    expect(page.locator("#proposed-heading")).to_have_text(
        "Proposal for l.maes recorded: new password and second factor"
    )
    expect(row.locator("td.state")).to_have_text("active")
    second_page.goto("/approvals")
    second_page.get_by_role("button", name="Approve l.maes").click()
    expect(second_page.locator("[data-half=approver]")).to_be_visible()
    page.goto("/admin/staff")
    expect(row.locator("td.state")).to_have_text("waits for enrolment")
    changes = [e.data["to"] for e in audited(web_gateway, "staff.state_changed")]
    assert changes == ["disabled", "active"]


def audited_staff(web_gateway: WebGateway) -> list[Any]:
    assert web_gateway.store is not None
    return [e for e in web_gateway.audit_entries() if e.kind.startswith("staff.")]


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
    assert str(web_gateway.run(web_gateway.store.partner("nl-pol-limburg")).state) == "suspended"
    limburg.get_by_role("button", name="Let nl-pol-limburg work again").click()
    expect(limburg.locator("dd.state")).to_have_text("active")
    changes = audited(web_gateway, "partner.state_changed")
    assert [(e.actor, e.data["to"]) for e in changes] == [
        ("staff:j.jansen", "suspended"),
        ("staff:j.jansen", "active"),
    ]

    page.goto("/admin/policy")
    assert web_gateway.store is not None
    digest = web_gateway.run(web_gateway.store.policy_in_force())
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
    page.goto("/admin/staff")
    page.fill("#new-staff_id", "l.maes")
    page.fill("#new-name", "L. Maes")
    page.fill("#new-desk", "BE")
    page.get_by_role("button", name="Propose the account").click()
    check("a proposal recorded")
    page.goto("/approvals")
    check("approvals")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, web_gateway, web_gateway.enrol("p.claes", role="administrator", desk="*"))
    page.goto("/approvals")
    page.get_by_role("button", name="Approve l.maes").click()
    check("an approval")
    page.get_by_role("button", name="Sign out").click()

    page.goto("/enrol")
    check("enrolment")
    page.fill("#staff_id", "l.maes")
    page.fill("#first_half", "abcd-efgh-ijkl-mnop")
    page.fill("#second_half", "abcd-efgh-ijkl-mnop")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#password_again", NEW_PASSWORD)
    page.get_by_role("button", name="Enrol").click()
    check("enrolment refused")

    assert len(found) == 16
    assert {name: problems for name, problems in found.items() if problems} == {}
