"""check_policy: a rule that can never fire is an error; one that changes nothing, a warning."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.contract import codelists
from gateway.contract.partners import AGENCY_TYPES, COUNTRIES
from gateway.decide.decision import Exchange
from gateway.decide.policy import Finding, Policy, check_policy, decide_exchange, parse_policy
from gateway.decide.policy.check import exchange_states
from tests.test_policy import POLICY, TEXTS, exchanges, policy_text, random_rules

SHARE_ALL = {"match": {}, "verdict": "deliver", "outcomes": {"*": "share"}}


def policy_of(*rules: dict[str, Any]) -> Policy:
    """A policy of ``rules``, each given its id (r0, r1, ...) and texts."""
    full = [
        {"id": f"r{index}", "title": "t", **rule, "reason": TEXTS, "legal_basis": TEXTS}
        for index, rule in enumerate(rules)
    ]
    return parse_policy(policy_text(full))


def sharing_findings(policy: Policy) -> list[Finding]:
    """What the check finds about the sharing rules (these policies have no retention terms,
    which is a finding of its own)."""
    return [f for f in check_policy(policy) if f.rule_id != "retention"]


def check(*rules: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Severity, rule id and the gist (up to a colon) of each finding for ``rules``."""
    findings = sharing_findings(policy_of(*rules))
    return [(f.severity, f.rule_id, f.message.split(":")[0]) for f in findings]


def test_the_reference_policy_checks_clean_in_well_under_a_second() -> None:
    started = time.perf_counter()
    assert check_policy(POLICY) == []
    assert time.perf_counter() - started < 1.0


def test_every_kind_of_exchange_a_valid_signal_can_make_is_counted() -> None:
    codes = [len(codelists.codes(n)) for n in ("purpose", "urgency", "handling_code")]
    categories = codelists.codes("category")
    care = sum(c.startswith("care.") for c in categories)
    expected = math.prod(
        [
            len(COUNTRIES) ** 2,
            len(AGENCY_TYPES) ** 2,
            *codes,
            1 + codes[2],
        ]  # forwarded: none or a code
    ) * (2 * len(categories) - care)
    assert sum(exchange_states(POLICY.compiled).values()) == expected


@pytest.mark.parametrize(
    ("match", "unless", "why"),
    [
        ({"sender_country": "NL", "recipient_country": "NL", "border": "cross"}, None, "match"),
        ({"category": "care.*", "special_category": False}, None, "match"),  # care is special
        ({"purpose": "prevention"}, {"purpose": ["prevention", "public_order"]}, "unless"),
        ({"border": "same"}, {"sender_country": ["NL", "BE", "DE"]}, "unless"),
    ],
)
def test_a_rule_that_can_never_fire_is_an_error(
    match: dict[str, Any], unless: dict[str, Any] | None, why: str
) -> None:
    never = {"match": match, "verdict": "deny"} | ({"unless": unless} if unless else {})
    [finding] = check(SHARE_ALL, never)
    assert finding == ("error", "r1", "never fires")
    [message] = [f.message for f in sharing_findings(policy_of(SHARE_ALL, never))]
    assert ("its unless holds" in message) == (why == "unless")


def test_a_rule_another_rule_always_outdoes_is_shadowed() -> None:
    municipalities = {"match": {"sender_agency_type": "municipality"}, "verdict": "deny"}
    to_police = {"match": {"sender_agency_type": "municipality", "recipient_agency_type": "police"}}
    assert check(SHARE_ALL, municipalities, to_police | {"verdict": "deny"}) == [
        ("warning", "r2", "shadowed")
    ]


def test_a_deny_where_nothing_else_gives_a_verdict_is_shadowed_by_the_default() -> None:
    allow_police = {"match": {"sender_agency_type": "police"}, "verdict": "deliver"}
    deny_others = {"match": {"sender_agency_type": "tax"}, "verdict": "deny"}
    assert check(allow_police, deny_others) == [("warning", "r1", "shadowed")]


def test_a_rule_that_matters_in_one_kind_of_exchange_only_is_not_shadowed() -> None:
    narrow = {
        "category": "undermining.firearms",
        "handling_code": "H3",
        "urgency": "immediate",
        "sender_country": "BE",
        "recipient_agency_type": "customs",
        "forwards_handling_code": "H1",
    }
    assert check(SHARE_ALL, {"match": narrow, "outcomes": {"vehicle": "redact"}}) == []
    assert check(SHARE_ALL, {"match": narrow, "outcomes": {"vehicle": "share"}}) == [
        ("warning", "r1", "shadowed")
    ]


def test_an_unless_that_never_holds_where_the_match_does_is_a_warning() -> None:
    pointless = {"match": {"border": "cross"}, "unless": {"border": "same"}, "verdict": "deny"}
    assert check(SHARE_ALL, pointless) == [
        ("warning", "r1", "its unless never holds where its match does")
    ]


