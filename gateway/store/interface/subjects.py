"""The data-subject index as kept: keyed hashes beside the signals they were computed from."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class SubjectMatch:
    """A signal a lookup found, with which of the looked-up keys found it."""

    signal_id: str
    sender_id: str
    received_at: datetime
    category: str
    keys: frozenset[str]


class SubjectStore(Protocol):
    async def signals_with_keys(self, keys: Collection[str]) -> list[SubjectMatch]:
        """Signals indexed under any of ``keys`` (kept with each signal), newest first."""
        ...
