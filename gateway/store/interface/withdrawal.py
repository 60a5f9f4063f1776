"""Withdrawal by the sender: the record of a withdrawn signal, and the one write that
withdraws it (:class:`WithdrawalStore`).

Withdrawing cancels the signal's copies not yet sealed, withdraws its review items still
waiting, and queues, for each recipient that got an envelope of it, a *notice*: a copy whose
``notice`` is the reason code, which the courier seals as a notice rather than as the signal
(:mod:`gateway.flow.notices`). All of it happens in one transaction with the audit entry, so
a crash after the withdrawal leaves the notices queued, never lost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gateway.infra.audit import AuditEvent


@dataclass(frozen=True)
class Withdrawal:
    """A signal its sender withdrew: why, when, and what that did."""

    signal_id: str
    reason: str
    withdrawn_by: str
    withdrawn_at: datetime
    cancelled: int
    review_items: int
    notices: int
    replaced_by: str | None = None
    """The new version's signal id, when a rectification replaced this signal."""
    replaced_version: int | None = None
    """Which version the replacement is (2 replaces the first signal, 3 the second...)."""


@dataclass(frozen=True)
class UnacknowledgedNotice:
    """A notice of a withdrawal (or replacement) sealed for a recipient that has not
    acknowledged it (nor had it pushed to its webhook)."""

    signal_id: str
    recipient_id: str
    envelope_id: str
    reason: str
    sealed_at: datetime


@dataclass(frozen=True)
class ListedWithdrawal:
    """A withdrawal in the list compliance staff read, with how many of the notices it sent
    their recipients have acknowledged (or had pushed to their webhook)."""

    withdrawal: Withdrawal
    acknowledged: int


class WithdrawalStore(Protocol):
    async def withdraw_signal(
        self,
        signal_id: str,
        *,
        reason: str,
        by: str,
        event: Callable[[Withdrawal], AuditEvent],
        replaced_by: str | None = None,
    ) -> Withdrawal | None:
        """Withdraw ``by``'s signal ``signal_id`` (with ``replaced_by``: replaced by that new
        version) and append ``event`` of what was done; the earlier withdrawal, unchanged and
        not audited again, if it was withdrawn already; None if ``by`` sent no such signal."""
        ...

    async def withdrawal(self, signal_id: str) -> Withdrawal | None:
        """The signal's withdrawal, if its sender withdrew it."""
        ...

    async def withdrawals(self, *, offset: int, limit: int) -> list[ListedWithdrawal]:
        """Withdrawals and replacements, the newest first: at most ``limit`` of them after the
        first ``offset``."""
        ...

    async def unacknowledged_notices(
        self, *, sealed_before: datetime, limit: int
    ) -> list[UnacknowledgedNotice]:
        """The notices sealed before ``sealed_before`` that their recipients have not
        acknowledged, the oldest first."""
        ...
