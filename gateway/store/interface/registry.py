"""The partner registry as kept: partners, their client certificates, and who a certificate
speaks for. Every change is written with its audit event, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from gateway.contract.partners import Certificate, Partner, PartnerState
from gateway.infra.audit import AuditEvent


@dataclass(frozen=True)
class Admission:
    """A caller's registry entries, whatever their state, and every partner known."""

    partner: Partner | None
    certificate: Certificate | None
    registry: tuple[Partner, ...]


class RegistryStore(Protocol):
    async def add_partner(self, partner: Partner, event: AuditEvent) -> Partner:
        """Keep a new partner; :class:`~gateway.infra.errors.RegistryError` if its id is taken."""
        ...

    async def set_partner_state(
        self, partner_id: str, state: PartnerState, event_for: Callable[[Partner], AuditEvent]
    ) -> Partner:
        """Suspend, reactivate or revoke a partner (``event_for`` hears it as it was); revoking
        also revokes its active certificates. A revoked partner stays revoked, and an unknown
        one is :class:`~gateway.infra.errors.RegistryError`."""
        ...

    async def register_certificate(
        self, certificate: Certificate, event: AuditEvent
    ) -> Certificate:
        """Keep an issued certificate of a partner not revoked; a fingerprint is registered
        once (:class:`~gateway.infra.errors.RegistryError`)."""
        ...

    async def revoke_certificate(self, fingerprint: str, event: AuditEvent) -> Certificate:
        """Revoke an active certificate for good; :class:`~gateway.infra.errors.RegistryError` if
        there is none with that fingerprint."""
        ...

    async def partners(self) -> list[Partner]:
        """Every partner, whatever its state, by id."""
        ...

    async def partner(self, partner_id: str) -> Partner:
        """One partner; :class:`~gateway.infra.errors.RegistryError` if unknown."""
        ...

    async def certificates(self, partner_id: str) -> list[Certificate]:
        """A partner's certificates, revoked ones too, in the order they were registered."""
        ...

    async def admission(self, fingerprint: str | None) -> Admission:
        """Who a fingerprint speaks for, and the registry to route by: one read per request."""
        ...
