"""Rotating the master key (``euregate keys rotate-master``), resumable and crash-safe.

1. The new version is made first: a key file written whole and synced beside the old one
   (``keys/master.vN.key``), or an AES key already in an HSM token (a ``pkcs11:`` URI). Then
   the keyring file names it current and the old versions draining. A crash before that leaves
   at most an unused key file, which the next run takes up.
2. The derivation root and the gateway's signing key are sealed anew under it (each file
   replaced whole), and a running gateway is told (SIGHUP), so that it seals under the new
   version too while it still opens the old.
3. Every value the store keeps sealed is re-wrapped in batches, each committed on its own
   (:mod:`gateway.flow.rewrap`). Killed at any point, the next run begins at step 3 again.
4. When nothing is left under an old version, the keyring retires it. Its file (or token
   object) stays until the operator deletes it: it still opens backups made before.

Both the start and the end are audited.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gateway.flow.rewrap import Progress, left_to_rewrap, rewrap_all
from gateway.infra.audit import events
from gateway.infra.audit.refs import Ref
from gateway.infra.config import DataDir
from gateway.infra.datafiles import SIGNING_KEY_CONTEXT
from gateway.infra.keyring import (
    KeyVersion,
    open_keyring,
    read_keyring,
    replace_file,
    seal_derivation_root,
    wrapping_key,
    write_keyring,
)
from gateway.infra.vault import MasterKey, SealedBlob, VaultError, create_key_file
from gateway.store import Store

MAX_PASSES = 5
"""Passes over the store before a rotation gives up finishing: a gateway that was not told of
the new version keeps sealing under the old one (restart it, then run again)."""


@dataclass(frozen=True)
class Rotated:
    """What a run did: the current version, the versions it retired, the values re-wrapped."""

    version: int
    retired: tuple[int, ...]
    progress: Progress
    resumed: bool


async def rotate_master_key(
    layout: DataDir,
    store: Store,
    *,
    actor: Ref,
    to: str | None = None,
    batch: int = 500,
    pause: float = 0.0,
    on_batch: Callable[[Progress], None] = lambda _: None,
) -> Rotated:
    """Rotate to a new version (a new key file, or the HSM key ``to`` names), or finish the
    rotation a previous run began."""
    keyring = read_keyring(layout)
    resumed = bool(keyring.draining)
    if resumed:
        if to is not None and to != keyring.current.key:
            raise VaultError(
                f"a rotation to version {keyring.current.version} is not finished yet; "
                "run `euregate keys rotate-master` without --to to finish it first"
            )
    else:
        await _begin(layout, store, actor=actor, to=to)
    master_key = open_keyring(layout)
    _seal_files_anew(layout, master_key)
    _tell_running_gateway(layout)
    progress = Progress()
    for _ in range(MAX_PASSES):
        done = await rewrap_all(store, master_key, batch=batch, pause=pause, on_batch=on_batch)
        for column, count in done.rewrapped.items():
            progress.rewrapped[column] += count
        if not await left_to_rewrap(store, master_key):
            break
    else:
        raise VaultError(
            "values are still being sealed under an older master key version: restart every "
            "gateway that serves from this data directory, then run the rotation again"
        )
    keyring = read_keyring(layout)
    retired = tuple(v.version for v in keyring.draining)
    write_keyring(layout, keyring.finished())
    await store.record(
        events.MasterKeyRotated(
            by=actor,
            version=master_key.version,
            retired=retired,
            rewrapped={str(column): count for column, count in progress.rewrapped.items()},
        )
    )
    return Rotated(master_key.version, retired, progress, resumed)


async def _begin(layout: DataDir, store: Store, *, actor: Ref, to: str | None) -> None:
    keyring = read_keyring(layout)
    old = open_keyring(layout)
    if not layout.derivation_key.exists():
        seal_derivation_root(layout, old)  # the root of a directory made before keys rotated
    version = keyring.next_version
    if to is None:
        path = layout.master_key_version(version)
        if not path.exists():  # else a run that crashed here wrote it whole (linked into place)
            create_key_file(path, version=version)
        spec = f"file:{path.name}"
    else:
        wrapping_key(to, version, layout.master_key.parent)  # it must open before it is named
        spec = to
    write_keyring(layout, keyring.rotated_to(spec))
    await store.record(
        events.MasterKeyRotationStarted(
            by=actor,
            version=version,
            holder=_holder(KeyVersion(version, spec, "current")),
            draining=tuple(v.version for v in keyring.versions if v.state != "retired"),
        )
    )


def _seal_files_anew(layout: DataDir, master_key: MasterKey) -> None:
    """The derivation root and the signing key, sealed under the current version."""
    seal_derivation_root(layout, master_key)
    if layout.signing_key.exists():
        sealed = SealedBlob.from_bytes(layout.signing_key.read_bytes())
        if sealed.key_version != master_key.version:
            fresh = master_key.rewrap(sealed, context=SIGNING_KEY_CONTEXT)
            replace_file(layout.signing_key, fresh.to_bytes())


def _tell_running_gateway(layout: DataDir) -> None:
    """SIGHUP the gateway serving from this directory, if one does: it reads the keyring again.
    A pid file a crash left behind may name another program by now, which is left alone."""
    try:
        pid = int(layout.pid_file.read_text().strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if b"euregate" in command or b"gateway" in command:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGHUP)


def _holder(version: KeyVersion) -> str:
    return "pkcs11" if version.key.startswith("pkcs11:") else "file"
