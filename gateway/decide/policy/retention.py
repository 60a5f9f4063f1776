"""Retention terms: which of the policy's ``[retention]`` rules a signal falls under, and
whether those rules leave a signal without terms or give it two.

A signal is described for retention by its category, purpose and handling code, all finite
code lists, so the check goes through every combination there is (a few hundred). Exactly
one set of terms must apply to each: the rules whose match holds (several may, if their
terms are the same), or else the default. A combination no rule and no default covers is
a *missing* rule; two rules that hold for one combination with different terms
*contradict* each other. Within one set of terms, an acknowledged envelope kept longer
than the content it seals contradicts itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import product
from typing import Final

from gateway.contract.signal import Signal
from gateway.decide.policy.attributes import accepted, domains
from gateway.decide.policy.findings import Finding
from gateway.decide.policy.model import Retention, RetentionMatch, RetentionRule, RetentionTerms

_SHOWN: Final = 3
"""How many combinations a finding names before it counts the rest."""


@dataclass(frozen=True)
class Described:
    """What retention looks at of a signal."""

    category: str
    purpose: str
    handling_code: str

    def __str__(self) -> str:
        return (
            f"category {self.category}, purpose {self.purpose}, handling code {self.handling_code}"
        )


def described(signal: Signal) -> Described:
    return Described(signal.category, signal.purpose, signal.handling_code)


def every_signal() -> Iterator[Described]:
    """Every combination of category, purpose and handling code a valid signal can have."""
    for category, purpose, code in product(
        domains()["category"], domains()["purpose"], domains()["handling_code"]
    ):
        yield Described(str(category), str(purpose), str(code))


def applies(match: RetentionMatch, signal: Described) -> bool:
    return all(
        (values := accepted(match, attribute)) is None or value in values
        for attribute, value in (
            ("category", signal.category),
            ("purpose", signal.purpose),
            ("handling_code", signal.handling_code),
        )
    )


def terms_for(retention: Retention, signal: Described) -> RetentionTerms | None:
    """The terms ``signal`` is kept under: the first rule that holds (a checked policy's rules
    that hold agree), else the default; None when neither does."""
    for rule in retention.rule:
        if applies(rule.match, signal):
            return rule
    return retention.default


def recipient_keeps_until(terms: RetentionTerms, *, received: date) -> date:
    """The last day a recipient may keep a copy it received on ``received``."""
    return received + timedelta(days=terms.recipient_days)


def erase_on(terms: RetentionTerms, *, received: date, last_delivery: date | None) -> date:
    """The day a signal's content is erased at the gateway."""
    if last_delivery is None:
        return received + timedelta(days=terms.review_days)
    return last_delivery + timedelta(days=terms.keep_days)


def check_retention(retention: Retention | None) -> list[Finding]:
    """Errors for rules missing or contradicting; a warning when there are no terms at all."""
    if retention is None:
        return [
            Finding(
                "warning",
                "retention",
                "no [retention] terms: the gateway keeps every signal's content until it is "
                "erased by hand",
            )
        ]
    findings = [finding for terms in _all_terms(retention) for finding in _inconsistent(terms)]
    findings.extend(_contradictions(retention.rule))
    if retention.default is None:
        findings.extend(_missing(retention.rule))
    return findings


def _all_terms(retention: Retention) -> Iterable[RetentionTerms]:
    if retention.default is not None:
        yield retention.default
    yield from retention.rule


def _inconsistent(terms: RetentionTerms) -> Iterator[Finding]:
    if terms.acknowledged_days > terms.keep_days:
        yield Finding(
            "error",
            terms.id,
            f"acknowledged_days ({terms.acknowledged_days}) is longer than keep_days "
            f"({terms.keep_days}): an acknowledged envelope would outlive the content it seals",
        )


def _contradictions(rules: tuple[RetentionRule, ...]) -> Iterator[Finding]:
    for later, rule in enumerate(rules):
        for earlier in rules[:later]:
            if earlier.periods() == rule.periods():
                continue
            both = [
                s for s in every_signal() if applies(earlier.match, s) and applies(rule.match, s)
            ]
            if both:
                yield Finding(
                    "error",
                    rule.id,
                    f"contradicts retention rule {earlier.id}: both hold for "
                    f"{_some(both)}, with different terms "
                    f"({_periods(earlier)} against {_periods(rule)})",
                )


def _missing(rules: tuple[RetentionRule, ...]) -> Iterator[Finding]:
    uncovered = [s for s in every_signal() if not any(applies(r.match, s) for r in rules)]
    if uncovered:
        yield Finding(
            "error",
            "retention",
            f"no retention rule and no [retention.default] for {_some(uncovered)}",
        )


def _some(signals: list[Described]) -> str:
    named = "; ".join(str(s) for s in signals[:_SHOWN])
    rest = len(signals) - _SHOWN
    return f"{named} (and {rest} more)" if rest > 0 else named


def _periods(terms: RetentionTerms) -> str:
    return (
        f"keep_days {terms.keep_days}, review_days {terms.review_days}, "
        f"recipient_days {terms.recipient_days}, acknowledged_days {terms.acknowledged_days}"
    )
