"""Requests for information as kept: open, overdue and answered, as each partner may see them.

A request is kept with the signal that makes it, and closed by the first reply from one of
its recipients. ``open`` is every request without a reply, the overdue ones included;
``overdue`` those whose deadline has passed without one; ``answered`` those a recipient
replied to. A partner sees the requests it sent, and those it received (not those the
policy denied it, nor those whose copy waits for a liaison officer or was rejected by one: it
cannot answer what it never got); as a recipient it sees only the recipients that received
the signal too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class RequestState(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    ANSWERED = "answered"


@dataclass(frozen=True)
class TrackedRequest:
    signal_id: str
    sender_id: str
    recipients: tuple[str, ...]
    deadline_kind: str
    received_at: datetime
    deadline: datetime
    answered_by: str | None
    """The reply's signal id."""
    replied_by: str | None
    """The partner that sent the reply."""
    answered_at: datetime | None


class RequestStore(Protocol):
    async def requests(
        self, state: RequestState, *, now: datetime, viewer: str | None = None
    ) -> list[TrackedRequest]:
        """Requests in ``state`` at ``now``, most pressing (earliest deadline) first; all of
        them for ``viewer=None`` (administrators, compliance), else what ``viewer`` may see."""
        ...

    async def request_kind(self, signal_id: str) -> str | None:
        """The kind of time limit of the request ``signal_id`` makes, if it makes one."""
        ...
