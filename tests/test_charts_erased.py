"""The chart of signals erased per month, as pure functions: twelve whole months (UTC) up to
the current one, each month's count from the audit log's erasures, months without any at 0."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from gateway.edges.web import charts
from gateway.store.interface.retention import ErasedInMonth

MOMENTS = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
)


@given(MOMENTS, st.integers(min_value=1, max_value=40))
def test_the_months_are_consecutive_and_end_with_the_current_one(now: datetime, count: int) -> None:
    span = charts.months(now, count)

    assert len(span) == count
    assert span[-1] == date(now.year, now.month, 1)
    assert all(m.day == 1 for m in span)
    assert all(charts.month_after(a) == b for a, b in pairwise(span))
    assert charts.month_after(span[-1]) > now.date()


@given(MOMENTS, st.lists(st.integers(min_value=0, max_value=11), max_size=30))
def test_each_month_shows_its_erasures_and_the_others_none(now: datetime, back: list[int]) -> None:
    span = charts.months(now, 12)
    counted = [
        ErasedInMonth(span[11 - b].strftime("%Y-%m"), back.count(b)) for b in sorted(set(back))
    ]

    chart = charts.erased_per_month(counted, span, "en")

    ((_, values),) = chart.series
    assert values == tuple(back.count(11 - i) for i in range(12))
    assert chart.empty == (not back)


def test_months_are_labelled_in_the_viewers_language() -> None:
    chart = charts.erased_per_month(
        [ErasedInMonth("2026-03", 4)], charts.months(datetime(2026, 3, 9, tzinfo=UTC), 2), "de"
    )
    assert chart.labels == ("Feb. 2026", "März 2026")
    assert chart.rows() == [("Feb. 2026", (0,)), ("März 2026", (4,))]
