"""Retention as kept: which signals still hold content, and erasing one's content for good.

Erasing keeps every row (the signal, its decisions, copies, envelopes, review items, and the
audit log's entries) and removes what a signal says: its sealed body, which holds the only
wrapped copy of its data key (:mod:`gateway.infra.vault`), the sealed envelopes still kept
for it, its review items' texts, its entries in the data-subject index, the translation
memory's entries learnt from it alone (:mod:`gateway.translate.memory_store`), and the
eTranslation jobs its copies sent (:mod:`gateway.translate.etranslation_jobs`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from gateway.infra.audit import AuditEvent


@dataclass(frozen=True)
class KeptSignal:
    """A signal whose content is still kept and not on hold, with what its terms go by."""

    signal_id: str
    category: str
    purpose: str
    handling_code: str
    received_at: datetime
    last_delivery: datetime | None
    """When its last envelope was sealed for a recipient; None if none was."""


@dataclass(frozen=True)
class SettledEnvelope:
    """An envelope its recipient acknowledged (or its webhook took with a 2xx), still kept,
    with what its signal's terms go by."""

    seq: int
    envelope_id: str
    category: str
    purpose: str
    handling_code: str
    acked_at: datetime


@dataclass(frozen=True)
class LegalHold:
    """A signal compliance staff put on hold: it is not erased until the hold is lifted.
    ``review_on``: the day the hold is to be looked at again (it does not end by itself)."""

    signal_id: str
    reason: str
    review_on: date
    placed_by: str
    placed_at: datetime


@dataclass(frozen=True)
class SignalRetention:
    """What the compliance pages show of one signal's retention: what its terms go by, when
    and under which rule its content was erased (None while kept), and its hold."""

    kept: KeptSignal
    erased_at: datetime | None
    erased_rule: str | None
    hold: LegalHold | None


@dataclass(frozen=True)
class ErasedInMonth:
    """How many signals were erased in a month (``YYYY-MM``, UTC), by the audit log."""

    month: str
    signals: int


@dataclass(frozen=True)
class Erased:
    """What erasing one signal removed."""

    signal_id: str
    envelopes: int
    review_items: int
    subject_keys: int
    memory_segments: int
    """Translation memory entries deleted: those learnt from this signal and no other."""
    translation_jobs: int
    """eTranslation jobs deleted (answered) or cancelled (still waiting)."""


class RetentionStore(Protocol):
    async def claim_retention_day(self, day: date) -> bool:
        """Whether this caller runs the retention of ``day``: true for the first to ask of
        each day later than the last claimed, false for every other (another instance has
        it, or had it)."""
        ...

    async def count_kept(self) -> int:
        """How many signals still hold content and are held by nothing (no legal hold, no
        restriction of processing)."""
        ...

    async def kept_signals(self, *, after: str, limit: int) -> list[KeptSignal]:
        """Signals that still hold content and are held by nothing, by id after ``after``
        (``""`` from the first), at most ``limit``."""
        ...

    async def settled_envelopes(self, *, after: int, limit: int) -> list[SettledEnvelope]:
        """Acknowledged envelopes whose content is still kept, of signals not on legal hold,
        in the order they were kept after ``after`` (an envelope's ``seq``; 0 from the first),
        at most ``limit``."""
        ...

    async def erase_envelopes(self, envelope_ids: Sequence[str], event: AuditEvent) -> int:
        """Erase the content of the acknowledged ``envelope_ids`` (rows kept) and record
        ``event``, in one transaction; how many were erased (nothing recorded if none)."""
        ...

    async def place_hold(self, hold: LegalHold, event: AuditEvent) -> bool:
        """Put ``hold`` on its signal and record ``event``; false (nothing done) if the signal
        is unknown, already erased or already on hold."""
        ...

    async def lift_hold(self, signal_id: str, event: AuditEvent) -> bool:
        """Lift the hold on ``signal_id`` and record ``event``; false if it had none."""
        ...

    async def legal_holds(self, *, limit: int) -> list[LegalHold]:
        """The first ``limit`` holds in force, the earliest review first."""
        ...

    async def signal_retention(self, signal_id: str) -> SignalRetention | None:
        """``signal_id``'s retention as kept (held or not, erased or not); None if unknown."""
        ...

    async def erased_by_month(self, *, since: datetime, until: datetime) -> list[ErasedInMonth]:
        """The ``signal.erased`` entries of the audit log from ``since`` to before ``until``,
        counted per month (UTC), the earliest first; months without any are left out."""
        ...

    async def first_erasure_after(self, at: datetime) -> datetime | None:
        """When the content of a signal already kept at ``at`` was first erased after it:
        from then on a backup made at ``at`` holds what the gateway may no longer keep."""
        ...

    async def erase_signal(
        self, signal_id: str, *, rule: str, event: Callable[[Erased], AuditEvent]
    ) -> Erased | None:
        """Erase the content of ``signal_id`` under retention ``rule`` and record ``event``
        of what was erased, in one transaction; None (nothing done) if it was erased already,
        is on legal hold or is held by a restriction of processing. Its data key's row is
        deleted, its body emptied."""
        ...

    async def purge_owed(self) -> bool:
        """Whether a signal was erased, or a purge postponed, since old row versions were last
        purged whole (:meth:`~gateway.store.interface.audit_log.AuditLog.purge_old_versions`):
        a purge is owed until one finishes (SQLite keeps no old versions in its file: never)."""
        ...
