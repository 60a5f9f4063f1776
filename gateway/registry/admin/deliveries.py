"""The push outbox, for administrators: a dead push put back."""

from __future__ import annotations

from gateway.infra.audit import events, refs
from gateway.infra.audit.refs import Ref
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_
from gateway.store import Delivery, Store


async def retry(store: Store, envelope_id: str, *, actor: Ref) -> Delivery:
    """Put a dead (or waiting) push back in the outbox, due now, its attempts counted anew;
    audited. A running gateway picks it up at its next look at the outbox."""
    envelope = await store.envelope(envelope_id)
    if envelope is None:
        raise RegistryError(N_("no envelope {id}"), id=envelope_id)
    delivery = await store.retry_delivery(
        envelope_id,
        events.DeliveryRetried(
            by=actor,
            about=refs.signal(envelope.signal_id),
            envelope=envelope_id,
            recipient=envelope.recipient_id,
        ),
    )
    if delivery is None:
        raise RegistryError(
            N_(
                "envelope {id} has no push to retry: delivered already, or its recipient has no "
                "webhook"
            ),
            id=envelope_id,
        )
    return delivery