@settings(max_examples=100, deadline=None)
@given(random_rules(), st.lists(exchanges(), min_size=1, max_size=10))
def test_what_check_says_holds_for_every_exchange(
    rules: list[dict[str, Any]], cases: list[Exchange]
) -> None:
    policy = parse_policy(policy_text(rules))
    findings: list[Finding] = sharing_findings(policy)
    never = {f.rule_id for f in findings if f.message.startswith("never fires")}
    shadowed = {f.rule_id for f in findings if f.message.startswith("shadowed")}
    without = {
        rule_id: parse_policy(policy_text([r for r in rules if r["id"] != rule_id]))
        for rule_id in shadowed
    }
    for ex in cases:
        decision = decide_exchange(ex, policy)
        assert never.isdisjoint(decision.rule_ids)
        for other in without.values():
            changed = decide_exchange(ex, other)
            assert (changed.verdict, changed.outcomes) == (decision.verdict, decision.outcomes)


def kinds_of_exchange(policy: Policy) -> int:
    return sum(exchange_states(policy.compiled).values())


def test_a_shadowed_rule_is_told_with_how_often_it_fires_and_why_it_changes_nothing() -> None:
    allow_police = {"match": {"sender_agency_type": "police"}, "verdict": "deliver"}
    deny_tax = {"match": {"sender_agency_type": "tax"}, "verdict": "deny"}
    policy = policy_of(allow_police, deny_tax)
    total = kinds_of_exchange(policy)
    assert [str(finding) for finding in sharing_findings(policy)] == [
        f"warning: rule r1: shadowed: it fires for {total // len(AGENCY_TYPES)} of {total} "
        "kinds of exchange, and in every one the verdict and each class's outcome would be "
        "the same without it"
    ]


def test_a_shadowed_rule_counts_every_kind_of_exchange_it_fires_in() -> None:
    """r1 fires alone in kinds of exchange of different states (r2's unless tells them apart)
    and together with r2: every one of them is counted."""
    allow_police = {"match": {"sender_agency_type": "police"}, "verdict": "deliver"}
    deny_tax = {"match": {"sender_agency_type": "tax"}, "verdict": "deny"}
    deny_tax_now = {
        "match": {"sender_agency_type": "tax", "urgency": "immediate"},
        "unless": {"purpose": "prevention"},
        "verdict": "deny",
    }
    policy = policy_of(allow_police, deny_tax, deny_tax_now)
    total = kinds_of_exchange(policy)
    tax = total // len(AGENCY_TYPES)
    purposes, urgencies = (len(codelists.codes(name)) for name in ("purpose", "urgency"))
    tax_now = tax // urgencies // purposes * (purposes - 1)
    assert [finding.message for finding in sharing_findings(policy)] == [
        f"shadowed: it fires for {fires} of {total} kinds of exchange, and in every one the "
        "verdict and each class's outcome would be the same without it"
        for fires in (tax, tax_now)
    ]


def test_a_rule_that_redacts_only_what_no_other_rule_covers_is_shadowed() -> None:
    """A class no fired rule covers is redacted anyway."""
    vehicles = {"match": {}, "verdict": "deliver", "outcomes": {"vehicle": "share"}}
    redact = {"match": {"purpose": "prevention"}, "outcomes": {"person_identity": "redact"}}
    assert check(vehicles, redact) == [("warning", "r1", "shadowed")]


def test_the_first_rule_is_checked_like_any_other() -> None:
    never = {"match": {"border": "cross", "sender_country": "NL", "recipient_country": "NL"}}
    assert check(never | {"verdict": "deny"}, SHARE_ALL) == [("error", "r0", "never fires")]
    pointless = {"match": {"border": "cross"}, "unless": {"border": "same"}, "verdict": "deny"}
    assert check(pointless, SHARE_ALL) == [
        ("warning", "r0", "its unless never holds where its match does")
    ]
    shadowed = {"match": {"sender_agency_type": "tax"}, "verdict": "deny"}
    allow_police = {"match": {"sender_agency_type": "police"}, "verdict": "deliver"}
    assert check(shadowed, allow_police) == [("warning", "r0", "shadowed")]


def test_a_rule_that_matters_is_found_behind_one_that_does_not() -> None:
    """Rules that always fire together: the middle one changes nothing, the last one does."""
    prevention = {"purpose": "prevention"}
    same = {"match": prevention, "outcomes": {"vehicle": "share"}}
    stricter = {"match": prevention, "outcomes": {"vehicle": "redact"}}
    assert check(SHARE_ALL, same, stricter) == [("warning", "r1", "shadowed")]
