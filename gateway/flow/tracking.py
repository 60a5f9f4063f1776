"""What the sender of a signal may see of what became of it: for each recipient, the state of
its copy with the times it got there, and whether a request's deadline has passed.

The sender sees what its receipt showed already (each recipient's verdict and the ids of the
rules that decided it) and, for the copies that go out, their way: waiting at a country's
liaison desk (since when, and why, by reason code), released or rejected by that desk (when,
and a rejection's category; never which officer, nor what an officer wrote), sealed, fetched,
acknowledged, pushed. A denied recipient is shown as denied and nothing more: there is no
copy to follow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from gateway.decide.decision import Verdict
from gateway.flow import deadlines
from gateway.flow.rejection import rejection_category_json
from gateway.infra.audit import timestamp
from gateway.infra.i18n import N_
from gateway.store import (
    CopyReview,
    CopyTrack,
    DeliveryState,
    NewSignal,
    RequestState,
    RequestTrack,
    ReviewState,
    ReviewTrack,
    SignalTrack,
    VersionTrack,
    WithdrawnTrack,
)


class CopyState(StrEnum):
    """Where a recipient's copy is, the furthest it got."""

    DENIED = "denied"
    WAITING = "waiting"
    REJECTED = "rejected"
    QUEUED = "queued"
    SEALED = "sealed"
    FETCHED = "fetched"
    ACKNOWLEDGED = "acknowledged"
    PUSHED = "pushed"
    WITHDRAWN = "withdrawn"
    RESTRICTED = "restricted"


STATE_LABELS = {
    CopyState.DENIED: N_("denied by the sharing rules"),
    CopyState.WAITING: N_("waiting for review"),
    CopyState.REJECTED: N_("rejected"),
    CopyState.QUEUED: N_("queued for sealing"),
    CopyState.SEALED: N_("sealed, in the inbox"),
    CopyState.FETCHED: N_("fetched"),
    CopyState.ACKNOWLEDGED: N_("acknowledged"),
    CopyState.PUSHED: N_("pushed to the webhook"),
    CopyState.WITHDRAWN: N_("withdrawn by the sender"),
    CopyState.RESTRICTED: N_("held: processing restricted for a person it mentions"),
}
HELD_BY_RESTRICTION = frozenset(
    {CopyState.WAITING, CopyState.QUEUED, CopyState.SEALED, CopyState.FETCHED}
)
"""The states of a copy that has not reached its recipient for good: a restriction holds it
there."""


@dataclass(frozen=True)
class CopyStatus:
    """One recipient's copy as its sender may see it."""

    recipient_id: str
    verdict: Verdict
    rule_ids: tuple[str, ...]
    state: CopyState
    review: ReviewTrack | None
    latest: VersionTrack | None
    notice: VersionTrack | None = None
    """The notice of the signal's withdrawal sent to this recipient, and how far it got."""

    @property
    def unreviewed(self) -> bool:
        """The copy went out before an officer's review (an ``immediate`` signal)."""
        return self.latest is not None and self.latest.review is CopyReview.PENDING

    def as_json(self, language: str) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "partner": self.recipient_id,
            "verdict": str(self.verdict),
            "rules": list(self.rule_ids),
            "state": str(self.state),
        }
        if self.state is CopyState.DENIED:
            return shown
        if self.review is not None:
            shown["review"] = _review_json(self.review, language)
        if self.latest is not None:
            shown["copy"] = _version_json(self.latest, unreviewed=self.unreviewed)
        if self.notice is not None:
            shown["notice"] = _version_json(self.notice, unreviewed=False)
        return shown


@dataclass(frozen=True)
class RequestStatus:
    """A request's deadline at one moment: open, overdue or answered."""

    request: RequestTrack
    state: RequestState
    seconds_overdue: int | None

    def as_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "kind": self.request.kind,
            "deadline": timestamp(self.request.deadline),
            "state": str(self.state),
        }
        if self.request.answered_at is not None:
            shown["answered_at"] = timestamp(self.request.answered_at)
        if self.seconds_overdue is not None:
            shown["seconds_overdue"] = self.seconds_overdue
        return shown


@dataclass(frozen=True)
class SenderView:
    """What became of one signal, as its sender sees it at one moment."""

    signal_id: str
    copies: tuple[CopyStatus, ...]
    request: RequestStatus | None
    withdrawn: WithdrawnTrack | None = None

    def as_json(self, language: str) -> dict[str, Any]:
        shown: dict[str, Any] = {"recipients": [copy.as_json(language) for copy in self.copies]}
        if self.request is not None:
            shown["request"] = self.request.as_json()
        if self.withdrawn is not None:
            shown["withdrawn"] = withdrawn_json(self.withdrawn)
        return shown


def withdrawn_json(withdrawn: WithdrawnTrack) -> dict[str, Any]:
    shown: dict[str, Any] = {"reason": withdrawn.reason, "at": timestamp(withdrawn.at)}
    if withdrawn.replaced_by is not None:
        shown["replaced_by"] = withdrawn.replaced_by
    return shown


