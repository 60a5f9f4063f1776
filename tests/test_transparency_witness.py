"""Partners' witnesses over real TLS against the real gateway: two countries' witnesses cosign
the same checkpoint and see each other agree; a witness carries on across a restart of the
gateway; a split view (two witnesses shown two logs of the same size) is found when they
compare cosignatures; a partner proves its receipt's entry with the receipt, a checkpoint and
the gateway's public key. Witness keys are made on the partner's side and registered, audited."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from gateway.edges.cli import main
from gateway.infra.audit import EventKind
from gateway.infra.audit.checkpoint import DEFAULT_ORIGIN
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.infra.seal import unb64url
from gateway.store import Store
from gateway.store.sqlite import SqliteStore
from gateway.transparency.verify import ReceiptLeaf, decode_proof, log_verifiers, prove_receipt
from gateway.transparency.witnessing import WitnessState
from tests import tamper
from tests.conftest import free_port, gateway_in_process, gateway_process, with_store
from tests.transparency_scene import Scene, integrated, not_sequencing, sequencer_for

LIMBURG, LIEGE, AACHEN = "nl-pol-limburg", "be-pol-liege", "de-pol-aachen"


async def test_witnesses_of_two_countries_cosign_the_same_checkpoint_and_agree(
    layout: DataDir, scene: Scene
) -> None:
    async with gateway_in_process(not_sequencing(layout)) as gateway:
        scene.url = gateway.url
        first = await sequencer_for(gateway.store, layout).catch_up()
        assert first is not None

        nl = await scene.witness(LIMBURG, language="nl")
        be = await scene.witness(LIEGE, language="fr")

        latest = await sequencer_for(gateway.store, layout).catch_up()
        again = await scene.witness(LIMBURG)
        cosigned = await gateway.store.cosignatures(first.size)

    assert nl == (
        0,
        f"Het checkpoint van de gateway van {first.size} vermeldingen is medeondertekend. Dit "
        "was de eerste keer: voortaan worden alleen checkpoints medeondertekend die het "
        "uitbreiden.\n",
    )
    assert be[0] == 0
    assert be[1].startswith(f"Le point de contrôle de la passerelle de {first.size} inscriptions")
    assert latest is not None
    assert again == (
        0,
        f"Cosigned the gateway's checkpoint of {latest.size} entries: it extends the checkpoint "
        f"of {first.size} entries cosigned before, and 0 other witness(es) cosigned the same.\n",
    )
    assert [c.partner_id for c in cosigned] == [LIEGE, LIMBURG]
    state = WitnessState.read(layout.partner_witness_state(LIMBURG), origin=DEFAULT_ORIGIN)
    assert state.checkpoint is not None
    assert f"\n{latest.size}\n".encode() in state.checkpoint


async def test_the_second_witness_of_a_size_sees_the_first_agree(
    layout: DataDir, scene: Scene
) -> None:
    async with gateway_in_process(not_sequencing(layout)) as gateway:
        scene.url = gateway.url
        sequencer = sequencer_for(gateway.store, layout)
        await sequencer.catch_up()
        for partner in (LIMBURG, LIEGE):
            assert (await scene.witness(partner))[0] == 0
        await sequencer.catch_up()
        assert (await scene.witness(LIMBURG))[0] == 0
        code, output = await scene.witness(LIEGE)

    assert code == 0, output
    assert output.endswith("and 1 other witness(es) cosigned the same.\n")


async def test_a_witness_carries_on_across_a_restart_of_the_gateway(
    layout: DataDir, scene: Scene
) -> None:
    port = free_port()
    scene.url = f"https://127.0.0.1:{port}"
    async with gateway_process(layout, port):
        await until_integrated(layout)
        first = await scene.witness(AACHEN, language="de")
        await until_integrated(layout)
    async with gateway_process(layout, port):
        code, output = await scene.witness(AACHEN, language="de")

    assert first[0] == 0, first[1]
    assert code == 0, output
    assert output.startswith("Der Checkpoint des Gateways mit ")
    assert "setzt den zuvor gegengezeichneten Checkpoint mit " in output


async def until_integrated(layout: DataDir) -> None:
    """Wait until the gateway process has put every entry into its tree."""
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        await integrated(store)


async def test_a_split_view_is_found_when_witnesses_compare_cosignatures(
    layout: DataDir, scene: Scene
) -> None:
    """nl-pol-limburg is shown one log of N entries and cosigns it; the operator rewrites the
    history and re-signs a checkpoint of the same size, which be-pol-liege, watching for the
    first time, is shown. Each alone could not tell; be-pol-liege's witness finds
    nl-pol-limburg's cosignature of N entries does not verify on the log it was shown."""
    async with gateway_in_process(not_sequencing(layout)) as gateway:
        scene.url = gateway.url
        shown_to_nl = await sequencer_for(gateway.store, layout).catch_up()
        assert shown_to_nl is not None
        assert (await scene.witness(LIMBURG))[0] == 0
        await tamper.swap_and_rechain(layout, 2, 3, up_to=shown_to_nl.size)
        shown_to_be = await gateway.store.latest_checkpoint()
        assert shown_to_be is not None
        assert (shown_to_be.size, shown_to_be.root) != (shown_to_nl.size, shown_to_nl.root)
        assert shown_to_be.size == shown_to_nl.size

        code, output = await scene.witness(LIEGE, language="fr")
        nl_code, nl_output = await scene.witness(LIMBURG)
        reports = await gateway.store.inconsistencies()

    assert code == 1
    assert output.startswith(
        "NON COSIGNÉ. Des journaux différents ont été montrés aux témoins : Le témoin de "
        f"nl-pol-limburg (nl-pol-limburg/witness) a cosigné un autre point de contrôle de "
        f"{shown_to_nl.size} inscriptions que celui que la passerelle vous montre"
    )
    assert "La passerelle a été informée (signalement " in output
    assert nl_code == 1
    assert "Two logs of the same size" in nl_output
    assert sorted((r.partner_id, r.kind) for r in reports) == [
        (LIEGE, "cosignatures-disagree"),
        (LIMBURG, "checkpoint-split-view"),
    ]
    evidence = next((layout.partner_dir(LIEGE) / "witness-evidence").iterdir())
    assert (evidence / "submitted.checkpoint").read_bytes().startswith(shown_to_be.note)
    assert json.loads((evidence / "refusal.json").read_text())["kind"] == "cosignatures-disagree"


