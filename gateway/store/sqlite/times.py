"""How the SQLite backend keeps a time: as text in the audit log's form (UTC, microseconds,
``Z``), which sorts as the times do; read back as an aware datetime in UTC, whatever form
an older version wrote (an offset, or none, which was always UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.infra.audit import timestamp


def moment(text: str) -> datetime:
    """A time as kept, as an aware datetime in UTC."""
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def moment_or_none(text: str | None) -> datetime | None:
    return None if text is None else moment(text)


def stored_or_none(at: datetime | None) -> str | None:
    """A time to keep, or none."""
    return None if at is None else timestamp(at)
