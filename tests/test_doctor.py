"""``euregate doctor``: a healthy demo data directory passes; a broken one fails naming each
problem and its fix, in the caller's language, as text or JSON."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pwd
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given
from hypothesis import strategies as st

from gateway.edges.cli import main
from gateway.infra import pki
from gateway.infra.config import DataDir
from gateway.registry.doctor import Status, files, reach, storage
from gateway.store import PartnerCertificate, StoreFacts
from gateway.store.sqlite import SqliteStore
from tests.libretranslate_standin import LibreTranslateStandIn

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["doctor", *args])
    return code, capsys.readouterr().out


def break_it(layout: DataDir) -> None:
    """A key others may read, a missing certificate, an expired one, a schema from a newer
    release and a policy that does not parse."""
    layout.server_key.chmod(0o644)
    layout.gateway_client_certificate.unlink()
    then = datetime.now(UTC) - timedelta(days=40)
    authority = pki.create_ca(common_name="Euregate CA of forty days ago", now=then)
    key = serialization.load_pem_private_key(layout.server_key.read_bytes(), password=None)
    expired = pki.certify_server_key(
        pki.load_authority(authority.certificate_pem, authority.private_key_pem),
        ["localhost"],
        pki.strong_key(key.public_key()),
        now=then,
        valid_days=10,
    )
    layout.server_certificate.write_bytes(expired.certificate_pem)
    with contextlib.closing(sqlite3.connect(layout.database)) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        conn.commit()
    layout.policy.write_text("[[rule]\nid = ", encoding="utf-8")


def test_a_healthy_demo_directory_passes(
    layout: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = doctor(capsys, "--data-dir", str(layout.root), "--lang", "en")
    assert code == 0, out
    assert "0 error(s)" in out
    assert "ERROR" not in out


def test_warnings_fail_only_when_strict(
    layout: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    layout.database.chmod(0o644)  # readable by others: a warning
    code, out = doctor(capsys, "--data-dir", str(layout.root), "--lang", "en")
    assert code == 0
    assert "can be read by others" in out
    strict, _ = doctor(capsys, "--data-dir", str(layout.root), "--strict")
    assert strict == 1


def test_a_broken_directory_fails_naming_each_problem_and_its_fix(
    layout: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    break_it(layout)
    code, out = doctor(capsys, "--data-dir", str(layout.root), "--lang", "en")
    assert code == 1
    expected = [
        f"{layout.server_key} has mode 0644",
        f"Run `chmod 600 {layout.server_key}`.",
        f"The certificate {layout.gateway_client_certificate} is missing.",
        f"The certificate {layout.server_certificate} expired on",
        "Issue a new certificate from the gateway's CA",
        "The database's schema is version 99, newer than this release's",
        "Run the release that made it, or restore a backup made by this release",
        f"The sharing policy {layout.policy} fails its check",
        f"`euregate policy check {layout.policy}` shows where",
    ]
    for text in expected:
        assert text in out, text
    assert "5 error(s)" in out or "6 error(s)" in out


def test_the_broken_directory_in_german(
    layout: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    break_it(layout)
    code, out = doctor(capsys, "--data-dir", str(layout.root), "--lang", "de")
    assert code == 1
    assert "FEHLER" in out
    assert f"Das Zertifikat {layout.gateway_client_certificate} fehlt." in out


def test_json_lists_every_check_for_monitoring(
    layout: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    break_it(layout)
    code, out = doctor(capsys, "--data-dir", str(layout.root), "--json", "--lang", "fr")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    failing = {check["check"] for check in report["checks"] if check["status"] == "error"}
    assert failing == {"file-modes", "certificates", "schema", "policy"}
    assert report["errors"] == sum(c["status"] == "error" for c in report["checks"])
    for check in report["checks"]:
        assert set(check) == {"check", "status", "message", "fix"}
        assert (check["fix"] is None) == (check["status"] == "ok")
    assert any("Le certificat" in check["message"] for check in report["checks"])


def test_no_data_directory_is_one_error_with_its_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = doctor(capsys, "--data-dir", str(tmp_path / "nothing"), "--json")
    assert code == 1
    [check] = json.loads(out)["checks"]
    assert check["check"] == "data-directory"
    assert "euregate init --production" in check["fix"]


def test_doctor_changes_nothing_in_the_database(layout: DataDir) -> None:
    before = layout.database.read_bytes()
    assert main(["doctor", "--data-dir", str(layout.root), "--json"]) == 0
    assert layout.database.read_bytes() == before
    assert asyncio.run(SqliteStore.inspect(layout.database)).schema_version > 0


def test_a_key_that_is_not_its_certificates_is_named(layout: DataDir) -> None:
    other = pki.create_ca(common_name="Other", now=NOW)
    layout.server_key.write_bytes(other.private_key_pem)
    [finding] = files.keys(layout)
    assert finding.status is Status.ERROR
    assert finding.message == files.KEY_MISMATCH


def test_a_master_key_of_the_wrong_size_is_unloadable(layout: DataDir) -> None:
    layout.master_key.write_bytes(b"short")
    [finding] = files.keys(layout)
    assert finding.message == files.KEY_UNLOADABLE
    assert "5 bytes" in finding.said("en")


@given(days=st.integers(min_value=-4000, max_value=4000), seconds=st.integers(0, 86399))
def test_a_certificate_is_an_error_once_expired_and_a_warning_within_30_days(
    days: int, seconds: int
) -> None:
    not_after = NOW + timedelta(days=days, seconds=seconds)
    status = files.expiry("certificates", not_after, NOW, path="x.pem").status
    if not_after <= NOW:
        assert status is Status.ERROR
    elif not_after - NOW <= files.EXPIRY_WARNING:
        assert status is Status.WARNING
    else:
        assert status is Status.OK


def facts(
    *, latest: datetime | None = None, certificates: tuple[PartnerCertificate, ...] = ()
) -> StoreFacts:
    return StoreFacts(
        schema_version=1,
        release_schema_version=1,
        latest_entry_at=latest,
        webhooks={},
        certificates=certificates,
    )


@given(ahead=st.integers(min_value=-(10**6), max_value=10**6))
def test_the_clock_is_behind_when_the_latest_entry_is_over_a_minute_ahead(ahead: int) -> None:
    finding = storage.clock(facts(latest=NOW + timedelta(seconds=ahead)), NOW)
    assert (finding.status is Status.ERROR) == (ahead > storage.CLOCK_ALLOWANCE.total_seconds())


def test_schema_versions_older_current_and_newer() -> None:
    assert storage.schema(StoreFacts(3, 11, None, {}, ())).status is Status.WARNING
    assert storage.schema(StoreFacts(11, 11, None, {}, ())).status is Status.OK
    assert storage.schema(StoreFacts(12, 11, None, {}, ())).status is Status.ERROR


def test_partner_certificates_expiring_are_warnings_naming_the_partner() -> None:
    soon = PartnerCertificate("be-pol-liege", "ab" * 32, NOW + timedelta(days=3))
    gone = PartnerCertificate("de-zoll-aachen", "cd" * 32, NOW - timedelta(days=1))
    later = PartnerCertificate("nl-pol-limburg", "ef" * 32, NOW + timedelta(days=300))
    found = storage.partner_certificates(facts(certificates=(soon, gone, later)), NOW)
    assert [f.status for f in found] == [Status.WARNING, Status.WARNING]
    assert "be-pol-liege" in found[0].said("en")
    assert "expired" in found[1].said("en")


async def test_a_translation_backend_that_answers_and_one_that_does_not(
    standin: LibreTranslateStandIn,
) -> None:
    assert (await reach.translation_backend(standin.url)).status is Status.OK
    standin.mode = "fail"
    failing = await reach.translation_backend(standin.url)
    assert failing.status is Status.ERROR
    assert "HTTP 500" in failing.said("en")


async def test_etranslation_is_named_without_sending_it_a_text() -> None:
    found = await reach.translation_backend(None, etranslation="Euregate_Euregio_MRE")
    assert found.status is Status.OK
    assert "eTranslation is attached (application Euregate_Euregio_MRE)" in found.said("en")
    assert "Euregate_Euregio_MRE" in found.said("de")
    assert (await reach.translation_backend(None)).said("en") == (
        "No machine translation backend is configured."
    )


async def test_webhooks_that_listen_and_one_that_does_not() -> None:
    server = await asyncio.start_server(lambda _r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    closed = await asyncio.start_server(lambda _r, w: w.close(), "127.0.0.1", 0)
    closed_port = closed.sockets[0].getsockname()[1]
    closed.close()
    await closed.wait_closed()
    async with server:
        listening = await reach.webhooks({"nl-pol-limburg": f"https://127.0.0.1:{port}/hook"})
        refused = await reach.webhooks(
            {
                "nl-pol-limburg": f"https://127.0.0.1:{port}/hook",
                "de-zoll-aachen": f"https://127.0.0.1:{closed_port}/hook",
            },
            seconds=2.0,
        )
    assert [f.status for f in listening] == [Status.OK]
    [finding] = refused
    assert finding.status is Status.WARNING
    assert "de-zoll-aachen" in finding.said("en")


def test_a_database_that_is_not_one_is_named_with_its_fix(
    layout: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    layout.database.write_bytes(b"not a database, " * 512)
    for sidecar in ("-wal", "-shm"):
        layout.database.with_name(layout.database.name + sidecar).unlink(missing_ok=True)
    code, out = doctor(capsys, "--data-dir", str(layout.root), "--json", "--lang", "nl")
    assert code == 1
    [database] = [c for c in json.loads(out)["checks"] if c["check"] == "database"]
    assert database["status"] == "error"
    assert database["message"].endswith(": Opslag faalt.")


def test_a_production_directory_passes_even_strictly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "var-lib-euregate"
    assert main(["init", "--production", "--data-dir", str(data)]) == 0
    code, out = doctor(capsys, "--data-dir", str(data), "--strict", "--json")
    assert code == 0, out
    assert {check["status"] for check in json.loads(out)["checks"]} == {"ok"}


def test_a_file_of_another_account_is_a_warning_naming_the_owner(layout: DataDir) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another account")
    os.chown(layout.policy, 65534, -1)
    [owners] = [f for f in files.modes(layout) if f.check == "file-owners"]
    assert owners.status is Status.WARNING
    assert str(layout.policy) in owners.said("en")
    assert f"chown -R {pwd.getpwuid(os.getuid()).pw_name}: {layout.root}" in str(
        owners.fix_said("en")
    )


def test_on_postgresql_the_store_is_checked_there(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The registry in PostgreSQL: its schema, the clock against its audit log and the
    partners' certificates are checked there; a database that cannot be reached is one error,
    named without its URL."""
    data = tmp_path / "data"
    assert main(["init", "--demo", "--data-dir", str(data), "--database", postgres_url]) == 0
    code, out = doctor(capsys, "--data-dir", str(data), "--database", postgres_url, "--json")
    checks = {c["check"]: c for c in json.loads(out)["checks"]}
    assert checks["schema"]["status"] == "ok", checks["schema"]
    assert checks["clock"]["status"] == "ok", checks["clock"]
    assert checks["partner-certificates"]["status"] == "ok"
    assert "database" not in checks

    nowhere = postgres_url.replace("?host=", "?connect_timeout=2&host=/nonexistent")
    code, out = doctor(capsys, "--data-dir", str(data), "--database", nowhere, "--json")
    [database] = [c for c in json.loads(out)["checks"] if c["check"] == "database"]
    assert code == 1
    assert database["status"] == "error"
    assert "postgresql:" in database["message"]
    assert "nonexistent" not in database["message"]
