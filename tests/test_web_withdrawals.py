"""Withdrawals on the compliance pages, in a real browser against a real gateway: an exchange's
page tells who withdrew it, when and why, and for each recipient how far its notice got; once
the overdue days have passed on the gateway's clock, the page, the list of withdrawals and the
start page flag the notice not acknowledged; a replaced signal links its new version; a
liaison officer cannot open the list."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from euregate_client import EuregateClient
from playwright.sync_api import Locator, Page, expect

from gateway.flow.withdrawal import OVERDUE_AFTER
from tests.conftest import client_context
from tests.polling import until
from tests.test_web_compliance import fetch_inbox
from tests.test_web_review import tab_to
from tests.web_fixtures import DUTCH_SIGNAL, Person, WebGateway, sign_in

SENDER = "nl-pol-limburg"
ACKNOWLEDGES, SILENT = "be-pol-lanaken", "nl-riec-limburg"
"""Both read Dutch: the Dutch police's signal reaches them without review."""


def to_two_recipients(example: Callable[[str], dict[str, Any]], reference: str) -> dict[str, Any]:
    document = copy.deepcopy(example(DUTCH_SIGNAL))
    document["recipients"] = {"partners": [ACKNOWLEDGES, SILENT]}
    document["sender_reference"] = reference
    return document


def sealed_for_both(web_gateway: WebGateway, signal_id: str, *, envelopes: int) -> None:
    """Wait until the courier has sealed ``envelopes`` envelopes of the signal."""
    store = web_gateway.store
    assert store is not None

    async def sealed() -> bool:
        return len(await store.envelopes_of_signal(signal_id)) == envelopes

    web_gateway.run(until(sealed))


def withdrawn_signal(web_gateway: WebGateway, example: Callable[[str], dict[str, Any]]) -> str:
    """The Dutch signal sealed for Lanaken and the RIEC, then withdrawn by its sender as
    incorrect; Lanaken acknowledges the signal and the notice, the RIEC neither. Its id."""
    signal_id = web_gateway.post(to_two_recipients(example, "NL-WITHDRAWN-1"))
    sealed_for_both(web_gateway, signal_id, envelopes=2)
    assert len(fetch_inbox(web_gateway, ACKNOWLEDGES)) == 1

    async def withdraw() -> None:
        async with EuregateClient(
            web_gateway.url, ssl_context=client_context(web_gateway.layout, SENDER)
        ) as sender:
            await sender.withdraw(signal_id, "data_incorrect")

    web_gateway.run(withdraw())
    sealed_for_both(web_gateway, signal_id, envelopes=4)
    assert len(fetch_inbox(web_gateway, ACKNOWLEDGES)) == 1, "the notice"
    return signal_id


def steps_of(row: Locator) -> list[str]:
    return list(row.locator("[data-step]").evaluate_all("els => els.map(e => e.dataset.step)"))


