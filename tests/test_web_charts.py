"""The charts: figures counted in the viewer's time zone and language, and SVG that keeps the
Content Security Policy (no script, no inline style) and says what it shows."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from gateway.store.sqlite.audit_search import ReviewSpan
from gateway.web import charts

BRUSSELS = ZoneInfo("Europe/Brussels")
SPAN = [date(2026, 11, 30), date(2026, 12, 1)]


def test_an_exchange_late_in_the_utc_evening_counts_for_the_next_day_in_brussels() -> None:
    times = [
        ("2026-11-30T22:30:00.000000Z", "NL", "BE"),  # 23:30 in Brussels: 30 November
        ("2026-11-30T23:30:00.000000Z", "NL", "BE"),  # 00:30 in Brussels: 1 December
        ("2026-12-01T10:00:00.000000Z", "BE", "DE"),
    ]
    chart = charts.exchanges_per_day(times, SPAN, BRUSSELS, "de")

    assert dict(chart.series) == {"BE → DE": (0, 1), "NL → BE": (1, 1)}
    assert chart.labels == ("30.11.26", "01.12.26")
    assert chart.title == "Austausche pro Tag nach Länderpaar"


@given(
    st.lists(
        st.tuples(
            st.datetimes(min_value=datetime(2026, 11, 30), max_value=datetime(2026, 12, 1, 22, 59)),
            st.sampled_from(["NL", "BE", "DE"]),
            st.sampled_from(["NL", "BE", "DE"]),
        ),
        max_size=30,
    )
)
def test_every_exchange_in_the_span_is_counted_once(
    exchanges: list[tuple[datetime, str, str]],
) -> None:
    times = [
        (at.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), a, b)
        for at, a, b in exchanges
        if at.replace(tzinfo=UTC).astimezone(BRUSSELS).date() in SPAN
    ]
    chart = charts.exchanges_per_day(times, SPAN, BRUSSELS, "en")
    assert sum(sum(values) for _, values in chart.series) == len(times)
    assert sum(sum(values) for _, values in chart.rows()) == len(times)


def test_decisions_without_a_rule_and_every_verdict_are_shown() -> None:
    chart = charts.decisions_by_rule([("1", "deliver", 2), ("", "deny", 1)], "fr")

    assert chart.labels == ("aucune règle", "règle 1")
    assert dict(chart.series) == {
        "transmettre": (0, 2),
        "transmettre après contrôle": (0, 0),
        "refuser": (1, 0),
    }


def test_review_times_fall_in_buckets_with_the_median_in_words() -> None:
    spans = [
        ReviewSpan("released", "BE", "2026-12-01T08:00:00.000000Z", "2026-12-01T08:20:00.000000Z"),
        ReviewSpan("released", "BE", "2026-12-01T08:00:00.000000Z", "2026-12-01T10:00:00.000000Z"),
        ReviewSpan("rejected", "NL", "2026-12-01T08:00:00.000000Z", "2026-12-05T08:00:00.000000Z"),
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
