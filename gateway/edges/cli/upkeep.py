"""``euregate backup``, ``restore`` and ``migrate``: keeping a deployment's store safe and up to
date (:mod:`gateway.registry.backup`, the store's :class:`StoreMaintenance`)."""

from __future__ import annotations

import argparse
import base64
import sys
from datetime import datetime
from pathlib import Path
from typing import Final

from gateway.edges.cli.common import (
    Subparsers,
    add_action,
    add_data_dir,
    cli_actor,
    open_store,
    output_language,
    print_table,
    settings,
    store_maintenance,
)
from gateway.edges.cli.progress import Progress
from gateway.infra.audit import events
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.infra.datafiles import load_master_key, require_data_dir
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import LANGUAGES, N_, translate
from gateway.infra.vault import VaultError
from gateway.registry.backup.archive import read_manifest
from gateway.registry.backup.making import Configuration, make_backup
from gateway.registry.backup.manifest import Manifest
from gateway.registry.backup.restoring import (
    NewerLog,
    log_of_checkpoint,
    log_of_data_dir,
    log_of_store,
    restore_backup,
)
from gateway.store.backend import (
    data_dir_maintenance,
    database_described,
    database_maintenance,
    restore_maintenance,
    restore_store,
)

PAGES: Final = N_("pages of the store copied")
BACKED_UP: Final = N_(
    "Backup written to {path} (mode 0600): {signals} signals, {copies} copies, {envelopes} "
    "envelopes, {audit_entries} audit entries, {partners} partners; the audit log at {entries} "
    "entries, its latest checkpoint of {tree_size} entries (root {root})."
)
KEY_NOT_IN_IT: Final = N_(
    "The archive does not hold the master key. Restoring it needs the master key with id "
    "{key_id}: keep a copy of {path} apart from the archive, as safe as the archive itself."
)
RESTORED: Final = N_(
    "Restored into {path}: {signals} signals, {copies} copies, {envelopes} envelopes, "
    "{audit_entries} audit entries, {partners} partners, as the manifest says."
)
CHAIN_VERIFIED: Final = N_(
    "Audit chain intact: {entries} entries; the tree of the backup's checkpoint ({tree_size} "
    "entries) rebuilt from them."
)
MIGRATE_FIRST: Final = N_(
    "The backup's store has schema version {found}: run `euregate migrate --data-dir {path}`, "
    "then `euregate audit verify --data-dir {path}`."
)
KEY_PLACED: Final = N_("Master key (id {key_id}) placed in {path}.")
KEY_MISSING: Final = N_(
    "No master key given, so the manifest's MAC was not checked: put the master key with id "
    "{key_id} at {path} (mode 0600) before serving."
)
NOT_COMPARED: Final = N_(
    "Not compared with a newer audit log (--no-newer-log): if witnesses cosigned a larger "
    "log, they will refuse this gateway's checkpoints."
)
COMPARED: Final = N_("Not older than the audit log of {source}.")
CONFIGURATION: Final = N_(
    "The backed-up deployment's configuration is in {path}: check its paths before using it."
)
OUT_NEEDED: Final = N_("give --out FILE, the archive to write")
BACKUP_HEADERS: Final = (N_("backup"), N_("made at"), N_("destroy after"))
NO_SHREDDING_SINCE: Final = N_("nothing erased since")
MIGRATED: Final = N_("Store schema brought from version {before} to version {after}.")
UP_TO_DATE: Final = N_("Store schema at version {after} already; nothing to do.")


def register(commands: Subparsers) -> None:
    backup = add_action(
        commands,
        "backup",
        N_("back up the store, keys and configuration while serving"),
        run_backup,
    )
    backup.add_argument("--out", type=Path, metavar="FILE", help=N_("the archive"))
    listing = backup.add_subparsers(dest="backup_command", metavar="ACTION")
    listed = listing.add_parser(
        "list", help=N_("backups and the day after which each must be destroyed")
    )
    add_data_dir(listed)
    listed.add_argument("archives", type=Path, nargs="+", metavar="FILE")
    listed.set_defaults(handler=run_backup_list)

    restore = commands.add_parser(
        "restore", help=N_("restore a backup into a new data directory, never over a newer log")
    )
    restore.add_argument("archive", type=Path, metavar="FILE", help=N_("`euregate backup` output"))
    restore.add_argument(
        "--data-dir", type=Path, required=True, help=N_("an empty or new directory to restore into")
    )
    restore.add_argument(
        "--database",
        metavar="URL",
        help=N_(
            "an empty PostgreSQL database (postgresql://...) to restore a PostgreSQL backup "
            "into; its password in ~/.pgpass or PGPASSFILE, not in the URL"
        ),
    )
    restore.add_argument(
        "--pg-bin-dir", type=Path, metavar="DIR", help=N_("the folder of pg_restore")
    )
    restore.add_argument(
        "--master-key", type=Path, metavar="PATH", help=N_("the master key file the backup needs")
    )
    restore.add_argument(
        "--against",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help=N_("a data directory the restored log must not be older than (the one it replaces)"),
    )
    restore.add_argument(
        "--against-database",
        action="append",
        default=[],
        metavar="URL",
        help=N_(
            "a PostgreSQL database the restored log must not be older than (the one it replaces)"
        ),
    )
    restore.add_argument(
        "--checkpoint",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help=N_(
            "a checkpoint the restored log must not be older than: `audit checkpoint --out`, "
            "or a witness's state file (the latest checkpoint it cosigned)"
        ),
    )
    restore.add_argument(
        "--no-newer-log",
        action="store_true",
        help=N_("there is no newer log to compare with (say it; a rollback is never silent)"),
    )
    restore.add_argument("--lang", choices=LANGUAGES, help=N_("language of the messages"))
    restore.set_defaults(handler=run_restore)

    add_action(
        commands, "migrate", N_("bring the store's schema up to this release's"), run_migrate
    )


