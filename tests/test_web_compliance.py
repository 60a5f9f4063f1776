"""The compliance staff's pages in a real browser: searching the audit, one exchange's whole
story, exporting with a signed manifest (checked here with the gateway's public key from its
API), verifying the chain with progress, looking up a data subject by keyboard alone, and the
charts, drawn without breaking the Content Security Policy."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric import ed25519
from euregate_client import EuregateClient
from hypothesis import given
from hypothesis import strategies as st
from playwright.sync_api import Browser, Page, expect

from gateway.edges.web.compliance import BAD_DATE, parse_search
from gateway.infra import audit
from gateway.infra.exports import check_export
from gateway.infra.i18n import translate
from gateway.store import ExchangeQuery
from tests.conftest import client_context
from tests.test_web_review import FRENCH_SUMMARY, tab_to
from tests.web_fixtures import DUTCH_SIGNAL, Person, WebGateway, sign_in


def entries(web_gateway: WebGateway, kind: str) -> list[Any]:
    assert web_gateway.store is not None
    return [e for e in web_gateway.audit_entries() if e.kind == kind]


def release_as_officer(browser: Browser, web_gateway: WebGateway) -> None:
    """A Belgian liaison officer releases the French copy, in a browser of their own."""
    officer_context = browser.new_context(base_url=web_gateway.staff_url, locale="en-GB")
    try:
        officer = officer_context.new_page()
        sign_in(officer, web_gateway, web_gateway.enrol("m.dubois", desk="BE"))
        officer.goto("/review")
        officer.locator("table.queue a").first.click()
        officer.fill("fieldset[data-pointer='/summary'] textarea", FRENCH_SUMMARY)
        officer.check("#choice-description-as_written")
        officer.get_by_role("button", name="Release to be-pol-liege").click()
        expect(officer.get_by_role("status")).to_contain_text("Released")
    finally:
        officer_context.close()


def fetch_inbox(web_gateway: WebGateway, partner_id: str) -> list[str]:
    async def pull() -> list[str]:
        async with EuregateClient(
            web_gateway.url, ssl_context=client_context(web_gateway.layout, partner_id)
        ) as partner:
            fetched = await partner.inbox_page(wait=5)
            ids = [str(e["id"]) for e in fetched["envelopes"]]
            for envelope_id in ids:
                await partner.acknowledge(envelope_id)
            return ids

    return web_gateway.run(pull())


def test_the_search_finds_the_exchange_and_its_page_tells_the_whole_story(
    page: Page, browser: Browser, web_gateway: WebGateway, dutch_signal: str, compliance: Person
) -> None:
    release_as_officer(browser, web_gateway)
    assert fetch_inbox(web_gateway, "be-pol-liege"), "the released copy reaches the inbox"

    page.goto("/audit")
    page.select_option("#from", "NL")
    page.select_option("#to", "BE")
    page.get_by_role("button", name="Search", exact=True).click()
    rows = page.locator("table.exchanges tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-recipient", "be-pol-liege")
    expect(page.locator("p.count")).to_have_text("Exchanges 1 to 1 of 1")

    page.select_option("#kind", "review.rejected")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("table.exchanges")).to_have_count(0)
    expect(page.locator("p.empty")).to_have_text("No exchange matches this search.")

    page.goto(f"/audit/exchanges/{dutch_signal}")
    expect(page.locator("h1")).to_have_text(f"Exchange {dutch_signal}")
    belgian = page.locator("table.decisions tr[data-recipient='be-pol-liege']")
    expect(belgian).to_contain_text("Legal basis:")
    expect(page.locator("table.decisions tbody tr")).to_have_count(2)
    story = page.locator("ol.story > li")
    kinds = [story.nth(i).get_attribute("data-kind") for i in range(story.count())]
    for kind in (
        "signal.accepted",
        "review.opened",
        "review.released",
        "copy.sealed",
        "inbox.fetched",
        "inbox.acknowledged",
    ):
        assert kind in kinds, kind
    assert kinds.index("review.released") < kinds.index("inbox.fetched")
    released = page.locator("ol.story > li[data-kind='review.released']")
    expect(released).to_contain_text("for Zone de police de Liège")
    expect(released.locator("span[title='be-pol-liege']")).to_have_count(1)
    expect(released).to_contain_text("by staff:m.dubois")
    expect(belgian.locator(".partner-name")).to_have_text("Zone de police de Liège")
    expect(page.locator("dl.facts .partner-id")).to_have_text("nl-pol-limburg")


def test_an_officer_opening_a_message_again_and_again_is_told_once_with_a_count(
    page: Page, browser: Browser, web_gateway: WebGateway, dutch_signal: str, compliance: Person
) -> None:
    officer_context = browser.new_context(base_url=web_gateway.staff_url, locale="en-GB")
    try:
        officer = officer_context.new_page()
        sign_in(officer, web_gateway, web_gateway.enrol("m.dubois", desk="BE"))
        officer.goto("/review")
        message = officer.locator("table.queue a").first.get_attribute("href")
        for minutes in (0, 4, 5, 20):
            web_gateway.later(minutes=minutes)
            officer.goto(str(message))
    finally:
        officer_context.close()

    page.goto(f"/audit/exchanges/{dutch_signal}")
    opened = page.locator("ol.story > li[data-kind='review.opened']")
    expect(opened).to_have_count(2)
    expect(opened.first).to_have_attribute("data-count", "3")
    expect(opened.first).to_contain_text("3 times, the last at")
    expect(opened.nth(1)).not_to_have_attribute("data-count", re.compile(".*"))
    assert len(entries(web_gateway, "review.opened")) == 4, "the audit log keeps every opening"


def test_an_export_carries_a_manifest_signed_by_the_gateway_and_is_audited(
    page: Page, web_gateway: WebGateway, dutch_signal: str, compliance: Person
) -> None:
    page.goto("/audit?to=BE")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export as CSV").click()
    archive = zipfile.ZipFile(io.BytesIO(download_info.value.path().read_bytes()))
    (data_name,) = [n for n in archive.namelist() if n.endswith(".csv")]
    data = archive.read(data_name)
    manifest = json.loads(archive.read(data_name + ".manifest.json"))

    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert [(r["signal_id"], r["recipient_id"]) for r in rows] == [(dutch_signal, "be-pol-liege")]
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["query"] == {"to_country": "BE"}
    assert manifest["exported_by"] == "staff:a.peeters"

    async def public_keys() -> dict[str, bytes]:
        async with EuregateClient(
            web_gateway.url, ssl_context=client_context(web_gateway.layout, "nl-pol-limburg")
        ) as partner:
            return await partner.gateway_keys()

    keys = web_gateway.run(public_keys())
    signature = base64.urlsafe_b64decode(manifest["signature"] + "==")
    signed = rfc8785.dumps({k: v for k, v in manifest.items() if k != "signature"})
    ed25519.Ed25519PublicKey.from_public_bytes(keys[manifest["key_id"]]).verify(signature, signed)
    assert check_export(data, manifest, keys) == []
    assert check_export(data.replace(b"be-pol-liege", b"be-pol-eupen"), manifest, keys) != []
    forged = manifest | {"rows": 0}
    assert check_export(data, forged, keys) != []

    (exported,) = entries(web_gateway, "audit.exported")
    assert exported.actor == "staff:a.peeters"
    assert exported.data["sha256"] == manifest["sha256"]


def test_the_search_and_a_json_export_work_by_keyboard_alone(
    page: Page, web_gateway: WebGateway, dutch_signal: str, compliance: Person
) -> None:
    page.goto("/audit")
    tab_to(page, "#to")
    page.keyboard.type("Germany")
    tab_to(page, "form.search button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/audit\?(.*&)?to=DE"))
    expect(page.locator("table.exchanges tbody tr")).to_have_attribute(
        "data-recipient", "de-pol-aachen"
    )

    tab_to(page, "form.export button[value=json]")
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    archive = zipfile.ZipFile(io.BytesIO(download_info.value.path().read_bytes()))
    (manifest_name,) = [n for n in archive.namelist() if n.endswith(".manifest.json")]
    data_name = manifest_name.removesuffix(".manifest.json")
    assert data_name.endswith(".json")
    exported = json.loads(archive.read(data_name))
    assert [(e["signal_id"], e["recipient_id"]) for e in exported["exchanges"]] == [
        (dutch_signal, "de-pol-aachen")
    ]
    manifest = json.loads(archive.read(data_name + ".manifest.json"))
    assert manifest["media_type"] == "application/json"

    tab_to(page, "table.exchanges a")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(f"Exchange {dutch_signal}")


def test_verifying_the_chain_shows_progress_and_the_result_is_kept(
    page: Page, web_gateway: WebGateway, dutch_signal: str, compliance: Person
) -> None:
    page.goto("/chain")
    expect(page.locator(".last-verification")).to_contain_text("never verified")
    page.get_by_role("button", name="Verify the chain now").click()

    expect(page.locator("h1")).to_have_text("Verifying the audit chain")
    expect(page.locator(".result")).to_contain_text("The chain is intact", timeout=30_000)
    assert web_gateway.store is not None
    last = web_gateway.run(web_gateway.store.last_verification())
    assert last is not None
    assert last.ok
    assert last.by == "staff:a.peeters"

    page.goto("/chain")
    expect(page.locator(".last-verification")).to_contain_text(
        f"intact up to entry {last.last_seq}"
    )


def test_a_running_verification_shows_its_progress_and_its_page_refreshes_itself(
    page: Page, web_gateway: WebGateway, compliance: Person
) -> None:
    """The job runs on another instance: this one's pages read it from the store."""
    store = web_gateway.store
    assert store is not None
    elsewhere = "another-instance"
    job, started = web_gateway.run(
        store.start_verification(
            job_id="slow-job",
            by="staff:someone",
            instance=elsewhere,
            total=10,
            now=web_gateway.clock.now(),
        )
    )
    assert started
    web_gateway.run(
        store.verification_checked(
            job.id, instance=elsewhere, checked=3, now=web_gateway.clock.now()
        )
    )

    page.goto("/chain")
    page.get_by_role("link", name="A verification is running: follow its progress").click()
    expect(page.locator("progress")).to_have_attribute("value", "3")
    expect(page.get_by_role("status")).to_have_text(
        "3 of 10 entries checked; this page updates itself."
    )
    expect(page.locator("script[src*='progress.js']")).to_have_count(1)

    kept = web_gateway.run(
        store.record_verification(audit.verify(web_gateway.audit_entries()), by=job.started_by)
    )
    web_gateway.run(
        store.finish_verification(
            job.id, instance=elsewhere, result=kept, now=web_gateway.clock.now()
        )
    )
    expect(page.locator(".result")).to_contain_text("The chain is intact", timeout=10_000)
    expect(page.locator("script[src*='progress.js']")).to_have_count(0)


