"""What a withdrawal (or a replacement by a new version) did for each recipient of the signal,
and how far the notice each was sent got, at one moment (LED (EU) 2016/680 art. 7(3): the
recipients must be told): what compliance staff read on the exchange's page.

A recipient that had received the signal is owed a notice; one whose copy was still queued,
or waiting at a liaison desk, lost that copy and is told nothing, for it had nothing. Whether a
notice is overdue is :func:`gateway.flow.withdrawal.notice_overdue`, the rule of the overdue
list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gateway.decide.decision import Verdict
from gateway.flow.withdrawal import notice_overdue
from gateway.store import CopyTrack, DeliveryState, ReviewState, SignalTrack, VersionTrack


class CopyOutcome(StrEnum):
    """What had become of a recipient's copy when the signal was withdrawn."""

    RECEIVED = "received"
    """An envelope of the signal was sealed for it: it is sent a notice."""
    FROM_DESK = "withdrawn_from_desk"
    """It waited at a liaison desk and was withdrawn from it before any officer decided."""
    CANCELLED = "cancelled"
    """It was queued and cancelled before it was sealed."""
    REJECTED = "rejected"
    """A liaison officer had rejected it: nothing went out."""
    DENIED = "denied"
    """The sharing rules gave it nothing."""
    NOT_SENT = "not_sent"
    """Nothing had gone out, nor was anything left to cancel."""


class NoticeState(StrEnum):
    """Where a notice is: acknowledged, overdue, or neither yet."""

    ACKNOWLEDGED = "acknowledged"
    OVERDUE = "overdue"
    WAITING = "waiting"


class NoticeStep(StrEnum):
    """A step of a notice's way, in the order it takes them."""

    QUEUED = "queued"
    SEALED = "sealed"
    FETCHED = "fetched"
    PUSHED = "pushed"
    ACKNOWLEDGED = "acknowledged"


@dataclass(frozen=True)
class RecipientTold:
    """One recipient of a withdrawn signal: what became of its copy, and its notice."""

    recipient_id: str
    outcome: CopyOutcome
    notice: VersionTrack | None
    state: NoticeState | None
    """None when no notice is owed."""

    @property
    def steps(self) -> tuple[tuple[NoticeStep, datetime], ...]:
        """The steps the notice took so far, with when (the last fetch for a fetched one)."""
        notice = self.notice
        if notice is None:
            return ()
        pushed = notice.pushed_at if notice.push is DeliveryState.DELIVERED else None
        reached = (
            (NoticeStep.QUEUED, notice.queued_at),
            (NoticeStep.SEALED, notice.sealed_at),
            (NoticeStep.FETCHED, notice.last_fetched_at),
            (NoticeStep.PUSHED, pushed),
            (NoticeStep.ACKNOWLEDGED, notice.acked_at),
        )
        return tuple((step, at) for step, at in reached if at is not None)


def recipients_told(track: SignalTrack, now: datetime) -> list[RecipientTold]:
    """Each recipient of the withdrawn signal ``track``, in the order decided, as at ``now``."""
    return [recipient_told(copy, now) for copy in track.copies]


def recipient_told(copy: CopyTrack, now: datetime) -> RecipientTold:
    notices = [v for v in copy.versions if v.notice is not None]
    notice = notices[-1] if notices else None
    state = None if notice is None else notice_state(notice, now)
    return RecipientTold(copy.recipient_id, copy_outcome(copy), notice, state)


def notice_state(notice: VersionTrack, now: datetime) -> NoticeState:
    if notice.acked_at is not None:
        return NoticeState.ACKNOWLEDGED
    if notice_overdue(notice.sealed_at, notice.acked_at, now):
        return NoticeState.OVERDUE
    return NoticeState.WAITING


def copy_outcome(copy: CopyTrack) -> CopyOutcome:
    """What had become of ``copy`` by the withdrawal (its notices left aside)."""
    sent = [v for v in copy.versions if v.notice is None]
    review = copy.review.state if copy.review is not None else None
    if copy.verdict is Verdict.DENY:
        return CopyOutcome.DENIED
    if any(v.sealed_at is not None for v in sent):
        return CopyOutcome.RECEIVED
    if review is ReviewState.WITHDRAWN:
        return CopyOutcome.FROM_DESK
    if review is ReviewState.REJECTED:
        return CopyOutcome.REJECTED
    if any(v.withdrawn for v in sent):
        return CopyOutcome.CANCELLED
    return CopyOutcome.NOT_SENT
