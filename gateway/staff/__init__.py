"""Staff: the people who use Euregate, how they sign in and what each may do.

    accounts      StaffAccount, Role, Desk, StaffState: who a person is at the gateway
    passwords     argon2id hashing with explicit parameters
    totp          the second factor, kept sealed with its last accepted step
    login         verify_login: one attempt, as a pure function
    throttle      the sign-in throttle: attempts per address, failures per name and address
    hashing       HashingPool: password hashing's own threads
    sessions      SessionRecord: a signed-in session as the database keeps it, and its timeouts
    tokens        API tokens: only their SHA-256 is kept
    permissions   Permission, ROLE_PERMISSIONS, require() and allowed_to()
    proposals     a staff change proposed by one person and approved by another: the rules

Changing accounts (enrol, change, reset, enable and disable, tokens, proposals) is the
administration's: :mod:`gateway.registry.admin.staff` and :mod:`gateway.registry.admin.approvals`.

The store side is :class:`gateway.store.StaffStore` (and the proposals, sessions and throttle
beside it); signing in against it is :class:`gateway.registry.auth.Authenticator`.
"""

from __future__ import annotations

from gateway.staff.accounts import Desk, Role, StaffAccount, StaffState
from gateway.staff.login import LoginResult, Refusal, StaffRecord, verify_login
from gateway.staff.passwords import PASSWORDS, Passwords
from gateway.staff.permissions import (
    ROLE_PERMISSIONS,
    Permission,
    allowed,
    allowed_to,
    require,
)
from gateway.staff.throttle import ThrottlePolicy
from gateway.staff.tokens import ApiToken
from gateway.staff.totp import Totp

__all__ = [
    "PASSWORDS",
    "ROLE_PERMISSIONS",
    "ApiToken",
    "Desk",
    "LoginResult",
    "Passwords",
    "Permission",
    "Refusal",
    "Role",
    "StaffAccount",
    "StaffRecord",
    "StaffState",
    "ThrottlePolicy",
    "Totp",
    "allowed",
    "allowed_to",
    "require",
    "verify_login",
]
