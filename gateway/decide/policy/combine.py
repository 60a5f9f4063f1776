"""How the rules that fire make one decision: the most restrictive word wins, and default deny.

- The verdict is the most restrictive verdict among the fired rules that give one. When
  none gives one, the default rule fires and the verdict is ``deny``.
- A class gets the most restrictive outcome among the fired rules that cover it (by name or
  by ``"*"``); a class no fired rule covers is ``redact``.
- ``deny`` redacts every class; any other verdict shares ``operational``, since a message
  without its category, times and place is no message (rules may not say otherwise).
- A class ``hold`` turns ``deliver`` into ``review``: held free text waits for a liaison
  officer.

"Most restrictive" is the order of :class:`~gateway.decide.decision.Verdict` and
:class:`~gateway.decide.decision.Outcome`, so the result never depends on the order of the rules.
The work is done on ranks: a rule is a vector (verdict, one outcome per class), ``-1`` where
it says nothing; the rules that fire combine by element-wise maximum, and :func:`finish`
applies the last three points. :mod:`gateway.decide.policy.check` reuses both, so the analysis and
the decisions cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Final

from gateway.decide.decision import DataClass, FiredRule, Outcome, Verdict

SILENT: Final = -1
"""The rank of "this rule says nothing about it"."""
Ranks = tuple[int, ...]
"""(verdict, outcome of each class in :class:`DataClass` order), as ranks."""

_VERDICTS: Final = tuple(Verdict)
_OUTCOMES: Final = tuple(Outcome)
_DELIVER, _REVIEW, _DENY = (_VERDICTS.index(v) for v in Verdict)
_SHARE, _HOLD, _REDACT = (_OUTCOMES.index(o) for o in (Outcome.SHARE, Outcome.HOLD, Outcome.REDACT))
assert next(iter(DataClass)) is DataClass.OPERATIONAL  # finish() relies on its position


@dataclass(frozen=True)
class Effect:
    """What one rule says when it fires: perhaps a verdict, perhaps outcomes for some classes."""

    verdict: Verdict | None
    outcomes: Mapping[DataClass, Outcome]
    fired: FiredRule

    @cached_property
    def ranks(self) -> Ranks:
        verdict = SILENT if self.verdict is None else _VERDICTS.index(self.verdict)
        said = (self.outcomes.get(c) for c in DataClass)
        return (verdict, *(SILENT if o is None else _OUTCOMES.index(o) for o in said))


@dataclass(frozen=True)
class Resolution:
    """The decision for one set of fired rules, apart from who receives it."""

    verdict: Verdict
    outcomes: Mapping[DataClass, Outcome]
    rules: tuple[FiredRule, ...]


def members(mask: int) -> Iterator[int]:
    """The positions of the bits set in ``mask``, lowest first: rule indexes in file order."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def strictest(vectors: Sequence[Ranks]) -> Ranks:
    """What the rules say together before :func:`finish`: the element-wise maximum."""
    return tuple(max(column) for column in zip(*vectors, strict=True)) if vectors else _NOTHING


def finish(raw: Ranks) -> Ranks:
    """Default deny, deny redacts everything, a hold makes deliver a review."""
    verdict = _DENY if raw[0] == SILENT else raw[0]
    if verdict == _DENY:
        return (_DENY, *(_REDACT for _ in raw[1:]))
    outcomes = (_SHARE, *(_REDACT if rank == SILENT else rank for rank in raw[2:]))
    if verdict == _DELIVER and _HOLD in outcomes:
        verdict = _REVIEW
    return (verdict, *outcomes)


def combine(effects: Sequence[Effect], default: FiredRule) -> Resolution:
    """The decision made by the rules of ``effects``, which all fired (in file order)."""
    raw = strictest([effect.ranks for effect in effects])
    final = finish(raw)
    rules = tuple(effect.fired for effect in effects)
    if raw[0] == SILENT:
        rules = (*rules, default)
    outcomes = {c: _OUTCOMES[rank] for c, rank in zip(DataClass, final[1:], strict=True)}
    return Resolution(_VERDICTS[final[0]], MappingProxyType(outcomes), rules)


_NOTHING: Final[Ranks] = (SILENT,) * (1 + len(DataClass))
