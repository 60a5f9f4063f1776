"""What is kept sealed under the master key, read and replaced in batches: the store's side of
``euregate keys rotate-master``, which re-wraps each value's data key under a new version."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class SealedColumn(StrEnum):
    """Each place a value sealed under the master key (a :class:`~gateway.infra.vault.SealedBlob`)
    is kept, named for what it holds."""

    SIGNAL_BODY = "signal_body"
    """A signal's canonical body, sealed for the signal's id."""
    RELEASED_TEXT = "released_text"
    """The texts a liaison officer released for a review item."""
    REJECTION_REASON = "rejection_reason"
    """Why an officer rejected a review item."""
    STAFF_TOTP = "staff_totp"
    """A staff account's TOTP secret."""
    MEMORY_ENTRY = "memory_entry"
    """A translation memory entry (its row id is the entry's id)."""
    TRANSLATION_JOB = "translation_job"
    """eTranslation's translation of a text, sealed for its job's id."""


@dataclass(frozen=True)
class SealedValue:
    """One sealed value: where it is kept, the id of its row (the signal, review item or staff
    account it is sealed for) and the sealed bytes."""

    column: SealedColumn
    row_id: str
    sealed: bytes


class AtRestStore(Protocol):
    async def sealed_values(
        self, column: SealedColumn, *, after: str, limit: int, not_version: int
    ) -> list[SealedValue]:
        """Up to ``limit`` values of ``column`` whose row id comes after ``after`` (in the
        order of ids) and whose blob is not sealed under master key version ``not_version``;
        in the order of their row ids."""
        ...

    async def replace_sealed(self, replaced: Sequence[tuple[SealedValue, bytes]]) -> int:
        """Put each new sealed value in place of the old one, in one transaction, where the
        row still holds the old one (a row changed meanwhile is left as it is now); how many
        were replaced. A signal body's new value keeps the old one's nonce and ciphertext (a
        re-wrapping changes only the wrapped key; :class:`ValueError` if not)."""
        ...

    async def count_sealed(self, column: SealedColumn, *, not_version: int) -> int:
        """How many values of ``column`` are not sealed under ``not_version``."""
        ...
