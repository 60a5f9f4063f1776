"""The sign-in throttle, as pure functions over what the database keeps.

Two limits, and neither lets anyone lock a person out of their account:

- **per client address**, whatever the name typed: ``burst`` attempts at once, then one every
  ``interval`` (a token bucket). A flood from one address costs that address, not the gateway.
- **per login name and address**: from the ``failures_before_block``-th failure with one name
  from one address, that address must wait before trying that name again: 15 minutes, then
  30, 60 and so on up to a day. Other addresses (the holder's own desk) are not affected, so
  an account attacked from many addresses stays usable from those that have not failed; a
  failure is forgotten a day after the last one. A success clears the count for its address.

The name is kept as a keyed hash of what was typed (:func:`name_key`), an account or not, so
unknown names are throttled exactly like known ones and the throttle reveals nothing about
which accounts exist.
The state lives in the database, so several gateway instances share it. Addresses are
counted as :func:`gateway.infra.addresses.address_key` says.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from gateway.infra.vault import MasterKey

NAME_KEY_PURPOSE: Final = b"euregate/staff/sign-in-name/v1"


@dataclass(frozen=True)
class ThrottlePolicy:
    burst: int = 10
    interval: timedelta = timedelta(seconds=6)
    failures_before_block: int = 5
    first_block: timedelta = timedelta(minutes=15)
    longest_block: timedelta = timedelta(days=1)
    forget_after: timedelta = timedelta(days=1)

    def __post_init__(self) -> None:
        if self.burst < 1 or self.failures_before_block < 1:
            raise ValueError("a throttle admits at least one attempt and one failure")
        if self.forget_after < self.longest_block:
            raise ValueError("failures must be remembered at least as long as a block lasts")

    @property
    def bucket_full_after(self) -> timedelta:
        """How long an untouched address takes to be back at ``burst``: after that its row
        remembers nothing and can go."""
        return self.interval * self.burst


class Scope(StrEnum):
    """What a wait is for: the address as a whole, or one login name from it."""

    ADDRESS = "address"
    NAME = "name"


@dataclass(frozen=True)
class Wait:
    """An attempt refused before any password is checked, and how long to wait."""

    seconds: int
    scope: Scope


@dataclass(frozen=True)
class Bucket:
    """An address's attempts left (fractional while refilling) as of ``at``."""

    tokens: float
    at: datetime


@dataclass(frozen=True)
class Failures:
    """Failed sign-ins with one name from one address."""

    count: int
    last_failure_at: datetime
    blocked_until: datetime | None = None

    def blocked(self, now: datetime) -> bool:
        return self.blocked_until is not None and now < self.blocked_until


def name_key(key: MasterKey, typed: str) -> str:
    """A keyed hash of a login name as typed (trimmed, in lower case): the same for the same
    name, meaningless without the gateway's master key."""
    secret = key.derive(NAME_KEY_PURPOSE)
    return hmac.new(secret, typed.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()


def tokens(policy: ThrottlePolicy, bucket: Bucket | None, now: datetime) -> float:
    if bucket is None:
        return float(policy.burst)
    elapsed = max((now - bucket.at).total_seconds(), 0.0)
    return min(float(policy.burst), bucket.tokens + elapsed / policy.interval.total_seconds())


def admit(
    policy: ThrottlePolicy, bucket: Bucket | None, failures: Failures | None, now: datetime
) -> tuple[Wait | None, Bucket | None]:
    """Whether an attempt may go on to have its password checked: ``(None, the address's
    bucket after it)``, or ``(the wait, None)`` with nothing spent."""
    failures = current(policy, failures, now)
    if failures is not None and failures.blocked_until is not None and now < failures.blocked_until:
        return Wait(_seconds(failures.blocked_until - now), Scope.NAME), None
    left = tokens(policy, bucket, now)
    if left < 1:
        return Wait(_seconds(policy.interval * (1 - left)), Scope.ADDRESS), None
    return None, Bucket(left - 1, now)


def current(policy: ThrottlePolicy, failures: Failures | None, now: datetime) -> Failures | None:
    """``failures`` as they count at ``now``: forgotten ``forget_after`` the last one (no
    block lasts longer than that)."""
    if failures is None or now - failures.last_failure_at >= policy.forget_after:
        return None
    return failures


def after_failure(policy: ThrottlePolicy, failures: Failures | None, now: datetime) -> Failures:
    count = (current(policy, failures, now) or Failures(0, now)).count + 1
    duration = block_duration(policy, count)
    return Failures(count, now, None if duration is None else now + duration)


def block_duration(policy: ThrottlePolicy, failures: int) -> timedelta | None:
    """How long ``failures`` failures with one name from one address block that address."""
    if failures < policy.failures_before_block:
        return None
    doublings = min(failures - policy.failures_before_block, 16)
    return min(policy.first_block * (1 << doublings), policy.longest_block)


def _seconds(duration: timedelta) -> int:
    # rounded to the microsecond first, so float error cannot add a second
    return max(1, math.ceil(round(duration.total_seconds(), 6)))
