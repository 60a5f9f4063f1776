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
fired rules, with and without it, on the ranks :mod:`gateway.decide.policy.combine` decides with.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import product
from typing import Final

from gateway.decide.policy.attributes import ATTRIBUTES, CARE_PREFIX, Value, domains
from gateway.decide.policy.combine import SILENT, Ranks, finish, members, strictest
from gateway.decide.policy.compiled import Compiled, Policy
from gateway.decide.policy.findings import Finding
from gateway.decide.policy.model import Rule
from gateway.decide.policy.retention import check_retention

_INDEPENDENT: Final = (
    "sender_agency_type",
    "recipient_agency_type",
    "purpose",
    "urgency",
    "handling_code",
    "forwards_handling_code",
)


@dataclass(frozen=True)
class _Space:
    """Every kind of exchange, summed up per rule (bit *i* is rule *i*)."""

    total: int
    matched: int
    """Rules whose match holds somewhere."""
    excepted: int
    """Rules whose match and unless both hold somewhere."""
    fires: Counter[int]
    """Rule index → how many kinds of exchange it fires in."""
    matters: int
    """Rules whose removal changes a verdict or an outcome somewhere."""


def check_policy(policy: Policy) -> list[Finding]:
    """Errors (rules that never fire; retention rules missing or contradicting each other) and
    warnings (rules that never change a decision)."""
    space = _survey(policy.compiled)
    findings: list[Finding] = []
    for index, rule in enumerate(policy.rules):
        findings.extend(_findings(index, rule, space))
    findings.extend(check_retention(policy.retention))
    return findings


def _survey(compiled: Compiled) -> _Space:
    states = exchange_states(compiled)
    everyone = (1 << compiled.size) - 1
    matched = excepted = 0
    fired: Counter[int] = Counter()
    for state, count in states.items():
        matched |= state & everyone
        excepted |= state & everyone & (state >> compiled.size)
        fired[compiled.fired(state)] += count
    fires: Counter[int] = Counter()
    for rules, count in fired.items():
        for index in members(rules):
            fires[index] += count
    matters = _matters([effect.ranks for effect in compiled.effects], fired)
    return _Space(sum(states.values()), matched, excepted, fires, matters)


def _matters(vectors: list[Ranks], fired: Iterable[int]) -> int:
    """The rules without which some set of fired rules decides differently.

    Taking a rule out can only change a rank it alone holds at the top; only then is the
    decision worked out again without it.
    """
    matters = 0
    for rules in fired:
        candidates = rules & ~matters
        if not candidates:
            continue
        present = list(members(rules))
        columns = list(zip(*(vectors[i] for i in present), strict=True))
        tops = [max(column) for column in columns]
        alone = [
            top != SILENT and column.count(top) == 1
            for top, column in zip(tops, columns, strict=True)
        ]
        decided = finish(tuple(tops))
        for index in members(candidates):
            vector = vectors[index]
            if not any(a and rank == top for a, rank, top in zip(alone, vector, tops, strict=True)):
                continue
            others = [vectors[i] for i in present if i != index]
            if finish(strictest(others)) != decided:
                matters |= 1 << index
    return matters


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
    bit = 1 << index
    if not space.matched & bit:
        yield Finding("error", rule.id, "never fires: no exchange satisfies its match")
        return
    fires = space.fires[index]
    if fires == 0:
        yield Finding("error", rule.id, "never fires: its unless holds wherever its match does")
        return
    if rule.unless is not None and not space.excepted & bit:
        yield Finding(
            "warning", rule.id, "its unless never holds where its match does: it excepts nothing"
        )
    if not space.matters & bit:
        yield Finding(
            "warning",
            rule.id,
            f"shadowed: it fires for {fires} of {space.total} kinds of exchange, and in every one "
            "the verdict and each class's outcome would be the same without it",
        )
