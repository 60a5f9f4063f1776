"""Who a request comes from: a person signing in, or a script presenting an API token.

The staff listener calls, and needs nothing else:

    await authenticator.login(staff_id, password, code, address=peer)  -> StaffAccount
    await authenticator.authenticate_token(bearer_token)               -> StaffAccount
    await authenticator.current(staff_id)                              -> StaffAccount

(``current`` on every request of a signed-in session),

each raising :class:`~gateway.errors.StaffNotAuthenticated` (401, the same whatever the
reason) and ``login`` also :class:`~gateway.errors.TooManyAttempts` (429, ``retry_after``).
All read the account's row on every call, so disabling an account, resetting it or
revoking a token takes effect at the next request, whichever process made the change.
Password hashing and the database run in a worker thread in the async methods; at most
``concurrent_hashes`` argon2 verifications run at once, bounding the memory they take.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from gateway.audit import AuditEvent, EventKind, timestamp
from gateway.clock import Clock
from gateway.errors import StaffNotAuthenticated, TooManyAttempts
from gateway.staff import tokens as tokens_
from gateway.staff.accounts import STAFF_ID, StaffAccount
from gateway.staff.login import LoginResult, Refusal, locked_until, verify_login
from gateway.staff.passwords import PASSWORDS, Passwords
from gateway.staff.ratelimit import AddressLimiter
from gateway.vault import MasterKey

if TYPE_CHECKING:
    from gateway.store.staff import StaffStore


class Authenticator:
    def __init__(
        self,
        store: StaffStore,
        key: MasterKey,
        *,
        clock: Clock,
        limiter: AddressLimiter | None = None,
        passwords: Passwords = PASSWORDS,
        concurrent_hashes: int = 4,
    ) -> None:
        self._store = store
        self._key = key
        self._clock = clock
        self._limiter = limiter if limiter is not None else AddressLimiter(clock)
        self._passwords = passwords
        self._hashing = threading.BoundedSemaphore(concurrent_hashes)

    async def login(self, staff_id: str, password: str, code: str, *, address: str) -> StaffAccount:
        return await asyncio.to_thread(self.login_sync, staff_id, password, code, address=address)

    def login_sync(self, staff_id: str, password: str, code: str, *, address: str) -> StaffAccount:
        """The account signed in, or :class:`StaffNotAuthenticated` whatever the reason, or
        :class:`TooManyAttempts` when ``address`` has tried too often."""
        wait = self._limiter.take(address)
        if wait is not None:
            raise TooManyAttempts(retry_after=wait)
        record = self._store.staff_record(staff_id) if STAFF_ID.match(staff_id) else None
        with self._hashing:
            now = self._clock.now()
            result = verify_login(
                record, password, code, now, key=self._key, passwords=self._passwords
            )
        if record is not None and result.ok:
            assert result.totp_sealed is not None
            if self._store.record_login_success(
                record,
                totp_sealed=result.totp_sealed,
                password_hash=result.password_hash,
                event=self._event(result, address),
            ):
                return replace(record.account, failed_logins=0, locked_until=None)
            result = LoginResult(record.account, Refusal.CODE_REPLAYED)
        self._refused(result, address, now)
        raise StaffNotAuthenticated()

    def _refused(self, result: LoginResult, address: str, now: datetime) -> None:
        refusal = result.refusal
        assert refusal is not None
        if result.account is None or not refusal.counts:
            self._store.record_sync(self._event(result, address))
            return

        def event(failures: int, until: datetime | None) -> AuditEvent:
            lock = {} if until is None else {"locked_until": timestamp(until)}
            return self._event(result, address, failures=failures, **lock)

        self._store.record_login_failure(
            result.account.id, lock=lambda failures: locked_until(failures, now), event_for=event
        )

    @staticmethod
    def _event(result: LoginResult, address: str, **data: object) -> AuditEvent:
        """Who tried, from where, and why it was refused; not the name tried for no account,
        which may well be a password typed into the wrong field."""
        account_id = None if result.account is None else result.account.id
        refusal = {} if result.refusal is None else {"reason": str(result.refusal)}
        return AuditEvent(
            EventKind.STAFF_LOGIN_SUCCEEDED if result.ok else EventKind.STAFF_LOGIN_REFUSED,
            actor="anonymous" if account_id is None else f"staff:{account_id}",
            subject="" if account_id is None else f"staff:{account_id}",
            data={
                **refusal,
                "address": address,
                **({"rehashed": True} if result.password_hash else {}),
                **data,
            },
        )

    async def current(self, staff_id: str) -> StaffAccount:
        return await asyncio.to_thread(self.current_sync, staff_id)

    def current_sync(self, staff_id: str) -> StaffAccount:
        """The account of a signed-in session as it is now, or :class:`StaffNotAuthenticated`
        if it is gone or not active. (A session that a reset, a new role or desk, or signing
        out ended is refused before this, by its record: :mod:`gateway.staff.sessions`.)"""
        record = self._store.staff_record(staff_id) if STAFF_ID.match(staff_id) else None
        if record is None or not record.account.active:
            raise StaffNotAuthenticated()
        return record.account

    async def authenticate_token(self, token: str) -> StaffAccount:
        return await asyncio.to_thread(self.authenticate_token_sync, token)

    def authenticate_token_sync(self, token: str) -> StaffAccount:
        """The active account an unrevoked ``token`` belongs to, or
        :class:`StaffNotAuthenticated`."""
        account = None
        if tokens_.well_formed(token):
            account = self._store.staff_for_token(tokens_.token_hash(token))
        if account is None:
            self._store.record_sync(
                AuditEvent(
                    EventKind.AUTHENTICATION_REFUSED,
                    actor="anonymous",
                    data={
                        "credential": "api_token",
                        "reason": "unknown" if tokens_.well_formed(token) else "malformed",
                    },
                )
            )
            raise StaffNotAuthenticated()
        return account
