"""What a withdrawal did for each recipient, and where its notice is, as pure functions over
the store's tracks: the outcome of each kind of copy, and a notice overdue exactly when the
overdue list's rule says so."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from gateway.decide.decision import Verdict
from gateway.flow.withdrawal import OVERDUE_AFTER, overdue_since
from gateway.flow.withdrawal_state import (
    CopyOutcome,
    NoticeState,
    NoticeStep,
    copy_outcome,
    recipient_told,
)
from gateway.store import (
    CopyReview,
    CopyTrack,
    DeliveryState,
    ReviewState,
    ReviewTrack,
    VersionTrack,
)

NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
QUEUED = NOW - timedelta(days=5)


def version(number: int = 1, **changes: object) -> VersionTrack:
    queued = VersionTrack(
        version=number,
        review=CopyReview.NONE,
        queued_at=QUEUED,
        sealed_at=None,
        withdrawn=False,
        fetch_count=0,
        last_fetched_at=None,
        acked_at=None,
        push=None,
        pushed_at=None,
    )
    return replace(queued, **changes)


def notice(**changes: object) -> VersionTrack:
    return version(2, notice="data_incorrect", **changes)


def track(
    *versions: VersionTrack,
    verdict: Verdict = Verdict.DELIVER,
    review: ReviewState | None = None,
) -> CopyTrack:
    reviewed = None if review is None else ReviewTrack("BE", ("language",), review, QUEUED, None)
    return CopyTrack("s-1", "be-pol-liege", verdict, ("2",), reviewed, versions)


def test_each_kind_of_copy_reads_as_what_the_withdrawal_did_to_it() -> None:
    sealed = version(sealed_at=QUEUED)
    cancelled = version(withdrawn=True)
    assert copy_outcome(track(sealed, notice())) is CopyOutcome.RECEIVED
    assert copy_outcome(track(sealed, version(2, withdrawn=True))) is CopyOutcome.RECEIVED
    assert copy_outcome(track(cancelled)) is CopyOutcome.CANCELLED
    assert copy_outcome(track(review=ReviewState.WITHDRAWN)) is CopyOutcome.FROM_DESK
    assert copy_outcome(track(cancelled, review=ReviewState.REJECTED)) is CopyOutcome.REJECTED
    assert copy_outcome(track(verdict=Verdict.DENY)) is CopyOutcome.DENIED
    assert copy_outcome(track(review=ReviewState.ERASED)) is CopyOutcome.NOT_SENT


def test_a_recipient_without_a_notice_has_no_notice_state_nor_steps() -> None:
    told = recipient_told(track(version(withdrawn=True)), NOW)

    assert (told.notice, told.state, told.steps) == (None, None, ())


def test_a_pushed_notice_took_every_step_in_order_and_is_acknowledged() -> None:
    at = [QUEUED + timedelta(minutes=m) for m in range(5)]
    pushed = notice(
        queued_at=at[0],
        sealed_at=at[1],
        last_fetched_at=at[2],
        fetch_count=1,
        push=DeliveryState.DELIVERED,
        pushed_at=at[3],
        acked_at=at[4],
    )

    told = recipient_told(track(version(sealed_at=QUEUED), pushed), NOW)

    assert told.state is NoticeState.ACKNOWLEDGED
    assert told.steps == tuple(zip(NoticeStep, at, strict=True))


@given(
    sealed_ago=st.one_of(
        st.none(), st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30))
    ),
    acked=st.booleans(),
)
def test_a_notice_is_overdue_exactly_when_unacknowledged_and_sealed_before_the_overdue_days(
    sealed_ago: timedelta | None, acked: bool
) -> None:
    sealed_at = None if sealed_ago is None else NOW - sealed_ago
    shown = notice(sealed_at=sealed_at, acked_at=NOW if acked else None)

    state = recipient_told(track(version(sealed_at=QUEUED), shown), NOW).state

    late = sealed_at is not None and sealed_at < overdue_since(NOW)
    assert overdue_since(NOW) == NOW - OVERDUE_AFTER
    if acked:
        assert state is NoticeState.ACKNOWLEDGED
    elif late:
        assert state is NoticeState.OVERDUE
    else:
        assert state is NoticeState.WAITING
