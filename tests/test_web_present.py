"""What the liaison pages show: glossary terms marked safely, the queue's order, deadlines."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from gateway.edges.web.present import Waiting, due, highlight, pressing_first, queue_row
from gateway.store import ReviewItem, ReviewState

TERMS = [("drugsafval", "déchets de production de drogues"), ("kenteken", "immatriculation")]
RECEIVED = datetime(2026, 10, 14, 6, 0, tzinfo=UTC)


def test_a_glossary_term_is_marked_with_its_translation_whole_words_only() -> None:
    marked = highlight("Drugsafval bij het kenteken; drugsafvalvat niet.", TERMS)
    assert str(marked) == (
        '<mark title="déchets de production de drogues">Drugsafval</mark> bij het '
        '<mark title="immatriculation">kenteken</mark>; drugsafvalvat niet.'
    )


def test_markup_in_a_text_or_a_translation_is_shown_not_obeyed() -> None:
    marked = highlight("<script>x</script> kenteken", [("kenteken", '"><img src=x>')])
    assert "<script>" not in str(marked)
    assert "<img" not in str(marked)
    assert 'title="&#34;&gt;&lt;img src=x&gt;"' in str(marked)


@given(st.text(), st.lists(st.tuples(st.text(min_size=1), st.text()), max_size=4))
def test_marking_never_changes_the_text_a_reader_sees(
    text: str, terms: list[tuple[str, str]]
) -> None:
    shown = re.sub(r"<mark title=\"[^\"]*\">|</mark>", "", str(highlight(text, terms)))
    assert html.unescape(shown) == text


def item(number: int, urgency: str, minutes_ago: int) -> ReviewItem:
    created = RECEIVED - timedelta(minutes=minutes_ago)
    return ReviewItem(
        id=f"item-{number}",
        signal_id=f"signal-{number}",
        recipient_id="be-pol-liege",
        country="BE",
        urgency=urgency,
        reasons=("language",),
        release_now=False,
        state=ReviewState.PENDING,
        created_at=created,
    )


def waiting(number: int, urgency: str, minutes_ago: int, deadline: str | None) -> Waiting:
    return Waiting(item(number, urgency, minutes_ago), "nl-pol-limburg", RECEIVED, deadline)


def test_the_most_pressing_comes_first_urgency_then_deadline_then_age() -> None:
    queue = [
        waiting(1, "routine", 500, None),
        waiting(2, "urgent", 10, None),
        waiting(3, "urgent", 5, "standard"),
        waiting(4, "urgent", 1, "urgent_direct"),
        waiting(5, "immediate", 0, None),
        waiting(6, "urgent", 60, None),
    ]
    order = [w.item.id for w in pressing_first(queue)]
    assert order == ["item-5", "item-4", "item-3", "item-6", "item-2", "item-1"]


def test_a_request_is_due_by_its_directive_time_limit_and_overdue_after() -> None:
    urgent = waiting(1, "urgent", 0, "urgent_direct")
    assert due(urgent) == RECEIVED + timedelta(hours=8)
    assert due(waiting(2, "urgent", 0, None)) is None
    zone = ZoneInfo("Europe/Brussels")
    before = queue_row(urgent, RECEIVED + timedelta(hours=8), "nl", zone)
    after = queue_row(urgent, RECEIVED + timedelta(hours=8, seconds=1), "nl", zone)
    assert (before.overdue, after.overdue) == (False, True)
    assert before.deadline == "14 okt 2026, 16:00:00"
