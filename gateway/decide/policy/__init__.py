"""The sharing policy: who may receive what, as data a compliance officer can read and change.

- :mod:`~gateway.decide.policy.model`: the file format (TOML, validated with pydantic);
- :mod:`~gateway.decide.policy.load`: :func:`load_policy` and :func:`parse_policy`, every problem
  told;
- :mod:`~gateway.decide.policy.engine`: :func:`decide` and :func:`decide_exchange`, and the
  semantics;
- :mod:`~gateway.decide.policy.check`: :func:`check_policy`, rules that never fire or change
  nothing;
- :mod:`~gateway.decide.policy.retention`: which retention terms a signal is kept under, and
  retention rules missing or contradicting each other;
- :mod:`~gateway.decide.policy.attributes`, :mod:`~gateway.decide.policy.combine`,
  :mod:`~gateway.decide.policy.compiled`, :mod:`~gateway.decide.policy.lines`: how, behind the
  scenes.

The reference policy is ``deploy/policy/euregio.toml``.
"""

from gateway.decide.policy.check import check_policy
from gateway.decide.policy.compiled import Policy
from gateway.decide.policy.engine import decide, decide_exchange
from gateway.decide.policy.findings import Finding
from gateway.decide.policy.load import PolicyError, PolicyProblem, load_policy, parse_policy
from gateway.decide.policy.model import (
    EVERY_CLASS,
    DefaultRule,
    Match,
    Outcomes,
    Retention,
    RetentionTerms,
    Rule,
    Texts,
    allowed_outcomes,
)

__all__ = [
    "EVERY_CLASS",
    "DefaultRule",
    "Finding",
    "Match",
    "Outcomes",
    "Policy",
    "PolicyError",
    "PolicyProblem",
    "Retention",
    "RetentionTerms",
    "Rule",
    "Texts",
    "allowed_outcomes",
    "check_policy",
    "decide",
    "decide_exchange",
    "load_policy",
    "parse_policy",
]
