"""The restore drill, with real processes as an operator runs them: the gateway serves, partners
post (a Dutch signal released by liaison officers for Liège and Aachen, a Belgian one sealed for
the Dutch police at once), ``euregate backup`` runs while a partner keeps posting, ``euregate
restore`` refuses to go back behind the live log and then restores into a new directory, the
restored copy serves, ``euregate audit verify`` passes on it, its counts are the manifest's, and
the partners pull their envelopes from it and open them with their own keys."""

from __future__ import annotations

import asyncio
import sys
import tarfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from euregate_client import EuregateClient, Message, Problem, open_message

from gateway.edges.staff_client import StaffClient
from gateway.infra import seal
from gateway.infra.config import DataDir
from gateway.registry.backup.manifest import Manifest
from gateway.store.interface.maintenance import StoreFacts
from gateway.store.sqlite import SqliteMaintenance
from tests.conftest import REPO, client_context, free_port, gateway_process
from tests.polling import until
from tests.review_release import release_as_written

DUTCH = "nl-drug-waste-maastricht.json"
LANAKEN = "be-cannabis-lanaken.json"


@dataclass(frozen=True)
class Served:
    """A gateway process's listeners, and the data directory whose certificates reach them."""

    layout: DataDir
    port: int
    staff_port: int

    def client(self, partner_id: str) -> EuregateClient:
        context = client_context(self.layout, partner_id)
        return EuregateClient(f"https://127.0.0.1:{self.port}", ssl_context=context)

    def staff_client(self, token: str) -> StaffClient:
        context = client_context(self.layout, None)
        return StaffClient(f"https://127.0.0.1:{self.staff_port}", token=token, ssl_context=context)


@dataclass
class Load:
    """A partner that posts signals, one after another, until told to stop."""

    served: Served
    document: dict[str, Any]
    accepted: list[str] = field(default_factory=list)
    stopped: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        async with self.served.client("be-pol-lanaken") as partner:
            while not self.stopped.is_set():
                reference = f"LOAD/{len(self.accepted)}"
                try:
                    receipt = await partner.post_signal(
                        {**self.document, "sender_reference": reference}
                    )
                except Problem as refused:
                    if refused.status != 429:  # only the partner's share may hold it back
                        raise
                    await asyncio.sleep(0.2)
                    continue
                self.accepted.append(str(receipt["signal_id"]))


