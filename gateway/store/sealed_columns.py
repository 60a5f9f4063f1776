"""Where each value sealed under the master key is kept, in the tables both backends share
(:mod:`gateway.store.migrations`), and how a blob names its master key version: the store's
side of ``euregate keys rotate-master`` in SQL that SQLite and PostgreSQL both speak."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from gateway.store.interface.at_rest import SealedColumn
from gateway.store.signal_keys import joined, split

PLACES: Final[dict[SealedColumn, tuple[str, str, str]]] = {
    SealedColumn.SIGNAL_BODY: ("signal_keys", "signal_id", "sealed_key"),
    SealedColumn.RELEASED_TEXT: ("review_items", "id", "correction"),
    SealedColumn.REJECTION_REASON: ("review_items", "id", "rejection_sealed"),
    SealedColumn.STAFF_TOTP: ("staff", "id", "totp_sealed"),
    SealedColumn.MEMORY_ENTRY: ("translation_memory", "id", "sealed"),
    SealedColumn.TRANSLATION_JOB: ("translation_jobs", "id", "sealed"),
}
"""Each column: its table, the id of its rows, the column itself (names fixed here, never given)."""

KEPT_APART: Final[dict[SealedColumn, tuple[str, str, str]]] = {
    SealedColumn.SIGNAL_BODY: ("signals", "id", "sealed_body"),
}
"""The columns of :data:`PLACES` that hold only each blob's key part
(:mod:`gateway.store.signal_keys`): where the rest of it is kept (its table, the column its
rows share the id in, the column). Re-wrapping rewrites the key part alone."""


def rest_of(column: SealedColumn) -> tuple[str, str]:
    """What a query of ``column``'s values (its table named ``v``) adds to read each whole
    blob: the rest's column to select after the value (or nothing), and its join."""
    if column not in KEPT_APART:
        return "", ""
    table, key, value = KEPT_APART[column]
    own_key = PLACES[column][1]
    return f", r.{value}", f" JOIN {table} r ON r.{key} = v.{own_key}"


def whole(column: SealedColumn, row: Sequence[Any]) -> bytes:
    """The whole blob of a row read with :func:`rest_of` (the value second, the rest third)."""
    if column not in KEPT_APART:
        return bytes(row[1])
    return joined(row[1], row[2])


def kept(column: SealedColumn, old: bytes, new: bytes) -> tuple[bytes, bytes]:
    """What ``column`` holds of the blob read (``old``) and of its replacement (``new``): the
    whole blobs, or for a column kept apart their key parts, the rest being the same in both
    (:class:`ValueError` if not: a re-wrapping changes no body)."""
    if column not in KEPT_APART:
        return old, new
    old_key, old_rest = split(old)
    new_key, new_rest = split(new)
    if new_rest != old_rest:
        raise ValueError(f"a new value of {column} must keep the body it replaces")
    return old_key, new_key


def version_bytes(number: int) -> bytes:
    """A master key version as a blob names it, in its bytes 5 to 8
    (:class:`~gateway.infra.vault.SealedBlob`)."""
    return number.to_bytes(4, "big")
