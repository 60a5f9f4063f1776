"""Staff accounts as kept: their credentials, their API tokens and successful sign-ins."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from gateway.infra.audit import AuditEvent
from gateway.staff.accounts import StaffAccount, StaffState
from gateway.staff.login import StaffRecord
from gateway.staff.tokens import ApiToken, NewToken


@dataclass(frozen=True)
class CredentialsReset:
    """An account after a reset, and how many of its API tokens the reset revoked."""

    account: StaffAccount
    tokens_revoked: int


class StaffStore(Protocol):
    async def add_staff(self, record: StaffRecord, event: AuditEvent) -> StaffAccount:
        """Keep a new account with its credentials; an id is taken once, and a desk may name
        only registered partners (:class:`~gateway.infra.errors.RegistryError`)."""
        ...

    async def update_staff(
        self, account: StaffAccount, event_for: Callable[[StaffAccount], AuditEvent]
    ) -> StaffAccount:
        """Give an account the name, role, desk and language of ``account`` (``event_for``
        hears it as it was); a new role or desk ends every session of the account."""
        ...

    async def set_staff_state(
        self, staff_id: str, state: StaffState, event_for: Callable[[StaffAccount], AuditEvent]
    ) -> StaffAccount:
        """Enable or disable an account; disabling ends every session of the account. An
        account enabled before its holder enrolled waits for enrolment again."""
        ...

    async def reset_staff_credentials(
        self,
        staff_id: str,
        *,
        password_hash: str,
        totp_sealed: bytes,
        event_for: Callable[[int], AuditEvent],
    ) -> CredentialsReset:
        """New password and second factor, every token revoked and every session ended (an
        account that waited for enrolment is active now); ``event_for`` hears how many tokens
        were revoked."""
        ...

    async def staff_account(self, staff_id: str) -> StaffAccount:
        """One account; :class:`~gateway.infra.errors.RegistryError` if unknown."""
        ...

    async def staff_accounts(self) -> list[StaffAccount]:
        """Every account, by id."""
        ...

    async def staff_record(self, staff_id: str) -> StaffRecord | None:
        """An account with its credentials, for checking a sign-in; ``None`` if unknown."""
        ...

    async def record_login_success(
        self,
        seen: StaffRecord,
        *,
        totp_sealed: bytes,
        password_hash: str | None,
        event: AuditEvent,
        name_key: str,
        address: str,
    ) -> bool:
        """Keep the advanced second factor (and a password rehashed), forget the failures of
        this name from this address and audit the sign-in, if the credentials are still those
        that were checked and the account is active. ``False`` (and nothing written) means a
        concurrent sign-in or reset came first."""
        ...

    async def issue_token(self, token: NewToken, token_hash: str, event: AuditEvent) -> ApiToken:
        """Keep a token (only its hash) of an active account; the token as kept."""
        ...

    async def tokens(self, staff_id: str) -> list[ApiToken]:
        """An account's tokens, revoked ones too, oldest first."""
        ...

    async def revoke_token(
        self, token_id: str, event_for: Callable[[ApiToken], AuditEvent]
    ) -> ApiToken:
        """Revoke an active token for good (:class:`~gateway.infra.errors.RegistryError` if
        none)."""
        ...

    async def staff_for_token(self, token_hash: str) -> StaffAccount | None:
        """The active account an unrevoked token belongs to: one read, every request."""
        ...
