"""Copies, envelopes and the push outbox as kept: the durable side of seal and deliver.

A *copy* is one recipient's due version of a signal, kept in the same transaction that
accepts the signal (or that releases a reviewed one), so that nothing with a receipt can be
forgotten: the courier seals pending copies into *envelopes* whenever it runs, after a crash
too. An envelope waits in its recipient's inbox until acknowledged; when the recipient has a
webhook, a *delivery* is its entry in the push outbox. Only ids, codes and sealed bytes are
kept; no plaintext view ever is.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from gateway.contract.partners import Partner
from gateway.infra.audit import AuditEvent


class CopyReview(StrEnum):
    """How a copy stands to review: not needed, going out before an officer's review (marked
    unreviewed), or released by an officer."""

    NONE = "none"
    PENDING = "pending"
    RELEASED = "released"


@dataclass(frozen=True)
class NewCopy:
    """A copy due now, as the next version for its recipient."""

    id: str
    recipient_id: str
    review: CopyReview
    review_item_id: str | None = None


@dataclass(frozen=True)
class PendingCopy:
    """A copy not sealed yet, and how often sealing it was put off."""

    id: str
    signal_id: str
    recipient_id: str
    version: int
    review: CopyReview
    review_item_id: str | None
    attempts: int
    notice: str | None = None
    """The reason code when this copy is a notice of the signal's withdrawal, not the signal."""


@dataclass(frozen=True)
class SealedCopy:
    """A copy sealed into an envelope, ready to be kept in one transaction."""

    copy_id: str
    envelope_id: str
    signal_id: str
    recipient_id: str
    key_id: str
    envelope: bytes
    webhook_url: str | None


@dataclass(frozen=True)
class InboxEnvelope:
    """An envelope in its recipient's inbox; ``position`` counts that recipient's envelopes
    only (1, 2, 3, ...), whatever anyone else receives."""

    position: int
    id: str
    signal_id: str
    recipient_id: str
    version: int
    envelope: bytes
    created_at: datetime
    acked_at: datetime | None


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


@dataclass(frozen=True)
class Delivery:
    """An envelope's push to its recipient's webhook, as the outbox keeps it."""

    envelope_id: str
    recipient_id: str
    signal_id: str
    url: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None


class DeliveryStore(Protocol):
    async def hear_sealed(self, heard: Callable[[str], None]) -> None:
        """Call ``heard`` with the recipient of each envelope that another process on this
        store seals, until cancelled, so that its long-polls wake at once; a store that offers
        no such news returns at once (its long-polls look again every few seconds)."""
        ...

    async def pending_copies(self, *, due: datetime, limit: int = 64) -> list[PendingCopy]:
        """Copies not yet sealed whose next attempt is due at ``due``, oldest first (claimed
        for this process, where the store claims work: see :attr:`claim_lease`)."""
        ...

    async def copies_waiting(self, *, due: datetime) -> dict[str, int]:
        """How many copies not yet sealed are due at ``due``, by the sender of their signal
        (senders with none left out): the courier's backlog, counted (no content read)."""
        ...

    @property
    def claim_lease(self) -> timedelta | None:
        """How long this store's claim on a copy it handed out holds unless renewed (other
        processes pass the copy by meanwhile); ``None`` for a store that claims nothing."""
        ...

    async def renew_copy_claims(self, copy_ids: Collection[str]) -> int:
        """The copies ``copy_ids``, still being sealed, stay this store's for another
        :attr:`claim_lease` from now; how many it still held (0 where nothing is claimed)."""
        ...

    async def keep_envelope(self, sealed: SealedCopy, event: AuditEvent) -> int | None:
        """Keep the envelope, mark its copy sealed, queue a push if the recipient has a webhook,
        and audit it, all at once; the envelope's position in its recipient's inbox (the next
        of that recipient's), or ``None`` (and nothing written) if the copy was sealed already
        or withdrawn."""
        ...

    async def postpone_copy(self, copy_id: str, *, until: datetime, error: str) -> None:
        """A copy that could not be sealed now (no valid key yet, say) waits until ``until``."""
        ...

    async def inbox(self, recipient_id: str, *, after: int, limit: int) -> list[InboxEnvelope]:
        """The recipient's unacknowledged envelopes after position ``after``, in order."""
        ...

    async def envelope(self, envelope_id: str) -> InboxEnvelope | None:
        """One envelope, acknowledged or not; None once its content was erased."""
        ...

    async def envelopes_of_signal(self, signal_id: str) -> list[InboxEnvelope]:
        """Every envelope sealed of a signal, in the order they were kept; not those whose
        content was erased (:mod:`gateway.store.interface.retention`)."""
        ...

    async def record_fetch(self, envelope_ids: Sequence[str], event: AuditEvent) -> None:
        """Count a fetch of each envelope handed out, with one audit event."""
        ...

    async def acknowledge(
        self, recipient_id: str, envelope_id: str, event: AuditEvent
    ) -> InboxEnvelope | None:
        """Mark the recipient's envelope acknowledged (once; again is harmless and not audited
        twice); ``None`` if the recipient has no such envelope."""
        ...

    async def deliveries(
        self, *, state: DeliveryState | None = None, limit: int = 1000
    ) -> list[Delivery]:
        """The outbox (in ``state``, or all), in the order the envelopes were kept."""
        ...

    async def due_pushes(
        self, *, due: datetime, per_recipient: int, skip: Collection[str] = ()
    ) -> list[Delivery]:
        """Pushes due at ``due`` for active partners, at most ``per_recipient`` per partner (the
        oldest), leaving out the envelopes in ``skip`` (in flight already): one partner's
        backlog never hides another's."""
        ...

    async def record_attempt(
        self,
        envelope_id: str,
        *,
        state: DeliveryState,
        status: int | None,
        error: str | None,
        next_attempt_at: datetime | None,
        event: AuditEvent,
    ) -> None:
        """One failed push attempt's result: ``pending`` again until ``next_attempt_at``, or
        ``dead``."""
        ...

    async def record_delivered(
        self,
        envelope_id: str,
        *,
        status: int,
        attempted: AuditEvent,
        acknowledged: AuditEvent,
    ) -> bool:
        """A push the webhook accepted: the delivery is done and the envelope acknowledged (it
        leaves the inbox), both audited in one transaction; ``False`` if it was no longer
        pending (put back by hand, say, or its webhook removed)."""
        ...

    async def retry_delivery(self, envelope_id: str, event: AuditEvent) -> Delivery | None:
        """Put a dead (or pending) push back in the outbox, due now, its attempts counted
        anew; ``None`` if there is none to retry (delivered already, or no webhook)."""
        ...

    async def set_webhook(
        self, partner_id: str, url: str | None, event_for: Callable[[Partner, int], AuditEvent]
    ) -> Partner:
        """Give a partner a webhook, change it, or (``None``) take it away. Undelivered pushes
        follow the new URL; without a webhook they leave the outbox (their envelopes stay in
        the inbox). ``event_for`` hears the partner as it was and how many pushes moved or
        left."""
        ...
