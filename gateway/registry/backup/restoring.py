"""Restoring a backup into a new data directory (``euregate restore``).

In this order, and nothing is written before the last check but one passes:

1. the target is an empty or new directory, and its store (a new SQLite file, or an empty
   PostgreSQL database) holds nothing yet;
2. the archive's manifest is read, and with the master key given, its key id and MAC checked;
3. every member is hashed and compared with the manifest;
4. the backup's audit log is compared with a newer one the operator names (the data directory
   it replaces, a checkpoint a witness cosigned): a restore that would roll the log back or
   put another log in its place is refused. Naming none must be said out loud
   (``no_newer_log``), so that a rollback is never silent;
5. the members are written (hashed again), the store put in place;
6. the restored store is counted against the manifest, its audit chain walked and its tree
   rebuilt against the backup's checkpoint. If anything disagrees, what was written is
   removed again.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from gateway.infra.audit import Verification
from gateway.infra.audit.checkpoint import Checkpoint
from gateway.infra.audit.events import StoreRestored
from gateway.infra.audit.note import parse as parse_note
from gateway.infra.audit.refs import Ref
from gateway.infra.config import DataDir
from gateway.infra.datafiles import load_signer, require_data_dir, write_private
from gateway.infra.errors import (
    ArchiveTampered,
    ArchiveUnreadable,
    BackupRefused,
    EuregateError,
    MasterKeyMismatch,
    NewerLogMissing,
    ProofRefused,
    RestoreForked,
    RestoreMismatch,
    RestoreTargetNotEmpty,
    RestoreUnchecked,
    RestoreWouldRollBack,
    SchemaOutdated,
    SchemaTooNew,
    StoreToolFailed,
)
from gateway.infra.vault import VaultError, load_master_key_file
from gateway.registry.backup.archive import check_members, extract, read_manifest
from gateway.registry.backup.manifest import MANIFEST_NAME, STORE_FOLDER, LogPoint, Manifest
from gateway.registry.backup.manifest import master_key_id as key_id_of
from gateway.store import Store, verify_chain
from gateway.store.interface.maintenance import StoreFacts, StoreMaintenance
from gateway.transparency.verify import check_log
from gateway.transparency.witnessing import STATE_FORMAT

STAGED_STORE: Final = ".restoring-euregate.db"


@dataclass(frozen=True)
class NewerLog:
    """An audit log the restored one must not be older than, and where it was seen."""

    seen_in: str
    point: LogPoint


async def log_of_data_dir(path: Path, store_at: Callable[[Path], StoreMaintenance]) -> NewerLog:
    """How far the log of the data directory at ``path`` has come (it is only read)."""
    layout = require_data_dir(DataDir(path))
    return await log_of_store(str(path), store_at(layout.database))


async def log_of_store(seen_in: str, store: StoreMaintenance) -> NewerLog:
    """How far the log of ``store`` (seen as ``seen_in``) has come (it is only read);
    :class:`NewerLogMissing` if there is no store."""
    facts = await store.facts()
    if facts is None:
        raise NewerLogMissing(source=seen_in)
    return NewerLog(seen_in, LogPoint.of(facts))


def log_of_checkpoint(path: Path) -> NewerLog:
    """The tree a checkpoint file states: a signed note (``audit checkpoint --out``), or a
    witness's state (``witness run --state``), whose checkpoint is the latest it cosigned. Its
    signatures are not checked: a forged one can only refuse a restore."""
    raw = path.read_bytes()
    if raw.lstrip().startswith(b"{"):
        document = json.loads(raw)
        if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
            raise ValueError(f"{path} is neither a checkpoint nor a witness state")
        if document.get("checkpoint") is None:
            return NewerLog(str(path), LogPoint(0, None, 0, None))
        raw = str(document["checkpoint"]).encode()
    checkpoint = Checkpoint.parse(parse_note(raw).text)
    return NewerLog(str(path), LogPoint(0, None, checkpoint.size, checkpoint.root))


def refuse_rollback(backup: LogPoint, newer: NewerLog) -> None:
    """:class:`RestoreWouldRollBack` if ``newer`` has more entries than the backup, or signed a
    larger tree; :class:`RestoreForked` if a tree or chain of the same size differs."""
    seen = newer.point
    newer_size = max(seen.entries, seen.tree_size)
    if newer_size > backup.entries:
        raise RestoreWouldRollBack(newer=newer.seen_in, newer_size=newer_size, size=backup.entries)
    same_tree = seen.tree_size == backup.tree_size and seen.tree_size > 0
    if same_tree and seen.tree_root != backup.tree_root:
        raise RestoreForked(newer=newer.seen_in, size=seen.tree_size)
    same_chain = seen.entries == backup.entries and seen.last_hash is not None
    if same_chain and seen.last_hash != backup.last_hash:
        raise RestoreForked(newer=newer.seen_in, size=seen.entries)


@dataclass(frozen=True)
class Restored:
    """What a restore put in place and found. ``chain`` is ``None`` when the backup's schema is
    older than this release's: the chain is walked after ``euregate migrate``."""

    manifest: Manifest
    facts: StoreFacts
    chain: Verification | None
    master_key_restored: bool


