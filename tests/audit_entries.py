"""Every audit entry a test wrote reads back into its type, exactly.

``conftest.py`` runs :func:`misfits` over each test's temporary directory when the test ends,
and over the whole session's temporary directories at the end: any SQLite database found
there with an ``audit`` table has each entry parsed (:func:`gateway.infra.audit.events.parse`)
and written again from the type, which must give the same actor, subject and data.
``tests/postgres.py`` does the same with :func:`postgres_misfits` for each test's PostgreSQL
database, before dropping it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Final

import psycopg

from gateway.infra.audit import AuditEntry
from gateway.infra.audit.events import parse
from gateway.infra.audit.refs import AuditEntryInvalid
from gateway.store.postgres.database import AUDIT_COLUMNS, audit_entry

SQLITE_HEADER = b"SQLite format 3\x00"
OLD_AUDIT_ENTRIES: Final = "old_audit_entries"
"""The marker of a test that writes audit entries as older versions did."""


def databases(root: Path, *, skip: Iterable[Path] = ()) -> Iterator[Path]:
    """The SQLite files below ``root``, but for those below a directory in ``skip``."""
    skipped = set(skip)
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = [d for d in subdirectories if Path(directory, d) not in skipped]
        for name in files:
            path = Path(directory, name)
            if path.is_symlink() or not path.is_file():
                continue
            with path.open("rb") as handle:
                if handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER:
                    yield path


def entries(database: Path) -> list[AuditEntry]:
    with closing(sqlite3.connect(database, timeout=30)) as conn:
        try:
            rows = conn.execute(
                "SELECT seq, at, kind, actor, subject, entry, hash FROM audit ORDER BY seq"
            ).fetchall()
        except sqlite3.DatabaseError:  # no audit table, or not a database of ours
            return []
    return [
        AuditEntry(r[0], r[1], r[2], r[3], r[4], bytes(r[5]) if isinstance(r[5], bytes) else
                   str(r[5]).encode(), r[6])
        for r in rows
    ]  # fmt: skip


def misfit(entry: AuditEntry, *, old_forms: bool = False) -> str | None:
    """Why ``entry`` does not read back into its type, or ``None``. With ``old_forms``, an
    actor written the older way (a partner's bare id) is taken as it is now written."""
    try:
        event = parse(entry)
    except AuditEntryInvalid as exc:
        return str(exc)
    written = (event.actor, event.subject, dict(event.data))
    stored = (event.actor if old_forms else entry.actor, entry.subject, entry.data)
    if written != stored:
        return f"written again from its type it differs: {written} != {stored}"
    return None


def misfits(root: Path, *, old_forms: bool = False, skip: Iterable[Path] = ()) -> list[str]:
    """One line per entry, in any database below ``root``, that does not fit its type."""
    found = []
    for database in databases(root, skip=skip):
        for entry in entries(database):
            reason = misfit(entry, old_forms=old_forms)
            if reason is not None:
                found.append(f"{database.name} #{entry.seq} {entry.kind}: {reason}")
    return found


def postgres_misfits(url: str, *, old_forms: bool = False) -> list[str]:
    """One line per entry of the PostgreSQL database at ``url`` that does not fit its type."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT to_regclass('audit') IS NOT NULL").fetchone()
        if not (row and row[0]):
            return []
        kept = [audit_entry(r) for r in conn.execute(f"SELECT {AUDIT_COLUMNS} FROM audit a")]
    return [
        f"#{entry.seq} {entry.kind}: {reason}"
        for entry in kept
        if (reason := misfit(entry, old_forms=old_forms)) is not None
    ]
