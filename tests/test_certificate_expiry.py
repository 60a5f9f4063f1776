"""Certificates running out: days left, who is warned 30 days ahead, renewing the gateway's own
(picked up on SIGHUP) and a partner's (a new one beside the old, then the old revoked)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import signal
import ssl
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from hypothesis import given
from hypothesis import strategies as st

from gateway.infra import pki
from gateway.infra.audit import refs
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.infra.expiry import GATEWAY, CertificateDue, days_left, expiring
from gateway.registry.admin.certificates import (
    IssuedFiles,
    issue_certificate,
    revoke_certificate,
)
from gateway.registry.admin.gateway_certificates import certificates_due
from gateway.staff import Passwords
from gateway.store.sqlite import SqliteStore
from tests.conftest import REPO, RunningGateway, client_context, free_port, gateway_process
from tests.polling import until
from tests.staff_web import enrol, signed_in

PARTNER = "nl-gem-maastricht"
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(not_after=moments, now=moments)
def test_days_left_are_whole_days_rounded_down_and_negative_once_run_out(
    not_after: datetime, now: datetime
) -> None:
    left = days_left(not_after, now)
    assert now + timedelta(days=left) <= not_after < now + timedelta(days=left + 1)
    assert (left < 0) == (not_after < now)


@given(
    lefts=st.lists(st.integers(min_value=-400, max_value=400), max_size=20),
    within=st.integers(min_value=1, max_value=365),
)
def test_exactly_the_certificates_within_the_warning_are_listed_soonest_first(
    lefts: list[int], within: int
) -> None:
    now = datetime(2026, 12, 4, 12, tzinfo=UTC)
    certificates = [
        CertificateDue(f"p{i}", "client", f"{i:064x}", now + timedelta(days=left, hours=1))
        for i, left in enumerate(lefts)
    ]
    warned = expiring(certificates, now, within_days=within)
    assert {c.holder for c in warned} == {
        c.holder for c in certificates if c.days_left(now) < within
    }
    assert [c.not_after for c in warned] == sorted(c.not_after for c in warned)


async def test_every_certificate_in_use_is_listed_and_a_revoked_one_is_not(
    layout: DataDir,
) -> None:
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        (certificate,) = await store.certificates(PARTNER)
        await revoke_certificate(store, certificate.fingerprint, actor=refs.admin("t"))
        due = await certificates_due(layout, store)
        partners = [p for p in await store.partners() if p.active]
    own = {c.use for c in due if c.holder == GATEWAY}
    assert own == {"ca", "server", "client"}
    assert PARTNER not in {c.holder for c in due}
    assert {c.holder for c in due} - {GATEWAY} == {p.id for p in partners} - {PARTNER}
    server = next(c for c in due if c.holder == GATEWAY and c.use == "server")
    assert server.fingerprint == pki.fingerprint(layout.server_certificate.read_bytes())


async def presented_fingerprint(layout: DataDir, port: int) -> str:
    """The SHA-256 of the certificate the gateway presents in a new handshake."""
    _, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=client_context(layout, PARTNER), server_hostname="localhost"
    )
    try:
        tls = writer.get_extra_info("ssl_object")
        assert isinstance(tls, ssl.SSLObject)
        der = tls.getpeercert(binary_form=True)
        assert der is not None
        return hashlib.sha256(der).hexdigest()
    finally:
        writer.close()


async def test_cert_renew_certifies_the_same_keys_anew_and_sighup_presents_the_new_one(
    layout: DataDir,
) -> None:
    before = pki.describe(layout.server_certificate.read_bytes())
    key_before = layout.server_key.read_bytes()
    names_before = pki.alt_names(layout.server_certificate.read_bytes())
    port = free_port()
    async with gateway_process(layout, port) as process:
        assert await presented_fingerprint(layout, port) == before.fingerprint
        renew = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "gateway", "cert", "renew", "--data-dir", str(layout.root)),
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
        )
        output, _ = await renew.communicate()
        assert renew.returncode == 0, output.decode()
        after = pki.describe(layout.server_certificate.read_bytes())
        assert after.fingerprint != before.fingerprint
        assert after.fingerprint in output.decode()
        assert layout.server_key.read_bytes() == key_before
        assert pki.alt_names(layout.server_certificate.read_bytes()) == names_before
        assert after.not_after >= before.not_after

        process.send_signal(signal.SIGHUP)

        async def presents_the_new_one() -> bool:
            return await presented_fingerprint(layout, port) == after.fingerprint

        await until(presents_the_new_one)

    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        renewed = [
            json.loads(e.canonical)
            for e in await store.audit_entries()
            if e.kind == "gateway.certificate_renewed"
        ]
    assert {entry["data"]["use"] for entry in renewed} == {"server", "client"}


async def new_certificate(
    gateway: RunningGateway, out_dir: Path, *, valid_days: int = 825
) -> IssuedFiles:
    """The partner's side makes a key and a request; the gateway certifies it, as `cert issue`
    does. The key is written beside the certificate."""
    key_pem, request = pki.make_request(PARTNER)
    issued = await issue_certificate(
        gateway.store,
        gateway.layout,
        PARTNER,
        request,
        now=datetime.now(UTC),
        actor=refs.admin("t"),
        out_dir=out_dir,
        valid_days=valid_days,
    )
    (out_dir / "client.key").write_bytes(key_pem)
    return issued


async def test_a_partner_renews_with_a_new_request_beside_the_old_certificate_then_revokes_it(
    gateway: RunningGateway, tmp_path: Path
) -> None:
    (old,) = await gateway.store.certificates(PARTNER)
    issued = await new_certificate(gateway, tmp_path)
    renewed = pki.client_ssl_context(
        certificate=issued.certificate_path,
        private_key=tmp_path / "client.key",
        server_ca=gateway.layout.ca_certificate,
    )

    async def status_with(context: ssl.SSLContext) -> int:
        connector = aiohttp.TCPConnector(ssl=context)
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.get(f"{gateway.url}/v1/inbox") as response,
        ):
            return response.status

    assert await status_with(renewed) == 200
    assert await status_with(client_context(gateway.layout, PARTNER)) == 200
    await revoke_certificate(gateway.store, old.fingerprint, actor=refs.admin("t"))
    assert await status_with(renewed) == 200
    assert await status_with(client_context(gateway.layout, PARTNER)) == 403


async def test_the_partners_page_warns_of_a_certificate_that_runs_out_within_30_days(
    gateway: RunningGateway, cheap_passwords: Passwords, tmp_path: Path
) -> None:
    await new_certificate(gateway, tmp_path, valid_days=12)
    secret = await enrol(gateway.layout, "a.admin", "administrator", cheap_passwords)
    async with signed_in(gateway, "a.admin", secret) as staff, staff.get("/admin/partners") as page:
        text = await page.text()
    section = text.split(f'data-partner="{PARTNER}"')[1].split("</section>")[0]
    assert section.count("days left: issue a new one") == 1
    others = text.split(f'data-partner="{PARTNER}"')[0]
    assert "days left" not in others


def test_renewing_needs_no_warning_for_fresh_certificates(layout: DataDir) -> None:
    now = datetime.now(UTC)
    due = [
        CertificateDue(GATEWAY, "server", "0" * 64, pki.describe(p.read_bytes()).not_after)
        for p in (layout.server_certificate, layout.gateway_client_certificate)
    ]
    assert expiring(due, now) == []
    assert len(expiring(due, now + timedelta(days=380))) == 1