async def test_a_partner_proves_its_receipts_entry_with_the_receipt_a_checkpoint_and_the_key(
    layout: DataDir, scene: Scene, tmp_path: Path
) -> None:
    receipt_file, keys_file = tmp_path / "receipt.json", tmp_path / "keys.json"
    signal = json.dumps(
        {**json.loads((Path("examples") / "nl-drug-waste-maastricht.json").read_text()),
         "sender_reference": "E2E-1"}
    )  # fmt: skip
    signal_file = tmp_path / "signal.json"
    signal_file.write_text(signal)
    async with scene.serving() as gateway:
        code, receipt_text = await scene.cli("send", str(signal_file), "--as", LIMBURG, "--json")
        assert code == 0, receipt_text
        receipt_file.write_text(receipt_text)
        async with gateway.client(LIMBURG) as client:
            keys_file.write_text(json.dumps({"keys": [
                {"key_id": k.key_id, "public_key": k.as_json()["public_key"]}
                for k in await gateway.store.gateway_keys()
            ]}))  # fmt: skip
        await integrated(gateway.store)
        checkpoint = await scene.save_checkpoint("kept.checkpoint")
        for number in range(3):
            await scene.send(gateway, f"LATER-{number}")
        await integrated(gateway.store)
        code, output = await scene.cli(
            "audit", "prove", str(receipt_file), "--as", LIMBURG,
            "--checkpoint", str(checkpoint), "--keys", str(keys_file), "--lang", "de",
        )  # fmt: skip
        async with gateway.client(LIMBURG) as client:
            status = await client.signal_status(json.loads(receipt_text)["signal_id"])

    receipt = json.loads(receipt_text)
    assert code == 0, output
    assert output.startswith(
        f"enthalten: Der Protokolleintrag der Meldung {receipt['signal_id']} "
        f"(Blatt {receipt['audit']['leaf_index']}) ist im signierten Checkpoint"
    )
    keys = json.loads(keys_file.read_text())["keys"]
    verifiers = log_verifiers(DEFAULT_ORIGIN, [unb64url(k["public_key"]) for k in keys])
    offline = prove_receipt(
        ReceiptLeaf.of(receipt),
        status["inclusion"]["checkpoint"].encode(),
        decode_proof(status["inclusion"]["proof"]),
        verifiers,
        origin=DEFAULT_ORIGIN,
    )
    assert offline.checkpoint.size == status["inclusion"]["tree_size"]


