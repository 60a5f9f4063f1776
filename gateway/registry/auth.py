"""Who a request comes from: a person signing in, or a script presenting an API token.

The staff listener calls, and needs nothing else:

    await authenticator.login(staff_id, password, code, address=peer)  -> StaffAccount
    await authenticator.authenticate_token(bearer_token)               -> StaffAccount
    await authenticator.current(staff_id)                              -> StaffAccount
    await authenticator.enrol(staff_id, half, half, password, address=peer) -> Enrolment

(``current`` on every request of a signed-in session; ``enrol`` at a holder's first sign-in),

each raising :class:`~gateway.infra.errors.StaffNotAuthenticated` (401, the same whatever the
reason) and ``login`` also :class:`~gateway.infra.errors.TooManyAttempts` (429, ``retry_after``)
when the sign-in throttle (:mod:`gateway.staff.throttle`) says wait; such an attempt has no
password checked. All read the account's row on every call, so disabling an account,
resetting it or revoking a token takes effect at the next request, whichever process made
the change. In ``login`` the password check runs in the
:class:`~gateway.staff.hashing.HashingPool`, never in the threads the store reads in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from gateway.infra.addresses import address_key
from gateway.infra.audit import events, refs, timestamp
from gateway.infra.audit.schema import ABSENT
from gateway.infra.clock import Clock
from gateway.infra.errors import RegistryError, StaffNotAuthenticated, TooManyAttempts
from gateway.infra.vault import MasterKey
from gateway.registry.admin.staff import Enrolment
from gateway.staff import throttle
from gateway.staff import tokens as tokens_
from gateway.staff import totp as totp_
from gateway.staff.accounts import STAFF_ID, StaffAccount
from gateway.staff.hashing import DEFAULT_WORKERS, HashingPool
from gateway.staff.login import LoginResult, Refusal, StaffRecord, verify_login
from gateway.staff.passwords import PASSWORDS, Passwords, password_problems, password_refusal
from gateway.staff.proposals import halves_match
from gateway.staff.throttle import Failures, ThrottlePolicy

if TYPE_CHECKING:
    from gateway.store import Store


@dataclass(frozen=True)
class _Attempt:
    """A sign-in admitted by the throttle, with the account's record as it was read."""

    address: str
    name_key: str
    record: StaffRecord | None
    now: datetime


