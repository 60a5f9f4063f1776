"""Tampering with a real data directory behind the gateway's back, each time found: by
``euregate audit verify --checkpoint`` against a checkpoint saved before, and, where the
gateway then shows another log, by a partner's witness that cosigned before.

Before each tampering the gateway ran, took signals, was witnessed by nl-pol-limburg, and a
checkpoint of the whole log was saved; a backup of the database was taken half-way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.infra.config import DataDir
from tests import tamper
from tests.transparency_scene import Scene, integrated

WITNESS = "nl-pol-limburg"


@dataclass(frozen=True)
class Before:
    """What the scene held before the tampering."""

    checkpoint: Path
    size: int
    backup: Path
    backup_size: int


async def prepared(scene: Scene) -> Before:
    async with scene.serving() as gateway:
        for number in range(2):
            await scene.send(gateway, f"TAMPER-{number}")
        backup_size = await integrated(gateway.store)
        backup = scene.layout.root.parent / "backup.db"
        tamper.back_up(scene.layout, backup)
        for number in range(2, 4):
            await scene.send(gateway, f"TAMPER-{number}")
        await integrated(gateway.store)
        code, output = await scene.witness(WITNESS)
        assert code == 0, output
        size = await integrated(gateway.store)
        saved = await scene.save_checkpoint("before.checkpoint")
    return Before(saved, size, backup, backup_size)


Tampering = Callable[[DataDir, Before], Awaitable[None]]


async def delete_last(layout: DataDir, before: Before) -> None:
    assert tamper.delete_last_entry(layout) == before.size


async def delete_last_and_resign(layout: DataDir, before: Before) -> None:
    tamper.delete_last_entry(layout)
    await tamper.rebuild_tree(layout)


async def delete_middle_and_rechain(layout: DataDir, before: Before) -> None:
    await tamper.delete_and_rechain(layout, before.size // 2)


async def change_first_entry(layout: DataDir, before: Before) -> None:
    tamper.change_one_byte(layout, 1)


async def change_middle_entry(layout: DataDir, before: Before) -> None:
    tamper.change_one_byte(layout, before.size // 2)


async def change_last_entry(layout: DataDir, before: Before) -> None:
    tamper.change_one_byte(layout, before.size)


async def reorder_and_rechain(layout: DataDir, before: Before) -> None:
    await tamper.swap_and_rechain(layout, before.size - 3, before.size - 1)


async def restore_backup(layout: DataDir, before: Before) -> None:
    tamper.restore(layout, before.backup)


def said(size: int, differs_at: int) -> str:
    """How ``verify --checkpoint`` begins to say where the log parts from the checkpoints."""
    return (
        f"NOT VERIFIED: The audit log of {size} entries no longer has the tree of the first "
        f"{differs_at} entries that the gateway signed"
    )


CASES = [
    # tampering, entries left (None: as many as the backup), the witness's refusal, if any.
    # The last entry is the witness's own cosignature, which no checkpoint it cosigned covers:
    # only the checkpoint saved after it does.
    pytest.param(delete_last, -1, None, id="delete the last entry"),
    pytest.param(delete_last_and_resign, -1, None, id="delete the last entry, re-sign"),
    pytest.param(
        delete_middle_and_rechain, -1, "checkpoint-split-view", id="delete a middle one, re-chain"
    ),
    pytest.param(change_first_entry, 0, None, id="change a byte of the first entry"),
    pytest.param(change_middle_entry, 0, None, id="change a byte of a middle entry"),
    pytest.param(change_last_entry, 0, None, id="change a byte of the last entry"),
    pytest.param(
        reorder_and_rechain, 0, "consistency-unproven", id="reorder two entries, re-chain"
    ),
    pytest.param(restore_backup, None, "checkpoint-rollback", id="restore an older backup"),
]


@pytest.mark.parametrize(("tampering", "left", "refusal"), CASES)
async def test_tampering_is_found_against_a_checkpoint_saved_before(
    layout: DataDir,
    scene: Scene,
    tampering: Tampering,
    left: int | None,
    refusal: str | None,
) -> None:
    before = await prepared(scene)

    await tampering(layout, before)

    size = before.backup_size if left is None else before.size + left
    code, output = await scene.verify(before.checkpoint)
    report = await scene.verify_json(before.checkpoint)

    assert code == 1, output
    assert (report["ok"], report["size"]) == (False, size)
    assert report["agrees_up_to"] < report["differs_at"] <= before.size
    assert output.startswith(said(size, report["differs_at"])), output

    async with scene.serving():
        code, output = await scene.witness(WITNESS, language="de")
    if refusal is not None:
        assert code == 1, output
        assert "NICHT GEGENGEZEICHNET" in output
        evidence = sorted((layout.partner_dir(WITNESS) / "witness-evidence").iterdir())
        assert [folder.name.endswith(refusal) for folder in evidence] == [True]
        assert (evidence[0] / "previous.checkpoint").exists()
    else:
        assert code == 0, output


async def test_the_log_untouched_is_consistent_with_the_checkpoint_saved_before(
    layout: DataDir, scene: Scene
) -> None:
    before = await prepared(scene)

    code, output = await scene.verify(before.checkpoint, language="nl")

    assert code == 0, output
    assert output.startswith(f"consistent: de auditlog van {before.size} vermeldingen")
