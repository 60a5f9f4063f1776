"""What intake tells monitoring: how long examining and deciding took, and each outcome by
the sender's and the recipient's country. Never a signal id, a partner's name or anything a
signal holds: the labels are countries and a handful of outcomes."""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Protocol


class Stage(StrEnum):
    VALIDATE = "validate"
    """parse, validate Signal v1, canonicalise"""
    DECIDE = "decide"
    """route and decide per recipient under the sharing policy"""


class Outcome(StrEnum):
    DELIVER = "deliver"
    REVIEW = "review"
    DENY = "deny"
    REPLAYED = "replayed"
    """a repeated post of a signal already kept, answered with its first receipt"""
    REFUSED = "refused"


NO_RECIPIENT: Final = "none"
"""The recipient country of a refused post: it never got as far as recipients."""


class IntakeObserver(Protocol):
    def timed(self, stage: Stage, seconds: float) -> None: ...

    def counted(self, outcome: Outcome, sender_country: str, recipient_country: str) -> None: ...


class Unwatched:
    """No one listens."""

    def timed(self, stage: Stage, seconds: float) -> None:
        pass

    def counted(self, outcome: Outcome, sender_country: str, recipient_country: str) -> None:
        pass