async def run_backup(args: argparse.Namespace) -> int:
    language = output_language(args)
    if args.out is None:
        raise RegistryError(OUT_NEEDED)
    config = settings(args)
    data = require_data_dir(DataDir(config.data_dir))
    try:
        master_key = load_master_key(data)
    except VaultError as exc:
        raise RegistryError(str(exc)) from exc
    progress: list[Progress] = []

    def copied(done: int, total: int) -> None:
        if not progress:
            progress.append(Progress(total, translate(PAGES, language)))
        progress[0](done)

    manifest = await make_backup(
        data,
        args.out,
        store=store_maintenance(args),
        master_key=master_key,
        configuration=Configuration(config.config, config.policy_file),
        copied=copied,
    )
    for bar in progress:
        bar.finish()
    print(translate(BACKED_UP, language, path=args.out, **_summary(manifest)))
    print(translate(KEY_NOT_IN_IT, language, key_id=manifest.master_key_id, path=data.master_key))
    return 0


async def run_restore(args: argparse.Namespace) -> int:
    language = output_language(args)
    target = DataDir(args.data_dir)
    newer: list[NewerLog] = [
        await log_of_data_dir(path, data_dir_maintenance) for path in args.against
    ]
    for url in args.against_database:
        store = database_maintenance(url, bin_dir=args.pg_bin_dir)
        newer.append(await log_of_store(database_described(url), store))
    try:
        newer += [log_of_checkpoint(path) for path in args.checkpoint]
        restored = await restore_backup(
            args.archive,
            target,
            newer=newer,
            no_newer_log=args.no_newer_log,
            master_key_file=args.master_key,
            store_at=lambda path: restore_maintenance(path, args.database, bin_dir=args.pg_bin_dir),
            open_store=lambda data: restore_store(
                data.database, args.database, clock=SystemClock()
            ),
            actor=cli_actor(),
        )
    except (VaultError, OSError, ValueError) as exc:
        raise RegistryError(str(exc)) from exc
    manifest = restored.manifest
    print(translate(RESTORED, language, path=target.root, **_summary(manifest)))
    if restored.chain is None:
        print(translate(MIGRATE_FIRST, language, found=manifest.schema_version, path=target.root))
    else:
        print(translate(CHAIN_VERIFIED, language, **_summary(manifest)))
    for log in newer:
        print(translate(COMPARED, language, source=log.seen_in))
    if not newer:
        print(translate(NOT_COMPARED, language), file=sys.stderr)
    key = {"key_id": manifest.master_key_id, "path": target.master_key}
    print(translate(KEY_PLACED if restored.master_key_restored else KEY_MISSING, language, **key))
    if manifest.settings_file or any(name.startswith("config/") for name in manifest.members):
        print(translate(CONFIGURATION, language, path=target.root / "config"))
    return 0


async def run_migrate(args: argparse.Namespace) -> int:
    change = await store_maintenance(args).migrate()
    if change.before is not None and change.migrated:
        async with open_store(args) as store:
            await store.record(
                events.StoreMigrated(
                    by=cli_actor(), from_version=change.before, to_version=change.after
                )
            )
    message = MIGRATED if change.migrated else UP_TO_DATE
    print(translate(message, output_language(args), before=change.before, after=change.after))
    return 0


def _summary(manifest: Manifest) -> dict[str, object]:
    root = manifest.log.tree_root
    return {
        **manifest.counts,
        "entries": manifest.log.entries,
        "tree_size": manifest.log.tree_size,
        "root": base64.b64encode(root).decode() if root else "-",
    }


async def run_backup_list(args: argparse.Namespace) -> int:
    """Each backup, when it was made, and the day after which it must be destroyed: the first
    day the gateway erased a signal the backup holds (a backup keeps what was shredded)."""
    language = output_language(args)
    rows: list[tuple[object, ...]] = []
    async with open_store(args) as store:
        for archive in args.archives:
            manifest = read_manifest(archive)
            made = datetime.fromisoformat(manifest.made_at)
            erased = await store.first_erasure_after(made)
            rows.append(
                (
                    archive,
                    manifest.made_at,
                    erased.date().isoformat()
                    if erased is not None
                    else translate(NO_SHREDDING_SINCE, language),
                )
            )
    print_table(tuple(translate(header, language) for header in BACKUP_HEADERS), rows)
    return 0
