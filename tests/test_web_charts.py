"""The charts: figures counted in the viewer's time zone and language, and SVG that keeps the
Content Security Policy (no script, no inline style) and says what it shows."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from gateway.decide.decision import Verdict
from gateway.edges.web import charts
from gateway.store import ExchangeCount, ReviewSpan, ReviewState, RuleCount

BRUSSELS = ZoneInfo("Europe/Brussels")
SPAN = [date(2026, 11, 30), date(2026, 12, 1)]


def test_an_exchange_late_in_the_utc_evening_counts_for_the_next_day_in_brussels() -> None:
    hours = [
        ExchangeCount(datetime(2026, 11, 30, 22, tzinfo=UTC), "NL", "BE", 2),  # 23:00 in Brussels
        ExchangeCount(datetime(2026, 11, 30, 23, tzinfo=UTC), "NL", "BE", 1),  # 00:00, 1 December
        ExchangeCount(datetime(2026, 12, 1, 10, tzinfo=UTC), "BE", "DE", 3),
    ]
    chart = charts.exchanges_per_day(hours, SPAN, BRUSSELS, "de")

    assert dict(chart.series) == {"BE → DE": (0, 3), "NL → BE": (2, 1)}
    assert chart.labels == ("30.11.26", "01.12.26")
    assert chart.title == "Austausche pro Tag nach Länderpaar"


@given(
    st.lists(
        st.tuples(
            st.datetimes(min_value=datetime(2026, 11, 30), max_value=datetime(2026, 12, 1, 22)),
            st.sampled_from(["NL", "BE", "DE"]),
            st.sampled_from(["NL", "BE", "DE"]),
            st.integers(min_value=1, max_value=1000),
        ),
        max_size=30,
    )
)
def test_every_exchange_in_the_span_is_counted_once(
    counted: list[tuple[datetime, str, str, int]],
) -> None:
    hours = [
        ExchangeCount(at.replace(minute=0, second=0, microsecond=0, tzinfo=UTC), a, b, n)
        for at, a, b, n in counted
        if at.replace(tzinfo=UTC).astimezone(BRUSSELS).date() in SPAN
    ]
    exchanges = sum(h.exchanges for h in hours)
    chart = charts.exchanges_per_day(hours, SPAN, BRUSSELS, "en")
    assert sum(sum(values) for _, values in chart.series) == exchanges
    assert sum(sum(values) for _, values in chart.rows()) == exchanges


def test_decisions_without_a_rule_and_every_verdict_are_shown() -> None:
    chart = charts.decisions_by_rule(
        [RuleCount("1", Verdict.DELIVER, 2), RuleCount("", Verdict.DENY, 1)], "fr"
    )

    assert chart.labels == ("aucune règle", "règle 1")
    assert dict(chart.series) == {
        "transmettre": (0, 2),
        "transmettre après contrôle": (0, 0),
        "refuser": (1, 0),
    }


def test_review_times_fall_in_buckets_with_the_median_in_words() -> None:
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    spans = [
        ReviewSpan(ReviewState.RELEASED, "BE", start, start + timedelta(minutes=20)),
        ReviewSpan(ReviewState.RELEASED, "BE", start, start + timedelta(hours=2)),
        ReviewSpan(ReviewState.REJECTED, "NL", start, start + timedelta(days=4)),
    ]
    chart, median = charts.review_times(spans, "en")

    assert dict(chart.series) == {"released": (1, 1, 0, 0, 0), "rejected": (0, 0, 0, 0, 1)}
    assert median == "2 hours"


def test_the_svg_has_a_title_and_description_and_nothing_the_policy_forbids() -> None:
    chart = charts.Chart(
        "sample", "Title <b>", "What it shows", ("a", "b"), (("NL → BE", (1, 12)),)
    )
    drawn = str(charts.svg(chart))

    assert drawn.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="pygal-chart"')
    assert 'role="img" aria-labelledby="sample-title sample-desc"' in drawn
    assert '<title id="sample-title">Title &lt;b&gt;</title>' in drawn
    assert drawn.count("<title") == 1
    assert not re.search(r"<script|<style|\sstyle=|javascript:", drawn)
    assert charts.whole_numbers(chart) == [0, 2, 4, 6, 8, 10, 12]
    assert "svg.pygal-chart .color-0" in charts.stylesheet()
    assert "#chart-" not in charts.stylesheet()
