"""What every command shares: the data directory and its store, settings from flags, the
environment or a configuration file, who a command acts as, and how a table is printed."""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, TypeAlias

from gateway.edges.cli.language import chosen_language
from gateway.infra.audit import refs
from gateway.infra.audit.refs import Ref
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir, Settings, load_settings
from gateway.infra.datafiles import require_data_dir
from gateway.infra.i18n import LANGUAGES, N_, translate
from gateway.render.labels import label
from gateway.store import Store
from gateway.store.backend import maintenance_for, store_for
from gateway.store.interface.maintenance import StoreMaintenance

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Handler: TypeAlias = Callable[[argparse.Namespace], Awaitable[int]]
"""What runs a command: every handler is a coroutine, run once by :func:`gateway.edges.cli.main`."""


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    """``--data-dir``, ``--config`` (the file the settings come from), ``--database`` and
    ``--lang``: what every command that works on a deployment takes."""
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help=N_(
            "language of the messages (default: your staff account's, or with --as the "
            "partner's first language; else the environment's; else English)"
        ),
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=N_(
            "data directory (default: $EUREGATE_DATA_DIR, the configuration file's, or ./data)"
        ),
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help=N_(
            "a TOML file of settings, such as /etc/euregate/euregate.toml "
            "(default: $EUREGATE_CONFIG, or none)"
        ),
    )
    parser.add_argument(
        "--database",
        dest="database_url",
        default=None,
        metavar="URL",
        help=N_(
            "a PostgreSQL database, postgresql://... (default: $EUREGATE_DATABASE_URL, the "
            "configuration file's, or the SQLite database in the data directory)"
        ),
    )


def settings(args: argparse.Namespace) -> Settings:
    """Whichever flags the command was given, over the environment, the configuration file
    and the defaults."""
    names = (
        "config",
        "data_dir",
        "database_url",
        "host",
        "port",
        "staff_port",
        "max_body_bytes",
        "workers",
        "operations_host",
        "operations_port",
        "log_format",
        "migrate_on_start",
    )
    return load_settings(**{name: getattr(args, name, None) for name in names})


def layout(args: argparse.Namespace) -> DataDir:
    return DataDir(settings(args).data_dir)


def open_store(args: argparse.Namespace, *, init: bool = False) -> Store:
    """The store of the data directory that ``euregate init`` made (else :class:`RegistryError`),
    or of the PostgreSQL database the settings name; with ``init``, the store ``init`` makes it
    with."""
    config = settings(args)
    data = DataDir(config.data_dir)
    if not init:
        require_data_dir(data)
    return store_for(config, data.database, clock=SystemClock())


def store_maintenance(args: argparse.Namespace) -> StoreMaintenance:
    """The upkeep (migrations, backups) of the store the settings choose."""
    config = settings(args)
    return maintenance_for(config, require_data_dir(DataDir(config.data_dir)).database)


def cli_actor() -> Ref:
    """Who an administrator's command acts as: the operating-system account that ran it."""
    try:
        return refs.admin(getpass.getuser())
    except (KeyError, OSError):
        return refs.admin("unknown")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(value) for value in row] for row in rows]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
    for row in [list(headers), *cells]:
        print(
            "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
        )


def code_label(code_list: str, code: str, language: str) -> str:
    """``code`` of ``code_list`` by its label in ``language``; a code the list lacks as it is."""
    try:
        return label(code_list, code, language)
    except KeyError:
        return code


def headings(names: Sequence[str], language: str) -> list[str]:
    """A table's column headings (message ids; an empty one stays empty) in ``language``, in
    capitals."""
    return [translate(name, language).upper() if name else "" for name in names]


def add_action(
    actions: Subparsers,
    name: str,
    text: str,
    handler: Handler,
) -> argparse.ArgumentParser:
    """A sub-command with ``--data-dir`` and ``--lang``, run by ``handler``."""
    parser = actions.add_parser(name, help=text)
    add_data_dir(parser)
    parser.set_defaults(handler=handler)
    return parser


KNOWN_LANGUAGE: Final = "known_language"
"""Where :func:`gateway.edges.cli.main` keeps, on the parsed arguments, the language the gateway
knows for whom a ``--as`` command acts as (the partner's first), found before the command runs."""


def output_language(args: argparse.Namespace, *, known: str | None = None) -> str:
    """``--lang``, else the language the gateway ``known``s for the person (a staff account's;
    for a ``--as`` command, the partner's first), else the environment's (``$LANGUAGE``,
    ``$LC_ALL``, ``$LANG``), else English."""
    return chosen_language(getattr(args, "lang", None), known, getattr(args, KNOWN_LANGUAGE, None))


MORE_NOT_LISTED: Final = N_("\u2026 and {count} more error(s), not listed.")
AT_LEAST_MORE_NOT_LISTED: Final = N_(
    "\u2026 and at least {count} more error(s), not listed: checking stopped where a list was "
    "too long."
)
PERHAPS_MORE: Final = N_("\u2026 and perhaps more: checking stopped where a list was too long.")


def unlisted_errors(problem: Mapping[str, Any], language: str) -> str | None:
    """What a problem document found but does not list (it lists the first 100), if anything."""
    listed = problem.get("errors")
    count = problem.get("error_count")
    if not isinstance(listed, list) or not isinstance(count, int):
        return None
    hidden = count - len(listed)
    if problem.get("error_count_exact") is False:
        if hidden > 0:
            return translate(AT_LEAST_MORE_NOT_LISTED, language, count=hidden)
        return translate(PERHAPS_MORE, language)
    return translate(MORE_NOT_LISTED, language, count=hidden) if hidden > 0 else None
