"""Which copies wait for a liaison officer: other-language text, held text, rules that say so."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.contract.partners import DEMO_NETWORK, Partner
from gateway.contract.signal import Signal
from gateway.decide.decision import DataClass, Decision, FiredRule, Outcome, Verdict
from gateway.decide.review import ReviewReason, review_need
from tests.conftest import load_example

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PARTNERS = {p.id: p for p in DEMO_NETWORK}


def signal(urgency: str = "urgent", language: str = "nl") -> Signal:
    document = load_example("nl-drug-waste-maastricht.json")
    document |= {"urgency": urgency, "language": language}
    return Signal.model_validate(document, context={"now": NOW})


def decision(
    verdict: Verdict = Verdict.DELIVER, free_text: Outcome = Outcome.SHARE, rules: str = "2"
) -> Decision:
    outcomes = dict.fromkeys(DataClass, Outcome.SHARE) | {DataClass.FREE_TEXT: free_text}
    fired = tuple(FiredRule(r) for r in rules.split(","))
    return Decision("x", verdict, outcomes, fired, "0" * 64)


@pytest.mark.parametrize(
    ("recipient", "verdict", "free_text", "rules", "urgency", "expected", "now"),
    [
        # a Dutch text for a Flemish-speaking police zone: nothing to check
        ("be-pol-lanaken", Verdict.DELIVER, Outcome.SHARE, "2", "urgent", None, None),
        # the same text for Liège (fr) and Aachen (de): a translation to check
        ("be-pol-liege", Verdict.DELIVER, Outcome.SHARE, "2", "urgent", ("language",), False),
        ("de-pol-aachen", Verdict.DELIVER, Outcome.SHARE, "2", "routine", ("language",), False),
        # immediate: out at once, the reviewed text follows
        ("de-pol-aachen", Verdict.DELIVER, Outcome.SHARE, "2", "immediate", ("language",), True),
        # held free text (rule 3, police to a foreign municipality)
        ("de-stadt-aachen", Verdict.REVIEW, Outcome.HOLD, "3", "urgent", ("held",), False),
        # eupen reads de and fr, not nl; rule 1a: always waits, even when immediate
        (
            "be-gem-eupen",
            Verdict.REVIEW,
            Outcome.SHARE,
            "1a",
            "immediate",
            ("language", "rule"),
            False,
        ),
        # a denied copy is not reviewed: it does not exist
        ("be-pol-liege", Verdict.DENY, Outcome.REDACT, "5", "urgent", None, None),
        # redacted free text in another language: nothing to translate
        ("be-pol-liege", Verdict.DELIVER, Outcome.REDACT, "2", "urgent", None, None),
    ],
)
def test_which_copies_wait_and_why(
    recipient: str,
    verdict: Verdict,
    free_text: Outcome,
    rules: str,
    urgency: str,
    expected: tuple[str, ...] | None,
    now: bool | None,
) -> None:
    need = review_need(signal(urgency), decision(verdict, free_text, rules), PARTNERS[recipient])
    if expected is None:
        assert need is None
        return
    assert need is not None
    assert tuple(str(r) for r in need.reasons) == expected
    assert need.release_now is now


def test_a_recipient_that_lists_the_language_second_still_reads_it() -> None:
    bilingual = Partner("be-gem-x", "X", "BE", "municipality", ("fr", "nl"))
    assert review_need(signal(), decision(), bilingual) is None
    assert (
        ReviewReason.LANGUAGE in review_need(signal(language="de"), decision(), bilingual).reasons
    )  # type: ignore[union-attr]
