"""The sharing policy's history: every version that was ever in force, by digest."""

from __future__ import annotations

from typing import Protocol

from gateway.audit import AuditEvent


class PolicyStore(Protocol):
    async def policy_in_force(self) -> str | None:
        """The digest of the policy last adopted, by any gateway process on this store."""
        ...

    async def adopt_policy(self, digest: str, text: str, event: AuditEvent) -> None:
        """Record ``digest`` as the policy in force and keep its text (once per digest)."""
        ...

    async def policy_text(self, digest: str) -> str | None:
        """The text of a policy once in force."""
        ...
