"""The form a decision is kept in (gateway.store.decision_form), for any decision and whatever
texts were kept first: what a row keeps, with the texts kept, is the decision given."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from gateway.decide.decision import DataClass, Decision, FiredRule, Outcome, Verdict
from gateway.store.decision_form import (
    RuleTexts,
    decision_from_row,
    keys_to_look_up,
    row_form,
    texts_of,
)

LANGUAGES = st.sampled_from(["nl", "fr", "de", "en"])
TEXTS = st.dictionaries(LANGUAGES, st.text(max_size=30), max_size=4)
RULE_IDS = st.sampled_from(["cross-border", "special", "minors", "r-4"])
DIGESTS = st.sampled_from(["a" * 64, "b" * 64])

rules = st.builds(FiredRule, RULE_IDS, TEXTS, TEXTS)
decisions = st.builds(
    Decision,
    st.text(min_size=1, max_size=12),
    st.sampled_from(Verdict),
    st.dictionaries(st.sampled_from(DataClass), st.sampled_from(Outcome)).map(
        lambda given: dict.fromkeys(DataClass, Outcome.REDACT) | given
    ),
    st.lists(rules, max_size=4, unique_by=lambda rule: rule.id).map(tuple),
    DIGESTS,
)
kept_texts = st.dictionaries(st.tuples(DIGESTS, RULE_IDS), st.builds(RuleTexts, TEXTS, TEXTS))


def stored(row: dict[str, object]) -> dict[str, object]:
    """The row as a database hands it back: JSON, not the objects it was made of."""
    loaded: dict[str, object] = json.loads(json.dumps(row, ensure_ascii=False))
    return loaded


@given(decision=decisions, kept=kept_texts)
def test_a_row_with_the_texts_kept_is_the_decision_given(
    decision: Decision, kept: dict[tuple[str, str], RuleTexts]
) -> None:
    row = stored(row_form(decision, kept))
    found = {key: kept[key] for key in keys_to_look_up([row])}
    assert decision_from_row(row, found) == decision


@given(given_decisions=st.lists(decisions, max_size=5))
def test_with_the_texts_of_its_own_decisions_kept_no_row_keeps_a_text(
    given_decisions: list[Decision],
) -> None:
    """What a signal's decisions keep when nothing was kept before: each rule by its id, and
    the texts of the first decision naming it (the others' rows keep theirs where they differ)."""
    kept = texts_of(given_decisions)
    for decision in given_decisions:
        row = stored(row_form(decision, kept))
        for rule, in_row in zip(decision.rules, row["rules"], strict=True):  # type: ignore[call-overload]
            first = kept[(decision.policy_digest, rule.id)]
            same = first == RuleTexts(dict(rule.reason), dict(rule.legal_basis))
            assert (in_row == {"id": rule.id}) == same


@given(decision=decisions)
def test_a_row_as_earlier_versions_wrote_it_reads_without_any_texts_kept(
    decision: Decision,
) -> None:
    row = stored(decision.as_json())
    assert keys_to_look_up([row]) == set()
    assert decision_from_row(row, {}) == decision