def test_a_verification_whose_instance_stopped_counts_as_failed_and_another_may_start(
    page: Page, web_gateway: WebGateway, compliance: Person
) -> None:
    store = web_gateway.store
    assert store is not None
    job, _ = web_gateway.run(
        store.start_verification(
            job_id="orphan",
            by="staff:someone",
            instance="a-stopped-instance",
            total=10,
            now=web_gateway.clock.now(),
        )
    )
    page.goto("/chain")
    expect(page.get_by_role("link", name="A verification is running: follow its progress"))
    web_gateway.later(minutes=3)

    page.goto(f"/chain/verify/{job.id}")
    expect(page.locator(".broken")).to_contain_text("could not be completed")
    page.goto("/chain")
    expect(
        page.get_by_role("link", name="A verification is running: follow its progress")
    ).to_have_count(0)
    page.get_by_role("button", name="Verify the chain now").click()
    expect(page.locator(".result")).to_contain_text("The chain is intact", timeout=30_000)
    assert not page.url.endswith(job.id)


def test_a_data_subject_is_looked_up_by_keyboard_alone_and_only_the_lookup_is_audited(
    page: Page,
    web_gateway: WebGateway,
    dutch_signal: str,
    compliance: Person,
    example: Callable[[str], dict[str, Any]],
) -> None:
    person = next(p for p in example(DUTCH_SIGNAL)["persons"] if p.get("identifiers"))
    number = person["identifiers"][0]["value"]
    page.goto("/lookup")

    tab_to(page, "#identifier")
    page.keyboard.type(number)
    page.keyboard.press("Enter")
    expect(page.locator("table.found tbody tr")).to_have_count(1)
    expect(page.locator("table.found tbody tr")).to_have_attribute("data-signal", dutch_signal)
    expect(page.locator("td.certainty")).to_have_text("certain")

    tab_to(page, "#family_name")
    page.keyboard.type(person["family_name"])
    page.keyboard.press("Tab")
    page.keyboard.type(person["date_of_birth"][:4])
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("table.found tbody tr")).to_have_attribute("data-signal", dutch_signal)

    expect(page.locator("table.found .partner-name")).to_have_text("Politie Eenheid Limburg")

    born = date.fromisoformat(person["date_of_birth"])
    tab_to(page, "#family_name")
    page.keyboard.type(person["family_name"])
    page.keyboard.press("Tab")
    page.keyboard.type(born.strftime("%d/%m/%Y"))
    page.keyboard.press("Enter")
    expect(page.locator("td.certainty")).to_have_text("certain")

    tab_to(page, "#family_name")
    page.keyboard.type("Nobody")
    page.keyboard.press("Tab")
    page.keyboard.type("31-12-90")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Give a national or document number")
    expect(page.locator("#family_name")).to_have_value("Nobody")
    expect(page.locator("#date_of_birth")).to_have_value("31-12-90")

    looked_up = entries(web_gateway, "subject.looked_up")
    assert [e.data["found"] for e in looked_up] == [[dutch_signal]] * 3
    assert all(e.actor == "staff:a.peeters" for e in looked_up)
    log = b"".join(e.canonical for e in web_gateway.audit_entries())
    assert number.encode() not in log
    assert person["family_name"].encode() not in log


