"""Signals as kept: sealed bodies, the facts of their receipts, and the decisions per recipient.

A signal is kept once per sender reference: the same reference with the same body is a retry
and gets the original; with another body it is an
:class:`~gateway.infra.errors.IdempotencyConflict`. Whatever else a signal starts (the copies to
seal, the review queue, a request's deadline, the data-subject index) is kept in the same
transaction as the signal itself, so nothing with a receipt can be forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from gateway.decide.decision import Decision, Forwarded, Verdict
from gateway.infra.audit import AuditEntry, AuditEvent
from gateway.infra.audit.merkle import leaf_hash
from gateway.store.interface.delivery import NewCopy
from gateway.store.interface.review import NewReviewItem


class SignalState(StrEnum):
    ACCEPTED = "accepted"


@dataclass(frozen=True)
class NewRequest:
    """A request for information: its kind of time limit and when the reply is due."""

    kind: str
    deadline: datetime


@dataclass(frozen=True)
class NewSignal:
    """A validated signal ready to be kept: its content already sealed under its own data key."""

    id: str
    sender_id: str
    sender_reference: str
    body_sha256: str
    received_at: datetime
    recipients: tuple[str, ...]
    sealed_body: bytes
    handling_code: str
    category: str
    purpose: str
    urgency: str
    decisions: tuple[Decision, ...]
    reviews: tuple[NewReviewItem, ...] = ()
    copies: tuple[NewCopy, ...] = ()
    request: NewRequest | None = None
    in_reply_to: str | None = None
    subject_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RecipientDecision:
    """What a receipt shows of a decision: the verdict and the rules, not the contents."""

    recipient_id: str
    verdict: Verdict
    rule_ids: tuple[str, ...]


@dataclass(frozen=True)
class StoredSignal:
    """A signal as kept, with its audit entry and the decision per recipient, in order.

    ``audit_leaf_hash`` is the entry's leaf hash in the audit log's Merkle tree (RFC 9162:
    ``SHA-256(0x00 || entry)``); the entry is leaf ``audit_seq - 1`` there."""

    id: str
    sender_id: str
    sender_reference: str
    body_sha256: str
    received_at: datetime
    recipients: tuple[str, ...]
    audit_seq: int
    audit_hash: str
    audit_leaf_hash: bytes
    state: SignalState
    handling_code: str
    decisions: tuple[RecipientDecision, ...]


def stored(signal: NewSignal, entry: AuditEntry) -> StoredSignal:
    """``signal`` as kept now, its acceptance audited as ``entry``."""
    return StoredSignal(
        id=signal.id,
        sender_id=signal.sender_id,
        sender_reference=signal.sender_reference,
        body_sha256=signal.body_sha256,
        received_at=signal.received_at,
        recipients=signal.recipients,
        audit_seq=entry.seq,
        audit_hash=entry.hash,
        audit_leaf_hash=leaf_hash(entry.canonical),
        state=SignalState.ACCEPTED,
        handling_code=signal.handling_code,
        decisions=tuple(
            RecipientDecision(d.recipient_id, d.verdict, d.rule_ids) for d in signal.decisions
        ),
    )


@dataclass(frozen=True)
class Accepted:
    """A signal kept now, or (``replayed``) the one kept before under its reference."""

    signal: StoredSignal
    replayed: bool


class SignalStore(Protocol):
    async def accept_signal(self, signal: NewSignal, event: AuditEvent) -> Accepted:
        """Keep a signal with its audit entry, or return the one already kept under its
        reference; checked inside the write, so two simultaneous retries cannot both be kept.
        A reply from one of the recipients of the request it answers closes that request."""
        ...

    async def signal(self, signal_id: str) -> StoredSignal | None:
        """A signal as kept, whoever asks (partners are shown only their own)."""
        ...

    async def decisions(self, signal_id: str) -> list[Decision]:
        """The full decisions recorded for a signal, one per recipient, in order."""
        ...

    async def sealed_body(self, signal_id: str) -> bytes | None:
        """The signal's content as kept: sealed under its own data key, the whole blob as
        intake gave it (the backends keep its wrapped key in a row of its own,
        :mod:`gateway.store.signal_keys`); None once erased."""
        ...

    async def forwarded(self, signal_id: str, by: str) -> Forwarded | None:
        """The signal ``by`` replies to, if it exists and ``by`` received it: a partner
        denied it, waiting for it, or whose copy an officer rejected knows of no such signal.
        Its recipients are those that received it: any other partner is a third partner for
        rule 8, however the sender addressed it."""
        ...

    async def signal_ids(self) -> list[str]:
        """The id of every signal kept, in order."""
        ...
