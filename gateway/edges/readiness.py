"""Readiness: the named checks ``GET /readyz`` runs, each bounded by a timeout, and their
report. The list is a registry: whatever else must hold for the gateway to take work (storage
not full, say) is one more :meth:`Readiness.add`.

Checks run together, at most one round at a time, and a round's report serves every caller
for ``reuse_for`` seconds: however often monitoring asks, the store sees one probe a while.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

JsonValue = str | int | float | bool | None


@dataclass(frozen=True)
class CheckResult:
    """Whether a check passed, and what it saw (no personal data: states, digests, ages)."""

    ok: bool
    detail: Mapping[str, JsonValue] = field(default_factory=dict)

    def as_json(self) -> dict[str, JsonValue]:
        return {"ok": self.ok, **self.detail}


Check = Callable[[], Awaitable[CheckResult]]
TIMED_OUT: Final = "timeout"
ACCEPTING: Final = "accepting"
"""The check a stopping gateway reports failed, in place of all the others."""


@dataclass(frozen=True)
class Report:
    checks: Mapping[str, CheckResult]

    @property
    def ready(self) -> bool:
        return all(result.ok for result in self.checks.values())

    def failing(self) -> list[str]:
        return [name for name, result in self.checks.items() if not result.ok]

    def as_json(self) -> dict[str, object]:
        return {
            "status": "ready" if self.ready else "not ready",
            "checks": {name: result.as_json() for name, result in self.checks.items()},
        }


class Readiness:
    def __init__(self, *, timeout: float = 2.0, reuse_for: float = 1.0) -> None:
        self._checks: dict[str, Check] = {}
        self._timeout = timeout
        self._reuse_for = reuse_for
        self._latest: Report | None = None
        self._taken_at = -float("inf")
        self._round: asyncio.Task[Report] | None = None
        self._stopping = False

    def add(self, name: str, check: Check) -> None:
        """Run ``check`` under ``name`` from the next round on; a name is taken once."""
        if name in self._checks:
            raise ValueError(f"a readiness check named {name!r} exists already")
        self._checks[name] = check

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._checks)

    def stopping(self) -> None:
        """The gateway is stopping: from now on every report says so and is not ready, so
        that a load balancer sends no new work while the requests in flight finish."""
        self._stopping = True

    async def report(self) -> Report:
        """The latest round's report if it is recent enough, else a new round's."""
        if self._stopping:
            return Report({ACCEPTING: CheckResult(False, {"stopping": True})})
        if self._latest is not None and time.monotonic() - self._taken_at < self._reuse_for:
            return self._latest
        if self._round is None:
            self._round = asyncio.ensure_future(self._run())
        return await asyncio.shield(self._round)

    async def _run(self) -> Report:
        try:
            names = list(self._checks)
            results = await asyncio.gather(*(self._bounded(self._checks[n]) for n in names))
            self._latest = Report(dict(zip(names, results, strict=True)))
            self._taken_at = time.monotonic()
            return self._latest
        finally:
            self._round = None

    async def _bounded(self, check: Check) -> CheckResult:
        """The check's result; a check that raises or overruns fails, naming only the kind of
        error (an exception's message may quote data)."""
        try:
            async with asyncio.timeout(self._timeout):
                return await check()
        except TimeoutError:
            return CheckResult(False, {"error": TIMED_OUT})
        except Exception as exc:  # noqa: BLE001 - a failing check is a result, not a crash
            return CheckResult(False, {"error": type(exc).__name__})
