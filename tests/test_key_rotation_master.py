"""Rotating the master key: every sealed value re-wrapped under a new version, resumable after
a SIGKILL, while a real gateway serves; the old key can then be deleted."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from euregate_client import EuregateClient, open_message
from hypothesis import given
from hypothesis import strategies as st

from gateway.flow.rejection import open_reason
from gateway.flow.rewrap import CONTEXTS
from gateway.infra.audit import refs
from gateway.infra.audit.kinds import EventKind
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.infra.datafiles import load_master_key
from gateway.infra.keyring import read_keyring, write_keyring
from gateway.infra.seal import load_private_key
from gateway.infra.vault import FileKey, MasterKey, SealedBlob, VaultError, create_key_file
from gateway.registry.admin.master_key import rotate_master_key
from gateway.store import SealedColumn
from gateway.store.sqlite import SqliteStore
from gateway.translate.memory import _DERIVED, _SEAL_PURPOSE, MemorySealer, _context
from gateway.translate.memory_store import DESK_SEAL, MemoryRecord
from tests.conftest import REPO, RunningGateway, client_context, free_port, gateway_process
from tests.polling import until
from tests.review_release import release_as_written

SENDER = "be-pol-lanaken"
READER = "nl-pol-limburg"
EXAMPLE = "be-cannabis-lanaken.json"


def versions_of_bodies(layout: DataDir) -> list[int]:
    """The master key version of each stored signal body, read as the file says (read-only):
    its key row names it."""
    with sqlite3.connect(f"file:{layout.database}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT k.sealed_key, s.sealed_body FROM signals s "
            "JOIN signal_keys k ON k.signal_id = s.id"
        ).fetchall()
    return [SealedBlob.from_bytes(bytes(row[0]) + bytes(row[1])).key_version for row in rows]


async def euregate(layout: DataDir, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "gateway", *args, "--data-dir", str(layout.root)),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


async def post(url: str, layout: DataDir, template: dict[str, Any], references: range) -> None:
    async with EuregateClient(url, ssl_context=client_context(layout, SENDER)) as client:
        for n in references:
            await client.post_signal({**template, "sender_reference": f"ROTATE-{n}"})


async def every_sealed_value_opens(layout: DataDir, master_key: MasterKey) -> int:
    """Open every value the store keeps sealed; how many there were."""
    opened = 0
    memory = MemorySealer(master_key)
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        for column in SealedColumn:
            for value in await store.sealed_values(column, after="", limit=10**6, not_version=0):
                blob = SealedBlob.from_bytes(value.sealed)
                assert blob.key_version == master_key.version
                if column == SealedColumn.MEMORY_ENTRY:
                    record = await store.memory_record(value.row_id)
                    assert record is not None
                    assert memory.open(record) is not None
                else:
                    master_key.open(blob, context=CONTEXTS[column](value.row_id))
                opened += 1
    return opened


async def test_a_rotation_killed_halfway_resumes_and_the_old_key_can_go(
    layout: DataDir, example: Callable[[str], dict[str, Any]]
) -> None:
    template = example(EXAMPLE)
    secret_before = load_master_key(layout).derive(b"a purpose")
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    async with gateway_process(layout, port):
        await post(url, layout, template, range(30))
        assert set(versions_of_bodies(layout)) == {1}

        rotation = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "gateway", "keys", "rotate-master"),
            *("--data-dir", str(layout.root), "--batch", "3", "--pause", "0.5"),
            cwd=REPO,
            stdout=asyncio.subprocess.DEVNULL,
        )

        async def first_batch_committed() -> bool:
            return 2 in versions_of_bodies(layout)

        await until(first_batch_committed)
        rotation.send_signal(signal.SIGKILL)
        await rotation.wait()

        halfway = versions_of_bodies(layout)
        assert 1 in halfway, "the kill must come before the rotation finished"
        assert 2 in halfway
        keyring = read_keyring(layout)
        assert keyring.current.version == 2
        assert [v.version for v in keyring.draining] == [1]

        # The gateway was told: what it seals now is under the new version.
        await post(url, layout, template, range(30, 35))
        assert versions_of_bodies(layout).count(2) >= 5 + halfway.count(2)

        code, output = await euregate(layout, "keys", "rotate-master", "--batch", "7")
        assert code == 0, output
        assert "finishing the rotation to master key version 2" in output
        assert set(versions_of_bodies(layout)) == {2}
        assert read_keyring(layout).versions[0].state == "retired"

    layout.master_key.unlink()  # the operator deletes the retired key
    master_key = load_master_key(layout)
    assert master_key.versions == (2,)
    assert master_key.derive(b"a purpose") == secret_before
    assert await every_sealed_value_opens(layout, master_key) >= 35

    async with gateway_process(layout, port):
        await post(url, layout, template, range(35, 36))
        private = load_private_key(layout.partner_encryption_key(READER).read_bytes())
        async with EuregateClient(url, ssl_context=client_context(layout, READER)) as reader:
            keys = await reader.gateway_keys()

            async def all_delivered() -> bool:
                return len((await reader.inbox_page(limit=500))["envelopes"]) == 36

            await until(all_delivered)
            for entry in (await reader.inbox_page(limit=500))["envelopes"]:
                message = open_message(
                    entry, private_key=private, recipient_id=READER, gateway_keys=keys
                )
                assert message.text

    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        kinds = [entry.kind for entry in await store.audit_entries()]
    assert kinds.count(EventKind.MASTER_KEY_ROTATION_STARTED) == 1
    assert kinds.count(EventKind.MASTER_KEY_ROTATED) == 1
    code, output = await euregate(layout, "audit", "verify")
    assert code == 0, output


@given(
    plaintext=st.binary(max_size=512),
    context=st.binary(max_size=64),
    first=st.binary(min_size=32, max_size=32),
)
def test_a_rewrapped_blob_opens_to_the_same_body_under_the_new_version_only(
    plaintext: bytes, context: bytes, first: bytes
) -> None:
    old = MasterKey(first)
    sealed = old.seal(plaintext, context=context)
    newer = MasterKey.of([*_versions(old), _file_key(2)], root=first)
    rewrapped = newer.rewrap(sealed, context=context)
    assert rewrapped.key_version == 2
    assert rewrapped.ciphertext == sealed.ciphertext
    assert newer.open(rewrapped, context=context) == plaintext
    with pytest.raises(VaultError):
        old.open(rewrapped, context=context)
    with pytest.raises(VaultError):
        newer.rewrap(sealed, context=context + b"x")
    assert newer.derive(b"p") == old.derive(b"p")


def _file_key(version: int) -> FileKey:
    return FileKey(bytes(range(32)), version=version)


def _versions(key: MasterKey) -> list[FileKey]:
    return [FileKey(key.root(), version=1)]


def test_a_keyring_file_that_names_no_current_version_is_refused(layout: DataDir) -> None:
    retired = {"version": 1, "key": "file:master.key", "state": "retired"}
    layout.keyring.write_text(json.dumps({"format": 1, "versions": [retired]}))
    with pytest.raises(VaultError, match="exactly one current"):
        load_master_key(layout)


async def test_every_kind_of_sealed_value_is_rewrapped_and_still_opens_where_it_is_used(
    gateway: RunningGateway,
    staff_token: Callable[..., Awaitable[str]],
    example: Callable[[str], dict[str, Any]],
) -> None:
    """Signal bodies, the texts an officer released, a rejection's reason, a TOTP secret."""
    token = await staff_token("m.dubois", desk="BE")
    signal = example("nl-drug-waste-maastricht.json")
    async with gateway.client("nl-pol-limburg") as partner:
        for reference in ("R-1", "R-2"):
            await partner.post_signal({**signal, "sender_reference": reference})
    async with gateway.staff_client(token) as officer:
        first, second = await officer.queue()
        await release_as_written(
            officer, first["id"], {"/summary": "Déchets de drogues, Lage Kanaaldijk"}
        )
        await officer.reject(
            second["id"], "Doublon d'un signalement de la semaine dernière", "duplicate"
        )

    before = load_master_key(gateway.layout)
    rotated = await rotate_master_key(gateway.layout, gateway.store, actor=refs.admin("t"), batch=1)
    assert rotated.progress.rewrapped[SealedColumn.SIGNAL_BODY] == 2
    assert rotated.progress.rewrapped[SealedColumn.RELEASED_TEXT] == 1
    assert rotated.progress.rewrapped[SealedColumn.REJECTION_REASON] == 1
    assert rotated.progress.rewrapped[SealedColumn.STAFF_TOTP] == 1
    assert rotated.progress.rewrapped[SealedColumn.MEMORY_ENTRY] == 1  # the corrected summary

    gateway.layout.master_key.unlink()
    after = load_master_key(gateway.layout)
    assert after.versions == (2,)
    assert await every_sealed_value_opens(gateway.layout, after) == 6
    assert after.derive(b"pseudonyms") == before.derive(b"pseudonyms")
    (sealed,) = await gateway.store.sealed_values(
        SealedColumn.REJECTION_REASON, after="", limit=10, not_version=0
    )
    reason = open_reason(after, second["id"], sealed.sealed)
    assert reason == "Doublon d'un signalement de la semaine dernière"


