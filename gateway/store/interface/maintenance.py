"""What an operator does to a store as a whole: bring its schema forward, copy it out while
the gateway serves, put such a copy back, and count what it holds.

Each backend does these its own way. The SQLite backend
(:mod:`gateway.store.sqlite.maintenance`) copies the database file with SQLite's online backup
API inside one read transaction. The PostgreSQL backend
(:mod:`gateway.store.postgres.maintenance`) runs ``pg_dump --format=custom --snapshot=...`` for
:meth:`StoreMaintenance.snapshot` (the facts read in the transaction that exported the
snapshot, so they describe exactly what was dumped) and ``pg_restore`` into an empty database
for :meth:`StoreMaintenance.restore`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

COUNTED: Final = ("signals", "copies", "envelopes", "review_items", "audit_entries", "partners")
"""What :class:`StoreFacts` counts, by name."""

COUNTED_IN: Final = {name: {"audit_entries": "audit"}.get(name, name) for name in COUNTED}
"""The table each of :data:`COUNTED` is counted in."""

Copied = Callable[[int, int], None]
"""Hears how much of a store was copied so far, and of how much in all (pages, bytes...)."""


@dataclass(frozen=True)
class SchemaChange:
    """The schema version a store had (``None``: it was new) and has now."""

    before: int | None
    after: int

    @property
    def migrated(self) -> bool:
        return self.before is not None and self.before != self.after


@dataclass(frozen=True)
class StoreFacts:
    """What a store holds, in numbers: enough to tell that a restored copy is whole, and how far
    its audit log had come (its last entry, and its latest signed checkpoint, if any)."""

    schema_version: int
    counts: Mapping[str, int]
    audit_seq: int
    audit_hash: str | None
    tree_size: int
    tree_root: bytes | None
    checkpoint_note: bytes | None

    @classmethod
    def of_rows(
        cls,
        schema_version: int,
        counts: Mapping[str, int],
        head: Sequence[Any] | None,
        checkpoint: Sequence[Any] | None,
    ) -> StoreFacts:
        """The facts from what a backend read: the audit log's last entry as ``(seq, hash)``
        and its latest checkpoint as ``(size, root, note)``, each ``None`` if there is none."""
        return cls(
            schema_version=schema_version,
            counts=counts,
            audit_seq=head[0] if head else 0,
            audit_hash=head[1] if head else None,
            tree_size=checkpoint[0] if checkpoint else 0,
            tree_root=bytes(checkpoint[1]) if checkpoint else None,
            checkpoint_note=bytes(checkpoint[2]) if checkpoint else None,
        )


class StoreMaintenance(Protocol):
    backend: str
    """The backend's name, as a backup's manifest records it (``sqlite``, ``postgresql``)."""

    newest_schema: int
    """The newest schema version this release knows; a store or backup of a newer one is
    refused."""

    async def migrate(self) -> SchemaChange:
        """Run the migrations the store's schema still lacks, forward only, in one
        transaction; a schema newer than this release knows is refused
        (:class:`~gateway.infra.errors.SchemaTooNew`)."""
        ...

    async def snapshot(self, destination: Path, *, copied: Copied | None = None) -> StoreFacts:
        """A consistent copy of the store as it is at one instant, written to the new file
        ``destination`` (mode 0600) while the gateway goes on serving; the facts of that copy."""
        ...

    async def check_restorable(self) -> None:
        """Refuse, before anything is written, a store a restore would mix with: one that
        exists already (:class:`~gateway.infra.errors.BackupRefused`)."""
        ...

    async def restore(self, snapshot: Path) -> StoreFacts:
        """Make the copy ``snapshot`` (as :meth:`snapshot` wrote it; it is consumed) this store,
        which must not exist yet; the facts of the restored store."""
        ...

    async def facts(self) -> StoreFacts | None:
        """The facts of the store as it is now (read only); ``None`` when there is no store."""
        ...
