"""Exports of the audit search are cut at a checkpoint: they hold the exchanges it covers, with
the entries that prove them, and ``euregate audit export-verify`` checks every row against
its entry and every entry against the gateway's signed checkpoint."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from gateway.decide.decision import Verdict
from gateway.edges.web.export import Export, make_export
from gateway.registry import datadir
from gateway.store import ExchangeQuery
from gateway.transparency.exported import ExportCut, cut_at_checkpoint
from tests.conftest import gateway_in_process
from tests.transparency_scene import Scene, integrated, not_sequencing, sequencer_for


def exported(scene: Scene, cut: ExportCut, folder: Path, *, format: str = "csv") -> Export:
    """The export as compliance staff download it, unpacked into ``folder``."""
    made = make_export(
        (),
        format="json" if format == "json" else "csv",
        query=ExchangeQuery(),
        exported_at="2026-12-04T10:00:00.000000Z",
        exported_by="staff:a.peeters",
        signer=datadir.load_signer(scene.layout),
        cut=cut,
    )
    folder.mkdir(exist_ok=True)
    (folder / made.file_name).write_bytes(made.data)
    (folder / made.manifest_name).write_bytes(made.manifest_bytes)
    assert made.entries is not None
    (folder / made.entries_name).write_bytes(made.entries)
    return made


async def export_verify(scene: Scene, made: Export, folder: Path) -> tuple[int, str]:
    return await scene.cli(
        "audit", "export-verify", str(folder / made.file_name), str(folder / made.manifest_name)
    )


async def test_every_row_of_an_export_is_proven_by_its_entry_in_the_signed_checkpoint(
    scene: Scene, tmp_path: Path
) -> None:
    async with scene.serving() as gateway:
        for number in range(3):
            await scene.send(gateway, f"EXPORT-{number}")
        await integrated(gateway.store)
        found = await gateway.store.export_exchanges(ExchangeQuery())
        cut = await cut_at_checkpoint(gateway.store, found)
    assert cut is not None
    assert cut.exchanges == tuple(found)
    assert len(found) == 6

    for format in ("csv", "json"):
        made = exported(scene, cut, tmp_path / format, format=format)
        code, output = await export_verify(scene, made, tmp_path / format)
        assert code == 0, output
        assert output.splitlines()[-1] == (
            f"every row proven by its audit entry in the gateway's checkpoint of {cut.size} "
            f"entries (root {made.manifest['audit_entries']['root']})"  # type: ignore[index]
        )


async def test_a_row_that_says_other_than_its_entry_is_named_even_when_signed(
    scene: Scene, tmp_path: Path
) -> None:
    async with scene.serving() as gateway:
        await scene.send(gateway, "EXPORT-FORGED")
        await integrated(gateway.store)
        cut = await cut_at_checkpoint(
            gateway.store, await gateway.store.export_exchanges(ExchangeQuery())
        )
    assert cut is not None
    first, *rest = cut.exchanges
    forged = dataclasses.replace(first, verdict=Verdict.DENY, rule_ids=("99",))
    made = exported(scene, dataclasses.replace(cut, exchanges=(forged, *rest)), tmp_path)

    code, output = await export_verify(scene, made, tmp_path)

    assert code == 1
    assert output.splitlines() == [
        f"NOT VERIFIED: row 1: its verdict is not what the entry of signal {first.signal_id} says",
        f"NOT VERIFIED: row 1: its rule_ids is not what the entry of signal {first.signal_id} says",
    ]


async def test_an_entry_changed_in_the_export_is_not_in_the_checkpoint(
    scene: Scene, tmp_path: Path
) -> None:
    async with scene.serving() as gateway:
        await scene.send(gateway, "EXPORT-ENTRY")
        await integrated(gateway.store)
        cut = await cut_at_checkpoint(
            gateway.store, await gateway.store.export_exchanges(ExchangeQuery())
        )
    assert cut is not None
    document = json.loads(cut.entries)
    (item,) = document["entries"]
    item["entry"] = item["entry"].replace('"urgency":"', '"urgency":"x', 1)
    made = exported(
        scene, dataclasses.replace(cut, entries=json.dumps(document).encode()), tmp_path
    )
    code, output = await export_verify(scene, made, tmp_path)

    assert code == 1
    assert (
        f"NOT VERIFIED: the entry at leaf {item['leaf_index']} is not in the checkpoint of "
        f"{cut.size} entries"
    ) in output.splitlines()

    (tmp_path / made.entries_name).write_bytes(b"{}")
    code, output = await export_verify(scene, made, tmp_path)
    assert (code, output) == (
        1,
        "NOT VERIFIED: the audit entries are not the file the manifest names (SHA-256)\n",
    )
    assert hashlib.sha256(made.entries or b"").hexdigest() != hashlib.sha256(b"{}").hexdigest()


async def test_an_export_holds_only_what_its_checkpoint_covers(scene: Scene) -> None:
    async with gateway_in_process(not_sequencing(scene.layout)) as gateway:
        scene.url = gateway.url
        await scene.send(gateway, "COVERED")
        checkpoint = await sequencer_for(gateway.store, scene.layout).catch_up()
        later = await scene.send(gateway, "NOT-YET")
        cut = await cut_at_checkpoint(
            gateway.store, await gateway.store.export_exchanges(ExchangeQuery())
        )

    assert checkpoint is not None
    assert cut is not None
    assert cut.size == checkpoint.size
    assert later["signal_id"] not in {e.signal_id for e in cut.exchanges}
    assert {e.sender_id for e in cut.exchanges} == {"nl-pol-limburg"}
    assert len(cut.exchanges) == 2
