"""What one check of ``euregate doctor`` found: a record with a message and a fix, each an
English message id translated where it is shown."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from gateway.infra.i18n import translate


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    """One thing a check found. ``message`` and ``fix`` are message ids, their
    ``{placeholders}`` filled from ``params``."""

    check: str
    status: Status
    message: str
    fix: str | None = None
    params: Mapping[str, object] = field(default_factory=dict)

    def said(self, language: str) -> str:
        return translate(self.message, language, **self._params(language))

    def fix_said(self, language: str) -> str | None:
        return None if self.fix is None else translate(self.fix, language, **self._params(language))

    def _params(self, language: str) -> dict[str, object]:
        """The parameters, a ``reason`` that is a message id (a fault's title) translated."""
        reason = self.params.get("reason")
        if isinstance(reason, str):
            return {**self.params, "reason": translate(reason, language)}
        return dict(self.params)

    def as_json(self, language: str) -> dict[str, object]:
        return {
            "check": self.check,
            "status": str(self.status),
            "message": self.said(language),
            "fix": self.fix_said(language),
        }


def ok(check: str, message: str, **params: object) -> Finding:
    return Finding(check, Status.OK, message, None, params)


def warning(check: str, message: str, fix: str, **params: object) -> Finding:
    return Finding(check, Status.WARNING, message, fix, params)


def error(check: str, message: str, fix: str, **params: object) -> Finding:
    return Finding(check, Status.ERROR, message, fix, params)
