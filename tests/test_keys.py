"""Keys: partners' encryption keys registered, rotated and retired, the demo network's key
pairs, the gateway's signing key sealed in the data directory and served to partners."""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from gateway.contract.partners import DEMO_NETWORK, PartnerState
from gateway.edges.cli import main
from gateway.infra import datafiles, seal
from gateway.infra.audit import refs
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.infra.errors import RegistryError
from gateway.infra.seal import Suite
from gateway.infra.vault import MasterKey, VaultError
from gateway.registry.admin.keys import add_partner_key, retire_partner_key
from gateway.registry.admin.partners import change_partner_state
from gateway.store.sqlite import SqliteStore
from tests.conftest import RunningGateway, client_context

LIEGE = "be-pol-liege"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def audit_rows(data: DataDir, kind: str) -> list[tuple[str, str, dict[str, object]]]:
    conn = sqlite3.connect(data.database)
    rows = conn.execute(
        "SELECT actor, subject, entry FROM audit WHERE kind = ? ORDER BY seq", (kind,)
    ).fetchall()
    conn.close()
    return [(actor, subject, json.loads(entry)["data"]) for actor, subject, entry in rows]


def write_key(tmp_path: Path, suite: Suite) -> tuple[Path, seal.RecipientPrivateKey]:
    private_pem, public_pem = seal.generate_key_pair(suite)
    path = tmp_path / f"{suite}.pub"
    path.write_bytes(public_pem)
    return path, seal.load_private_key(private_pem)


# --- init ------------------------------------------------------------------------------------


async def test_init_demo_gives_each_demo_partner_a_registered_key_pair(layout: DataDir) -> None:
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        for partner in DEMO_NETWORK:
            private_path = layout.partner_encryption_key(partner.id)
            assert private_path.parent == layout.partner_certificate(partner.id).parent
            assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
            private = seal.load_private_key(private_path.read_bytes())
            suite, raw = seal.read_public_key(
                layout.partner_encryption_public_key(partner.id).read_bytes()
            )
            (registered,) = await store.partner_keys(partner.id)
            assert (registered.key_id, registered.suite, registered.public_key) == (
                private.key_id,
                suite,
                raw,
            )
            assert suite is Suite.X25519
    added = audit_rows(layout, "partner_key.added")
    assert sorted(subject for _, subject, _ in added) == sorted(
        f"partner:{p.id}" for p in DEMO_NETWORK
    )


async def test_init_seals_the_signing_key_under_the_master_key_and_registers_its_public_half(
    layout: DataDir,
) -> None:
    signer = datafiles.load_signer(layout)
    assert stat.S_IMODE(layout.signing_key.stat().st_mode) == 0o600
    assert signer.to_bytes() not in layout.signing_key.read_bytes()
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        (registered,) = await store.gateway_keys()
    assert (registered.key_id, registered.public_key) == (signer.key_id, signer.public_key)
    assert registered.algorithm == "Ed25519"
    assert [data for _, _, data in audit_rows(layout, "gateway_key.created")] == [
        {"key_id": signer.key_id, "algorithm": "Ed25519"}
    ]
    with pytest.raises(VaultError):
        datafiles.load_signer(layout, MasterKey.generate())


