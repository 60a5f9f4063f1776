"""Signing in to the staff pages in a real browser: password and TOTP, refusals, the rate
limit, signing out, the session's idle and absolute timeouts, and the interface language."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.web_fixtures import PASSWORD, WebGateway, sign_in


def test_a_liaison_officer_signs_in_with_password_and_code_and_lands_on_the_desks_queue(
    page: Page, web_gateway: WebGateway
) -> None:
    officer = web_gateway.enrol("m.dubois", desk="BE")
    sign_in(page, web_gateway, officer)

    expect(page).to_have_url(f"{web_gateway.staff_url}/review")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    expect(page.locator(".who")).to_contain_text("M.Dubois (liaison officer, desk BE)")
    (cookie,) = page.context.cookies()
    assert cookie["name"] == "__Host-euregate-session"
    assert (cookie["secure"], cookie["httpOnly"], cookie["sameSite"]) == (True, True, "Strict")


def test_a_wrong_code_is_refused_and_the_login_name_stays_in_the_form(
    page: Page, web_gateway: WebGateway
) -> None:
    officer = web_gateway.enrol("m.dubois", desk="BE")
    right = web_gateway.code(officer)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    page.goto("/login")
    page.fill("#staff_id", officer.staff_id)
    page.fill("#password", PASSWORD)
    page.fill("#code", wrong)
    with page.expect_response(
        lambda r: r.url.endswith("/login") and r.request.method == "POST"
    ) as answer:
        page.click("form.sign-in button[type=submit]")

    assert answer.value.status == 401
    expect(page.get_by_role("alert")).to_contain_text("is not accepted")
    expect(page.locator("#staff_id")).to_have_value("m.dubois")
    expect(page.locator("#password")).to_have_value("")
    page.goto("/review")
    expect(page).to_have_url(f"{web_gateway.staff_url}/login?next=/review")


def test_too_many_attempts_from_one_address_show_how_long_to_wait(
    page: Page, web_gateway: WebGateway
) -> None:
    page.goto("/login")
    statuses = []
    for attempt in range(11):
        page.fill("#staff_id", f"nobody{attempt}")
        page.fill("#password", "not the password")
        page.fill("#code", "000000")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.click("form.sign-in button[type=submit]")
        statuses.append(answer.value.status)

    assert statuses == [401] * 10 + [429]
    assert answer.value.headers["retry-after"] == "6"
    expect(page.get_by_role("alert")).to_have_text(
        "Too many sign-in attempts from your address. Wait 6 seconds, then try again."
    )


def test_signing_out_ends_the_session(page: Page, web_gateway: WebGateway) -> None:
    officer = web_gateway.enrol("m.dubois", desk="BE")
    sign_in(page, web_gateway, officer)
    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("status")).to_have_text(
        "You are signed out, in every browser where you were."
    )
    page.goto("/review")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_signing_in_starts_a_new_session_with_a_new_csrf_secret(
    page: Page, web_gateway: WebGateway
) -> None:
    officer = web_gateway.enrol("m.dubois", desk="BE")
    page.goto("/login")
    before = page.locator("form.sign-in input[name=csrf]").input_value()
    cookie_before = page.context.cookies()[0]["value"]
    sign_in(page, web_gateway, officer)

    after = page.locator("form[action='/logout'] input[name=csrf]").input_value()
    assert after != before
    assert page.context.cookies()[0]["value"] != cookie_before


def test_a_session_ends_after_thirty_minutes_without_a_request(
    page: Page, web_gateway: WebGateway
) -> None:
    officer = web_gateway.enrol("m.dubois", desk="BE")
    sign_in(page, web_gateway, officer)
    web_gateway.later(minutes=29)
    page.goto("/review")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")

    web_gateway.later(minutes=30)
    page.goto("/review")

    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("status")).to_contain_text("without activity")


def test_a_session_ends_twelve_hours_after_sign_in_however_active(
    page: Page, web_gateway: WebGateway
) -> None:
    officer = web_gateway.enrol("m.dubois", desk="BE")
    sign_in(page, web_gateway, officer)
    for _ in range(24):  # a request every 29 minutes: never idle, 11 h 36 min in all
        web_gateway.later(minutes=29)
        page.goto("/review")
        expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")

    web_gateway.later(minutes=29)
    page.goto("/review")

    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("status")).to_have_text(
        "Your session has ended. Sign in again to go on."
    )


def test_pages_speak_the_accounts_language_until_the_person_chooses_another(
    page: Page, web_gateway: WebGateway
) -> None:
    officer = web_gateway.enrol("m.dubois", desk="BE", language="fr")
    sign_in(page, web_gateway, officer)
    expect(page.get_by_role("heading", level=1)).to_have_text("File de contrôle")
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    page.get_by_role("button", name="Deutsch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Prüfwarteschlange")
    page.goto("/review")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
