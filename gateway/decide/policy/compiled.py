"""A validated policy compiled for deciding: per attribute, each value's bits of rules.

Bit *i* stands for rule *i* in file order; *n* is the number of rules. Each attribute's
column maps every value to ``match | unless << n``: the rules whose ``match`` accepts the
value (or sets no condition on that attribute), and above them the rules whose ``unless``
does. ANDing an exchange's entries leaves the rules whose whole ``match`` holds and, above
them, those whose whole ``unless`` holds; the rules that fire are ``match & ~unless``. The
decision for a set of fired rules is worked out once and remembered, so deciding is eleven
lookups and one more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from gateway.decide.decision import FiredRule
from gateway.decide.policy.attributes import ATTRIBUTES, Value, accepted, domains
from gateway.decide.policy.combine import Effect, Resolution, combine, members
from gateway.decide.policy.model import DefaultRule, Match, PolicyDocument, Retention, Rule

_REMEMBERED: Final = 65536
"""Sets of fired rules whose decision is kept; real policies produce a few hundred."""


@dataclass(frozen=True)
class Compiled:
    """The rules as bits, their effects, and the decisions worked out so far."""

    size: int
    start: int
    columns: tuple[Mapping[Value, int], ...]
    effects: tuple[Effect, ...]
    default: FiredRule
    _known: dict[int, Resolution] = field(default_factory=dict, repr=False, compare=False)

    def state(self, values: Sequence[Value]) -> int:
        """``match | unless << size`` for an exchange's values (in :data:`ATTRIBUTES` order)."""
        state = self.start
        for column, value in zip(self.columns, values, strict=True):
            state &= column[value]
        return state

    def fired(self, state: int) -> int:
        """The rules whose match holds and whose unless does not."""
        return state & ~(state >> self.size) & ((1 << self.size) - 1)

    def resolution(self, fired: int) -> Resolution:
        """The decision when exactly the rules of ``fired`` fire (remembered: it never changes)."""
        known = self._known.get(fired)
        if known is None:
            known = combine([self.effects[i] for i in members(fired)], self.default)
            if len(self._known) >= _REMEMBERED:
                self._known.clear()
            self._known[fired] = known
        return known


@dataclass(frozen=True)
class Policy:
    """A loaded, validated sharing policy; :func:`gateway.decide.policy.decide` applies it."""

    digest: str
    """SHA-256 (hex) of the policy file's exact bytes, recorded with every decision."""
    rules: tuple[Rule, ...]
    default: DefaultRule
    compiled: Compiled = field(repr=False, compare=False)
    source: str = "<policy>"
    retention: Retention | None = None
    """How long content is kept (:mod:`gateway.decide.policy.retention`); None: no terms."""


def fired_rule(rule: Rule | DefaultRule) -> FiredRule:
    return FiredRule(rule.id, rule.reason.by_language(), rule.legal_basis.by_language())


def compile_policy(document: PolicyDocument, *, digest: str, source: str) -> Policy:
    """The validated document as a :class:`Policy` ready to decide."""
    rules = document.rule
    size = len(rules)
    columns = tuple(_column(rules, attribute) for attribute in ATTRIBUTES)
    unless_bits = sum(1 << i for i, rule in enumerate(rules) if rule.unless is not None)
    start = ((1 << size) - 1) | (unless_bits << size)
    effects = tuple(
        Effect(rule.verdict, rule.outcomes.per_class(), fired_rule(rule)) for rule in rules
    )
    compiled = Compiled(size, start, columns, effects, fired_rule(document.default))
    return Policy(digest, rules, document.default, compiled, source, document.retention)


def _column(rules: Sequence[Rule], attribute: str) -> Mapping[Value, int]:
    """Each value of ``attribute``: the bits of the rules whose match, and unless, accept it."""
    size = len(rules)
    column: dict[Value, int] = {}
    for value in domains()[attribute]:
        bits = 0
        for index, rule in enumerate(rules):
            if _accepts(rule.match, attribute, value):
                bits |= 1 << index
            if rule.unless is not None and _accepts(rule.unless, attribute, value):
                bits |= 1 << (index + size)
        column[value] = bits
    return MappingProxyType(column)


def _accepts(match: Match, attribute: str, value: Value) -> bool:
    values = accepted(match, attribute)
    return values is None or value in values
