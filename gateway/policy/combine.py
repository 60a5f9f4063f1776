"""How the rules that fire make one decision: the most restrictive word wins, and default deny.

- The verdict is the most restrictive verdict among the fired rules that give one. When
  none gives one, the default rule fires and the verdict is ``deny``.
- A class gets the most restrictive outcome among the fired rules that cover it (by name or
  by ``"*"``); a class no fired rule covers is ``redact``.
- ``deny`` redacts every class.
- A class ``hold`` turns ``deliver`` into ``review``: held free text waits for a liaison
  officer.

"Most restrictive" is the order of :class:`~gateway.decision.Verdict` and
:class:`~gateway.decision.Outcome`, so the result never depends on the order of the rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from gateway.decision import (
    DataClass,
    FiredRule,
    Outcome,
    Verdict,
    stricter_outcome,
    stricter_verdict,
)


@dataclass(frozen=True)
class Effect:
    """What one rule says when it fires: perhaps a verdict, perhaps outcomes for some classes."""

    verdict: Verdict | None
    outcomes: Mapping[DataClass, Outcome]
    fired: FiredRule


@dataclass(frozen=True)
class Resolution:
    """The decision for one set of fired rules, apart from who receives it."""

    verdict: Verdict
    outcomes: Mapping[DataClass, Outcome]
    rules: tuple[FiredRule, ...]

    @property
    def result(self) -> tuple[Verdict, tuple[Outcome, ...]]:
        """What the recipient gets: the verdict and every class's outcome, ignoring the why."""
        return self.verdict, tuple(self.outcomes[c] for c in DataClass)


def members(mask: int) -> Iterator[int]:
    """The positions of the bits set in ``mask``, lowest first: rule indexes in file order."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def combine(effects: Sequence[Effect], default: FiredRule) -> Resolution:
    """The decision made by the rules of ``effects``, which all fired (in file order)."""
    verdict: Verdict | None = None
    outcomes: dict[DataClass, Outcome] = {}
    for effect in effects:
        if effect.verdict is not None:
            given = effect.verdict
            verdict = given if verdict is None else stricter_verdict(verdict, given)
        for data_class, outcome in effect.outcomes.items():
            held = outcomes.get(data_class)
            outcomes[data_class] = outcome if held is None else stricter_outcome(held, outcome)
    rules = tuple(effect.fired for effect in effects)
    if verdict is None:
        verdict, rules = Verdict.DENY, (*rules, default)
    if verdict is Verdict.DENY:
        outcomes = {}
    final = {c: outcomes.get(c, Outcome.REDACT) for c in DataClass}
    if verdict is Verdict.DELIVER and Outcome.HOLD in final.values():
        verdict = Verdict.REVIEW
    return Resolution(verdict, MappingProxyType(final), rules)
