"""The sign-in throttle's state: attempts per address, failures per login name and address.

Every decision is taken in one transaction of the store (:mod:`gateway.staff.throttle`
decides, the store reads and keeps), so concurrent attempts, from this process or another
gateway instance on the same store, cannot spend the same attempt twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gateway.infra.audit import AuditEvent
from gateway.staff.throttle import Failures, ThrottlePolicy, Wait


@dataclass(frozen=True)
class SignInBlock:
    """Failures with one name from one address, for an administrator to see."""

    address: str
    failures: int
    last_failure_at: datetime
    blocked_until: datetime | None


class SignInThrottleStore(Protocol):
    async def admit_sign_in(
        self, *, address: str, name_key: str, now: datetime, policy: ThrottlePolicy
    ) -> Wait | None:
        """Spend one of ``address``'s attempts on ``name_key``, or say how long to wait."""
        ...

    async def sign_in_failed(
        self,
        *,
        address: str,
        name_key: str,
        now: datetime,
        policy: ThrottlePolicy,
        event_for: Callable[[Failures], AuditEvent],
    ) -> Failures:
        """Count a failure with ``name_key`` from ``address``, with its audit event."""
        ...

    async def sign_in_blocks(
        self, name_keys: Iterable[str], now: datetime, policy: ThrottlePolicy
    ) -> dict[str, list[SignInBlock]]:
        """The failures that still count for each name, by address; blocked ones first."""
        ...

    async def lift_sign_in_blocks(
        self, name_key: str, event_for: Callable[[int], AuditEvent]
    ) -> int:
        """Forget every failure with ``name_key``, from every address; how many addresses."""
        ...
