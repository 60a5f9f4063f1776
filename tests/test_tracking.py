"""What a sender may see of its signal's copies (:mod:`gateway.flow.tracking`), for any record
the store could give: a denied recipient shows nothing beyond its verdict and rules, a rejected
copy is rejected whatever went out before, a withdrawn version never counts, and a request is
overdue exactly when its deadline passed unanswered."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from gateway.decide.decision import Verdict
from gateway.decide.review import REJECTION_LABELS, RejectionCategory
from gateway.flow.tracking import CopyState, copy_status, request_status
from gateway.infra.i18n import LANGUAGES, translate
from gateway.store import (
    CopyReview,
    CopyTrack,
    DeliveryState,
    RequestState,
    RequestTrack,
    ReviewState,
    ReviewTrack,
    VersionTrack,
)

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
moments = st.integers(min_value=0, max_value=10**12).map(
    lambda us: START + timedelta(microseconds=us)
)
maybe = st.none() | moments

reviews = st.builds(
    ReviewTrack,
    desk=st.sampled_from(["NL", "BE", "DE"]),
    reasons=st.lists(st.sampled_from(["language", "held", "rule"]), max_size=3).map(tuple),
    state=st.sampled_from(ReviewState),
    since=moments,
    decided_at=maybe,
    rejection_category=st.none() | st.sampled_from([str(c) for c in RejectionCategory]),
)
versions = st.builds(
    VersionTrack,
    version=st.integers(min_value=1, max_value=3),
    review=st.sampled_from(CopyReview),
    queued_at=moments,
    sealed_at=maybe,
    withdrawn=st.booleans(),
    fetch_count=st.integers(min_value=0, max_value=5),
    last_fetched_at=maybe,
    acked_at=maybe,
    push=st.none() | st.sampled_from(DeliveryState),
    pushed_at=maybe,
)
copies = st.builds(
    CopyTrack,
    signal_id=st.just("s-1"),
    recipient_id=st.sampled_from(["be-pol-liege", "de-pol-aachen"]),
    verdict=st.sampled_from(Verdict),
    rule_ids=st.lists(st.sampled_from(["1", "2", "5", "10"]), min_size=1, max_size=2).map(tuple),
    review=st.none() | reviews,
    versions=st.lists(versions, max_size=3).map(tuple),
)


@given(copies)
def test_a_denied_recipient_shows_its_verdict_and_rules_only(copy: CopyTrack) -> None:
    shown = copy_status(copy).as_json("en")
    if copy.verdict is Verdict.DENY:
        assert shown == {
            "partner": copy.recipient_id,
            "verdict": "deny",
            "rules": list(copy.rule_ids),
            "state": "denied",
        }
    else:
        assert shown["state"] != "denied"


@given(copies, st.sampled_from(LANGUAGES))
def test_a_rejection_is_shown_by_its_category_in_the_callers_language(
    copy: CopyTrack, language: str
) -> None:
    shown = copy_status(copy).as_json(language)
    category = None if copy.review is None else copy.review.rejection_category
    if copy.verdict is Verdict.DENY or category is None:
        assert "rejection_category" not in shown.get("review", {})
        return
    label = translate(REJECTION_LABELS[RejectionCategory(category)], language)
    assert shown["review"]["rejection_category"] == {"code": category, "label": label}


@given(copies)
def test_a_copy_is_rejected_exactly_when_its_desk_rejected_it(copy: CopyTrack) -> None:
    state = copy_status(copy).state
    rejected = copy.review is not None and copy.review.state is ReviewState.REJECTED
    if copy.verdict is not Verdict.DENY:
        assert (state is CopyState.REJECTED) == rejected


@given(copies, versions)
def test_a_withdrawn_version_changes_nothing(copy: CopyTrack, extra: VersionTrack) -> None:
    withdrawn = VersionTrack(**{**extra.__dict__, "withdrawn": True})
    with_it = CopyTrack(**{**copy.__dict__, "versions": (*copy.versions, withdrawn)})
    assert copy_status(with_it) == copy_status(copy)


@given(copies)
def test_a_copy_waits_only_while_nothing_went_out(copy: CopyTrack) -> None:
    status = copy_status(copy)
    if status.state is CopyState.WAITING:
        assert all(v.withdrawn for v in copy.versions)
        assert copy.review is not None
        assert copy.review.state is ReviewState.PENDING


@given(moments, maybe, moments)
def test_a_request_is_overdue_exactly_when_its_deadline_passed_unanswered(
    deadline: datetime, answered_at: datetime | None, now: datetime
) -> None:
    status = request_status(RequestTrack("urgent_direct", deadline, answered_at), now)
    overdue = answered_at is None and now > deadline
    assert (status.state is RequestState.OVERDUE) == overdue
    assert (status.state is RequestState.ANSWERED) == (answered_at is not None)
    if overdue:
        assert status.seconds_overdue == math.ceil((now - deadline).total_seconds())
        assert status.seconds_overdue >= 1
    else:
        assert "seconds_overdue" not in status.as_json()
