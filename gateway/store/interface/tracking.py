"""What became of a signal's copies, as the store keeps it: for each recipient its decision,
its review item, and each version of its copy with the envelope and the push it went out in.

One query answers it for one signal or a page of them, on every backend; what the sender may
see of it is decided in :mod:`gateway.flow.tracking`, not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gateway.decide.decision import Verdict
from gateway.store.interface.delivery import CopyReview, DeliveryState
from gateway.store.interface.review import ReviewState

SENT_PAGE_MAX = 200
"""The most signals one page of a sender's list holds."""


@dataclass(frozen=True)
class ReviewTrack:
    """A copy's stay at a liaison desk: whose desk, why, since when, and how it ended (a
    rejection with its category)."""

    desk: str
    reasons: tuple[str, ...]
    state: ReviewState
    since: datetime
    decided_at: datetime | None
    rejection_category: str | None = None


@dataclass(frozen=True)
class VersionTrack:
    """One version of a copy: queued, sealed into an envelope, fetched, acknowledged, pushed.

    ``withdrawn`` is a first version an officer's rejection stopped before it was sealed."""

    version: int
    review: CopyReview
    queued_at: datetime
    sealed_at: datetime | None
    withdrawn: bool
    fetch_count: int
    last_fetched_at: datetime | None
    acked_at: datetime | None
    push: DeliveryState | None
    pushed_at: datetime | None
    notice: str | None = None
    """The withdrawal's reason code when this version is a notice of it, not the signal."""


@dataclass(frozen=True)
class CopyTrack:
    """One recipient's copy of a signal: the verdict and rules, its review, its versions."""

    signal_id: str
    recipient_id: str
    verdict: Verdict
    rule_ids: tuple[str, ...]
    review: ReviewTrack | None
    versions: tuple[VersionTrack, ...]


@dataclass(frozen=True)
class RequestTrack:
    """A request's deadline, and when it was answered."""

    kind: str
    deadline: datetime
    answered_at: datetime | None


@dataclass(frozen=True)
class SignalTrack:
    """Everything :class:`TrackingStore` knows of one signal's way to its recipients."""

    signal_id: str
    copies: tuple[CopyTrack, ...]
    request: RequestTrack | None
    withdrawn: WithdrawnTrack | None = None
    restricted: bool = False
    """A restriction of processing for a person it mentions holds it: nothing of it leaves
    the gateway until lifted (:mod:`gateway.store.interface.restriction`)."""


@dataclass(frozen=True)
class WithdrawnTrack:
    """The sender withdrew the signal: why and when; the new version, if it was replaced."""

    reason: str
    at: datetime
    replaced_by: str | None = None


@dataclass(frozen=True)
class SentSignal:
    """One of a sender's signals in its list; ``position`` orders them (newest highest)."""

    id: str
    sender_reference: str
    received_at: datetime
    position: int


class TrackingStore(Protocol):
    async def signal_tracks(self, signal_ids: Sequence[str]) -> list[SignalTrack]:
        """Each signal's copies, recipients in the order decided and versions in order, and its
        request, in one round trip; signals not kept are left out."""
        ...

    async def sent_signals(self, sender_id: str, *, before: int, limit: int) -> list[SentSignal]:
        """The sender's own signals, newest first, those with a position below ``before``
        (every one for 0), at most ``limit``."""
        ...
