"""A circuit breaker for a machine translation engine: after ``threshold`` failed calls in a
row it opens, and calls fail at once with
:class:`~gateway.translate.base.TranslationUnavailable` until ``cool_down`` has passed; then
one trial call may go (half-open), whose outcome closes or reopens it. It reads the gateway's
injected :class:`~gateway.infra.clock.Clock`, so its cool-down is tested without waiting.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from gateway.infra.clock import Clock, SystemClock
from gateway.translate.base import TranslationUnavailable

BreakerState = Literal["closed", "open", "half-open"]


class CircuitBreaker:
    """Opens after ``threshold`` failures in a row; lets one trial through after ``cool_down``."""

    def __init__(
        self,
        *,
        threshold: int = 5,
        cool_down: timedelta = timedelta(seconds=30),
        clock: Clock | None = None,
        engine: str = "libretranslate",
    ) -> None:
        """``engine`` names the engine the breaker guards, in its refusals."""
        if threshold < 1:
            raise ValueError("a breaker opens after at least one failure")
        self.threshold = threshold
        self.cool_down = cool_down
        self._clock = clock or SystemClock()
        self._failures = 0
        self._opened_at: datetime | None = None
        self._trial = False
        self._engine = engine

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self._clock.now() - self._opened_at >= self.cool_down:
            return "half-open"
        return "open"

    def enter(self) -> None:
        """Admit a call or raise :class:`TranslationUnavailable`; half-open admits one at a time."""
        state = self.state
        if state == "open" or (state == "half-open" and self._trial):
            raise TranslationUnavailable(f"{self._engine}: circuit open after repeated failures")
        if state == "half-open":
            self._trial = True

    def succeeded(self) -> None:
        self._failures, self._opened_at, self._trial = 0, None, False

    def failed(self) -> None:
        self._failures += 1
        if self._trial or self._failures >= self.threshold:
            self._opened_at = self._clock.now()
        self._trial = False

    def abandoned(self) -> None:
        """A call was cancelled before it said anything about the server."""
        self._trial = False
