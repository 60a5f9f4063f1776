"""When certificates run out: how many days each has left, and which to warn about.

Pure: the certificates come in as :class:`CertificateDue` (gathered from the data directory and
the registry by :func:`gateway.registry.admin.gateway_certificates.certificates_due`), the time
as an argument. The admin page, ``euregate cert expiry``, the metrics and ``euregate doctor``
all ask here, so they agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

__all__ = ["GATEWAY", "WARN_DAYS", "CertificateDue", "days_left", "expiring", "soonest_first"]

WARN_DAYS: Final = 30
"""The default of ``certificate_warn_days``: warned about this many days ahead."""

GATEWAY: Final = "gateway"
"""The holder of the gateway's own certificates (a partner's are held by its id)."""

Use = Literal["ca", "server", "client"]


@dataclass(frozen=True)
class CertificateDue:
    """One certificate in use: whose it is (``gateway`` or a partner's id), what for (the
    gateway's ``ca``, its ``server`` certificate, a ``client`` certificate: a partner's, or the
    gateway's own for webhooks), its SHA-256 fingerprint and when it runs out."""

    holder: str
    use: Use
    fingerprint: str
    not_after: datetime

    def days_left(self, now: datetime) -> int:
        return days_left(self.not_after, now)

    def as_json(self, now: datetime) -> dict[str, object]:
        return {
            "holder": self.holder,
            "use": self.use,
            "fingerprint": self.fingerprint,
            "not_after": self.not_after.isoformat(),
            "days_left": self.days_left(now),
        }


def days_left(not_after: datetime, now: datetime) -> int:
    """Whole days from ``now`` until ``not_after``, rounded down: 0 on its last day, negative
    once it has run out."""
    return (not_after - now) // timedelta(days=1)


def soonest_first(certificates: Iterable[CertificateDue]) -> list[CertificateDue]:
    return sorted(certificates, key=lambda c: (c.not_after, c.holder, c.use))


def expiring(
    certificates: Iterable[CertificateDue], now: datetime, *, within_days: int = WARN_DAYS
) -> list[CertificateDue]:
    """The certificates that run out within ``within_days`` of ``now`` (or have already),
    soonest first."""
    return soonest_first(c for c in certificates if c.days_left(now) < within_days)
