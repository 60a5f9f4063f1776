"""Time limits for requests for information (EU Directive 2023/977, art. 5), from receipt.

``urgent_direct``: 8 hours (urgent, the information is directly accessible to the
requested authority); ``urgent_indirect``: 3 calendar days (urgent, to be obtained from
other authorities); ``standard``: 7 calendar days. Calendar days are counted as whole days
of 24 hours from the moment of receipt, in UTC, so a deadline never shifts with a
daylight-saving change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Final

TIME_LIMITS: Final[Mapping[str, timedelta]] = MappingProxyType(
    {
        "urgent_direct": timedelta(hours=8),
        "urgent_indirect": timedelta(days=3),
        "standard": timedelta(days=7),
    }
)


def deadline(kind: str, received_at: datetime) -> datetime:
    """When the reply to a request of ``kind`` received at ``received_at`` is due."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be an aware datetime")
    return received_at.astimezone(UTC) + TIME_LIMITS[kind]


def overdue(due: datetime, now: datetime, *, answered: bool) -> bool:
    """A request is late once its deadline has passed without a reply."""
    return not answered and now > due