async def command(*argv: str | Path) -> tuple[int, str, str]:
    """``euregate ...`` as its own process; its exit code, standard output and error."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", *map(str, argv), cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def pull(served: Served, partner_id: str, partner_keys: DataDir) -> list[Message]:
    """Everything waiting in ``partner_id``'s inbox, verified and opened with the private key
    the partner keeps (``partner_keys``), not acknowledged."""
    private_key = seal.load_private_key(
        partner_keys.partner_encryption_key(partner_id).read_bytes()
    )
    async with served.client(partner_id) as client:
        keys = await client.gateway_keys()
        entries = (await client.inbox_page(limit=500))["envelopes"]
    return [
        open_message(entry, private_key=private_key, recipient_id=partner_id, gateway_keys=keys)
        for entry in entries
    ]


async def waiting(served: Served, partner_id: str) -> int:
    async with served.client(partner_id) as client:
        return len((await client.inbox_page(limit=500))["envelopes"])


def manifest_of(archive: Path) -> Manifest:
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        return Manifest.from_bytes(member.read())


async def test_back_up_under_load_restore_elsewhere_and_serve_the_restored_copy(
    layout: DataDir,
    tmp_path: Path,
    example: Callable[[str], dict[str, Any]],
    staff_token: Callable[..., Awaitable[str]],
) -> None:
    archive = tmp_path / "euregate-backup.tar"
    restored = DataDir(tmp_path / "restored")
    tokens = {
        desk: await staff_token(f"officer.{desk.lower()}", desk=desk) for desk in ("BE", "DE")
    }
    live = Served(layout, free_port(), free_port())

    async with gateway_process(layout, live.port, staff_port=live.staff_port):
        async with live.client("nl-pol-limburg") as police:
            dutch = str((await police.post_signal(example(DUTCH)))["signal_id"])
        for token in tokens.values():
            async with live.staff_client(token) as desk:
                for item in await desk.queue():
                    await release_as_written(desk, item["id"])
        async with live.client("be-pol-lanaken") as lanaken_police:
            lanaken = str((await lanaken_police.post_signal(example(LANAKEN)))["signal_id"])
        for recipient in ("be-pol-liege", "de-pol-aachen", "nl-pol-limburg"):
            await until(lambda recipient=recipient: _has_mail(live, recipient))

        load = Load(live, example(LANAKEN))
        posting = asyncio.create_task(load.run())
        await until(lambda: _at_least(load, 3))
        accepted_before_backup = list(load.accepted)
        backed_up = await command("backup", "--data-dir", layout.root, "--out", archive)
        after_backup = len(load.accepted)
        await until(lambda: _at_least(load, after_backup + 3))
        load.stopped.set()
        await posting
        behind = await command(
            "restore", archive, "--data-dir", tmp_path / "behind", "--against", layout.root
        )

    assert backed_up[0] == 0, backed_up[2]
    assert behind[0] == 1
    assert "roll the log back" in behind[2]
    assert not (tmp_path / "behind").exists()
    manifest = manifest_of(archive)
    live_facts = await SqliteMaintenance(layout.database).facts()
    assert live_facts is not None
    assert 2 + len(accepted_before_backup) <= manifest.counts["signals"]
    assert manifest.counts["signals"] < live_facts.counts["signals"]

    restoring = await command(
        "restore", archive, "--data-dir", restored.root, "--master-key", layout.master_key,
        "--no-newer-log",
    )  # fmt: skip
    verified = await command("audit", "verify", "--data-dir", restored.root)
    facts = await SqliteMaintenance(restored.database).facts()

    restored_as_the_manifest_says(manifest, restoring, verified, facts)

    copy = Served(restored, free_port(), free_port())
    async with gateway_process(restored, copy.port, staff_port=copy.staff_port):
        liege = await pull(copy, "be-pol-liege", layout)
        aachen = await pull(copy, "de-pol-aachen", layout)
        limburg = await pull(copy, "nl-pol-limburg", layout)
        async with copy.client("be-pol-lanaken") as sender:
            statuses = [await sender.signal_status(id_) for id_ in accepted_before_backup]

    assert [(m.signal_id, m.content["review"]) for m in liege] == [(dutch, "released")]
    assert [(m.signal_id, m.content["review"]) for m in aachen] == [(dutch, "released")]
    assert liege[0].content["document"]["locale"] == "fr_BE"
    assert lanaken in {message.signal_id for message in limburg}
    assert [status["signal_id"] for status in statuses] == accepted_before_backup


def restored_as_the_manifest_says(
    manifest: Manifest,
    restoring: tuple[int, str, str],
    verified: tuple[int, str, str],
    facts: StoreFacts | None,
) -> None:
    """The restore and ``audit verify`` on the restored copy succeeded, and the restored store
    holds what the manifest counts, with the restore as its log's next entry."""
    assert restoring[0] == 0, restoring[2]
    assert verified[0] == 0, verified
    restored_entries = manifest.log.entries + 1
    assert verified[1].startswith(f"audit chain intact: {restored_entries} entries")
    assert facts is not None
    assert dict(facts.counts) == {**manifest.counts, "audit_entries": restored_entries}
    assert (facts.audit_seq, facts.tree_size) == (restored_entries, manifest.log.tree_size)


async def _has_mail(served: Served, partner_id: str) -> bool:
    return await waiting(served, partner_id) > 0


async def _at_least(load: Load, count: int) -> bool:
    return len(load.accepted) >= count
