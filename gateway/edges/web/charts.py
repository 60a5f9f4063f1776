"""The compliance charts: figures counted as plain values, drawn by pygal as SVG on the server.

Each chart is a :class:`Chart` (title, description, labels, series), which the page shows
twice: as an SVG picture and as a table for those who would rather read. The SVG goes into
the page itself with a ``<title>`` and ``<desc>`` and ``role="img"``; to keep the strict
Content Security Policy, pygal's scripts are off (``js=[]``) and its inline ``<style>`` and
``style=`` attributes are taken out: the same rules come once from :func:`stylesheet`,
served as a file of this site.
"""

from __future__ import annotations

import functools
import re
import statistics
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import pygal
from babel.dates import format_date, format_timedelta
from markupsafe import Markup, escape
from pygal.style import Style

from gateway.infra.i18n import N_, translate
from gateway.render import labels
from gateway.render.renderer import LANGUAGE_LOCALES
from gateway.store import ExchangeCount, ReviewSpan, ReviewState, RuleCount, TrackedRequest
from gateway.store.interface.retention import ErasedInMonth

# pygal appends a finder for its map plug-ins to sys.meta_path that lacks ``find_spec``; on
# Python 3.11 every later import of a module that does not exist then fails with an
# AttributeError instead of ModuleNotFoundError (zoneinfo, hypothesis and importlib.util
# ask for such modules). Euregate uses no map plug-ins, so the finder goes.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

PALETTE: Final = (
    "#0b5cad",
    "#c26a00",
    "#1d6b2f",
    "#a4161a",
    "#6a3d9a",
    "#00727a",
    "#8c564b",
    "#4a5361",
    "#b8860b",
    "#2f4b7c",
    "#d45087",
    "#665191",
)
STYLE: Final = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1b1f24",
    foreground_strong="#1b1f24",
    foreground_subtle="#4a5361",
    opacity=".85",
    opacity_hover=".95",
    colors=PALETTE,
    font_family="system-ui, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    title_font_size=15,
)
CHART_CLASS: Final = "pygal-chart"
REVIEW_BUCKETS: Final = (
    (timedelta(hours=1), N_("under 1 hour")),
    (timedelta(hours=4), N_("1 to 4 hours")),
    (timedelta(days=1), N_("4 to 24 hours")),
    (timedelta(days=3), N_("1 to 3 days")),
    (timedelta.max, N_("more than 3 days")),
)


@dataclass(frozen=True)
class Chart:
    """A chart as values: what the picture and its table both show."""

    name: str
    title: str
    description: str
    labels: tuple[str, ...]
    series: tuple[tuple[str, tuple[int, ...]], ...]
    horizontal: bool = False

    @property
    def empty(self) -> bool:
        return not any(any(values) for _, values in self.series)

    def rows(self) -> list[tuple[str, tuple[int, ...]]]:
        """The table: one row per label, one column per series."""
        return [
            (label, tuple(values[i] for _, values in self.series))
            for i, label in enumerate(self.labels)
        ]


# --- the figures, as pure functions ------------------------------------------------------


def days(until: datetime, count: int, zone: ZoneInfo) -> list[date]:
    last = until.astimezone(zone).date()
    return [last - timedelta(days=count - 1 - i) for i in range(count)]


def exchanges_per_day(
    hours: Sequence[ExchangeCount], span: Sequence[date], zone: ZoneInfo, language: str
) -> Chart:
    """Exchanges per day (in the viewer's time zone) by country pair, sender to recipient,
    from the counts per hour of UTC (an hour falls in one day of every zone a whole number of
    hours from UTC, as the Euregio's are)."""
    counts: Counter[tuple[date, str]] = Counter()
    for counted in hours:
        day = counted.hour.astimezone(zone).date()
        counts[day, f"{counted.sender_country} → {counted.recipient_country}"] += counted.exchanges
    pairs = sorted({pair for _, pair in counts})
    return Chart(
        name="exchanges-per-day",
        title=translate(N_("Exchanges per day by country pair"), language),
        description=translate(
            N_("Signals delivered or waiting for review, per day from {first} to {last}."),
            language,
            first=labels_of_day(span[0], language),
            last=labels_of_day(span[-1], language),
        ),
        labels=tuple(labels_of_day(d, language) for d in span),
        series=tuple((pair, tuple(counts[d, pair] for d in span)) for pair in pairs),
    )


