"""What a deployment's check (``euregate doctor``) reads of a store without opening it for
use: nothing is created, migrated or written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PartnerCertificate:
    partner_id: str
    fingerprint: str
    not_after: datetime | None


@dataclass(frozen=True)
class StoreFacts:
    schema_version: int
    """The schema version the store holds."""
    release_schema_version: int
    """The schema version this release of Euregate makes and reads."""
    latest_entry_at: datetime | None
    """When the audit log's latest entry was written, by the clock of whoever wrote it."""
    webhooks: dict[str, str]
    """Each active partner's webhook URL, by partner id."""
    certificates: tuple[PartnerCertificate, ...]
    """The active certificates of active partners."""