def sender_view(track: SignalTrack, now: datetime) -> SenderView:
    return SenderView(
        track.signal_id,
        tuple(
            copy_status(copy, withdrawn=track.withdrawn is not None, restricted=track.restricted)
            for copy in track.copies
        ),
        None if track.request is None else request_status(track.request, now),
        track.withdrawn,
    )


def accepted_track(signal: NewSignal) -> SignalTrack:
    """What the store tracks of ``signal`` the moment it is kept, from what intake decided:
    each recipient's decision, its copy waiting at a desk since the receipt, and its first
    version queued then; what :meth:`~gateway.store.TrackingStore.signal_tracks` reads back
    in the same transaction, without reading it."""
    reviews = {item.recipient_id: item for item in signal.reviews}
    copies = {copy.recipient_id: copy for copy in signal.copies}
    received = signal.received_at
    tracks = []
    for decision in signal.decisions:
        item = reviews.get(decision.recipient_id)
        copy = copies.get(decision.recipient_id)
        review = (
            None
            if item is None
            else ReviewTrack(item.country, item.reasons, ReviewState.PENDING, received, None)
        )
        versions = () if copy is None else (_queued(copy.review, received),)
        tracks.append(
            CopyTrack(
                signal.id,
                decision.recipient_id,
                decision.verdict,
                decision.rule_ids,
                review,
                versions,
            )
        )
    request = (
        None
        if signal.request is None
        else RequestTrack(signal.request.kind, signal.request.deadline, None)
    )
    return SignalTrack(signal.id, tuple(tracks), request)


def _queued(review: CopyReview, at: datetime) -> VersionTrack:
    """A copy's first version, queued ``at`` and not sealed yet."""
    return VersionTrack(
        version=1,
        review=review,
        queued_at=at,
        sealed_at=None,
        withdrawn=False,
        fetch_count=0,
        last_fetched_at=None,
        acked_at=None,
        push=None,
        pushed_at=None,
    )


def copy_status(
    copy: CopyTrack, *, withdrawn: bool = False, restricted: bool = False
) -> CopyStatus:
    """One recipient's copy; once the signal is ``withdrawn``, every copy not denied is
    shown so, with the notice its recipient was sent, if it had got the signal; while it is
    ``restricted``, every copy its recipient has not acknowledged is shown held."""
    sent = [v for v in copy.versions if not v.withdrawn and v.notice is None]
    notices = [v for v in copy.versions if v.notice is not None]
    latest = sent[-1] if sent else None
    if copy.verdict is Verdict.DENY:
        return CopyStatus(
            copy.recipient_id, copy.verdict, copy.rule_ids, CopyState.DENIED, None, None
        )
    return CopyStatus(
        copy.recipient_id,
        copy.verdict,
        copy.rule_ids,
        CopyState.WITHDRAWN if withdrawn else _state(copy.review, latest, restricted=restricted),
        copy.review,
        latest,
        notices[-1] if notices else None,
    )


def _state(
    review: ReviewTrack | None, latest: VersionTrack | None, *, restricted: bool = False
) -> CopyState:
    state = _furthest(review, latest)
    return CopyState.RESTRICTED if restricted and state in HELD_BY_RESTRICTION else state


def _furthest(review: ReviewTrack | None, latest: VersionTrack | None) -> CopyState:
    if review is not None and review.state is ReviewState.REJECTED:
        return CopyState.REJECTED
    if latest is None:
        pending = review is not None and review.state is ReviewState.PENDING
        return CopyState.WAITING if pending else CopyState.QUEUED
    if latest.push is DeliveryState.DELIVERED:
        return CopyState.PUSHED
    if latest.acked_at is not None:
        return CopyState.ACKNOWLEDGED
    if latest.fetch_count > 0:
        return CopyState.FETCHED
    if latest.sealed_at is not None:
        return CopyState.SEALED
    return CopyState.QUEUED


def request_status(request: RequestTrack, now: datetime) -> RequestStatus:
    if request.answered_at is not None:
        return RequestStatus(request, RequestState.ANSWERED, None)
    if deadlines.overdue(request.deadline, now, answered=False):
        late = math.ceil((now - request.deadline).total_seconds())
        return RequestStatus(request, RequestState.OVERDUE, late)
    return RequestStatus(request, RequestState.OPEN, None)


def _review_json(review: ReviewTrack, language: str) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "desk": review.desk,
        "reasons": list(review.reasons),
        "state": str(review.state),
        "since": timestamp(review.since),
    }
    if review.decided_at is not None:
        shown["decided_at"] = timestamp(review.decided_at)
    if review.rejection_category is not None:
        shown["rejection_category"] = rejection_category_json(review.rejection_category, language)
    return shown


def _version_json(version: VersionTrack, *, unreviewed: bool) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "version": version.version,
        "unreviewed": unreviewed,
        "queued_at": timestamp(version.queued_at),
        "fetch_count": version.fetch_count,
    }
    for name, at in (
        ("sealed_at", version.sealed_at),
        ("last_fetched_at", version.last_fetched_at),
        ("acknowledged_at", version.acked_at),
        ("pushed_at", version.pushed_at),
    ):
        if at is not None:
            shown[name] = timestamp(at)
    return shown