class Authenticator:
    def __init__(
        self,
        store: Store,
        key: MasterKey,
        *,
        clock: Clock,
        passwords: Passwords = PASSWORDS,
        throttle_policy: ThrottlePolicy | None = None,
        hash_workers: int = DEFAULT_WORKERS,
    ) -> None:
        self._store = store
        self._key = key
        self._clock = clock
        self._passwords = passwords
        self.throttle = throttle_policy or ThrottlePolicy()
        self.hashing = HashingPool(hash_workers)

    def close(self) -> None:
        self.hashing.close()

    async def login(self, staff_id: str, password: str, code: str, *, address: str) -> StaffAccount:
        """The account signed in, or :class:`StaffNotAuthenticated` whatever the reason, or
        :class:`TooManyAttempts` when the throttle says ``address`` must wait."""
        attempt = await self._admit(staff_id, address)
        result = await self.hashing.run(lambda: self._verify(attempt, password, code))
        return await self._conclude(attempt, result)

    async def enrol(
        self, staff_id: str, first_half: str, second_half: str, password: str, *, address: str
    ) -> Enrolment:
        """A holder enrols with both halves of an enrolment code
        (:mod:`gateway.staff.proposals`) and a password of their own: the account gets it
        and a new second factor, whose secret is returned to be shown once. Throttled and counted
        like a sign-in; a wrong or used code is :class:`StaffNotAuthenticated`, whatever was
        wrong."""
        problems = password_problems(password, staff_id=staff_id)
        if problems:
            raise password_refusal(problems)
        attempt = await self._admit(staff_id, address)
        codes = await self._store.enrolment_codes(staff_id, attempt.now)
        code = next(
            (
                c
                for c in codes
                if halves_match(
                    c.proposal_id, (c.proposer_half, c.approver_half), first_half, second_half
                )
            ),
            None,
        )
        if attempt.record is None or code is None:
            refused = LoginResult(
                None if attempt.record is None else attempt.record.account, Refusal.ENROLMENT_CODE
            )
            await self._count_failure(attempt, refused)
            raise StaffNotAuthenticated(reason=str(Refusal.ENROLMENT_CODE))
        password_hash = await self.hashing.run(lambda: self._passwords.hash(password))
        second = totp_.Totp.generate()
        try:
            account = await self._store.enrol_staff(
                code.proposal_id,
                password_hash=password_hash,
                totp_sealed=totp_.seal(second, self._key, staff_id),
                now=attempt.now,
                name_key=attempt.name_key,
                event=events.StaffEnrolled(
                    by=refs.staff(staff_id),
                    about=refs.staff(staff_id),
                    proposal=code.proposal_id,
                    address=attempt.address,
                ),
            )
        except RegistryError:  # used or expired meanwhile, by another request
            raise StaffNotAuthenticated(reason=str(Refusal.ENROLMENT_CODE)) from None
        return Enrolment(account, second.secret, second.provisioning_uri(staff_id))

    def name_key(self, staff_id: str) -> str:
        """How the throttle knows a login name
        (:func:`gateway.staff.throttle.name_key`)."""
        return throttle.name_key(self._key, staff_id)

    async def _admit(self, staff_id: str, address: str) -> _Attempt:
        now = self._clock.now()
        counted = address_key(address)
        key = self.name_key(staff_id)
        wait = await self._store.admit_sign_in(
            address=counted, name_key=key, now=now, policy=self.throttle
        )
        if wait is not None:
            raise TooManyAttempts(retry_after=wait.seconds, scope=str(wait.scope))
        record = await self._store.staff_record(staff_id) if STAFF_ID.match(staff_id) else None
        return _Attempt(counted, key, record, now)

    def _verify(self, attempt: _Attempt, password: str, code: str) -> LoginResult:
        return verify_login(
            attempt.record, password, code, attempt.now, key=self._key, passwords=self._passwords
        )

    async def _conclude(self, attempt: _Attempt, result: LoginResult) -> StaffAccount:
        record = attempt.record
        if record is not None and result.ok:
            assert result.totp_sealed is not None
            if await self._store.record_login_success(
                record,
                totp_sealed=result.totp_sealed,
                password_hash=result.password_hash,
                event=events.StaffLoginSucceeded(
                    by=refs.staff(record.account.id),
                    about=refs.staff(record.account.id),
                    address=attempt.address,
                    rehashed=True if result.password_hash else ABSENT,
                ),
                name_key=attempt.name_key,
                address=attempt.address,
            ):
                return record.account
            result = LoginResult(record.account, Refusal.CODE_REPLAYED)
        await self._count_failure(attempt, result)
        raise StaffNotAuthenticated(reason=str(result.refusal))

    async def _count_failure(self, attempt: _Attempt, result: LoginResult) -> None:
        assert result.refusal is not None
        refusal = str(result.refusal)
        account = None if result.account is None else refs.staff(result.account.id)

        def event(failures: Failures) -> events.StaffLoginRefused:
            """Who tried, from where, and why it was refused; not the name tried for no
            account, which may well be a password typed into the wrong field."""
            until = failures.blocked_until
            return events.StaffLoginRefused(
                by=account or refs.ANONYMOUS,
                about=account,
                reason=refusal,
                address=attempt.address,
                failures=failures.count,
                blocked_until=ABSENT if until is None else timestamp(until),
            )

        await self._store.sign_in_failed(
            address=attempt.address,
            name_key=attempt.name_key,
            now=attempt.now,
            policy=self.throttle,
            event_for=event,
        )

    async def current(self, staff_id: str) -> StaffAccount:
        """The account of a signed-in session as it is now, or :class:`StaffNotAuthenticated`
        if it is gone or not active. (A session that a reset, a new role or desk, or signing
        out ended is refused before this, by its record: :mod:`gateway.staff.sessions`.)"""
        record = await self._store.staff_record(staff_id) if STAFF_ID.match(staff_id) else None
        if record is None or not record.account.active:
            raise StaffNotAuthenticated()
        return record.account

    async def authenticate_token(self, token: str) -> StaffAccount:
        """The active account an unrevoked ``token`` belongs to, or
        :class:`StaffNotAuthenticated` with a ``reason`` (``missing``, ``malformed`` or
        ``unknown``) for the summary of refusals (:mod:`gateway.edges.refusals`); nothing is written
        here."""
        if not token:
            raise StaffNotAuthenticated(reason="missing")
        if not tokens_.well_formed(token):
            raise StaffNotAuthenticated(reason="malformed")
        account = await self._store.staff_for_token(tokens_.token_hash(token))
        if account is None:
            raise StaffNotAuthenticated(reason="unknown")
        return account
