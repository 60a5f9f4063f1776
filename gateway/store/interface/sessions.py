"""Staff sessions as kept: opened at sign-in, found by the hash of their id, ended for good."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Final, Protocol

from gateway.infra.audit import AuditEvent
from gateway.staff.sessions import Ended, SessionRecord

CHANGEABLE: Final = frozenset({"language", "flash", "seen_at"})
"""What a request may change of its own session."""


def changed_columns(changes: Mapping[str, object]) -> list[str]:
    """The names in ``changes``, in one order, once each is found :data:`CHANGEABLE`
    (:class:`ValueError` if not)."""
    unknown = set(changes) - CHANGEABLE
    if unknown:
        raise ValueError(f"a session cannot change {sorted(unknown)}")
    return sorted(changes)


class StaffSessionStore(Protocol):
    async def open_staff_session(self, record: SessionRecord, *, absolute: timedelta) -> None:
        """Keep a new session; sessions that can no longer be used (started more than
        ``absolute`` ago, or ended ones of the same account) are forgotten meanwhile."""
        ...

    async def staff_session(self, id_hash: str) -> SessionRecord | None:
        """A session by the hash of its id, ended ones too."""
        ...

    async def update_staff_session(self, id_hash: str, changes: Mapping[str, object]) -> None:
        """Keep what a request changed of its session (:data:`CHANGEABLE`; anything else is a
        :class:`ValueError`), unless it ended."""
        ...

    async def end_staff_session(self, id_hash: str, reason: Ended) -> None:
        """End one session (it timed out), if it has not ended."""
        ...

    async def end_staff_sessions(
        self, staff_id: str, reason: Ended, event_for: Callable[[int], AuditEvent]
    ) -> int:
        """End every session of an account at once (signing out ends them all); how many."""
        ...
