"""PostgreSQL's own programs that a backup and a restore run (``pg_dump``, ``pg_restore``): where
they are, and how they are told which database to reach without the URL's password on their
command line, where any user of the machine could read it (``ps``): it goes through the
environment (``PGPASSWORD``) instead, and a password kept where it belongs (``~/.pgpass``,
``PGPASSFILE``) is found by the programs themselves.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from gateway.infra.errors import StoreToolFailed

DEBIAN_BINARIES: Final = Path("/usr/lib/postgresql")
REASON_MAX_CHARS: Final = 600
"""The most of a failing program's error output repeated to the operator."""


@dataclass(frozen=True)
class Invocation:
    """A program's arguments and the environment variables it needs besides the process's."""

    argv: tuple[str, ...]
    environment: Mapping[str, str]


def tool(name: str, bin_dir: Path | None) -> Path:
    """The program ``name``: in ``bin_dir`` when set, else in Debian's newest PostgreSQL (its
    tools read every older server's databases), else on ``PATH``."""
    if bin_dir is not None:
        return bin_dir / name
    debian = sorted(
        DEBIAN_BINARIES.glob(f"*/bin/{name}"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if debian:
        return debian[-1]
    found = shutil.which(name)
    if found is None:
        raise StoreToolFailed(tool=name, reason="not installed")
    return Path(found)


def invocation(program: Path, url: str, *arguments: str) -> Invocation:
    """``program`` run with ``arguments`` on the database at ``url``: every connection
    parameter on the command line but the password, which goes into ``PGPASSWORD``."""
    parameters = conninfo_to_dict(url)
    password = parameters.pop("password", None)
    argv = (
        str(program),
        "--no-password",
        f"--dbname={make_conninfo('', **parameters)}",
        *arguments,
    )
    return Invocation(argv, {} if password is None else {"PGPASSWORD": str(password)})


def database_name(url: str) -> str:
    """The database ``url`` names, for a message (never the URL, which may hold a password)."""
    return str(conninfo_to_dict(url).get("dbname", ""))


async def run(call: Invocation) -> None:
    """Run ``call`` to its end; :class:`StoreToolFailed` with what it said if it fails."""
    name = Path(call.argv[0]).name
    try:
        process = await asyncio.create_subprocess_exec(
            *call.argv,
            env={**os.environ, **call.environment},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:
        raise StoreToolFailed(tool=name, reason=exc.strerror or str(exc)) from exc
    _, err = await process.communicate()
    if process.returncode != 0:
        said = err.decode(errors="replace").strip()[-REASON_MAX_CHARS:]
        raise StoreToolFailed(tool=name, reason=said or f"exit status {process.returncode}")
