"""Static analysis of a policy: rules that can never fire, and rules that change nothing.

Exact, not sampled: every attribute has a finite domain, so the check goes through every
kind of exchange a valid signal can make, the product of

- the sender's and the recipient's country (which also decide ``border``),
- the sender's and the recipient's agency type, purpose, urgency, handling code,
- the handling code forwarded to a third partner (or none),
- the category with the special-category flag (Signal v1 requires the flag for ``care.*``).

Values that no rule tells apart give the same bits, so they are counted together rather
than tried one by one, and so are partial combinations: the product is built attribute by
attribute over the distinct ``match | unless`` states reached so far, with a count of the
exchanges behind each. Whether a rule matters is then decided once per distinct set of
fired rules: with and without it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import product
from typing import Final, Literal

from gateway.policy.attributes import ATTRIBUTES, CARE_PREFIX, Value, domains
from gateway.policy.compiled import Compiled, Policy
from gateway.policy.model import Rule

_INDEPENDENT: Final = (
    "sender_agency_type",
    "recipient_agency_type",
    "purpose",
    "urgency",
    "handling_code",
    "forwards_handling_code",
)


@dataclass(frozen=True)
class Finding:
    """Something about one rule that a compliance officer should look at."""

    severity: Literal["error", "warning"]
    rule_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: rule {self.rule_id}: {self.message}"


@dataclass(frozen=True)
class _Space:
    """Every kind of exchange, as distinct states and as distinct sets of fired rules."""

    compiled: Compiled
    states: Counter[int]
    fired: Counter[int]

    @property
    def total(self) -> int:
        return sum(self.states.values())


def check_policy(policy: Policy) -> list[Finding]:
    """Errors (rules that never fire) and warnings (rules that never change a decision)."""
    compiled = policy.compiled
    states = exchange_states(compiled)
    fired: Counter[int] = Counter()
    for state, count in states.items():
        fired[compiled.fired(state)] += count
    space = _Space(compiled, states, fired)
    findings: list[Finding] = []
    for index, rule in enumerate(policy.rules):
        findings.extend(_findings(index, rule, space))
    return findings


def exchange_states(compiled: Compiled) -> Counter[int]:
    """Each distinct ``match | unless << n`` state, with how many kinds of exchange reach it."""
    columns = dict(zip(ATTRIBUTES, compiled.columns, strict=True))
    groups = [
        _countries(columns),
        *(Counter(columns[attribute].values()) for attribute in _INDEPENDENT),
        _categories(columns),
    ]
    states: Counter[int] = Counter({compiled.start: 1})
    for group in groups:
        states = _times(states, group)
    return states


def _times(states: Counter[int], group: Counter[int]) -> Counter[int]:
    combined: Counter[int] = Counter()
    for state, count in states.items():
        for entry, times in group.items():
            combined[state & entry] += count * times
    return combined


def _countries(columns: Mapping[str, Mapping[Value, int]]) -> Counter[int]:
    pairs = product(domains()["sender_country"], domains()["recipient_country"])
    return Counter(
        columns["sender_country"][sender]
        & columns["recipient_country"][recipient]
        & columns["border"]["same" if sender == recipient else "cross"]
        for sender, recipient in pairs
    )


def _categories(columns: Mapping[str, Mapping[Value, int]]) -> Counter[int]:
    pairs = product(domains()["category"], domains()["special_category"])
    return Counter(
        columns["category"][category] & columns["special_category"][special]
        for category, special in pairs
        if special or not str(category).startswith(CARE_PREFIX)
    )


def _findings(index: int, rule: Rule, space: _Space) -> Iterable[Finding]:
    compiled, fired, bit = space.compiled, space.fired, 1 << index
    matched = [state for state in space.states if state & bit]
    if not matched:
        yield Finding("error", rule.id, "never fires: no exchange satisfies its match")
        return
    fires = sum(count for rules, count in fired.items() if rules & bit)
    if fires == 0:
        yield Finding("error", rule.id, "never fires: its unless holds wherever its match does")
        return
    if rule.unless is not None and not any(state & (bit << compiled.size) for state in matched):
        yield Finding(
            "warning", rule.id, "its unless never holds where its match does: it excepts nothing"
        )
    if not any(_matters(compiled, rules, bit) for rules in fired if rules & bit):
        yield Finding(
            "warning",
            rule.id,
            f"shadowed: it fires for {fires} of {space.total} kinds of exchange, and in every one "
            "the verdict and each class's outcome would be the same without it",
        )


def _matters(compiled: Compiled, rules: int, bit: int) -> bool:
    """Whether taking the rule of ``bit`` out of the fired ``rules`` changes the decision."""
    return compiled.resolution(rules).result != compiled.resolution(rules & ~bit).result
