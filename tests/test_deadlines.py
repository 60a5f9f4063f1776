"""The time limits of Directive (EU) 2023/977, art. 5, counted from receipt: 8 hours, and 3 or
7 calendar days of 24 hours each, whatever the time zone the moment of receipt is written in
and however many daylight-saving changes lie between receipt and deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gateway.flow.deadlines import TIME_LIMITS, deadline, overdue

EUREGIO = ("Europe/Amsterdam", "Europe/Brussels", "Europe/Berlin")
ODD_ZONES = (
    "UTC",
    "Europe/Dublin",  # winter time is the "daylight-saving" offset
    "America/St_Johns",  # half-hour offset with daylight saving
    "Asia/Kathmandu",  # +05:45
    "Australia/Lord_Howe",  # daylight saving of half an hour
    "Pacific/Chatham",  # +12:45 / +13:45
    "Pacific/Apia",  # skipped 30 December 2011
    "Africa/Casablanca",  # daylight saving suspended for Ramadan
)
# Named zones rather than st.timezones(): that strategy probes the tzdata package for keys
# such as posix/... by importing its subpackages, and pygal's import hook (loaded with the
# gateway's web pages) answers such an import with an ImportWarning, an error here
# (filterwarnings = error).
ZONES = tuple(ZoneInfo(key) for key in EUREGIO + ODD_ZONES)
kinds = st.sampled_from(sorted(TIME_LIMITS))
zones = st.sampled_from(ZONES) | st.builds(
    timezone,
    st.integers(min_value=-23 * 60 + 1, max_value=23 * 60 - 1).map(
        lambda minutes: timedelta(minutes=minutes)
    ),
)
moments = st.datetimes(
    min_value=datetime(1971, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=zones,
)

BEFORE_SPRING_FORWARD = datetime(2026, 3, 28, 12, 0, tzinfo=ZoneInfo("Europe/Brussels"))
BEFORE_FALL_BACK = datetime(2026, 10, 24, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
IN_THE_REPEATED_HOUR = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Amsterdam"))


def elapsed(start: datetime, end: datetime) -> timedelta:
    """Time that really passes: Python subtracts two times of one zone by their wall clocks."""
    return end.astimezone(UTC) - start.astimezone(UTC)


@given(kind=kinds, received=st.datetimes(max_value=datetime(9999, 1, 1), timezones=st.just(UTC)))
def test_the_deadline_of_a_receipt_in_utc_is_the_time_limit_after_it(
    kind: str, received: datetime
) -> None:
    due = deadline(kind, received)
    assert due - received == TIME_LIMITS[kind]
    assert due.utcoffset() == timedelta(0)


@given(kind=kinds, received=moments)
@example(kind="urgent_indirect", received=BEFORE_SPRING_FORWARD)
@example(kind="standard", received=BEFORE_FALL_BACK)
@example(kind="urgent_direct", received=IN_THE_REPEATED_HOUR)
def test_the_deadline_is_the_time_limit_after_receipt(kind: str, received: datetime) -> None:
    assert elapsed(received, deadline(kind, received)) == TIME_LIMITS[kind]


@given(kind=kinds, received=moments)
def test_the_moment_of_receipt_alone_decides_not_the_zone_it_is_written_in(
    kind: str, received: datetime
) -> None:
    assert deadline(kind, received) == deadline(kind, received.astimezone(UTC))


def test_the_limits_are_those_of_the_directive() -> None:
    assert dict(TIME_LIMITS) == {
        "urgent_direct": timedelta(hours=8),
        "urgent_indirect": timedelta(days=3),
        "standard": timedelta(days=7),
    }


def test_a_naive_time_of_receipt_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        deadline("standard", datetime(2026, 3, 28, 12, 0))


@given(
    due=moments,
    late_by=st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=1000)),
)
def test_a_request_is_overdue_only_after_its_deadline_and_only_while_unanswered(
    due: datetime, late_by: timedelta
) -> None:
    assert not overdue(due, due - late_by, answered=False)
    assert not overdue(due, due, answered=False)
    assert overdue(due, due + late_by, answered=False)
    assert not overdue(due, due + late_by, answered=True)
