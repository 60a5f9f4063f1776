"""The audit chain's verifications that compliance staff start from the pages.

Each runs in the background while its page follows how far it got. A gateway has one set of
them, made where the gateway is put together (:mod:`gateway.edges.server`) and handed to the
pages in their context (:class:`~gateway.edges.web.frame.WebContext`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from gateway.store import LastVerification


@dataclass
class VerifyJob:
    id: str
    by: str
    total: int
    checked: int = 0
    result: LastVerification | None = None
    failed: bool = False

    @property
    def done(self) -> bool:
        return self.result is not None or self.failed


@dataclass
class Verifications:
    """A gateway's verification jobs by id, and the tasks that run them."""

    jobs: dict[str, VerifyJob] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def running(self) -> VerifyJob | None:
        """The job still running, if any."""
        return next((job for job in self.jobs.values() if not job.done), None)
