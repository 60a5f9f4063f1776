"""One signal's retention as the compliance pages tell it: the rule it is kept under, the day
its content is erased (or was, under which rule), and its legal hold.

:func:`retention_state` is the rule, pure, the one a retention run goes by
(:func:`~gateway.flow.retention.erasure_of`); :func:`policy_kept` reads the policy in force
from the store, which keeps the text of every version the gateway decided by.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date

from gateway.decide.policy import Policy, Retention
from gateway.decide.policy.load import parse_policy
from gateway.flow.holds import review_due
from gateway.flow.retention import erasure_of
from gateway.store import Store
from gateway.store.interface.retention import LegalHold, SignalRetention


@dataclass(frozen=True)
class RetentionState:
    """``rule``: the terms kept under (the rule erased under, once erased); ``erases_on``: the
    day its content goes, unless held (None once erased, or without terms); ``erased_on``: the
    day it went (UTC)."""

    rule: str | None
    erases_on: date | None
    erased_on: date | None
    hold: LegalHold | None
    review_due: bool


def retention_state(
    signal: SignalRetention, retention: Retention | None, *, today: date
) -> RetentionState:
    due = signal.hold is not None and review_due(signal.hold, today)
    if signal.erased_at is not None:
        erased_on = signal.erased_at.astimezone(UTC).date()
        return RetentionState(signal.erased_rule, None, erased_on, signal.hold, due)
    erasure = None if retention is None else erasure_of(signal.kept, retention)
    if erasure is None:
        return RetentionState(None, None, None, signal.hold, due)
    return RetentionState(erasure.rule, erasure.due, None, signal.hold, due)


async def policy_kept(store: Store) -> Policy | None:
    """The policy in force as the store keeps it; None before any was adopted."""
    digest = await store.policy_in_force()
    text = await store.policy_text(digest) if digest else None
    return None if text is None else parse_policy(text.encode("utf-8"), source=digest or "")
