"""Partners' encryption public keys and the gateway's public signing keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from gateway.infra.audit import AuditEvent
from gateway.infra.seal import GatewayKey, PartnerKey


class KeyStore(Protocol):
    async def add_partner_key(self, key: PartnerKey, event: AuditEvent) -> PartnerKey:
        """Register ``key`` for its active partner; the key as kept, ``added_at`` now. A key id
        is registered once per partner (:class:`~gateway.infra.errors.RegistryError`)."""
        ...

    async def retire_partner_key(
        self, partner_id: str, key_id: str, event_for: Callable[[PartnerKey], AuditEvent]
    ) -> PartnerKey:
        """Retire a key for good: no new envelope is sealed to it from now on. A key retires
        once (:class:`~gateway.infra.errors.RegistryError`)."""
        ...

    async def partner_keys(self, partner_id: str) -> list[PartnerKey]:
        """Every key the partner ever registered, retired ones too, oldest first;
        :class:`~gateway.infra.errors.RegistryError` for an unknown partner."""
        ...

    async def sealing_key(self, partner_id: str, at: datetime) -> PartnerKey | None:
        """The key a new message to ``partner_id`` is sealed to at ``at``, if it has one
        (:func:`gateway.infra.seal.current_key`)."""
        ...

    async def add_gateway_key(self, key: GatewayKey, event: AuditEvent) -> GatewayKey:
        """Register a public signing key of the gateway, once per key id."""
        ...

    async def rotate_gateway_key(
        self, key: GatewayKey, *, replaces: str, retires_at: datetime, event: AuditEvent
    ) -> GatewayKey:
        """Register ``key`` and set the key ``replaces`` to retire at ``retires_at``, in one
        transaction; the old key as it is now. The old key must be registered and not retiring
        yet (:class:`~gateway.infra.errors.RegistryError`)."""
        ...

    async def gateway_keys(self) -> list[GatewayKey]:
        """The gateway's public signing keys, retired ones too, oldest first."""
        ...
