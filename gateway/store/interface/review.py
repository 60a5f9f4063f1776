"""The review queue as kept: one item per recipient copy that waits for a liaison officer.

What an officer writes is kept sealed by the caller: the released texts and a rejection's
reason. Deciding an item is first come, first served: the second officer finds it decided.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from gateway.infra.audit import AuditEvent
from gateway.store.interface.delivery import NewCopy


@dataclass(frozen=True)
class NewReviewItem:
    """A copy to wait for an officer of ``country``, and why; ``release_now`` sends an
    unreviewed first version at once (an ``immediate`` signal)."""

    id: str
    recipient_id: str
    country: str
    urgency: str
    reasons: tuple[str, ...]
    release_now: bool


class ReviewState(StrEnum):
    PENDING = "pending"
    RELEASED = "released"
    REJECTED = "rejected"
    ERASED = "erased"
    """Its signal's time was up while it waited: no officer decided it, and its texts are gone."""
    WITHDRAWN = "withdrawn"
    """Its sender withdrew the signal while it waited: no officer is to decide it."""


@dataclass(frozen=True)
class ReviewItem:
    """A waiting copy, or one an officer decided (``decided_at``, ``officer_id``)."""

    id: str
    signal_id: str
    recipient_id: str
    country: str
    urgency: str
    reasons: tuple[str, ...]
    release_now: bool
    state: ReviewState
    created_at: datetime
    decided_at: datetime | None = None
    officer_id: str | None = None
    rejection_category: str | None = None


@dataclass(frozen=True)
class ReviewOutcome:
    """What an officer decided about a waiting copy: released with the final texts (and the
    copy that then goes out), or rejected with a reason (sealed by the caller) and its
    category (:class:`~gateway.decide.review.RejectionCategory`), which the sender sees."""

    state: ReviewState
    officer_id: str
    correction: bytes | None = None
    rejection_sealed: bytes | None = None
    rejection_category: str | None = None
    copy: NewCopy | None = None


@dataclass(frozen=True)
class ClearReason:
    """A rejection's reason that an older version kept in the clear, to be sealed."""

    item_id: str
    reason: str


class ReviewStore(Protocol):
    async def pending_reviews(self, *, countries: tuple[str, ...] | None) -> list[ReviewItem]:
        """What waits at the desks of ``countries`` (every desk for ``None``), most pressing
        first: ``immediate``, then ``urgent``, then the rest, each oldest first."""
        ...

    async def review_item(self, item_id: str) -> ReviewItem | None:
        """One item, in whatever state."""
        ...

    async def review_correction(self, item_id: str) -> bytes | None:
        """The sealed final texts of a released copy."""
        ...

    async def rejection_reason(self, item_id: str) -> bytes | None:
        """The sealed reason a copy was rejected for."""
        ...

    async def decide_review(
        self, item_id: str, outcome: ReviewOutcome, event: AuditEvent
    ) -> ReviewItem | None:
        """Record ``outcome`` and its audit entry if the copy still waits; ``None`` if it does
        not (another officer was first), and then nothing is written. A released copy's new
        version is queued; a rejected copy's unreviewed first version not yet sealed (its
        recipient had no key, say) is withdrawn and never sealed."""
        ...

    async def clear_rejection_reasons(self) -> list[ClearReason]:
        """The rejections an older version kept in the clear, by item id."""
        ...

    async def seal_rejection_reasons(self, sealed: Mapping[str, bytes]) -> int:
        """Put each item's sealed reason in place of its clear one, which is emptied and
        overwritten; how many were sealed."""
        ...
