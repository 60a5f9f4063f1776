"""Making a backup of a data directory while the gateway serves (``euregate backup``).

The archive holds a consistent copy of the store, the deployment's configuration (the settings
file, the policy) and every other file of the data directory: the signing key sealed under the
master key, the certificate authority, the server's and the partners' certificates. It never
holds the master key: that stays in its own file (or the HSM), and the manifest names it only
by its key id.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from gateway.infra.audit import timestamp
from gateway.infra.config import DataDir
from gateway.infra.errors import BackupExists
from gateway.infra.vault import MasterKey
from gateway.registry.backup.archive import describe, write_archive
from gateway.registry.backup.manifest import (
    STORE_MEMBERS,
    LogPoint,
    Manifest,
    master_key_id,
)
from gateway.store.interface.maintenance import Copied, StoreMaintenance

LEFT_OUT: Final = frozenset(
    {
        "euregate.db",
        "euregate.db-wal",
        "euregate.db-shm",
        "euregate.db-journal",
        "euregate.db.writer",
    }
)
"""Files of the data directory never archived as they are: the store is copied consistently
instead, and the writers' turn (:mod:`gateway.store.sqlite.writer_turn`) is a lock, not data."""


@dataclass(frozen=True)
class Configuration:
    """Files of the deployment outside the data directory that the archive keeps too."""

    settings_file: Path | None = None
    policy_file: Path | None = None


async def make_backup(
    layout: DataDir,
    out: Path,
    *,
    store: StoreMaintenance,
    master_key: MasterKey,
    configuration: Configuration = Configuration(),
    copied: Copied | None = None,
) -> Manifest:
    """Back up ``layout`` into the new archive ``out`` (mode 0600); its manifest."""
    if await asyncio.to_thread(out.exists):
        raise BackupExists(path=str(out))
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".euregate-backup-") as scratch:
        member = STORE_MEMBERS[store.backend]
        snapshot = Path(scratch) / Path(member).name
        facts = await store.snapshot(snapshot, copied=copied)
        files = await asyncio.to_thread(_files, layout, configuration, {member: snapshot})
        members = await asyncio.to_thread(lambda: {n: describe(p) for n, p in files.items()})
        manifest = Manifest(
            made_at=timestamp(datetime.now(UTC)),
            backend=store.backend,
            schema_version=facts.schema_version,
            master_key_id=master_key_id(master_key),
            counts=facts.counts,
            log=LogPoint.of(facts),
            checkpoint_note=facts.checkpoint_note.decode() if facts.checkpoint_note else None,
            members=members,
            settings_file="config/euregate.toml" if configuration.settings_file else None,
        ).signed(master_key)
        await asyncio.to_thread(write_archive, out, manifest, files)
    return manifest


def _files(
    layout: DataDir, configuration: Configuration, store: dict[str, Path]
) -> dict[str, Path]:
    """What the archive holds, by member name."""
    return {
        **store,
        **dict(_data_files(layout)),
        **dict(_configuration_files(layout, configuration)),
    }


def _data_files(layout: DataDir) -> Iterator[tuple[str, Path]]:
    """Every regular file of the data directory but the store, the master key, run-time files
    and hidden ones (half-written keys, backups under way)."""
    skipped = {layout.master_key, layout.pid_file, layout.sequencer_lock}
    for path in sorted(layout.root.rglob("*")):
        relative = path.relative_to(layout.root)
        if (
            path.is_symlink()
            or not path.is_file()
            or path in skipped
            or str(relative) in LEFT_OUT
            or any(part.startswith(".") for part in relative.parts)
        ):
            continue
        yield f"data/{relative.as_posix()}", path


def _configuration_files(
    layout: DataDir, configuration: Configuration
) -> Iterator[tuple[str, Path]]:
    if configuration.settings_file is not None:
        yield "config/euregate.toml", configuration.settings_file
    policy = configuration.policy_file
    if policy is not None and not policy.resolve().is_relative_to(layout.root.resolve()):
        yield "config/policy.toml", policy
