"""What :func:`gateway.decide.policy.check_policy` reports about a policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Finding:
    """Something about one rule that a compliance officer should look at."""

    severity: Literal["error", "warning"]
    rule_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: rule {self.rule_id}: {self.message}"
