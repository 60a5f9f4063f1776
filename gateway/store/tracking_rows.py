"""The rows both backends answer ``signal_tracks`` with
(:class:`~gateway.store.interface.tracking.TrackingStore`), and how they become records: one
row per recipient and version of its copy (a recipient without a copy has one row, its copy
columns empty)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Final

from gateway.decide.decision import Verdict
from gateway.store.interface.delivery import CopyReview, DeliveryState
from gateway.store.interface.review import ReviewState
from gateway.store.interface.tracking import (
    CopyTrack,
    RequestTrack,
    ReviewTrack,
    SignalTrack,
    VersionTrack,
    WithdrawnTrack,
)

TRACK_COLUMNS: Final = (
    "d.signal_id, d.recipient_id, d.verdict, d.rule_ids, "
    "r.country, r.reasons, r.state, r.created_at, r.decided_at, "
    "c.version, c.review, c.state, c.created_at, c.sealed_at, "
    "e.fetch_count, e.last_fetched_at, e.acked_at, dl.state, dl.delivered_at, "
    "q.deadline_kind, q.deadline, q.answered_at, r.rejection_category, "
    "c.notice, w.reason, w.withdrawn_at, w.replaced_by, "
    "EXISTS (SELECT 1 FROM restricted_signals rs WHERE rs.signal_id = d.signal_id)"
)
TRACK_JOINS: Final = (
    "FROM decisions d "
    "LEFT JOIN review_items r ON r.signal_id = d.signal_id AND r.recipient_id = d.recipient_id "
    "LEFT JOIN copies c ON c.signal_id = d.signal_id AND c.recipient_id = d.recipient_id "
    "LEFT JOIN envelopes e ON e.copy_id = c.id "
    "LEFT JOIN deliveries dl ON dl.envelope_id = e.id "
    "LEFT JOIN requests q ON q.signal_id = d.signal_id "
    "LEFT JOIN withdrawals w ON w.signal_id = d.signal_id "
)

Moment = Callable[[Any], datetime]
Listed = Callable[[Any], Sequence[str]]


def signal_tracks(
    rows: Sequence[Sequence[Any]], order: Sequence[str], *, moment: Moment, listed: Listed
) -> list[SignalTrack]:
    """``rows`` (recipients in the order decided, versions in order) as one track per signal,
    in ``order``; ``moment`` and ``listed`` read a backend's times and JSON lists."""

    def at(value: Any) -> datetime | None:
        return None if value is None else moment(value)

    copies: dict[str, dict[str, CopyTrack]] = {}
    requests: dict[str, RequestTrack | None] = {}
    withdrawals: dict[str, WithdrawnTrack | None] = {}
    restricted: dict[str, bool] = {}
    for row in rows:
        signal_id, recipient_id = row[0], row[1]
        per_signal = copies.setdefault(signal_id, {})
        track = per_signal.get(recipient_id)
        if track is None:
            review = (
                None
                if row[4] is None
                else ReviewTrack(
                    row[4],
                    tuple(listed(row[5])),
                    ReviewState(row[6]),
                    moment(row[7]),
                    at(row[8]),
                    row[22],
                )
            )
            track = CopyTrack(
                signal_id, recipient_id, Verdict(row[2]), tuple(listed(row[3])), review, ()
            )
        if row[9] is not None:
            version = VersionTrack(
                version=int(row[9]),
                review=CopyReview(row[10] or CopyReview.NONE),
                queued_at=moment(row[12]),
                sealed_at=at(row[13]),
                withdrawn=row[11] == "withdrawn",
                fetch_count=int(row[14] or 0),
                last_fetched_at=at(row[15]),
                acked_at=at(row[16]),
                push=None if row[17] is None else DeliveryState(row[17]),
                pushed_at=at(row[18]),
                notice=row[23],
            )
            track = replace(track, versions=(*track.versions, version))
        per_signal[recipient_id] = track
        withdrawals[signal_id] = (
            None if row[24] is None else WithdrawnTrack(row[24], moment(row[25]), row[26])
        )
        restricted[signal_id] = bool(row[27])
        requests[signal_id] = (
            None if row[19] is None else RequestTrack(row[19], moment(row[20]), at(row[21]))
        )
    return [
        SignalTrack(
            signal_id,
            tuple(copies[signal_id].values()),
            requests[signal_id],
            withdrawals[signal_id],
            restricted[signal_id],
        )
        for signal_id in dict.fromkeys(order)
        if signal_id in copies
    ]
