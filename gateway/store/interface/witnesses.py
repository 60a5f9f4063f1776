"""The partners' witnesses as the store keeps them: their cosigning keys, the cosignatures
they posted on the gateway's checkpoints, and the inconsistencies they reported.

A partner registers its witness key like its encryption key (audited); a cosignature is kept
once it verified on the gateway's checkpoint of its size under an active key of the partner
that posted it, one per checkpoint size and key (a later one for the same size replaces it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gateway.infra.audit import AuditEvent
from gateway.infra.audit.cosignature import WitnessKey


@dataclass(frozen=True)
class RegisteredWitnessKey:
    """A partner's witness key: its note key name, 4-byte key ID (hex) and Ed25519 public key."""

    partner_id: str
    name: str
    key_id: str
    public_key: bytes
    added_at: datetime | None = None
    retired_at: datetime | None = None

    @classmethod
    def of(cls, partner_id: str, key: WitnessKey) -> RegisteredWitnessKey:
        return cls(partner_id, key.name, key.key_id.hex(), key.public_key)

    @property
    def key(self) -> WitnessKey:
        return WitnessKey(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        """The verifier key, ``name+keyid+base64(0x04 || key)``, as the partner handed it in."""
        return self.key.encode()

    @property
    def active(self) -> bool:
        return self.retired_at is None


@dataclass(frozen=True)
class StoredCosignature:
    """A witness's cosignature on the checkpoint of ``size`` entries: which partner and key,
    the witness's own time (POSIX seconds), the signature line, and when it was kept."""

    size: int
    partner_id: str
    key_name: str
    key_id: str
    cosigned_at: int
    line: str
    received_at: datetime | None = None


@dataclass(frozen=True)
class InconsistencyReport:
    """What a witness reported: the kind of refusal, and both checkpoints as evidence (the one
    it had cosigned before, if any, and the one the gateway showed it)."""

    id: str
    partner_id: str
    kind: str
    previous: bytes | None
    submitted: bytes
    previous_size: int | None
    submitted_size: int | None
    reported_at: datetime | None = None


class WitnessStore(Protocol):
    async def add_witness_key(
        self, key: RegisteredWitnessKey, event: AuditEvent
    ) -> RegisteredWitnessKey:
        """Register ``key`` for its active partner, ``added_at`` now; a key (name and key ID)
        is registered once (:class:`~gateway.infra.errors.RegistryError`)."""
        ...

    async def retire_witness_key(
        self,
        partner_id: str,
        key_id: str,
        event_for: Callable[[RegisteredWitnessKey], AuditEvent],
    ) -> RegisteredWitnessKey:
        """Retire a witness key for good: its cosignatures are refused from now on. A key
        retires once (:class:`~gateway.infra.errors.RegistryError`)."""
        ...

    async def witness_keys(self, partner_id: str | None = None) -> list[RegisteredWitnessKey]:
        """Every witness key registered (of ``partner_id``, or of all partners), retired ones
        too, oldest first."""
        ...

    async def add_cosignature(
        self, cosignature: StoredCosignature, event: AuditEvent
    ) -> StoredCosignature:
        """Keep a verified cosignature, ``received_at`` now, replacing the same key's earlier
        one for that size."""
        ...

    async def cosignatures(self, size: int) -> list[StoredCosignature]:
        """The cosignatures kept for the checkpoint of ``size`` entries, by partner and key."""
        ...

    async def latest_cosignatures(self) -> list[StoredCosignature]:
        """Each witness key's cosignature of the largest size it cosigned (the latest of them),
        by partner and key."""
        ...

    async def report_inconsistency(
        self, report: InconsistencyReport, event: AuditEvent
    ) -> InconsistencyReport:
        """Keep a witness's report with its evidence, ``reported_at`` now."""
        ...

    async def inconsistency(self, report_id: str) -> InconsistencyReport | None:
        """One report with its evidence, if there is one of that id."""
        ...

    async def inconsistencies(self, *, limit: int = 100) -> list[InconsistencyReport]:
        """The reports kept, the latest first, at most ``limit``."""
        ...
