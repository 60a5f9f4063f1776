"""Decisions: the order of restrictiveness, and a record that reads back as it was."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from gateway.decide.decision import (
    DataClass,
    Decision,
    FiredRule,
    Outcome,
    Verdict,
    stricter_outcome,
    stricter_verdict,
)

TEXTS = st.dictionaries(st.sampled_from(["nl", "fr", "de", "en"]), st.text(max_size=20))
DECISIONS = st.builds(
    Decision,
    recipient_id=st.sampled_from(["be-pol-liege", "de-pol-aachen"]),
    verdict=st.sampled_from(list(Verdict)),
    outcomes=st.fixed_dictionaries({c: st.sampled_from(list(Outcome)) for c in DataClass}),
    rules=st.lists(st.builds(FiredRule, st.sampled_from(["0", "2", "2a", "10"]), TEXTS, TEXTS)).map(
        tuple
    ),
    policy_digest=st.text("0123456789abcdef", min_size=64, max_size=64),
)


@given(DECISIONS)
def test_a_recorded_decision_reads_back_as_it_was(decision: Decision) -> None:
    recorded = json.loads(json.dumps(decision.as_json()))
    assert Decision.from_json(recorded) == decision


def test_the_stricter_word_wins() -> None:
    assert stricter_verdict(Verdict.DELIVER, Verdict.DENY) is Verdict.DENY
    assert stricter_verdict(Verdict.REVIEW, Verdict.DELIVER) is Verdict.REVIEW
    assert stricter_outcome(Outcome.SHARE, Outcome.GENERALISE) is Outcome.GENERALISE
    assert stricter_outcome(Outcome.REDACT, Outcome.PSEUDONYMISE) is Outcome.REDACT


def test_a_class_a_decision_does_not_name_is_redacted() -> None:
    decision = Decision("x", Verdict.DELIVER, {DataClass.OPERATIONAL: Outcome.SHARE}, (), "0" * 64)
    assert decision.outcome(DataClass.FINANCIAL) is Outcome.REDACT