def test_a_memory_entry_of_before_keys_rotated_is_sealed_anew_under_the_new_version() -> None:
    first = bytes(range(32))
    old = MasterKey(first)
    record = MemoryRecord(
        id="m-1",
        source_language="nl",
        target_language="fr",
        source_key="k" * 64,
        desk="BE",
        sealed=b"",
        seal_version=DESK_SEAL,
        officer_id="m.dubois",
        created_at=datetime.now(UTC),
    )
    context = _context(_DERIVED, "nl", "fr", "k" * 64, "BE", "m.dubois", None)
    before = MasterKey(old.derive(_SEAL_PURPOSE)).seal(
        json.dumps({"source": "Drugsafval", "target": "Déchets de drogues"}).encode(),
        context=context,
    )
    record = replace(record, sealed=before.to_bytes())
    assert MemorySealer(old).open(record) is not None

    rotated = MasterKey.of([FileKey(first, version=1), _file_key(2)], root=first)
    resealed = replace(record, sealed=MemorySealer(rotated).rewrapped(record))
    only_new = MasterKey.of([_file_key(2)], root=first)
    entry = MemorySealer(only_new).open(resealed)
    assert entry is not None
    assert (entry.source, entry.target) == ("Drugsafval", "Déchets de drogues")
    assert SealedBlob.from_bytes(resealed.sealed).key_version == 2
    moved = replace(resealed, desk="DE")
    assert MemorySealer(only_new).open(moved) is None


async def test_an_unfinished_rotation_is_finished_before_another_may_begin(
    layout: DataDir,
) -> None:
    write_keyring(layout, read_keyring(layout).rotated_to("file:master.v2.key"))
    create_key_file(layout.master_key_version(2), version=2)
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        with pytest.raises(VaultError, match="not finished yet"):
            await rotate_master_key(
                layout, store, actor=refs.admin("t"), to="pkcs11:token=t;object=o"
            )
        assert read_keyring(layout).current.version == 2
        finished = await rotate_master_key(layout, store, actor=refs.admin("t"))
    assert finished.resumed
    assert (finished.version, finished.retired) == (2, (1,))
    code, output = await euregate(layout, "keys", "list")
    assert code == 0
    assert [line.split()[:2] for line in output.splitlines()[1:]] == [
        ["1", "retired"],
        ["2", "current"],
    ]
