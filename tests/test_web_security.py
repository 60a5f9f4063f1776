"""What the staff pages refuse: each role what it may not do (through the menu, by direct
URL and by a forged form), form posts without the session's CSRF secret, open redirects;
the security headers on every answer; and the accessibility of every page (axe-core)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from hypothesis import given
from hypothesis import strategies as st
from playwright.sync_api import Page, expect

from gateway.edges.web.security import SECURITY_HEADERS, csrf_valid, local_target
from tests.web_fixtures import Person, WebGateway, sign_in

DUTCH_SIGNAL = "nl-drug-waste-maastricht.json"


@pytest.fixture
def waiting_item(web_gateway: WebGateway, example: Callable[[str], dict[str, Any]]) -> str:
    """The id of the Belgian copy of the Dutch example, waiting for review."""
    web_gateway.post(example(DUTCH_SIGNAL))
    store = web_gateway.store
    assert store is not None
    (item,) = web_gateway.run(store.pending_reviews(countries=("BE",)))
    return item.id


def state_of(web_gateway: WebGateway, item_id: str) -> str:
    assert web_gateway.store is not None
    item = web_gateway.run(web_gateway.store.review_item(item_id))
    assert item is not None
    return item.state


class Answer:
    def __init__(self, status: int, text: str) -> None:
        self.status, self.text = status, text


def post_form(page: Page, path: str, form: dict[str, str]) -> Answer:
    """A form post from the page, with its cookies, as a forger's script on it would send it;
    a redirect is reported as 303 (fetch shows it only as opaque)."""
    status, text = page.evaluate(
        """async ([path, form]) => {
            const answer = await fetch(path, {method: "POST", body: new URLSearchParams(form),
                                              redirect: "manual", credentials: "same-origin"});
            return [answer.type === "opaqueredirect" ? 303 : answer.status, await answer.text()];
        }""",
        [path, form],
    )
    return Answer(int(status), str(text))


def csrf_of(page: Page) -> str:
    return page.locator("form[action='/language'] input[name=csrf]").input_value()


@pytest.mark.parametrize("role", ["compliance", "administrator"])
def test_other_roles_are_refused_the_liaison_pages_even_by_direct_url_and_forged_form(
    page: Page, web_gateway: WebGateway, waiting_item: str, role: str
) -> None:
    person = web_gateway.enrol("a.peeters", role=role, desk="*")
    sign_in(page, web_gateway, person)
    expect(page.get_by_role("link", name="Review queue")).to_have_count(0)

    for path in ("/review", f"/review/{waiting_item}"):
        answer = page.goto(path)
        assert answer is not None
        assert answer.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")

    forged = post_form(
        page, f"/review/{waiting_item}/release", {"csrf": csrf_of(page), "text:/summary": "forged"}
    )
    assert forged.status == 403
    assert state_of(web_gateway, waiting_item) == "pending"


def test_an_officer_of_another_desk_finds_nothing_and_cannot_release(
    page: Page, web_gateway: WebGateway, waiting_item: str
) -> None:
    sign_in(page, web_gateway, web_gateway.enrol("k.schmidt", desk="NL"))
    answer = page.goto(f"/review/{waiting_item}")
    assert answer is not None
    assert answer.status == 404
    forged = post_form(page, f"/review/{waiting_item}/release", {"csrf": csrf_of(page)})
    assert forged.status == 404
    assert state_of(web_gateway, waiting_item) == "pending"


def test_a_person_not_signed_in_is_sent_to_sign_in(page: Page, waiting_item: str) -> None:
    page.goto(f"/review/{waiting_item}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    forged = post_form(page, f"/review/{waiting_item}/release", {})
    assert forged.status == 403


@pytest.mark.parametrize("token", [None, "", "wrong", "x" * 43])
def test_a_form_post_without_the_sessions_csrf_secret_is_refused(
    page: Page, web_gateway: WebGateway, waiting_item: str, token: str | None
) -> None:
    officer = web_gateway.enrol("m.dubois", desk="BE")
    sign_in(page, web_gateway, officer)
    form = {"reason": "forged"} | ({} if token is None else {"csrf": token})

    forged = post_form(page, f"/review/{waiting_item}/reject", form)

    assert forged.status == 403
    assert "This form has expired" in forged.text
    assert state_of(web_gateway, waiting_item) == "pending"
    genuine = post_form(
        page,
        f"/review/{waiting_item}/reject",
        {"reason": "genuine", "category": "other", "csrf": csrf_of(page)},
    )
    assert genuine.status == 303
    assert state_of(web_gateway, waiting_item) == "rejected"


def test_every_answer_carries_the_security_headers(
    page: Page, web_gateway: WebGateway, waiting_item: str
) -> None:
    officer = web_gateway.enrol("m.dubois", desk="BE")
    answers = [page.goto("/login")]
    sign_in(page, web_gateway, officer)
    for path in ("/review", f"/review/{waiting_item}", "/no-such-page", "/static/euregate.css"):
        answers.append(page.goto(path))

    for answer in answers:
        assert answer is not None
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers.get(name.lower()) == value, (answer.url, name)
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    for directive in ("default-src 'self'", "frame-ancestors 'none'", "form-action 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp


def test_signing_in_never_sends_the_browser_to_another_site(
    page: Page, web_gateway: WebGateway
) -> None:
    officer = web_gateway.enrol("m.dubois", desk="BE")
    page.goto("/login?next=//evil.example/steal")
    page.fill("#staff_id", officer.staff_id)
    page.fill("#password", "correct horse battery staple")
    page.fill("#code", web_gateway.code(officer))
    page.click("form.sign-in button[type=submit]")
    expect(page).to_have_url(f"{web_gateway.staff_url}/review")


def test_every_page_has_no_serious_or_critical_accessibility_violation(
    page: Page, web_gateway: WebGateway, waiting_item: str
) -> None:
    axe = Axe()
    visited: dict[str, list[str]] = {}

    def check(name: str) -> None:
        page.wait_for_load_state()
        results = axe.run(page)
        visited[name] = [
            f"{v['id']}: {v['help']}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    page.goto("/login")
    check("sign-in")
    page.fill("#staff_id", "nobody")
    page.fill("#password", "nothing")
    page.fill("#code", "000000")
    page.click("form.sign-in button[type=submit]")
    check("sign-in refused")
    officer = web_gateway.enrol("m.dubois", desk="BE")
    sign_in(page, web_gateway, officer)
    check("review queue")
    page.goto(f"/review/{waiting_item}")
    check("message")
    page.fill("#reason", "")
    page.get_by_role("button", name="Reject the message for be-pol-liege").click()
    check("message with a problem")
    page.goto("/no-such-page")
    check("not found")
    page.get_by_role("button", name="Sign out").click()
    compliance: Person = web_gateway.enrol("a.peeters", role="compliance", desk="*")
    sign_in(page, web_gateway, compliance)
    check("start page")
    page.goto("/review")
    check("not allowed")

    assert len(visited) == 8
    assert {page: problems for page, problems in visited.items() if problems} == {}


# --- the pieces, for all inputs ----------------------------------------------------------


@given(st.text(), st.text())
def test_a_csrf_secret_matches_only_itself(expected: str, submitted: str) -> None:
    assert csrf_valid(expected, submitted) is (bool(expected) and expected == submitted)


def test_no_csrf_secret_matches_a_missing_one() -> None:
    assert not csrf_valid(None, "")
    assert not csrf_valid("", "")
    assert not csrf_valid("secret", None)


@given(st.text())
def test_a_target_after_sign_in_is_always_a_path_on_this_site(target: str) -> None:
    chosen = local_target(target)
    assert chosen.startswith("/")
    assert not chosen.startswith("//")
    assert "\\" not in chosen
    assert chosen in (target, "/")


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example", "/\\evil.example", "", "review"]
)
def test_targets_elsewhere_become_the_start_page(target: str) -> None:
    assert local_target(target) == "/"
