"""The store and the disk under it: the schema's version, the clock against the audit log,
the partners' certificates on record, free space and whether the file system takes writes."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from gateway.infra.errors import StorageUnavailable
from gateway.infra.i18n import N_
from gateway.registry.doctor.files import EXPIRY_WARNING
from gateway.registry.doctor.findings import Finding, error, ok, warning
from gateway.store import StoreFacts
from gateway.store.health import probe_writable

CLOCK_ALLOWANCE: Final = timedelta(seconds=60)
LOW_SPACE: Final = 1 << 30
"""Bytes below which free space is worth a warning (or below :data:`LOW_SHARE` of the disk)."""
LOW_SHARE: Final = 0.10
TOO_LITTLE_SPACE: Final = 100 << 20
"""Bytes below which free space is an error: a burst of signals may fill it."""

DATABASE_UNREADABLE: Final = N_("The database {path} cannot be read: {reason}.")
DATABASE_FIX: Final = N_(
    "Check that the database file exists, belongs to the service account and that its file "
    "system is mounted and has room; for PostgreSQL, that the server runs and the URL, user "
    "and password are right."
)
SCHEMA_CURRENT: Final = N_("The database's schema is version {version}, this release's.")
SCHEMA_OLDER: Final = N_(
    "The database's schema is version {version}; this release uses version {current}."
)
SCHEMA_OLDER_FIX: Final = N_(
    "Back up the store (`euregate backup`), then bring it up to date with `euregate migrate`; "
    "the gateway does not start on it before."
)
SCHEMA_NEWER: Final = N_(
    "The database's schema is version {version}, newer than this release's ({current}): a "
    "newer release of Euregate made or upgraded it."
)
SCHEMA_NEWER_FIX: Final = N_(
    "Run the release that made it, or restore a backup made by this release; do not start "
    "this release on it."
)
CLOCK_OK: Final = N_("The clock agrees with the audit log (latest entry {at}).")
CLOCK_EMPTY: Final = N_("The audit log is empty; there is nothing to compare the clock with.")
CLOCK_BEHIND: Final = N_(
    "The clock is behind: the audit log's latest entry ({at}) is {seconds} seconds in the future."
)
CLOCK_FIX: Final = N_(
    "Synchronise the clock (with systemd-timesyncd or chrony) before starting the gateway; "
    "entries written now would go back in time."
)
PARTNER_CERTIFICATES_OK: Final = N_(
    "The partners' {count} active certificate(s) are valid for more than 30 days."
)
PARTNER_CERTIFICATE_EXPIRING: Final = N_(
    "Partner {partner}'s certificate {fingerprint} expires on {date}, in {days} days."
)
PARTNER_CERTIFICATE_EXPIRED: Final = N_(
    "Partner {partner}'s certificate {fingerprint} expired on {date}."
)
PARTNER_CERTIFICATE_FIX: Final = N_(
    "Ask the partner for a new certificate signing request and issue it with `euregate cert issue`."
)
SPACE_OK: Final = N_("{free} MiB free on the data directory's file system ({share} %).")
SPACE_LOW: Final = N_("Only {free} MiB free on the data directory's file system ({share} %).")
SPACE_FIX: Final = N_(
    "Make room, or move the data directory to a larger file system: once it is full the "
    "gateway refuses signals (507) until there is room again."
)
NOT_WRITABLE: Final = N_("The data directory's file system does not take writes: {reason}.")
NOT_WRITABLE_FIX: Final = N_(
    "Mount it read-write and make room; the gateway takes signals again by itself."
)


def unreadable(path: Path | str, fault: StorageUnavailable) -> Finding:
    """The store cannot even be read; ``fault`` says why."""
    return error("database", DATABASE_UNREADABLE, DATABASE_FIX, path=path, reason=fault.title)


def schema(facts: StoreFacts) -> Finding:
    version, current = facts.schema_version, facts.release_schema_version
    if version > current:
        return error("schema", SCHEMA_NEWER, SCHEMA_NEWER_FIX, version=version, current=current)
    if version < current:
        return warning("schema", SCHEMA_OLDER, SCHEMA_OLDER_FIX, version=version, current=current)
    return ok("schema", SCHEMA_CURRENT, version=version)


def clock(facts: StoreFacts, now: datetime) -> Finding:
    """An error when the audit log's latest entry lies ahead of ``now`` by more than
    :data:`CLOCK_ALLOWANCE`: the clock was set back, or is wrong."""
    latest = facts.latest_entry_at
    if latest is None:
        return ok("clock", CLOCK_EMPTY)
    at = latest.isoformat(timespec="seconds")
    if latest - now > CLOCK_ALLOWANCE:
        seconds = int((latest - now).total_seconds())
        return error("clock", CLOCK_BEHIND, CLOCK_FIX, at=at, seconds=seconds)
    return ok("clock", CLOCK_OK, at=at)


def partner_certificates(facts: StoreFacts, now: datetime) -> list[Finding]:
    """Warnings for partners' certificates expired or expiring within 30 days: theirs to
    renew, but the gateway refuses them once expired."""
    found: list[Finding] = []
    for certificate in facts.certificates:
        if certificate.not_after is None or certificate.not_after - now > EXPIRY_WARNING:
            continue
        expired = certificate.not_after <= now
        found.append(
            warning(
                "partner-certificates",
                PARTNER_CERTIFICATE_EXPIRED if expired else PARTNER_CERTIFICATE_EXPIRING,
                PARTNER_CERTIFICATE_FIX,
                partner=certificate.partner_id,
                fingerprint=certificate.fingerprint[:16],
                date=certificate.not_after.date().isoformat(),
                days=(certificate.not_after - now).days,
            )
        )
    return found or [
        ok("partner-certificates", PARTNER_CERTIFICATES_OK, count=len(facts.certificates))
    ]


def space(directory: Path) -> list[Finding]:
    """Free space on ``directory``'s file system, and whether it takes a write at all."""
    found: list[Finding] = []
    fault = probe_writable(directory)
    if fault is not None:
        found.append(error("disk", NOT_WRITABLE, NOT_WRITABLE_FIX, reason=fault.title))
    usage = shutil.disk_usage(directory)
    free, share = usage.free >> 20, round(100 * usage.free / usage.total) if usage.total else 0
    if usage.free < TOO_LITTLE_SPACE:
        found.append(error("disk", SPACE_LOW, SPACE_FIX, free=free, share=share))
    elif usage.free < LOW_SPACE or usage.free < LOW_SHARE * usage.total:
        found.append(warning("disk", SPACE_LOW, SPACE_FIX, free=free, share=share))
    else:
        found.append(ok("disk", SPACE_OK, free=free, share=share))
    return found
