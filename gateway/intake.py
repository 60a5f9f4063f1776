"""Intake: the path of a posted signal from raw bytes to a durable receipt.

receive (bytes from an identified partner) → validate (Signal v1) → route (recipients)
→ seal at rest (per-signal data key) → store with its audit entry (group commit) → receipt.
Every refusal on the way is audited too, with the error kinds but never the body.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import uuid6

from gateway import canonical as canonical_json
from gateway import routing
from gateway.audit import AuditEvent, EventKind, timestamp
from gateway.clock import Clock
from gateway.errors import ClientError
from gateway.partners import Partner
from gateway.store import Accepted, NewSignal, Store, StoredSignal
from gateway.validate import parse_json, validate_signal
from gateway.vault import MasterKey

_AUDITED_CODES = ("schema", "language", "category", "urgency", "purpose", "handling_code")


@dataclass(frozen=True)
class Receipt:
    """What the sender gets back: proof that the gateway holds its signal, and where it goes."""

    signal: StoredSignal
    replayed: bool

    def as_json(self) -> dict[str, object]:
        stored = self.signal
        return {
            "signal_id": stored.id,
            "status": stored.state,
            "received_at": stored.received_at,
            "sender": stored.sender_id,
            "sender_reference": stored.sender_reference,
            "body_sha256": stored.body_sha256,
            "recipients": [{"partner": partner_id} for partner_id in stored.recipients],
            "audit": {"seq": stored.audit_seq, "hash": stored.audit_hash},
        }


def actor(partner: Partner) -> str:
    return f"partner:{partner.id}"


def canonical_digest(document: object) -> tuple[bytes, str]:
    """The RFC 8785 canonical form of a document and its SHA-256, the signal's identity."""
    canonical = canonical_json.dumps(document)
    return canonical, hashlib.sha256(canonical).hexdigest()


class Intake:
    def __init__(self, *, store: Store, master_key: MasterKey, clock: Clock) -> None:
        self._store = store
        self._master_key = master_key
        self._clock = clock

    async def receive(
        self, sender: Partner, body: bytes, *, registry: Sequence[Partner]
    ) -> Receipt:
        """Accept a signal for good, or raise the :class:`ClientError` that says why not.

        ``registry`` is every partner as read when the caller was admitted.
        """
        try:
            accepted = await self._accept(sender, body, registry)
        except ClientError as error:
            await self.refused(sender, error)
            raise
        return Receipt(accepted.signal, replayed=accepted.replayed)

    async def refused(self, sender: Partner, error: ClientError) -> None:
        codes = sorted({issue.code for issue in error.issues})
        await self._store.record(
            AuditEvent(
                EventKind.SIGNAL_REFUSED,
                actor=actor(sender),
                data={"status": error.status, "kind": error.kind, "codes": codes},
            )
        )

    async def _accept(self, sender: Partner, body: bytes, registry: Sequence[Partner]) -> Accepted:
        received = self._clock.now()
        document = parse_json(body)
        validate_signal(document, now=received)
        fields = cast(Mapping[str, Any], document)
        recipients = fields["recipients"]
        resolved = routing.resolve(
            partners=recipients.get("partners"),
            countries=recipients.get("countries"),
            agency_types=recipients.get("agency_types"),
            sender=sender,
            registry=registry,
        )
        canonical, digest = canonical_digest(document)
        signal_id = str(uuid6.uuid7())
        record = NewSignal(
            id=signal_id,
            sender_id=sender.id,
            sender_reference=fields["sender_reference"],
            body_sha256=digest,
            received_at=timestamp(received),
            recipients=resolved,
            sealed_body=self._master_key.seal(canonical, context=signal_id.encode()).to_bytes(),
        )
        event = AuditEvent(
            EventKind.SIGNAL_ACCEPTED,
            actor=actor(sender),
            subject=f"signal:{signal_id}",
            data={
                "signal_id": signal_id,
                "sender_reference": record.sender_reference,
                "body_sha256": digest,
                "recipients": list(resolved),
                **{code: fields[code] for code in _AUDITED_CODES},
            },
        )
        return await self._store.accept_signal(record, event)

    async def status(self, caller: Partner, signal_id: str) -> StoredSignal | None:
        """A signal's state for its sender; for anyone else it does not exist."""
        stored = await self._store.signal(signal_id)
        if stored is None or stored.sender_id != caller.id:
            return None
        return stored
