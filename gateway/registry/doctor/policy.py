"""The sharing policy passes the same check as ``euregate policy check``."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from gateway.decide.sharing import PolicyRefused, read_checked
from gateway.infra.i18n import N_
from gateway.registry.doctor.findings import Finding, error, ok

POLICY_OK: Final = N_("The sharing policy {path} passes its check ({rules} rules).")
POLICY_REFUSED: Final = N_("The sharing policy {path} fails its check: {reason}")
POLICY_FIX: Final = N_(
    "Correct it (`euregate policy check {path}` shows where), then run `euregate policy reload`."
)


def policy(path: Path) -> list[Finding]:
    try:
        checked, _ = read_checked(path)
    except PolicyRefused as refusal:
        return [
            error("policy", POLICY_REFUSED, POLICY_FIX, path=path, reason=reason)
            for reason in refusal.problems
        ]
    return [ok("policy", POLICY_OK, path=path, rules=len(checked.rules))]