def test_the_charts_are_drawn_inside_the_page_without_breaking_the_content_security_policy(
    page: Page, web_gateway: WebGateway, dutch_signal: str, compliance: Person
) -> None:
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto("/charts")
    drawn = page.locator("section[data-chart='exchanges-per-day'] svg.pygal-chart")
    expect(drawn).to_have_attribute("role", "img")
    expect(drawn.locator("title").first).to_have_text("Exchanges per day by country pair")
    expect(page.locator("section[data-chart='decisions-by-rule'] svg")).to_have_count(1)
    table = page.locator("section[data-chart='exchanges-per-day'] table")
    expect(table.locator("thead")).to_contain_text("NL → BE")
    background = drawn.locator("rect.background").first.evaluate(
        "rect => getComputedStyle(rect).fill"
    )
    assert background == "rgb(255, 255, 255)", "pygal's rules arrive from the stylesheet"
    assert page.locator("svg script, svg style, svg [style]").count() == 0
    assert refused == []


COMPLIANCE_PAGES = (
    "/audit",
    "/chain",
    "/lookup",
    "/charts",
    "/holds",
    "/withdrawals",
    "/restrictions",
)
ROLE_REFUSALS = {
    "liaison_officer": (*COMPLIANCE_PAGES, "/admin/staff"),
    "administrator": (*COMPLIANCE_PAGES, "/audit/exchanges/x"),
    "compliance": ("/admin/partners", "/admin/staff", "/admin/policy", "/review"),
}
FORGED_POSTS = {
    "liaison_officer": (
        "/export",
        "/lookup",
        "/lookup/restrict",
        "/chain/verify",
        "/holds/x",
        "/admin/staff",
    ),
    "administrator": (
        "/export",
        "/lookup",
        "/lookup/restrict",
        "/chain/verify",
        "/holds/x",
        "/holds/x/lift",
        "/restrictions/x/lift",
    ),
    "compliance": (
        "/admin/staff",
        "/admin/staff/a.peeters/disable",
        "/admin/partners/nl-pol-limburg/suspend",
        "/review/x/release",
    ),
}


