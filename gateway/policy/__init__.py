"""The sharing policy: who may receive what, as data a compliance officer can read and change.

- :mod:`~gateway.policy.model`: the file format (TOML, validated with pydantic);
- :mod:`~gateway.policy.load`: :func:`load_policy` and :func:`parse_policy`, every problem told;
- :mod:`~gateway.policy.engine`: :func:`decide` and :func:`decide_exchange`, and the semantics;
- :mod:`~gateway.policy.check`: :func:`check_policy`, rules that never fire or change nothing;
- :mod:`~gateway.policy.attributes`, :mod:`~gateway.policy.combine`,
  :mod:`~gateway.policy.compiled`, :mod:`~gateway.policy.lines`: how, behind the scenes.

The reference policy is ``deploy/policy/euregio.toml``.
"""

from gateway.policy.check import Finding, check_policy
from gateway.policy.compiled import Policy
from gateway.policy.engine import decide, decide_exchange
from gateway.policy.load import PolicyError, PolicyProblem, load_policy, parse_policy
from gateway.policy.model import (
    EVERY_CLASS,
    DefaultRule,
    Match,
    Outcomes,
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
    "Rule",
    "Texts",
    "allowed_outcomes",
    "check_policy",
    "decide",
    "decide_exchange",
    "load_policy",
    "parse_policy",
]