def labels_of_day(day: date, language: str) -> str:
    return format_date(day, "short", locale=LANGUAGE_LOCALES[language])


def decisions_by_rule(counted: Sequence[RuleCount], language: str) -> Chart:
    rules = sorted({count.rule_id for count in counted})
    verdicts = labels.codes("verdict")
    found = {(count.rule_id, str(count.verdict)): count.decisions for count in counted}
    no_rule = translate(N_("no rule"), language)
    return Chart(
        name="decisions-by-rule",
        title=translate(N_("Decisions by rule and outcome"), language),
        description=translate(
            N_("How many decisions each rule of the sharing policy took part in, by outcome."),
            language,
        ),
        labels=tuple(
            translate(N_("rule {id}"), language, id=rule) if rule else no_rule for rule in rules
        ),
        series=tuple(
            (
                labels.label("verdict", verdict, language),
                tuple(found.get((rule, verdict), 0) for rule in rules),
            )
            for verdict in verdicts
        ),
        horizontal=True,
    )


def review_times(spans: Sequence[ReviewSpan], language: str) -> tuple[Chart, str | None]:
    """How long reviews took, in buckets, by outcome; with the median in words."""
    durations: dict[ReviewState, list[timedelta]] = {
        ReviewState.RELEASED: [],
        ReviewState.REJECTED: [],
    }
    for span in spans:
        durations.setdefault(span.state, []).append(span.decided_at - span.created_at)

    def bucket(took: timedelta) -> int:
        return next(i for i, (limit, _) in enumerate(REVIEW_BUCKETS) if took < limit)

    names = {ReviewState.RELEASED: N_("released"), ReviewState.REJECTED: N_("rejected")}
    series = []
    for state, taken in durations.items():
        per = Counter(bucket(t) for t in taken)
        series.append(
            (
                translate(names.get(state, state), language),
                tuple(per[i] for i in range(len(REVIEW_BUCKETS))),
            )
        )
    every = [t for taken in durations.values() for t in taken]
    median = None
    if every:
        middle = timedelta(seconds=statistics.median(t.total_seconds() for t in every))
        median = format_timedelta(middle, locale=LANGUAGE_LOCALES[language])
    chart = Chart(
        name="review-times",
        title=translate(N_("Review times"), language),
        description=translate(
            N_("How long copies waited for a liaison officer's decision, by outcome."), language
        ),
        labels=tuple(translate(text, language) for _, text in REVIEW_BUCKETS),
        series=tuple(series),
    )
    return chart, median


def requests_by_sender(
    open_: Sequence[TrackedRequest],
    overdue: Sequence[TrackedRequest],
    language: str,
    names: Mapping[str, str] | None = None,
) -> Chart:
    """By requesting partner, each by its name in ``names`` (else its id)."""
    named = names or {}
    late = {r.signal_id for r in overdue}
    senders = sorted({r.sender_id for r in open_})
    in_time = Counter(r.sender_id for r in open_ if r.signal_id not in late)
    too_late = Counter(r.sender_id for r in open_ if r.signal_id in late)
    return Chart(
        name="requests",
        title=translate(N_("Open and overdue requests for information"), language),
        description=translate(
            N_(
                "Requests without a reply, by requesting partner: within the time limit or overdue."
            ),
            language,
        ),
        labels=tuple(named.get(s, s) for s in senders),
        series=(
            (
                translate(N_("open, within the time limit"), language),
                tuple(in_time[s] for s in senders),
            ),
            (translate(N_("overdue"), language), tuple(too_late[s] for s in senders)),
        ),
    )


def months(until: datetime, count: int) -> list[date]:
    """The first days of the ``count`` months (UTC) up to and with ``until``'s."""
    year, month = until.astimezone(UTC).year, until.astimezone(UTC).month
    firsts: list[date] = []
    for _ in range(count):
        firsts.insert(0, date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return firsts


def month_after(first: date) -> date:
    return date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1)


