"""Where each value sealed under the master key is kept, in the tables both backends share
(:mod:`gateway.store.migrations`), and how a blob names its master key version: the store's
side of ``euregate keys rotate-master`` in SQL that SQLite and PostgreSQL both speak."""

from __future__ import annotations

from typing import Final

from gateway.store.interface.at_rest import SealedColumn

PLACES: Final[dict[SealedColumn, tuple[str, str, str]]] = {
    SealedColumn.SIGNAL_BODY: ("signals", "id", "sealed_body"),
    SealedColumn.RELEASED_TEXT: ("review_items", "id", "correction"),
    SealedColumn.REJECTION_REASON: ("review_items", "id", "rejection_sealed"),
    SealedColumn.STAFF_TOTP: ("staff", "id", "totp_sealed"),
    SealedColumn.MEMORY_ENTRY: ("translation_memory", "id", "sealed"),
    SealedColumn.TRANSLATION_JOB: ("translation_jobs", "id", "sealed"),
}
"""Each column: its table, the id of its rows, the column itself (names fixed here, never given)."""


def version_bytes(number: int) -> bytes:
    """A master key version as a blob names it, in its bytes 5 to 8
    (:class:`~gateway.infra.vault.SealedBlob`)."""
    return number.to_bytes(4, "big")