async def restore_backup(
    archive: Path,
    target: DataDir,
    *,
    newer: Sequence[NewerLog],
    no_newer_log: bool,
    master_key_file: Path | None,
    store_at: Callable[[Path], StoreMaintenance],
    open_store: Callable[[DataDir], Store],
    actor: Ref,
) -> Restored:
    """Restore ``archive`` into ``target``, checked as the module says; the restore recorded in
    the restored log (:class:`~gateway.infra.audit.events.StoreRestored`) once it is confirmed,
    unless the backup's schema is older than this release's."""
    store = store_at(target.database)
    manifest = await asyncio.to_thread(_checked, archive, target, master_key_file)
    _check_store(manifest, store, archive)
    await store.check_restorable()
    if not newer and not no_newer_log:
        raise RestoreUnchecked()
    for log in newer:
        refuse_rollback(manifest.log, log)

    created = await asyncio.to_thread(_make_directory, target.root)
    try:
        await asyncio.to_thread(_write, archive, manifest, target, master_key_file)
        facts = await store.restore(target.root / STAGED_STORE)
        chain = await _confirm(manifest, facts, target, open_store)
        if master_key_file is not None:
            await asyncio.to_thread(load_signer, target)
        if chain is not None:
            async with open_store(target) as store_opened:
                await store_opened.record(_restored(manifest, newer, actor))
    except (EuregateError, VaultError, OSError) as failure:
        await asyncio.to_thread(_remove, target.root, created)
        if isinstance(failure, BackupRefused | StoreToolFailed):
            raise
        raise RestoreMismatch(what=str(failure), path=str(target.root)) from failure
    return Restored(manifest, facts, chain, master_key_file is not None)


def _restored(manifest: Manifest, newer: Sequence[NewerLog], actor: Ref) -> StoreRestored:
    return StoreRestored(
        by=actor,
        backup_made_at=manifest.made_at,
        entries=manifest.log.entries,
        size=manifest.log.tree_size,
        compared_with=tuple(log.seen_in for log in newer),
    )


def _checked(archive: Path, target: DataDir, master_key_file: Path | None) -> Manifest:
    """The archive's manifest, once the target, the master key and every member passed."""
    if target.root.exists() and any(target.root.iterdir()):
        raise RestoreTargetNotEmpty(path=str(target.root))
    manifest = read_manifest(archive)
    if master_key_file is not None:
        _check_master_key(manifest, master_key_file)
    check_members(archive, manifest)
    return manifest


def _check_store(manifest: Manifest, store: StoreMaintenance, archive: Path) -> None:
    """The backup's store is one this gateway's backend can take: the same backend, and a
    schema no newer than it knows."""
    if manifest.backend != store.backend:
        reason = f"its store is {manifest.backend}, this gateway's is {store.backend}"
        raise ArchiveUnreadable(archive=str(archive), reason=reason)
    if manifest.schema_version > store.newest_schema:
        raise SchemaTooNew(found=manifest.schema_version, known=store.newest_schema)


def _make_directory(root: Path) -> bool:
    """Whether ``root`` had to be made."""
    created = not root.exists()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return created


def _write(
    archive: Path, manifest: Manifest, target: DataDir, master_key_file: Path | None
) -> None:
    extract(archive, manifest, lambda name: _destination(target, name))
    if master_key_file is not None:
        write_private(target.master_key, master_key_file.read_bytes())


def _check_master_key(manifest: Manifest, path: Path) -> None:
    master_key = load_master_key_file(path)
    given = key_id_of(master_key)
    if given != manifest.master_key_id:
        raise MasterKeyMismatch(path=str(path), needed=manifest.master_key_id, given=given)
    if not manifest.authentic(master_key):
        raise ArchiveTampered(member=MANIFEST_NAME)


def _destination(target: DataDir, name: str) -> Path:
    if name.startswith(STORE_FOLDER):
        return target.root / STAGED_STORE
    folder, _, rest = name.partition("/")
    return target.root / rest if folder == "data" else target.root / folder / rest


async def _confirm(
    manifest: Manifest, facts: StoreFacts, target: DataDir, open_store: Callable[[DataDir], Store]
) -> Verification | None:
    """The restored store holds what the manifest says, its chain is whole and its tree has
    the backup's checkpoint; :class:`RestoreMismatch` naming the first thing that is not so."""
    found = {**facts.counts, "schema_version": facts.schema_version}
    expected = {**manifest.counts, "schema_version": manifest.schema_version}
    for name, value in expected.items():
        if found.get(name) != value:
            raise RestoreMismatch(
                what=f"{name} {found.get(name)} != {value}", path=str(target.root)
            )
    if LogPoint.of(facts) != manifest.log:
        raise RestoreMismatch(what="audit log head or checkpoint", path=str(target.root))
    try:
        async with open_store(target) as store:
            chain = await verify_chain(store)
            if not chain.ok or chain.last_seq != manifest.log.entries:
                what = f"audit chain: {chain.reason_in('en') or chain.last_seq}"
                raise RestoreMismatch(what=what, path=str(target.root))
            if manifest.log.tree_size and manifest.log.tree_root is not None:
                await check_log(store, [(manifest.log.tree_size, manifest.log.tree_root)])
    except SchemaOutdated:
        return None
    except ProofRefused as refusal:
        raise RestoreMismatch(what=str(refusal), path=str(target.root)) from refusal
    return chain


def _remove(root: Path, created: bool) -> None:
    if created:
        shutil.rmtree(root, ignore_errors=True)
        return
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