@pytest.fixture
def person_of(page: Page, web_gateway: WebGateway) -> Callable[[str], Person]:
    def signed_in(role: str) -> Person:
        desk = "BE" if role == "liaison_officer" else "*"
        person = web_gateway.enrol("x.person", role=role, desk=desk)
        sign_in(page, web_gateway, person)
        return person

    return signed_in


@pytest.mark.parametrize("role", sorted(ROLE_REFUSALS))
def test_each_role_is_refused_the_pages_of_the_others_by_url_and_by_forged_post(
    page: Page,
    web_gateway: WebGateway,
    dutch_signal: str,
    person_of: Callable[[str], Person],
    role: str,
) -> None:
    from tests.test_web_security import csrf_of, post_form

    person_of(role)
    before = sum(1 for _ in web_gateway.audit_entries())
    for path in ROLE_REFUSALS[role]:
        answer = page.goto(path)
        assert answer is not None
        assert answer.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    for path in FORGED_POSTS[role]:
        form = {"csrf": csrf_of(page), "format": "csv", "by": "number", "identifier": "1"}
        form |= {"staff_id": "forged.one", "name": "F", "role": "administrator", "desk": "*"}
        assert post_form(page, path, form).status == 403, path
    kinds = [e.kind for e in web_gateway.audit_entries()][before:]
    refused = {"audit.exported", "subject.looked_up", "staff.added", "staff.state_changed"}
    refused |= {"signal.held", "signal.hold_lifted"}
    assert not (refused | {"partner.state_changed"}) & set(kinds)
    if role == "compliance":
        without_token = post_form(page, "/export", {"format": "csv"})
        assert without_token.status == 403
        assert "This form has expired" in without_token.text


