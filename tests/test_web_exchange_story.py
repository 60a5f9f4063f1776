"""The story of one exchange: partners by name, and an officer's repeated openings of one copy
within a short time told as one line with a count, while every opening stays in the log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from gateway.contract.partners import DEMO_NETWORK
from gateway.edges.web.exchange_story import OPENED_WINDOW, story
from gateway.edges.web.frame import Viewer
from gateway.edges.web.partner_names import PartnerName, PartnerNames, shown
from gateway.infra import audit
from gateway.infra.audit import AuditEntry, AuditEvent, events, refs
from gateway.staff import Desk, Role, StaffAccount

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
VIEWER = Viewer(
    StaffAccount("a.peeters", "A. Peeters", Role.COMPLIANCE, Desk.parse("*")),
    "en",
    "csrf",
    ZoneInfo("Europe/Brussels"),
)
OFFICERS = ("m.dubois", "j.lambert")
RECIPIENTS = ("be-pol-liege", "de-pol-aachen")


def entries(timed: list[tuple[datetime, AuditEvent]]) -> list[AuditEntry]:
    chained, prev = [], audit.GENESIS
    for seq, (at, event) in enumerate(timed, start=1):
        entry = audit.chain(event, seq=seq, prev_hash=prev, at=at)
        chained.append(entry)
        prev = entry.hash
    return chained


def opened(officer: str, recipient: str = "be-pol-liege") -> events.ReviewOpened:
    return events.ReviewOpened(
        by=refs.staff(officer), about=refs.signal("s1"), item="i1", recipient=recipient
    )


def test_openings_within_the_window_are_one_line_and_a_later_one_another() -> None:
    minutes = (0, 4, 9, 15, 16)
    told = story(
        entries([(START + timedelta(minutes=m), opened("m.dubois")) for m in minutes]), VIEWER
    )
    assert [line.count for line in told] == [4, 1]
    assert told[0].last_at == VIEWER.moment(START + timedelta(minutes=15))


def test_openings_by_another_officer_or_of_another_copy_are_told_apart() -> None:
    told = story(
        entries(
            [
                (START, opened("m.dubois")),
                (START, opened("j.lambert")),
                (START, opened("m.dubois", "de-pol-aachen")),
                (START, opened("m.dubois")),
            ]
        ),
        VIEWER,
    )
    assert [(line.actor, line.recipient, line.count) for line in told] == [
        ("staff:m.dubois", "be-pol-liege", 2),
        ("staff:j.lambert", "be-pol-liege", 1),
        ("staff:m.dubois", "de-pol-aachen", 1),
    ]


@given(
    st.lists(
        st.tuples(st.integers(0, 240), st.sampled_from(OFFICERS), st.sampled_from(RECIPIENTS)),
        max_size=30,
    )
)
def test_every_opening_is_counted_once_and_lines_of_one_copy_and_officer_are_a_window_apart(
    openings: list[tuple[int, str, str]],
) -> None:
    timed = sorted(openings)
    told = story(
        entries([(START + timedelta(minutes=m), opened(o, r)) for m, o, r in timed]), VIEWER
    )
    assert sum(line.count for line in told) == len(timed)
    firsts: dict[tuple[str, str], datetime] = {}
    for line in told:
        at = datetime.fromisoformat(line.at_iso)
        before = firsts.get((line.actor, line.recipient))
        assert before is None or at - before > OPENED_WINDOW, "would have been told with it"
        firsts[line.actor, line.recipient] = at


def test_partners_are_named_and_an_unknown_id_stands_for_its_name() -> None:
    names = PartnerNames(DEMO_NETWORK)
    fetched = events.InboxFetched(
        by=refs.partner("be-pol-liege"),
        about=refs.partner("be-pol-liege"),
        envelopes=("e1",),
        signals=("s1",),
        after=0,
    )
    (line,) = story(entries([(START, fetched)]), VIEWER, names)
    assert (line.actor_shown, line.recipient_shown) == (
        "Zone de police de Liège",
        "Zone de police de Liège",
    )
    assert names["xx-gone"] == PartnerName("xx-gone", "xx-gone")


def test_a_partner_is_shown_by_name_with_its_id_and_hyphenated_words_kept_whole() -> None:
    html = str(shown(PartnerName("be-pol-lanaken", "Politiezone Lanaken-Maasmechelen <&>")))
    assert 'title="be-pol-lanaken"' in html
    assert '<span class="partner-id">be-pol-lanaken</span>' in html
    assert '<span class="whole">Lanaken-Maasmechelen</span>' in html
    assert "&lt;&amp;&gt;" in html


def test_a_withdrawal_is_told_in_words_with_its_reason_in_the_viewers_language() -> None:
    withdrawn = events.SignalWithdrawn(
        by=refs.partner("nl-pol-limburg"),
        signal_id="s1",
        reason="data_incorrect",
        cancelled=0,
        review_items=1,
        notices=2,
    )
    french = Viewer(VIEWER.account, "fr", "csrf", VIEWER.time_zone)

    (line,) = story(entries([(START, withdrawn)]), french, PartnerNames(DEMO_NETWORK))

    assert line.what == "retiré par l'expéditeur"
    assert line.actor_shown == "Politie Eenheid Limburg"
    assert ("motif", "données inexactes") in line.details
