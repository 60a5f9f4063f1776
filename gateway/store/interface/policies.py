"""The sharing policy's history: every version that was ever in force, by digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gateway.infra.audit import AuditEvent


@dataclass(frozen=True)
class PolicyVersion:
    """A policy once in force: its digest, and when it was first adopted (unknown for one
    adopted before that was kept)."""

    sha256: str
    first_loaded_at: datetime | None


class PolicyStore(Protocol):
    async def policy_in_force(self) -> str | None:
        """The digest of the policy last adopted, by any gateway process on this store."""
        ...

    async def adopt_policy(self, digest: str, text: str, event: AuditEvent) -> None:
        """Record ``digest`` as the policy in force and keep its text (once per digest), with
        ``event``; nothing when ``digest`` is in force already (another process on the store
        adopted it first), so that processes reloading at once record it once."""
        ...

    async def policy_text(self, digest: str) -> str | None:
        """The text of a policy once in force."""
        ...

    async def policy_versions(self) -> list[PolicyVersion]:
        """Every policy ever adopted, by digest, the latest first adopted first."""
        ...