def test_a_withdrawal_shows_each_notice_and_flags_the_unacknowledged_once_overdue(
    page: Page,
    web_gateway: WebGateway,
    example: Callable[[str], dict[str, Any]],
    compliance: Person,
) -> None:
    signal_id = withdrawn_signal(web_gateway, example)

    page.goto(f"/audit/exchanges/{signal_id}")
    section = page.locator("section.withdrawal")
    expect(section.get_by_role("heading", level=2)).to_have_text("Withdrawn by the sender")
    expect(section.locator("[data-withdrawn-by] .partner-name")).to_have_text(
        "Politie Eenheid Limburg"
    )
    expect(section.locator("[data-reason]")).to_have_text("data incorrect")
    expect(section.locator("[data-notices]")).to_have_text("2")
    acknowledged = section.locator(f"tr[data-recipient='{ACKNOWLEDGES}']")
    silent = section.locator(f"tr[data-recipient='{SILENT}']")
    expect(acknowledged).to_have_attribute("data-outcome", "received")
    expect(acknowledged.locator("td.acknowledgement")).to_have_text("acknowledged")
    assert steps_of(acknowledged) == ["queued", "sealed", "fetched", "acknowledged"]
    expect(silent.locator("td.acknowledgement")).to_have_text("not yet acknowledged")
    assert steps_of(silent) == ["queued", "sealed"]
    expect(silent).not_to_have_class("overdue")
    told = page.locator("ol.story > li[data-kind='signal.withdrawn']")
    expect(told).to_contain_text("withdrawn by the sender")
    expect(told).to_contain_text("reason: data incorrect")

    page.get_by_role("link", name="Withdrawals").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdrawals")
    expect(page.locator("table.overdue-notices")).to_have_count(0)
    row = page.locator(f"table.withdrawals tr[data-signal='{signal_id}']")
    expect(row.locator("[data-notices]")).to_have_text("2")
    expect(row.locator("[data-acknowledged]")).to_have_text("1")
    expect(row).not_to_have_class("overdue")

    web_gateway.later(days=OVERDUE_AFTER.days, minutes=1)
    sign_in(page, web_gateway, compliance)
    expect(page.locator("p.attention")).to_have_text(
        "Withdrawal notices not acknowledged in time: 1"
    )
    page.locator("p.attention a").click()
    overdue = page.locator(f"table.overdue-notices tr[data-signal='{signal_id}']")
    expect(overdue).to_have_attribute("data-recipient", SILENT)
    expect(overdue).to_contain_text("data incorrect")
    expect(row).to_have_class("overdue")
    expect(row).to_contain_text("overdue: 1")
    expect(page.get_by_role("heading", level=2)).to_have_text(
        ["Overdue notices", "Withdrawals and replacements"]
    )

    tab_to(page, f"table.overdue-notices tr[data-signal='{signal_id}'] a")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Exchange {signal_id}")
    expect(silent).to_have_attribute("data-state", "overdue")
    expect(silent.locator("td.acknowledgement")).to_have_text(
        f"overdue: not acknowledged within {OVERDUE_AFTER.days} days"
    )
    expect(acknowledged.locator("td.acknowledgement")).to_have_text("acknowledged")


def test_a_replaced_signal_links_its_new_version_in_the_officers_language(
    page: Page,
    web_gateway: WebGateway,
    example: Callable[[str], dict[str, Any]],
    compliance: Person,
) -> None:
    first = web_gateway.post(to_two_recipients(example, "NL-REPLACED-1"))
    sealed_for_both(web_gateway, first, envelopes=2)

    async def replace() -> str:
        async with EuregateClient(
            web_gateway.url, ssl_context=client_context(web_gateway.layout, SENDER)
        ) as sender:
            receipt = await sender.post_version(first, to_two_recipients(example, "NL-REPLACED-2"))
        return str(receipt["signal_id"])

    second = web_gateway.run(replace())
    page.goto("/withdrawals")
    expect(page.locator("table.withdrawals tbody tr")).to_have_count(1)
    expect(page.locator("nav.pages")).to_have_count(0)
    expect(page.locator(f"tr[data-signal='{first}']")).to_contain_text("replaced by a new version")
    past = page.goto("/withdrawals?page=2")
    assert past is not None
    assert past.status == 200
    expect(page.locator("p.empty")).to_have_text("There are no more withdrawals.")
    expect(page.get_by_role("link", name="Previous page")).to_have_attribute(
        "href", "/withdrawals?page=1"
    )
    for wrong in ("0", "x", "99999999999999999999"):
        refused = page.goto(f"/withdrawals?page={wrong}")
        assert refused is not None
        assert refused.status == 400, wrong
    page.goto(f"/audit/exchanges/{first}")
    page.get_by_role("button", name="Deutsch").click()

    section = page.locator("section.withdrawal")
    expect(section.get_by_role("heading", level=2)).to_have_text("Durch eine neue Version ersetzt")
    expect(section.locator("[data-reason]")).to_have_text("durch eine neue Version ersetzt")
    section.locator("[data-replaced-by] a").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(second)
    expect(page.locator("section.withdrawal")).to_have_count(0)


def test_a_liaison_officer_is_not_shown_nor_allowed_the_withdrawals(
    page: Page, web_gateway: WebGateway
) -> None:
    officer = web_gateway.enrol("m.dubois", desk="BE")
    sign_in(page, web_gateway, officer)

    expect(page.get_by_role("link", name="Withdrawals")).to_have_count(0)
    answer = page.goto("/withdrawals")
    assert answer is not None
    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