# --- the search form and the story, as pure functions --------------------------------------

BRUSSELS = ZoneInfo("Europe/Brussels")


def test_search_dates_are_whole_days_in_the_viewers_time_zone() -> None:
    asked = parse_search({"since": "2026-07-01", "until": "2026-07-01"}, BRUSSELS, "en")

    assert asked.query.since == datetime(2026, 6, 30, 22, tzinfo=UTC)
    assert asked.query.until == datetime(2026, 7, 1, 22, tzinfo=UTC)
    assert asked.query.since.tzinfo is UTC
    assert asked.problems == {}


def test_a_value_the_form_does_not_offer_is_left_out_with_the_reason_in_the_viewers_language() -> (
    None
):
    asked = parse_search(
        {
            "since": "1 July",
            "outcome": "maybe",
            "to": "FR",
            "kind": "x",
            "partner": "nl-pol-limburg",
        },
        BRUSSELS,
        "fr",
    )

    assert asked.query == ExchangeQuery(partner="nl-pol-limburg")
    assert set(asked.problems) == {"since", "outcome", "to", "kind"}
    assert asked.problems["since"] == translate(BAD_DATE, "fr") != BAD_DATE


@given(st.dictionaries(st.sampled_from(["page", "since", "until", "from", "rule"]), st.text()))
def test_any_query_string_gives_a_search_and_never_an_error(params: dict[str, str]) -> None:
    asked = parse_search(params, BRUSSELS, "de")
    assert asked.page >= 1
    assert set(asked.problems) <= set(params)
