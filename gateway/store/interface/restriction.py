"""Restriction of processing for a data subject (LED art. 16(3)) as kept.

A restriction names a person only by the keyed hashes the data-subject index knows them by
(:mod:`gateway.flow.subjects`), never by name, number or date of birth. While it is active,
nothing about that person leaves the gateway: the signals it holds are listed beside it
(``restricted_signals``: those indexed under its keys when it was placed, and those that
arrive under them later), their copies not sealed yet wait as ``restricted`` instead of
``pending`` (so the courier, which claims ``pending`` copies only, never sees them), and their
envelopes not yet acknowledged are held (left out of the inbox and the push outbox). Lifting
puts it all back: the copies are due at once, and the envelopes come back into their
recipients' inboxes after everything those have seen (new positions), their pushes due now.
A signal stays held while any active restriction holds it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from gateway.infra.audit import AuditEvent


@dataclass(frozen=True)
class NewRestriction:
    """A restriction to place: its id, reason code, note (kept beside it, never in the audit
    log), the day its decision is due and who places it."""

    id: str
    reason: str
    note: str
    due_on: date
    placed_by: str


@dataclass(frozen=True)
class Restriction:
    """A restriction as kept: ``signals`` is how many signals it held when placed; the
    ``lifted_*`` fields and ``decision`` are set once lifted."""

    id: str
    reason: str
    note: str
    due_on: date
    placed_by: str
    placed_at: datetime
    signals: int
    lifted_by: str | None = None
    lifted_at: datetime | None = None
    decision: str | None = None

    @property
    def active(self) -> bool:
        return self.lifted_at is None


@dataclass(frozen=True)
class LiftedRestriction:
    """What lifting a restriction released: the signals no other restriction holds, and the
    recipients with envelopes back in their inbox or copies due again."""

    restriction: Restriction
    signals: int
    recipients: tuple[str, ...]


class RestrictionStore(Protocol):
    async def place_restriction(
        self,
        restriction: NewRestriction,
        keys: Collection[str],
        event: Callable[[Restriction], AuditEvent],
    ) -> Restriction:
        """Restrict the person known by ``keys``: hold every signal indexed under any of
        them, and every later one, and append ``event`` of the restriction, in one
        transaction."""
        ...

    async def lift_restriction(
        self,
        restriction_id: str,
        *,
        by: str,
        decision: str,
        event: Callable[[LiftedRestriction], AuditEvent],
    ) -> LiftedRestriction | None:
        """Lift the active restriction ``restriction_id`` with ``decision``, release what no
        other active restriction holds, and append ``event``; None (nothing done) if there is
        no such active restriction."""
        ...

    async def restriction(self, restriction_id: str) -> Restriction | None:
        """One restriction, active or lifted."""
        ...

    async def active_restrictions(self, *, limit: int) -> list[Restriction]:
        """The first ``limit`` active restrictions, the earliest due first."""
        ...

    async def signal_restricted(self, signal_id: str) -> bool:
        """Whether an active restriction holds ``signal_id``."""
        ...
