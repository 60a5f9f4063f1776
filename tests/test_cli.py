"""The administrator's commands: init, the partner registry, certificates, the audit chain."""

from __future__ import annotations

import argparse
import inspect
import json
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from gateway.edges.cli import build_parser, main
from gateway.infra import pki
from gateway.infra.config import DataDir


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def audit_kinds(data: DataDir) -> list[str]:
    conn = sqlite3.connect(data.database)
    kinds = [row[0] for row in conn.execute("SELECT kind FROM audit ORDER BY seq")]
    conn.close()
    return kinds


@pytest.fixture
def data(tmp_path: Path) -> DataDir:
    return DataDir(tmp_path / "data")


def test_init_creates_a_gateway_and_keeps_it_on_a_second_run(
    data: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "init", "--data-dir", str(data.root))
    assert code == 0
    for path in (data.database, data.master_key, data.ca_certificate, data.server_certificate):
        assert path.is_file()
    assert stat.S_IMODE(data.master_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(data.ca_key.stat().st_mode) == 0o600
    ca_before = data.ca_certificate.read_bytes()
    key_before = data.master_key.read_bytes()

    code, out = run(capsys, "init", "--demo", "--data-dir", str(data.root))
    assert code == 0
    assert "kept" in out
    assert data.ca_certificate.read_bytes() == ca_before
    assert data.master_key.read_bytes() == key_before
    assert data.partner_certificate("be-pol-liege").is_file()


def test_init_demo_enrols_the_demo_network_once(
    data: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "init", "--demo", "--data-dir", str(data.root))
    run(capsys, "init", "--demo", "--data-dir", str(data.root))
    code, out = run(capsys, "partner", "list", "--json", "--data-dir", str(data.root))
    partners = json.loads(out)
    assert code == 0
    assert len(partners) == 9
    eupen = next(p for p in partners if p["id"] == "be-gem-eupen")
    assert eupen["languages"] == ["de", "fr"]
    assert audit_kinds(data).count("partner.added") == 9


def test_the_data_directory_comes_from_the_environment(
    data: DataDir, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EUREGATE_DATA_DIR", str(data.root))
    code, _ = run(capsys, "init")
    assert code == 0
    assert data.database.is_file()


def test_a_partner_is_added_shown_suspended_reactivated_and_revoked(
    data: DataDir, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    d = ("--data-dir", str(data.root))
    kit = tmp_path / "bibob"
    run(capsys, "init", *d)
    code, out = run(
        capsys,
        "partner", "add", "nl-bibob-limburg",
        "--name", "Bibob-bureau Limburg", "--country", "NL",
        "--agency-type", "municipality", "--languages", "nl", *d,
    )  # fmt: skip
    assert code == 0
    assert run(capsys, "partner-kit", "csr", "nl-bibob-limburg", "--out", str(kit))[0] == 0
    code, out = run(
        capsys, "cert", "issue", "nl-bibob-limburg", "--csr", str(kit / "client.csr"), *d
    )
    assert code == 0
    fingerprint = pki.fingerprint(data.partner_certificate("nl-bibob-limburg").read_bytes())
    assert fingerprint in out

    code, out = run(capsys, "partner", "show", "nl-bibob-limburg", "--json", *d)
    shown = json.loads(out)
    assert shown["state"] == "active"
    assert shown["certificates"][0]["fingerprint"] == fingerprint

    assert (
        run(capsys, "partner", "suspend", "nl-bibob-limburg", *d)[1].strip().endswith("suspended")
    )
    assert (
        run(capsys, "partner", "reactivate", "nl-bibob-limburg", *d)[1].strip().endswith("active")
    )
    assert run(capsys, "partner", "revoke", "nl-bibob-limburg", *d)[1].strip().endswith("revoked")
    code, out = run(capsys, "partner", "reactivate", "nl-bibob-limburg", *d)
    assert code == 1
    assert "revoked for good" in out
    shown = json.loads(run(capsys, "partner", "show", "nl-bibob-limburg", "--json", *d)[1])
    assert shown["certificates"][0]["state"] == "revoked"
    assert audit_kinds(data)[-5:] == [
        "partner.added",
        "certificate.issued",
        "partner.state_changed",
        "partner.state_changed",
        "partner.state_changed",
    ]


def test_a_bad_partner_entry_is_refused_with_the_reason(
    data: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "init", "--data-dir", str(data.root))
    code, out = run(
        capsys,
        "partner", "add", "Limburg Police",
        "--name", "x", "--country", "NL", "--agency-type", "sheriff",
        "--languages", "nl,tr", "--data-dir", str(data.root),
    )  # fmt: skip
    assert code == 1
    assert "lowercase slug" in out
    assert "agency type" in out
    assert "languages" in out


def test_a_certificate_is_revoked_by_fingerprint(
    data: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "init", "--demo", "--data-dir", str(data.root))
    fingerprint = pki.fingerprint(data.partner_certificate("de-zoll-aachen").read_bytes())
    code, out = run(capsys, "cert", "revoke", fingerprint, "--data-dir", str(data.root))
    assert code == 0
    assert "de-zoll-aachen" in out
    code, out = run(capsys, "cert", "revoke", fingerprint, "--data-dir", str(data.root))
    assert code == 1
    assert audit_kinds(data)[-1] == "certificate.revoked"


def test_audit_verify_passes_and_then_names_the_edited_entry(
    data: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "init", "--demo", "--data-dir", str(data.root))
    code, out = run(capsys, "audit", "verify", "--data-dir", str(data.root))
    assert code == 0
    assert "intact" in out

    conn = sqlite3.connect(data.database)
    conn.execute(
        "UPDATE audit SET entry = replace(entry, 'be-pol-liege', 'be-pol-lanaken') "
        "WHERE seq = (SELECT seq FROM audit WHERE subject = 'partner:be-pol-liege' LIMIT 1)"
    )
    edited = conn.execute(
        "SELECT seq FROM audit WHERE subject = 'partner:be-pol-liege' LIMIT 1"
    ).fetchone()[0]
    conn.commit()
    conn.close()

    code, out = run(capsys, "audit", "verify", "--json", "--data-dir", str(data.root))
    result = json.loads(out)
    assert code == 1
    assert result["first_bad_seq"] == edited
    assert not result["ok"]


def test_commands_on_a_missing_data_directory_say_what_to_do(
    data: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "partner", "list", "--data-dir", str(data.root))
    assert code == 1
    assert "euregate init" in out
    assert not data.root.exists()


def every_command(parser: argparse.ArgumentParser, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Each command the parser takes, by its words, with the handler it runs."""
    for action in parser._actions:  # argparse offers no public walk of its subcommands
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from every_command(sub, f"{prefix} {name}".strip())
    handler = parser.get_default("handler")
    if handler is not None:
        yield prefix, handler


def test_every_command_is_a_coroutine_that_main_runs_once() -> None:
    commands = dict(every_command(build_parser()))

    assert {"init", "serve", "send", "partner add", "audit verify"} <= set(commands)
    assert [name for name, run in commands.items() if not inspect.iscoroutinefunction(run)] == []


def test_version_prints_the_installed_packages_version() -> None:
    """``euregate --version`` in a process of its own: the version the package was installed
    as, from its metadata, and exit code 0."""
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "--version"],
        capture_output=True,
        text=True,
        check=False,
        env={"LANG": "C.UTF-8", "PATH": ""},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"euregate {version('euregate')}\n"
    assert version("euregate").split(".")[0].isdigit()
