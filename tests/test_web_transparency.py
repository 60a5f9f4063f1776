"""The transparency log's page for compliance staff: how far the tree is signed, what the
witnesses of each country cosigned, which witness stopped, and what witnesses reported, with
their evidence; in the browser, and the rule that flags a witness, for any times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from axe_playwright_python.sync_playwright import Axe
from hypothesis import given
from hypothesis import strategies as st
from playwright.sync_api import Page, expect

from gateway.edges.web.transparency import Standing, witness_rows, witnessed_by_country
from gateway.infra.audit.checkpoint import DEFAULT_ORIGIN, open_checkpoint
from gateway.infra.audit.cosignature import WitnessKey
from gateway.infra.audit.note import Ed25519Verifier
from gateway.infra.audit.note import parse as parse_note
from gateway.registry import datadir
from gateway.store import InconsistencyReport, RegisteredWitnessKey, StoredCosignature
from gateway.transparency.log import TransparencyLog
from gateway.transparency.witness_keys import read_witness_key
from tests.web_fixtures import WebGateway, sign_in

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
STALE = timedelta(hours=24)


def key(partner: str, seed: int = 1, *, retired: bool = False) -> RegisteredWitnessKey:
    registered = RegisteredWitnessKey.of(partner, WitnessKey(f"{partner}/w", bytes([seed]) * 32))
    return registered if not retired else RegisteredWitnessKey(
        registered.partner_id, registered.name, registered.key_id, registered.public_key,
        retired_at=NOW,
    )  # fmt: skip


def cosigned(witness: RegisteredWitnessKey, size: int, hours_ago: float) -> StoredCosignature:
    return StoredCosignature(
        size, witness.partner_id, witness.name, witness.key_id, 0, "—\n",
        received_at=NOW - timedelta(hours=hours_ago),
    )  # fmt: skip


@given(st.floats(0, 100), st.floats(0, 100))
def test_a_witness_is_flagged_exactly_when_its_last_cosignature_is_older_than_the_threshold(
    first: float, second: float
) -> None:
    nl, be = key("nl-pol-limburg"), key("be-pol-liege", 2)
    rows = witness_rows(
        [nl, be],
        [cosigned(nl, 10, first), cosigned(be, 12, second)],
        {"nl-pol-limburg": "NL", "be-pol-liege": "BE"},
        [],
        now=NOW,
        stale_after=STALE,
    )

    standing = {row.key.partner_id: row.standing for row in rows}
    assert standing["nl-pol-limburg"] is (Standing.STOPPED if first > 24 else Standing.CURRENT)
    assert standing["be-pol-liege"] is (Standing.STOPPED if second > 24 else Standing.CURRENT)
    assert [row.country for row in rows] == ["BE", "NL"]


def test_each_country_counts_the_largest_tree_its_active_witnesses_cosigned() -> None:
    nl, nl2, de = key("nl-pol-limburg"), key("nl-gem-maastricht", 3), key("de-pol-aachen", 4)
    gone = key("be-pol-liege", 5, retired=True)
    countries = {"nl-pol-limburg": "NL", "nl-gem-maastricht": "NL", "de-pol-aachen": "DE"}
    countries["be-pol-liege"] = "BE"
    report = InconsistencyReport("r", "de-pol-aachen", "checkpoint-rollback", None, b"x", None, 3)

    rows = witness_rows(
        [nl, nl2, de, gone],
        [cosigned(nl, 40, 1), cosigned(nl2, 44, 30), cosigned(gone, 50, 1)],
        countries,
        [report, report],
        now=NOW,
        stale_after=STALE,
    )

    assert witnessed_by_country(rows) == {"NL": 44, "BE": None, "DE": None}
    by_partner = {row.key.partner_id: row for row in rows}
    assert by_partner["de-pol-aachen"].standing is Standing.NEVER
    assert by_partner["de-pol-aachen"].reports == 2
    assert by_partner["be-pol-liege"].standing is Standing.RETIRED


def cosign(web_gateway: WebGateway, partner_id: str) -> int:
    """The partner's witness cosigns the latest checkpoint, as its `witness run` would."""
    assert web_gateway.store is not None
    store = web_gateway.store
    layout = web_gateway.layout
    cosigner = read_witness_key(layout.partner_witness_key(partner_id).read_text())
    log_key = Ed25519Verifier(DEFAULT_ORIGIN, datadir.load_signer(layout).public_key)

    async def cosigned() -> int:
        latest = await store.latest_checkpoint()
        assert latest is not None
        line = cosigner.cosign(parse_note(latest.note).text, 1_767_225_600).line()
        log = TransparencyLog(store, log_key=log_key)
        await log.cosign(await store.partner(partner_id), latest.size, line)
        return latest.size

    return web_gateway.run(cosigned())


def test_compliance_staff_see_what_each_countrys_witnesses_cosigned_and_who_stopped(
    page: Page, web_gateway: WebGateway
) -> None:
    size = cosign(web_gateway, "nl-pol-limburg")
    cosign(web_gateway, "be-pol-liege")
    assert web_gateway.store is not None
    store = web_gateway.store
    latest = web_gateway.run(store.latest_checkpoint())
    assert latest is not None

    async def report() -> None:
        log = TransparencyLog(store, log_key=Ed25519Verifier(DEFAULT_ORIGIN, bytes(32)))
        await log.report(
            await store.partner("de-pol-aachen"), "checkpoint-rollback", latest.note, b"x\n"
        )

    web_gateway.run(report())
    compliance = web_gateway.enrol("a.peeters", role="compliance", desk="*", language="fr")
    sign_in(page, web_gateway, compliance)

    page.goto("/transparency")
    expect(page.locator("h1")).to_have_text("Journal de transparence")
    expect(page.locator("table.countries tr[data-country=NL] td")).to_have_text(str(size))
    expect(page.locator("table.countries tr[data-country=DE] td")).to_have_text("aucun")
    expect(page.locator("tr[data-partner='nl-pol-limburg']")).to_have_attribute(
        "data-standing", "current"
    )
    expect(page.locator("tr[data-partner='de-pol-aachen']")).to_contain_text("1 incohérence")
    expect(page.locator("table.reports tr[data-kind='checkpoint-rollback']")).to_contain_text(
        "le journal a reculé"
    )
    violations = [
        f"{v['id']}: {v['help']}"
        for v in Axe().run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert violations == []

    with page.expect_download() as download:
        page.locator("a[href='/transparency/checkpoint']").click()
    note = download.value.path().read_bytes()
    log_key = Ed25519Verifier(DEFAULT_ORIGIN, datadir.load_signer(web_gateway.layout).public_key)
    assert open_checkpoint(note, log_key, origin=DEFAULT_ORIGIN).checkpoint.size >= size

    web_gateway.later(hours=25)
    sign_in(page, web_gateway, compliance)
    page.goto("/transparency")
    expect(page.locator("tr[data-partner='nl-pol-limburg']")).to_have_attribute(
        "data-standing", "stopped"
    )
    expect(page.locator("tr[data-partner='nl-pol-limburg']")).to_contain_text(
        "arrêté : aucune cosignature depuis 24 heures"
    )


def test_a_liaison_officer_is_refused_the_transparency_page(
    page: Page, web_gateway: WebGateway
) -> None:
    officer = web_gateway.enrol("m.dubois", desk="BE")
    sign_in(page, web_gateway, officer)

    answer = page.goto("/transparency")
    assert answer is not None
    assert answer.status == 403
    answer = page.goto("/transparency/checkpoint")
    assert answer is not None
    assert answer.status == 403
