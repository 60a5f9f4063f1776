"""``euregate migrate-store --to postgresql://...``: move a data directory's SQLite store into
an empty PostgreSQL database, then check that the database holds all of it (counts per table,
the audit chain walked whole) before saying which setting to change."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Final

from gateway.edges.cli.common import Subparsers, add_action, output_language, settings
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.infra.datafiles import require_data_dir
from gateway.infra.i18n import N_, translate
from gateway.store import verify_chain
from gateway.store.backend import move_to_postgresql, store_for

COPIED: Final = N_("{table}: {rows} rows")
MOVED: Final = N_(
    "The store of {path} is in PostgreSQL now: {signals} signals, {envelopes} envelopes, "
    "{entries} audit entries, as many as in the SQLite file."
)
VERIFIED: Final = N_("Audit chain intact in PostgreSQL: {entries} entries.")
CHAIN_BROKEN: Final = N_("The audit chain in PostgreSQL does not verify at entry {seq}.")
NEXT: Final = N_(
    "Set database_url (EUREGATE_DATABASE_URL) to the database in the settings of every "
    "instance, then start them; keep the SQLite file as it is until you no longer need to go "
    "back."
)
NO_SQLITE: Final = N_("{path} holds no SQLite store to move.")


def register(commands: Subparsers) -> None:
    move = add_action(
        commands,
        "migrate-store",
        N_("move the data directory's SQLite store into an empty PostgreSQL database"),
        run_migrate_store,
    )
    move.add_argument(
        "--to", required=True, metavar="URL", help=N_("the PostgreSQL database: postgresql://...")
    )


async def run_migrate_store(args: argparse.Namespace) -> int:
    language = output_language(args)
    config = settings(args)
    data = require_data_dir(DataDir(config.data_dir))
    if not data.database.exists():
        print(translate(NO_SQLITE, language, path=data.database), file=sys.stderr)
        return 1
    target = config.model_copy(update={"database_url": args.to})
    async with store_for(target, data.database, clock=SystemClock()):
        pass  # the schema, made as any instance would make it

    def heard(table: str, rows: int) -> None:
        print(translate(COPIED, language, table=table, rows=rows))

    copied = await asyncio.to_thread(move_to_postgresql, data.database, args.to, progress=heard)
    async with store_for(target, data.database, clock=SystemClock()) as store:
        verification = await verify_chain(store)
    if not verification.ok:
        print(translate(CHAIN_BROKEN, language, seq=verification.last_seq + 1), file=sys.stderr)
        return 1
    print(
        translate(
            MOVED,
            language,
            path=data.root,
            signals=copied.get("signals", 0),
            envelopes=copied.get("envelopes", 0),
            entries=copied.get("audit", 0),
        )
    )
    print(translate(VERIFIED, language, entries=verification.checked))
    print(translate(NEXT, language))
    return 0
