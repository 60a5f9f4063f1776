"""A data subject's report on the compliance pages, in a real browser: after a lookup, every
exchange about the person (which partners, when, which category, what the rules decided and
why), with nothing any signal says about anyone; exported as a text file in the officer's
language with a manifest the gateway signs, checked with the gateway's public keys, and
audited as an export without what was looked up."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

from euregate_client import EuregateClient
from playwright.sync_api import Page, expect

from gateway.infra.exports import check_export
from tests.conftest import client_context
from tests.web_fixtures import DUTCH_SIGNAL, Person, WebGateway


def what_signals_say(document: dict[str, Any]) -> Iterator[str]:
    """Every name, number and date of birth of every person the signal mentions."""
    for person in document.get("persons", []):
        for key in ("family_name", "given_names", "date_of_birth"):
            if person.get(key):
                yield str(person[key])
        for identifier in person.get("identifiers", []):
            yield str(identifier["value"])


def look_up_number(page: Page, number: str) -> None:
    page.goto("/lookup")
    page.fill("#identifier", number)
    page.get_by_role("button", name="Look up the number").click()


def test_the_report_shows_every_exchange_about_the_person_and_nothing_a_signal_says(
    page: Page,
    web_gateway: WebGateway,
    dutch_signal: str,
    compliance: Person,
    example: Callable[[str], dict[str, Any]],
) -> None:
    document = example(DUTCH_SIGNAL)
    person = next(p for p in document["persons"] if p.get("identifiers"))
    look_up_number(page, person["identifiers"][0]["value"])

    report = page.locator("section.subject-report")
    article = report.locator(f"article[data-signal='{dutch_signal}']")
    expect(article).to_contain_text("Politie Eenheid Limburg (nl-pol-limburg)")
    recipients = article.locator("ul.recipients > li")
    expect(recipients).to_have_count(2)
    expect(article).to_contain_text("be-pol-liege")
    expect(article).to_contain_text("de-pol-aachen")
    expect(article.locator("ul.rules li").first).to_contain_text("legal basis:")
    shown = report.inner_text()
    assert [said for said in what_signals_say(document) if said in shown] == []


def test_the_report_is_exported_in_the_officers_language_signed_and_audited(
    page: Page,
    web_gateway: WebGateway,
    dutch_signal: str,
    compliance: Person,
    example: Callable[[str], dict[str, Any]],
) -> None:
    document = example(DUTCH_SIGNAL)
    person = next(p for p in document["persons"] if p.get("identifiers"))
    page.goto("/lookup")
    page.get_by_role("button", name="Français").click()
    page.fill("#identifier", person["identifiers"][0]["value"])
    page.locator("form.by-number button[type=submit]").click()
    with page.expect_download() as download_info:
        page.locator("form.report-export button").click()
    archive = zipfile.ZipFile(io.BytesIO(download_info.value.path().read_bytes()))
    (name,) = [n for n in archive.namelist() if n.endswith(".txt")]
    data = archive.read(name)
    manifest = json.loads(archive.read(name + ".manifest.json"))
    text = data.decode("utf-8")

    assert text.startswith("Rapport pour une personne concernée")
    assert f"{dutch_signal}" in text
    assert "be-pol-liege" in text
    assert "de-pol-aachen" in text
    assert [said for said in what_signals_say(document) if said in text] == []
    assert manifest["query"] == {"data_subject_lookup": "number"}
    assert manifest["exported_by"] == "staff:a.peeters"

    async def public_keys() -> dict[str, bytes]:
        async with EuregateClient(
            web_gateway.url, ssl_context=client_context(web_gateway.layout, "nl-pol-limburg")
        ) as partner:
            return await partner.gateway_keys()

    keys = web_gateway.run(public_keys())
    assert check_export(data, manifest, keys) == []
    assert check_export(data.replace(b"be-pol-liege", b"be-pol-eupen"), manifest, keys) != []

    (exported,) = [e for e in web_gateway.audit_entries() if e.kind == "audit.exported"]
    assert exported.data["format"] == "txt"
    assert exported.data["sha256"] == manifest["sha256"]
    log = b"".join(e.canonical for e in web_gateway.audit_entries())
    assert person["identifiers"][0]["value"].encode() not in log
