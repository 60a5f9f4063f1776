"""How a decision is kept: its row holds what is its own, its rules' texts are kept once.

Each rule a decision names carries its reason and legal basis in every language of the
policy (:class:`~gateway.decide.decision.FiredRule`): the same texts in every decision under
that policy that names the rule, nine tenths of the decision's JSON. So the ``decisions``
row keeps the decision's JSON with each rule by its id alone, and ``rule_texts`` keeps the
texts once per ``(policy_sha256, rule_id)``. A rule whose texts are not those already kept
for its key keeps them in the row, as rows written before this form keep all of theirs: a
decision reads back exactly as it was given, whatever was kept first. Both backends share
the form, so a backup or ``euregate migrate-store`` copies rows and texts as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.decide.decision import Decision

RuleKey = tuple[str, str]
"""A policy's digest and one of its rules' ids."""


@dataclass(frozen=True)
class RuleTexts:
    """What compliance staff read of one rule, per language code."""

    reason: Mapping[str, str]
    legal_basis: Mapping[str, str]


def texts_of(decisions: Iterable[Decision]) -> dict[RuleKey, RuleTexts]:
    """The texts of every rule the ``decisions`` name, by key (the first, where they differ)."""
    found: dict[RuleKey, RuleTexts] = {}
    for decision in decisions:
        for rule in decision.rules:
            key = (decision.policy_digest, rule.id)
            found.setdefault(key, RuleTexts(dict(rule.reason), dict(rule.legal_basis)))
    return found


def row_form(decision: Decision, kept: Mapping[RuleKey, RuleTexts]) -> dict[str, Any]:
    """The decision's JSON as its row keeps it, given the texts ``kept`` in ``rule_texts``."""
    recorded = decision.as_json()
    recorded["rules"] = [
        {"id": rule.id}
        if kept.get((decision.policy_digest, rule.id))
        == RuleTexts(dict(rule.reason), dict(rule.legal_basis))
        else {"id": rule.id, "reason": dict(rule.reason), "legal_basis": dict(rule.legal_basis)}
        for rule in decision.rules
    ]
    return recorded


def keys_to_look_up(rows: Iterable[Mapping[str, Any]]) -> set[RuleKey]:
    """The keys whose texts the rows do not keep themselves."""
    return {
        (row["policy_sha256"], rule["id"])
        for row in rows
        for rule in row["rules"]
        if "reason" not in rule
    }


def decision_from_row(row: Mapping[str, Any], kept: Mapping[RuleKey, RuleTexts]) -> Decision:
    """The decision a row keeps, its rules' texts from the row or else from ``kept``."""
    rules = []
    for rule in row["rules"]:
        if "reason" in rule:
            rules.append(rule)
            continue
        texts = kept[(row["policy_sha256"], rule["id"])]
        rules.append({"id": rule["id"], "reason": texts.reason, "legal_basis": texts.legal_basis})
    return Decision.from_json({**row, "rules": rules})
