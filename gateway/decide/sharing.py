"""The sharing policy in force: loaded at start, reloaded on request, every change audited.

A reload reads the file, checks it, and swaps it in only if it has no errors; a policy
that fails keeps the old one in force and is audited as refused. Requests in flight
keep the policy they started with: a swap is one assignment, never a gap.

Several gateway processes on one store decide by one policy: the one adopted last, by any
of them, is in the store, and each process follows it (:meth:`PolicyInForce.follow`) within
a few seconds of its adoption elsewhere, from the text kept there, not from its own file.

The policy's history is kept through :class:`PolicyHistory`, which the store implements;
deciding never imports the store.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from gateway.decide.policy import Policy, PolicyError, check_policy, parse_policy
from gateway.infra.audit import AuditEvent, events
from gateway.infra.errors import StorageUnavailable
from gateway.infra.logs import get_logger

log = get_logger("euregate.policy")


class PolicyHistory(Protocol):
    """What the policy in force needs of the store: the policy last adopted, and each change
    kept with its audit event."""

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

    async def record(self, event: AuditEvent) -> object:
        """Append ``event`` to the audit log."""
        ...


@dataclass(frozen=True)
class Reload:
    adopted: bool
    digest: str
    problems: tuple[str, ...] = ()


def errors_of(policy: Policy) -> list[str]:
    return [
        f"rule {finding.rule_id}: {finding.message}"
        for finding in check_policy(policy)
        if finding.severity == "error"
    ]


class PolicyRefused(Exception):
    """A policy file that may not come into force, with every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(problems))


def read_checked(path: Path) -> tuple[Policy, str]:
    """The policy at ``path`` and its text, or :class:`PolicyRefused` naming every problem."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        reason = f"cannot read {path} ({error.strerror}); `euregate init` puts the reference there"
        raise PolicyRefused([reason]) from error
    try:
        policy = parse_policy(raw, source=str(path))
    except PolicyError as error:
        raise PolicyRefused([str(problem) for problem in error.problems]) from error
    errors = errors_of(policy)
    if errors:
        raise PolicyRefused(errors)
    return policy, raw.decode("utf-8")


class PolicyInForce:
    """The policy a gateway decides by: :meth:`adopt` puts a file in force, :meth:`reload`
    reads it again."""

    def __init__(self, path: Path, policy: Policy, *, store: PolicyHistory) -> None:
        self.path = path
        self.policy = policy
        self._store = store

    @classmethod
    async def adopt(cls, path: Path, *, store: PolicyHistory) -> PolicyInForce:
        """The policy at ``path`` in force, or :class:`PolicyRefused` naming every problem."""
        policy, text = await asyncio.to_thread(read_checked, path)
        in_force = cls(path, policy, store=store)
        await in_force._adopt(policy, text, previous=await store.policy_in_force())
        return in_force

    async def reload(self) -> Reload:
        """Read the file again; adopt it if it passes the check, else keep the policy in force."""
        try:
            candidate, text = await asyncio.to_thread(read_checked, self.path)
        except (PolicyRefused, UnicodeDecodeError) as refusal:
            problems = refusal.problems if isinstance(refusal, PolicyRefused) else (str(refusal),)
            await self._store.record(
                events.PolicyRefused(kept_sha256=self.policy.digest, problems=len(problems))
            )
            log.warning("policy_refused", problems=len(problems), kept=self.policy.digest)
            return Reload(adopted=False, digest=self.policy.digest, problems=problems)
        previous = self.policy.digest
        self.policy = candidate
        await self._adopt(candidate, text, previous=previous)
        return Reload(adopted=True, digest=candidate.digest)

    async def follow(self, interval: float) -> None:
        """Every ``interval`` seconds, take up the policy another process adopted (runs until
        cancelled, through a store that cannot be reached for a while)."""
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(StorageUnavailable):  # said once, by the store's health
                await self.catch_up()

    async def catch_up(self) -> bool:
        """Decide by the policy last adopted on the store, if another process adopted it
        since; whether it changed."""
        digest = await self._store.policy_in_force()
        if digest is None or digest == self.policy.digest:
            return False
        text = await self._store.policy_text(digest)
        if text is None:
            return False
        followed = parse_policy(text.encode("utf-8"), source=f"{self.path} ({digest[:12]})")
        if followed.digest != digest or errors_of(followed):
            log.error("policy_not_followed", sha256=digest, kept=self.policy.digest)
            return False
        previous, self.policy = self.policy.digest, followed
        log.info("policy_followed", sha256=digest, previous=previous)
        return True

    async def _adopt(self, policy: Policy, text: str, *, previous: str | None) -> None:
        if previous == policy.digest:
            return
        await self._store.adopt_policy(
            policy.digest,
            text,
            events.PolicyAdopted(
                sha256=policy.digest,
                previous_sha256=previous,
                rules=len(policy.rules),
            ),
        )
        log.info("policy_adopted", sha256=policy.digest, previous=previous)
