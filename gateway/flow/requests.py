"""Requests for information (Directive (EU) 2023/977, art. 5) as shown: each with the time
left before its deadline, or the time it is overdue, at one moment."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.flow import deadlines
from gateway.infra.audit import timestamp
from gateway.infra.errors import QueryInvalid
from gateway.infra.i18n import N_, translate
from gateway.store import RequestState, TrackedRequest

STATES = tuple(str(state) for state in RequestState)

STATE_LABELS = {
    RequestState.OPEN: N_("open"),
    RequestState.OVERDUE: N_("overdue"),
    RequestState.ANSWERED: N_("answered"),
}
KIND_LABELS = {
    "urgent_direct": N_("urgent, direct: 8 hours"),
    "urgent_indirect": N_("urgent, indirect: 3 days"),
    "standard": N_("standard: 7 days"),
}


def parse_state(raw: str | None) -> RequestState:
    """The ``state`` query parameter; ``open`` when absent."""
    if raw is None:
        return RequestState.OPEN
    try:
        return RequestState(raw)
    except ValueError:
        raise QueryInvalid(parameter="state", expected=", ".join(STATES)) from None


@dataclass(frozen=True)
class RequestStatus:
    """A request at ``now``: ``state`` is ``overdue`` rather than ``open`` once it is late;
    ``seconds_left`` is negative by the time overdue; both are None once answered."""

    request: TrackedRequest
    state: RequestState
    seconds_left: int | None
    answered_late: bool | None

    @property
    def seconds_overdue(self) -> int | None:
        if self.seconds_left is None or self.seconds_left >= 0:
            return None
        return -self.seconds_left

    def as_json(self) -> dict[str, Any]:
        request = self.request
        return {
            "signal_id": request.signal_id,
            "sender": request.sender_id,
            "recipients": list(request.recipients),
            "kind": request.deadline_kind,
            "received_at": timestamp(request.received_at),
            "deadline": timestamp(request.deadline),
            "state": str(self.state),
            "seconds_left": None if self.seconds_left is None else max(self.seconds_left, 0),
            "seconds_overdue": self.seconds_overdue,
            "answered_by": None
            if request.answered_by is None
            else {
                "signal_id": request.answered_by,
                "partner": request.replied_by,
                "at": None if request.answered_at is None else timestamp(request.answered_at),
            },
            "answered_late": self.answered_late,
        }


def status(request: TrackedRequest, now: datetime) -> RequestStatus:
    due = request.deadline
    if request.answered_at is not None:
        return RequestStatus(request, RequestState.ANSWERED, None, request.answered_at > due)
    late = deadlines.overdue(due, now, answered=False)
    left = math.floor((due - now).total_seconds())
    return RequestStatus(request, RequestState.OVERDUE if late else RequestState.OPEN, left, None)


def duration(seconds: int, language: str) -> str:
    """``3 d 04:05`` (days, hours and minutes; the day's abbreviation in ``language``)."""
    days, rest = divmod(abs(seconds), 86_400)
    clock = f"{rest // 3600:02}:{rest % 3600 // 60:02}"
    if not days:
        return clock
    return translate(N_("{days} d {time}"), language, days=days, time=clock)
