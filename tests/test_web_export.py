"""Audit exports: the file and its manifest, signed by the gateway's key, check out whole and
fail when anything in either was changed; ``euregate audit export-verify`` says which."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.decide.decision import Verdict
from gateway.edges.cli import main
from gateway.edges.web.export import make_export, render_csv
from gateway.infra import datafiles
from gateway.infra.config import DataDir
from gateway.infra.exports import check_export, public_keys_from_json
from gateway.infra.seal import Signer
from gateway.store import ExchangeQuery, ExchangeSummary

EXCHANGE = ExchangeSummary(
    signal_id="01a2",
    received_at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
    sender_id="nl-pol-limburg",
    sender_country="NL",
    recipient_id="be-pol-liege",
    recipient_country="BE",
    category="undermining.drug_waste",
    urgency="urgent",
    verdict=Verdict.REVIEW,
    rule_ids=("R1", "R4"),
    policy_sha256="ab" * 32,
)
SIGNER = Signer.generate()
KEYS = {SIGNER.key_id: SIGNER.public_key}


def export(format: str = "csv") -> tuple[bytes, dict[str, object]]:
    made = make_export(
        [EXCHANGE],
        format="json" if format == "json" else "csv",
        query=ExchangeQuery(to_country="BE"),
        exported_at="2026-12-01T09:00:00.000000Z",
        exported_by="staff:a.peeters",
        signer=SIGNER,
    )
    return made.data, json.loads(made.manifest_bytes)


@pytest.mark.parametrize("format", ["csv", "json"])
def test_an_untouched_export_checks_out(format: str) -> None:
    data, manifest = export(format)
    assert check_export(data, manifest, KEYS) == []
    assert manifest["rows"] == 1
    assert manifest["query"] == {"to_country": "BE"}


@pytest.mark.parametrize(
    "member", ["rows", "query", "exported_by", "exported_at", "file", "key_id", "sha256"]
)
def test_changing_any_member_of_the_manifest_breaks_it(member: str) -> None:
    data, manifest = export()
    assert check_export(data, manifest | {member: "changed"}, KEYS) != []


@given(st.integers(min_value=0), st.integers(min_value=0, max_value=255))
def test_changing_any_byte_of_the_file_breaks_it(position: int, value: int) -> None:
    data, manifest = export()
    index = position % len(data)
    if data[index] == value:
        value = (value + 1) % 256
    changed = data[:index] + bytes([value]) + data[index + 1 :]
    assert check_export(changed, manifest, KEYS) != []


def test_a_manifest_signed_by_another_key_is_refused() -> None:
    data, manifest = export()
    other = Signer.generate()
    assert check_export(data, manifest, {SIGNER.key_id: other.public_key}) != []
    assert check_export(data, manifest, {}) == [f"no gateway key with id {SIGNER.key_id}"]


def test_a_csv_cell_never_starts_a_formula() -> None:
    hostile = ExchangeSummary(**{**EXCHANGE.__dict__, "category": "=HYPERLINK(1)"})
    assert b",'=HYPERLINK(1)," in render_csv([hostile])


def test_the_command_verifies_with_the_data_directorys_keys_or_the_served_ones(
    layout: DataDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signer = datafiles.load_signer(layout)
    made = make_export(
        [EXCHANGE],
        format="csv",
        query=ExchangeQuery(),
        exported_at="2026-12-01T09:00:00.000000Z",
        exported_by="staff:a.peeters",
        signer=signer,
    )
    file, manifest = tmp_path / made.file_name, tmp_path / made.manifest_name
    file.write_bytes(made.data)
    manifest.write_bytes(made.manifest_bytes)
    served = tmp_path / "keys.json"
    served.write_text(json.dumps({"keys": [k.as_json() for k in [_gateway_key(signer)]]}))
    assert public_keys_from_json(json.loads(served.read_text())) == {
        signer.key_id: signer.public_key
    }

    assert (
        main(["audit", "export-verify", str(file), str(manifest), "--data-dir", str(layout.root)])
        == 0
    )
    assert "verified:" in capsys.readouterr().out
    assert main(["audit", "export-verify", str(file), str(manifest), "--keys", str(served)]) == 0
    capsys.readouterr()

    file.write_bytes(made.data + b"x")
    assert main(["audit", "export-verify", str(file), str(manifest), "--keys", str(served)]) == 1
    assert "NOT VERIFIED: the file is not the one" in capsys.readouterr().out


def _gateway_key(signer: Signer) -> object:
    from datetime import UTC, datetime

    from gateway.infra.seal import GatewayKey

    return GatewayKey(signer.key_id, signer.public_key, datetime.now(UTC))