async def test_a_forged_receipt_is_not_proven(
    layout: DataDir, scene: Scene, tmp_path: Path
) -> None:
    async with scene.serving() as gateway:
        receipt = await scene.send(gateway, "FORGED-1")
        await integrated(gateway.store)
        forged = {**receipt, "audit": {**receipt["audit"], "leaf_hash": "A" * 43 + "="}}
        path = tmp_path / "forged.json"
        path.write_text(json.dumps(forged))
        code, output = await scene.cli("audit", "prove", str(path), "--as", LIMBURG, "--lang", "fr")
        path.write_text(json.dumps({"signal_id": "x"}))
        unreadable = await scene.cli("audit", "prove", str(path), "--as", LIMBURG, "--lang", "en")

    assert code == 1
    assert output.startswith(
        "NON VÉRIFIÉ : La preuve ne montre pas que l’inscription d’audit de la feuille "
        f"{receipt['audit']['leaf_index']}"
    )
    assert unreadable[0] == 1
    assert "This is not a receipt of the gateway" in unreadable[1]


def test_a_partner_makes_its_witness_key_and_the_administrator_registers_it(
    layout: DataDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kit = tmp_path / "kit"
    kit.mkdir()
    assert main(["partner-kit", "witness-key", "nl-gem-maastricht", "--out", str(kit)]) == 0
    assert stat.S_IMODE((kit / "witness.key").stat().st_mode) == 0o600
    vkey = (kit / "witness.vkey").read_text().strip()
    data = ["--data-dir", str(layout.root)]
    assert main(["partner", "witness-key", "add", "nl-gem-maastricht", "--key",
                 str(kit / "witness.vkey"), *data]) == 0  # fmt: skip
    assert main(["partner", "witness-key", "add", "nl-gem-maastricht", "--vkey", vkey, *data]) == 1
    assert main(["partner", "witness-key", "add", LIEGE, "--vkey", "not+a+key", *data]) == 1
    capsys.readouterr()
    assert main(["partner", "witness-key", "list", "nl-gem-maastricht", "--json", *data]) == 0
    listed = json.loads(capsys.readouterr().out)
    added = next(k for k in listed if k["vkey"] == vkey)
    retired = ["partner", "witness-key", "retire", "nl-gem-maastricht", added["key_id"], *data]
    assert main(retired) == 0

    async def kinds(store: Store) -> list[str]:
        return [e.kind for e in await store.audit_entries()]

    logged = with_store(layout, kinds)
    assert logged[-2:] == [EventKind.WITNESS_KEY_ADDED, EventKind.WITNESS_KEY_RETIRED]
    assert main(["partner", "witness-key", "list", "nl-gem-maastricht", *data]) == 0
    assert "nl-gem-maastricht/witness" in capsys.readouterr().out


async def test_send_names_the_receipts_leaf_in_the_audit_log(scene: Scene, tmp_path: Path) -> None:
    signal_file = tmp_path / "signal.json"
    signal_file.write_text((Path("examples") / "nl-drug-waste-maastricht.json").read_text())
    async with scene.serving():
        code, output = await scene.cli("send", str(signal_file), "--as", LIMBURG, "--lang", "en")

    assert code == 0, output
    seq = int(next(line for line in output.splitlines() if "audit entry" in line).split()[2])
    (leaf,) = [line for line in output.splitlines() if line.startswith("  audit leaf    ")]
    assert leaf.split()[2] == str(seq - 1)


def test_a_witness_without_its_key_or_with_a_foreign_state_is_refused_by_name(
    layout: DataDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "witness.state"
    state.write_text('{"format": "something else"}')
    data = ["--data-dir", str(layout.root), "--url", "https://127.0.0.1:9"]
    witness = ["witness", "run", "--once", "--as", LIMBURG, "--lang", "en", *data]

    assert main([*witness, "--witness-key", str(tmp_path / "none.key")]) == 1
    assert f"cannot read {tmp_path / 'none.key'}" in capsys.readouterr().err
    assert main([*witness, "--state", str(state)]) == 1
    assert f"{state} is not a witness state" in capsys.readouterr().err