async def test_a_second_init_keeps_the_keys_and_a_data_dir_without_a_signing_key_gets_one(
    layout: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    first = datafiles.load_signer(layout)
    liege_key = layout.partner_encryption_key(LIEGE).read_bytes()
    code, out = await asyncio.to_thread(
        run, capsys, "init", "--demo", "--data-dir", str(layout.root)
    )
    assert code == 0
    assert f"kept     {layout.signing_key}" in out
    assert datafiles.load_signer(layout).key_id == first.key_id
    assert layout.partner_encryption_key(LIEGE).read_bytes() == liege_key

    layout.signing_key.unlink()  # as a data directory made before signing keys existed
    code, out = await asyncio.to_thread(run, capsys, "init", "--data-dir", str(layout.root))
    assert code == 0
    assert f"created  {layout.signing_key}" in out
    second = datafiles.load_signer(layout)
    assert second.key_id != first.key_id
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        assert [key.key_id for key in await store.gateway_keys()] == [first.key_id, second.key_id]
    assert len(audit_rows(layout, "partner_key.added")) == len(DEMO_NETWORK)


# --- rotation --------------------------------------------------------------------------------


async def test_new_messages_use_the_newest_valid_key_and_old_ones_stay_until_retired(
    layout: DataDir, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        (demo,) = await store.partner_keys(LIEGE)
        assert (await store.sealing_key(LIEGE, now)) == demo

        path, _ = write_key(tmp_path, Suite.MLKEM768_X25519)
        later = await add_partner_key(
            store,
            LIEGE,
            path.read_bytes(),
            now=now,
            actor=refs.admin("test"),
            valid_from=now + timedelta(days=7),
        )
        assert (await store.sealing_key(LIEGE, now)) == demo, "not valid yet"
        assert (await store.sealing_key(LIEGE, now + timedelta(days=8))) == later
        assert [key.key_id for key in await store.partner_keys(LIEGE)] == [
            demo.key_id,
            later.key_id,
        ]

        retired = await retire_partner_key(store, LIEGE, demo.key_id, actor=refs.admin("test"))
        assert retired.retired_at is not None
        assert [key.key_id for key in await store.partner_keys(LIEGE)] == [
            demo.key_id,
            later.key_id,
        ]
        assert (await store.sealing_key(LIEGE, now + timedelta(days=1))) is None
        assert (await store.sealing_key(LIEGE, now + timedelta(days=8))) == later
        assert (await store.sealing_key("de-pol-aachen", now)) is not None


async def test_a_key_for_an_inactive_or_unknown_partner_or_twice_the_same_key_is_refused(
    layout: DataDir, tmp_path: Path
) -> None:
    path, _ = write_key(tmp_path, Suite.X25519)
    pem, now = path.read_bytes(), datetime.now(UTC)
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        await add_partner_key(store, LIEGE, pem, now=now, actor=refs.admin("test"))
        with pytest.raises(RegistryError, match="already has key"):
            await add_partner_key(store, LIEGE, pem, now=now, actor=refs.admin("test"))
        with pytest.raises(RegistryError, match="no partner"):
            await add_partner_key(store, "nl-nobody", pem, now=now, actor=refs.admin("test"))
        await change_partner_state(
            store, "de-zoll-aachen", PartnerState.SUSPENDED, actor=refs.admin("a")
        )
        with pytest.raises(RegistryError, match="suspended"):
            await add_partner_key(store, "de-zoll-aachen", pem, now=now, actor=refs.admin("test"))
        with pytest.raises(RegistryError, match="valid until after"):
            await add_partner_key(
                store, "de-pol-aachen", pem, now=now, actor=refs.admin("a"), valid_until=now
            )
        with pytest.raises(RegistryError, match="expected one X25519 public key"):
            await add_partner_key(store, "de-pol-aachen", b"junk", now=now, actor=refs.admin("a"))
        assert len(await store.partner_keys(LIEGE)) == 2


# --- commands --------------------------------------------------------------------------------


def test_partner_key_add_list_and_retire_on_the_command_line(
    layout: DataDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ("--data-dir", str(layout.root))
    path, private = write_key(tmp_path, Suite.MLKEM768_X25519)
    code, out = run(
        capsys,
        "partner", "key", "add", LIEGE, "--public-key", str(path),
        "--valid-from", "2026-01-01", "--valid-until", "2099-01-01T12:00:00+01:00", *data,
    )  # fmt: skip
    assert code == 0
    assert out.strip() == f"added key {private.key_id} (MLKEM768_X25519) for {LIEGE}"

    code, out = run(capsys, "partner", "key", "list", LIEGE, "--json", *data)
    listed = {key["key_id"]: key for key in json.loads(out)}
    assert code == 0
    assert listed[private.key_id]["suite"] == "MLKEM768_X25519"
    assert listed[private.key_id]["valid_from"] == "2026-01-01T00:00:00.000000Z"
    assert listed[private.key_id]["valid_until"] == "2099-01-01T11:00:00.000000Z"
    assert listed[private.key_id]["state"] == "valid"
    assert len(listed) == 2

    code, out = run(capsys, "partner", "key", "retire", LIEGE, private.key_id, *data)
    assert (code, out.strip()) == (0, f"retired key {private.key_id} of {LIEGE}")
    code, out = run(capsys, "partner", "key", "list", LIEGE, *data)
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith(private.key_id))
    assert line.split()[-1] == "retired"
    assert out.splitlines()[0].split()[-1] == "STATE"

    added = audit_rows(layout, "partner_key.added")[-1]
    assert added[0].startswith("admin:")
    assert added[1] == f"partner:{LIEGE}"
    assert added[2] == {
        "key_id": private.key_id,
        "suite": "MLKEM768_X25519",
        "valid_from": "2026-01-01T00:00:00.000000Z",
        "valid_until": "2099-01-01T11:00:00.000000Z",
    }
    assert audit_rows(layout, "partner_key.retired")[-1][2] == {
        "key_id": private.key_id,
        "suite": "MLKEM768_X25519",
    }


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add", LIEGE, "--suite", "X25519"], "holds a MLKEM768_X25519 key, not X25519"),
        (["add", "nl-nobody"], "no partner nl-nobody"),
        (["add", LIEGE, "--valid-until", "2020-01-01"], "valid until after"),
        (["retire", LIEGE, "0000000000000000"], "has no key 0000000000000000"),
        (["list", "nl-nobody"], "no partner nl-nobody"),
    ],
)
def test_partner_key_commands_refuse_with_a_reason(
    layout: DataDir,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    path, _ = write_key(tmp_path, Suite.MLKEM768_X25519)
    if argv[0] == "add":
        argv = [*argv, "--public-key", str(path)]
    code, out = run(capsys, "partner", "key", *argv, "--data-dir", str(layout.root))
    assert code == 1
    assert message in out


async def test_a_key_retired_twice_or_a_missing_file_is_refused(
    layout: DataDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ("--data-dir", str(layout.root))
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        (demo,) = await store.partner_keys(LIEGE)
    command = ("partner", "key", "retire", LIEGE, demo.key_id, *data)
    assert (await asyncio.to_thread(run, capsys, *command))[0] == 0
    code, out = await asyncio.to_thread(run, capsys, *command)
    assert (code, "already retired" in out) == (1, True)
    missing = tmp_path / "missing.pub"
    command = ("partner", "key", "add", LIEGE, "--public-key", str(missing), *data)
    code, out = await asyncio.to_thread(run, capsys, *command)
    assert (code, f"cannot read {missing}" in out) == (1, True)


def test_a_date_that_is_not_iso_8601_is_a_usage_error(
    layout: DataDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = write_key(tmp_path, Suite.X25519)
    with pytest.raises(SystemExit) as exit_:
        main(["partner", "key", "add", LIEGE, "--public-key", str(path), "--valid-from", "soon"])
    assert exit_.value.code == 2
    assert "not an ISO 8601 date or time: 'soon'" in capsys.readouterr().err


# --- GET /v1/gateway/keys --------------------------------------------------------------------


async def test_partners_fetch_the_signing_keys_and_verify_an_envelope_offline(
    gateway: RunningGateway,
) -> None:
    connector = aiohttp.TCPConnector(ssl=client_context(gateway.layout, LIEGE))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get(f"{gateway.url}/v1/gateway/keys") as response,
    ):
        assert response.status == 200
        assert response.content_type == "application/json"
        served = await response.json()
    signer = datafiles.load_signer(gateway.layout)
    (key,) = served["keys"]
    assert key["key_id"] == signer.key_id
    assert key["algorithm"] == "Ed25519"
    assert key["retired_at"] is None
    raw = base64.urlsafe_b64decode(key["public_key"] + "=" * (-len(key["public_key"]) % 4))
    assert raw == signer.public_key

    (liege_key,) = await gateway.store.partner_keys(LIEGE)
    envelope = seal.seal(
        b"signed by the gateway",
        recipient_key=liege_key,
        gateway_id="euregate",
        signal_id="s-1",
        recipient_id=LIEGE,
        signer=signer,
    )
    private = seal.load_private_key(gateway.layout.partner_encryption_key(LIEGE).read_bytes())
    opened = seal.open_envelope(
        envelope.to_bytes(),
        private_key=private,
        recipient_id=LIEGE,
        signal_id="s-1",
        gateway_public_keys={k["key_id"]: raw for k in served["keys"]},
    )
    assert opened == b"signed by the gateway"


async def test_a_suspended_partner_gets_no_keys(gateway: RunningGateway) -> None:
    await change_partner_state(gateway.store, LIEGE, PartnerState.SUSPENDED, actor=refs.admin("t"))
    connector = aiohttp.TCPConnector(ssl=client_context(gateway.layout, LIEGE))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get(f"{gateway.url}/v1/gateway/keys") as response,
    ):
        assert response.status == 403
        assert "keys" not in await response.json(content_type=None)