def erased_per_month(
    counted: Sequence[ErasedInMonth], span: Sequence[date], language: str
) -> Chart:
    """Signals whose content was erased under the retention terms, per month (UTC), from the
    audit log's ``signal.erased`` entries."""
    by_month = {c.month: c.signals for c in counted}
    return Chart(
        name="erased-per-month",
        title=translate(N_("Signals erased per month"), language),
        description=translate(
            N_("Signals erased under the retention terms, from {first} to {last}."),
            language,
            first=label_of_month(span[0], language),
            last=label_of_month(span[-1], language),
        ),
        labels=tuple(label_of_month(m, language) for m in span),
        series=(
            (
                translate(N_("erased"), language),
                tuple(by_month.get(m.strftime("%Y-%m"), 0) for m in span),
            ),
        ),
    )


def label_of_month(first: date, language: str) -> str:
    return format_date(first, "MMM yyyy", locale=LANGUAGE_LOCALES[language])


# --- drawing -----------------------------------------------------------------------------

_STYLE_ELEMENT = re.compile(r"<style\b[^>]*>.*?</style>", re.DOTALL)
_SCRIPT_ELEMENT = re.compile(r"<script\b[^>]*>.*?</script>|<script\b[^>]*/>", re.DOTALL)
_STYLE_ATTRIBUTE = re.compile(r"\sstyle=\"[^\"]*\"")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TITLE = re.compile(r"<title>.*?</title>", re.DOTALL)
_ROOT = re.compile(r"<svg\b[^>]*>")
_CHART_ID = re.compile(r"#chart-[0-9a-f-]+")


def _pygal(chart_type: type[pygal.graph.graph.Graph], **config: object) -> pygal.graph.graph.Graph:
    return chart_type(
        style=STYLE,
        js=[],
        disable_xml_declaration=True,
        show_y_guides=True,
        legend_at_bottom=True,
        truncate_legend=-1,
        truncate_label=-1,
        width=900,
        height=420,
        **config,
    )


def svg(chart: Chart) -> Markup:
    """The chart as SVG for the page: no script, no inline style, a title and a description."""
    kind = pygal.HorizontalStackedBar if chart.horizontal else pygal.StackedBar
    drawn = _pygal(
        kind,
        x_label_rotation=0 if chart.horizontal else 35,
        show_legend=True,
        print_values=False,
    )
    drawn.x_labels = list(chart.labels)
    drawn.y_labels = whole_numbers(chart)
    for name, values in chart.series:
        drawn.add(name, list(values))
    text = str(drawn.render(is_unicode=True))
    text = _TITLE.sub("", text)
    text = _COMMENT.sub(
        "", _STYLE_ATTRIBUTE.sub("", _SCRIPT_ELEMENT.sub("", _STYLE_ELEMENT.sub("", text)))
    )
    title_id, desc_id = f"{chart.name}-title", f"{chart.name}-desc"
    root = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{CHART_CLASS}" viewBox="0 0 900 420" '
        f'role="img" aria-labelledby="{title_id} {desc_id}">'
        f'<title id="{title_id}">{escape(chart.title)}</title>'
        f'<desc id="{desc_id}">{escape(chart.description)}</desc>'
    )
    return Markup(_ROOT.sub(lambda _: root, text, count=1))  # noqa: S704 - pygal escapes its texts


def whole_numbers(chart: Chart) -> list[int]:
    """Ticks for counts: whole numbers only, about ten of them at most."""
    highest = max(
        (sum(values[i] for _, values in chart.series) for i in range(len(chart.labels))),
        default=0,
    )
    step = max(1, -(-highest // 10))
    return list(range(0, highest + step, step))


@functools.cache
def stylesheet() -> str:
    """pygal's rules for every chart, once, for the class :data:`CHART_CLASS`."""
    sample = _pygal(pygal.StackedBar)
    sample.x_labels = ["a"]
    for i in range(len(PALETTE)):
        sample.add(str(i), [1])
    rendered = str(sample.render(is_unicode=True))
    rules = "\n".join(
        found.group(0).split(">", 1)[1].rsplit("<", 1)[0]
        for found in _STYLE_ELEMENT.finditer(rendered)
    )
    rules = _CHART_ID.sub(f"svg.{CHART_CLASS}", rules).replace("&gt;", ">")
    return rules + f"\nsvg.{CHART_CLASS} .tooltip {{ display: none; }}\n"
