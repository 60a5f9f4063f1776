"""The message a recipient opens carries the decision's texts in its own languages only."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.decide.decision import Decision, FiredRule, Verdict
from gateway.flow.payload import decision_for_reader

LANGUAGES = ("nl", "fr", "de", "en")
texts = st.dictionaries(st.sampled_from(LANGUAGES), st.text(min_size=1, max_size=30))


@given(
    rules=st.lists(st.tuples(st.text(min_size=1, max_size=5), texts, texts), max_size=4),
    languages=st.lists(st.sampled_from(LANGUAGES), min_size=1, max_size=2, unique=True),
)
def test_each_rule_keeps_the_readers_languages_or_all_where_it_has_none_of_them(
    rules: list[tuple[str, dict[str, str], dict[str, str]]], languages: list[str]
) -> None:
    decision = Decision(
        recipient_id="be-pol-liege",
        verdict=Verdict.DELIVER,
        outcomes={},
        rules=tuple(FiredRule(id, reason, basis) for id, reason, basis in rules),
        policy_digest="ab" * 32,
    )

    shown = decision_for_reader(decision, languages)

    recorded = decision.as_json()
    assert {k: v for k, v in shown.items() if k != "rules"} == {
        k: v for k, v in recorded.items() if k != "rules"
    }
    for kept, (rule_id, reason, basis) in zip(shown["rules"], rules, strict=True):  # type: ignore[call-overload]
        assert kept["id"] == rule_id
        for member, full in (("reason", reason), ("legal_basis", basis)):
            mine = {lang: text for lang, text in full.items() if lang in languages}
            assert kept[member] == (mine or full)
