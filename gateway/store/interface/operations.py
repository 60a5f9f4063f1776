"""What the operations listener asks of the store: a probe that it still writes, and the
counts monitoring watches (queues, backlogs, deadlines, the audit log), in one snapshot.

Both are bounded by their caller (a timeout, and at most one snapshot in flight); neither
reads anything about a person or a signal's content: counts, ages and partner ids only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class OperationsSnapshot:
    """Counts and oldest times of what waits, as the store holds them at one moment."""

    pending_copies: int = 0
    oldest_pending_copy: datetime | None = None
    review_waiting: dict[str, int] = field(default_factory=dict)
    """Copies waiting for a liaison officer, per desk (the recipient's country)."""
    review_oldest: dict[str, datetime] = field(default_factory=dict)
    requests_open: dict[str, int] = field(default_factory=dict)
    """Unanswered requests per deadline kind, the overdue ones included."""
    requests_overdue: dict[str, int] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)
    """Webhook pushes per state (pending, delivered, dead)."""
    audit_entries: int = 0
    latest_checkpoint_at: datetime | None = None
    latest_cosignature_at: datetime | None = None
    certificates_expire: dict[str, datetime] = field(default_factory=dict)
    """Per active partner, when the last of its active client certificates expires."""


class OperationsStore(Protocol):
    async def probe(self) -> None:
        """A real write and a read of it, through the same paths as every other write and
        read; raises what the store raises when it cannot."""
        ...

    async def operations_snapshot(self, now: datetime) -> OperationsSnapshot:
        """What monitoring watches, at ``now`` (which decides what is overdue)."""
        ...
