"""The administrator's side of staff accounts: enrol, change, disable, reset, tokens.

Each change goes to the store with its audit event, in one transaction. An event
names the account and what changed; never a password, a TOTP secret or a token, and
not the person's name either (the audit log keeps ids, not names).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from gateway.infra.audit import events, refs
from gateway.infra.audit.refs import Ref
from gateway.infra.audit.schema import ABSENT, Absent
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_
from gateway.infra.vault import MasterKey
from gateway.staff import throttle
from gateway.staff import tokens as tokens_
from gateway.staff import totp as totp_
from gateway.staff.accounts import StaffAccount, StaffState
from gateway.staff.login import StaffRecord
from gateway.staff.passwords import PASSWORDS, Passwords, password_problems, password_refusal

if TYPE_CHECKING:
    from gateway.store import SignInBlock, StaffStore, Store


@dataclass(frozen=True)
class Enrolment:
    """An account with its new second factor, to show its owner once."""

    account: StaffAccount
    totp_secret: str = field(repr=False)
    provisioning_uri: str = field(repr=False)
    tokens_revoked: int = 0


@dataclass(frozen=True)
class IssuedToken:
    """A new token, to show once: only its hash is kept."""

    token: tokens_.ApiToken
    secret: str = field(repr=False)


def _credentials(
    account_id: str, password: str, key: MasterKey, passwords: Passwords
) -> tuple[str, bytes, totp_.Totp]:
    problems = password_problems(password, staff_id=account_id)
    if problems:
        raise password_refusal(problems)
    second = totp_.Totp.generate()
    return passwords.hash(password), totp_.seal(second, key, account_id), second


async def enrol(
    store: StaffStore,
    key: MasterKey,
    account: StaffAccount,
    password: str,
    *,
    actor: Ref,
    passwords: Passwords = PASSWORDS,
) -> Enrolment:
    password_hash, sealed, second = _credentials(account.id, password, key, passwords)
    added = await store.add_staff(
        StaffRecord(account, password_hash=password_hash, totp_sealed=sealed),
        events.StaffAdded(
            by=actor,
            about=refs.staff(account.id),
            role=str(account.role),
            desk=str(account.desk),
            language=account.language,
        ),
    )
    return Enrolment(added, second.secret, second.provisioning_uri(account.id))


async def change(store: StaffStore, account: StaffAccount, *, actor: Ref) -> StaffAccount:
    """Give an account the name, role, desk and language of ``account``."""

    def event(before: StaffAccount) -> events.StaffChanged:
        def changed(name: str) -> events.Change | Absent:
            was, now = getattr(before, name), getattr(account, name)
            return ABSENT if was == now else events.Change(was=str(was), now=str(now))

        return events.StaffChanged(
            by=actor,
            about=refs.staff(account.id),
            role=changed("role"),
            desk=changed("desk"),
            language=changed("language"),
            name_changed=True if before.name != account.name else ABSENT,
        )

    return await store.update_staff(account, event)


async def set_state(
    store: StaffStore, staff_id: str, state: StaffState, *, actor: Ref
) -> StaffAccount:
    def event(before: StaffAccount) -> events.StaffStateChanged:
        return events.StaffStateChanged(
            by=actor, about=refs.staff(staff_id), was=str(before.state), now=str(state)
        )

    return await store.set_staff_state(staff_id, state, event)


async def reset(
    store: StaffStore,
    key: MasterKey,
    staff_id: str,
    password: str,
    *,
    actor: Ref,
    passwords: Passwords = PASSWORDS,
) -> Enrolment:
    """A new password and a new second factor; every token of the account is revoked."""
    password_hash, sealed, second = _credentials(staff_id, password, key, passwords)
    done = await store.reset_staff_credentials(
        staff_id,
        password_hash=password_hash,
        totp_sealed=sealed,
        event_for=lambda revoked: events.StaffCredentialsReset(
            by=actor, about=refs.staff(staff_id), tokens_revoked=revoked
        ),
    )
    return Enrolment(
        done.account, second.secret, second.provisioning_uri(staff_id), done.tokens_revoked
    )


async def sign_in_blocks(
    store: Store,
    key: MasterKey,
    staff_ids: Iterable[str],
    now: datetime,
    policy: throttle.ThrottlePolicy,
) -> dict[str, list[SignInBlock]]:
    """The sign-in failures that still count against each account, by address."""
    keys = {staff_id: throttle.name_key(key, staff_id) for staff_id in staff_ids}
    found = await store.sign_in_blocks(keys.values(), now, policy)
    return {staff_id: found[name_key] for staff_id, name_key in keys.items()}


async def lift_sign_in_blocks(store: Store, key: MasterKey, staff_id: str, *, actor: Ref) -> int:
    """Forget every sign-in failure of an account, from every address: its holder (or an
    attacker at the same address) may try again at once. How many addresses were blocked."""
    await store.staff_account(staff_id)
    return await store.lift_sign_in_blocks(
        throttle.name_key(key, staff_id),
        lambda lifted: events.StaffSignInUnblocked(
            by=actor, about=refs.staff(staff_id), addresses=lifted
        ),
    )


async def issue_token(store: StaffStore, staff_id: str, label: str, *, actor: Ref) -> IssuedToken:
    label = label.strip()
    if not label or len(label) > 100 or not label.isprintable():
        raise RegistryError(N_("a token label has 1 to 100 printable characters"))
    secret = tokens_.new_token()
    planned = tokens_.NewToken(id=tokens_.new_token_id(), staff_id=staff_id, label=label)
    token = await store.issue_token(
        planned,
        tokens_.token_hash(secret),
        events.StaffTokenIssued(
            by=actor, about=refs.staff(staff_id), token_id=planned.id, label=label
        ),
    )
    return IssuedToken(token, secret)


async def revoke_token(store: StaffStore, token_id: str, *, actor: Ref) -> tokens_.ApiToken:
    return await store.revoke_token(
        token_id,
        lambda token: events.StaffTokenRevoked(
            by=actor, about=refs.staff(token.staff_id), token_id=token.id
        ),
    )
