"""Signing in: password and code, the same refusal whatever went wrong, the sign-in throttle
(failures per name and address, attempts per address), and API tokens that stop the moment
they are revoked."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.edges.problems import problem_document
from gateway.infra.addresses import address_key
from gateway.infra.audit import AuditEntry, refs, timestamp, verify
from gateway.infra.clock import FixedClock
from gateway.infra.config import DataDir
from gateway.infra.errors import StaffNotAuthenticated, TooManyAttempts
from gateway.infra.vault import MasterKey
from gateway.registry.admin import staff as staff_admin
from gateway.registry.auth import Authenticator
from gateway.staff import (
    Desk,
    Passwords,
    Role,
    StaffAccount,
    StaffState,
)
from gateway.staff.throttle import (
    Bucket,
    Scope,
    ThrottlePolicy,
    Wait,
    admit,
    block_duration,
)
from gateway.store import Store

PASSWORD = "correct horse battery"
ADDRESS = "192.0.2.10"
OTHER = "192.0.2.99"
BLOCK_AFTER = ThrottlePolicy().failures_before_block
STEP = timedelta(seconds=30)


class Officer:
    """An enrolled liaison officer and the authenticator app on their phone."""

    def __init__(self, staff_id: str, secret: str, clock: FixedClock) -> None:
        self.id = staff_id
        self.app = pyotp.TOTP(secret)
        self._clock = clock

    @classmethod
    async def enrolled(
        cls, store: Store, key: MasterKey, clock: FixedClock, passwords: Passwords
    ) -> Officer:
        account = StaffAccount(
            id="j.jansen", name="Jan Jansen", role=Role.LIAISON_OFFICER, desk=Desk.parse("NL")
        )
        enrolment = await staff_admin.enrol(
            store, key, account, PASSWORD, actor=refs.admin("test"), passwords=passwords
        )
        return cls(account.id, enrolment.totp_secret, clock)

    def code(self) -> str:
        return self.app.at(self._clock.now())


ROOMY = ThrottlePolicy(burst=1000)
"""A throttle that never holds these tests up by address."""


@pytest.fixture
def authenticator(
    staff_store: Store, master_key: MasterKey, staff_clock: FixedClock, cheap_passwords: Passwords
) -> Iterator[Authenticator]:
    authenticator = Authenticator(
        staff_store, master_key, clock=staff_clock, passwords=cheap_passwords, throttle_policy=ROOMY
    )
    yield authenticator
    authenticator.close()


@pytest.fixture
async def officer(
    staff_store: Store, master_key: MasterKey, staff_clock: FixedClock, cheap_passwords: Passwords
) -> Officer:
    return await Officer.enrolled(staff_store, master_key, staff_clock, cheap_passwords)


def next_code(officer: Officer) -> str:
    """The code of the next step, for a sign-in right after another."""
    return officer.app.at(officer._clock.now() + STEP)


async def sign_ins(store: Store) -> list[AuditEntry]:
    return [e for e in await store.audit_entries() if e.kind.startswith("staff.login")]


async def refused(authenticator: Authenticator, staff_id: str, password: str, code: str) -> str:
    """Sign in, expecting a refusal; the problem document's detail, as the person reads it."""
    with pytest.raises(StaffNotAuthenticated) as refusal:
        await authenticator.login(staff_id, password, code, address=ADDRESS)
    document = problem_document(refusal.value, language="en")
    assert document["status"] == 401
    return str(document["detail"])


# --- one attempt --------------------------------------------------------------------------


async def test_the_right_password_and_code_sign_in_and_the_sign_in_is_audited(
    authenticator: Authenticator, officer: Officer, staff_store: Store
) -> None:
    account = await authenticator.login(officer.id, PASSWORD, officer.code(), address=ADDRESS)
    assert account.id == officer.id
    assert account.role is Role.LIAISON_OFFICER
    [entry] = await sign_ins(staff_store)
    assert entry.kind == "staff.login_succeeded"
    assert entry.actor == entry.subject == "staff:j.jansen"
    assert entry.data == {"address": ADDRESS}
    assert verify(await staff_store.audit_entries()).ok


async def test_signing_in_from_the_event_loop_runs_off_it(
    authenticator: Authenticator, officer: Officer
) -> None:
    account = await authenticator.login(officer.id, PASSWORD, officer.code(), address=ADDRESS)
    assert account.id == officer.id


async def test_every_refusal_reads_the_same_and_only_the_audit_log_knows_why(
    authenticator: Authenticator,
    officer: Officer,
    staff_store: Store,
    staff_clock: FixedClock,
) -> None:
    await authenticator.login(officer.id, PASSWORD, officer.code(), address=ADDRESS)
    used = officer.code()
    staff_clock.set(staff_clock.now() + STEP)
    answers = {
        "password": await refused(authenticator, officer.id, "wrong horse battery", officer.code()),
        "code": await refused(authenticator, officer.id, PASSWORD, "000000"),
        "code-replayed": await refused(authenticator, officer.id, PASSWORD, used),
        "unknown-account": await refused(authenticator, "nobody", PASSWORD, officer.code()),
        "malformed-id": await refused(authenticator, "Robert'); DROP TABLE", PASSWORD, "1"),
    }
    await staff_admin.set_state(
        staff_store, officer.id, StaffState.DISABLED, actor=refs.admin("test")
    )
    answers["disabled"] = await refused(authenticator, officer.id, PASSWORD, officer.code())
    assert len(set(answers.values())) == 1
    reasons = [e.data.get("reason") for e in (await sign_ins(staff_store))[1:]]
    assert reasons == [
        "password",
        "code",
        "code-replayed",
        "unknown-account",
        "unknown-account",
        "disabled",
    ]


async def test_a_refusal_for_an_unknown_account_does_not_log_the_name_tried(
    authenticator: Authenticator, staff_store: Store
) -> None:
    """People type their password into the login field; the audit log must not keep it."""
    await refused(authenticator, "my.secret.password", PASSWORD, "123456")
    [entry] = await sign_ins(staff_store)
    assert entry.actor == "anonymous"
    assert "my.secret.password" not in entry.canonical.decode()


async def test_a_hash_with_old_parameters_is_replaced_at_the_next_sign_in(
    staff_store: Store,
    master_key: MasterKey,
    staff_clock: FixedClock,
    cheap_passwords: Passwords,
) -> None:
    older = Passwords(time_cost=2, memory_cost_kib=16, parallelism=1)
    officer = await Officer.enrolled(staff_store, master_key, staff_clock, older)
    authenticator = Authenticator(
        staff_store, master_key, clock=staff_clock, passwords=cheap_passwords, throttle_policy=ROOMY
    )
    await authenticator.login(officer.id, PASSWORD, officer.code(), address=ADDRESS)
    record = await staff_store.staff_record(officer.id)
    assert record is not None
    assert not cheap_passwords.needs_rehash(record.password_hash)
    assert cheap_passwords.verify(record.password_hash, PASSWORD)
    assert (await sign_ins(staff_store))[-1].data["rehashed"] is True


# --- the throttle: failures per name and address --------------------------------------------

POLICY = ThrottlePolicy()


@pytest.mark.parametrize(
    ("failures", "blocked_for"),
    [
        (0, None),
        (BLOCK_AFTER - 1, None),
        (BLOCK_AFTER, timedelta(minutes=15)),
        (BLOCK_AFTER + 1, timedelta(minutes=30)),
        (BLOCK_AFTER + 2, timedelta(hours=1)),
        (BLOCK_AFTER + 6, timedelta(hours=16)),
        (BLOCK_AFTER + 7, timedelta(days=1)),
        (10_000, timedelta(days=1)),
    ],
)
def test_the_block_schedule(failures: int, blocked_for: timedelta | None) -> None:
    assert block_duration(POLICY, failures) == blocked_for


@given(st.integers(min_value=BLOCK_AFTER, max_value=100_000))
def test_a_block_never_shortens_with_more_failures_and_never_exceeds_a_day(failures: int) -> None:
    this, following = block_duration(POLICY, failures), block_duration(POLICY, failures + 1)
    assert this is not None
    assert following is not None
    assert POLICY.first_block <= this <= following <= POLICY.longest_block


async def test_five_failures_block_that_name_from_that_address_only_even_against_the_right_password(
    authenticator: Authenticator, officer: Officer, staff_clock: FixedClock
) -> None:
    for _ in range(BLOCK_AFTER):
        await refused(authenticator, officer.id, "wrong horse battery", officer.code())
    with pytest.raises(TooManyAttempts) as blocked:
        await authenticator.login(officer.id, PASSWORD, officer.code(), address=ADDRESS)
    assert blocked.value.params == {"retry_after": 15 * 60, "scope": "name"}

    elsewhere = await authenticator.login(officer.id, PASSWORD, officer.code(), address=OTHER)
    assert elsewhere.id == officer.id

    staff_clock.set(staff_clock.now() + timedelta(minutes=15))
    assert await authenticator.login(officer.id, PASSWORD, next_code(officer), address=ADDRESS)


async def test_a_name_nobody_has_is_blocked_exactly_like_an_account(
    authenticator: Authenticator, officer: Officer
) -> None:
    """The throttle must not tell which names are accounts."""
    answers = {}
    for name in (officer.id, "nobody.here"):
        for _ in range(BLOCK_AFTER):
            await refused(authenticator, name, "wrong horse battery", "000000")
        with pytest.raises(TooManyAttempts) as blocked:
            await authenticator.login(name, PASSWORD, officer.code(), address=ADDRESS)
        answers[name] = blocked.value.params
    assert answers[officer.id] == answers["nobody.here"]


async def test_each_failure_after_a_block_ends_blocks_twice_as_long(
    authenticator: Authenticator, officer: Officer, staff_store: Store, staff_clock: FixedClock
) -> None:
    for _ in range(BLOCK_AFTER):
        await refused(authenticator, officer.id, "wrong horse battery", officer.code())
    staff_clock.set(staff_clock.now() + timedelta(minutes=15))
    await refused(authenticator, officer.id, PASSWORD, "000000")
    event = (await sign_ins(staff_store))[-1]
    assert event.data["reason"] == "code"
    assert event.data["failures"] == BLOCK_AFTER + 1
    assert event.data["blocked_until"] == timestamp(staff_clock.now() + timedelta(minutes=30))


async def test_failures_are_forgotten_a_day_after_the_last(
    authenticator: Authenticator, officer: Officer, staff_store: Store, staff_clock: FixedClock
) -> None:
    for _ in range(BLOCK_AFTER - 1):
        await refused(authenticator, officer.id, "wrong horse battery", officer.code())
    staff_clock.set(staff_clock.now() + timedelta(days=1))
    await refused(authenticator, officer.id, "wrong horse battery", next_code(officer))
    assert (await sign_ins(staff_store))[-1].data["failures"] == 1


async def test_a_success_forgets_the_failures_from_its_address(
    authenticator: Authenticator, officer: Officer, staff_store: Store
) -> None:
    for _ in range(BLOCK_AFTER - 1):
        await refused(authenticator, officer.id, "wrong horse battery", officer.code())
    await authenticator.login(officer.id, PASSWORD, officer.code(), address=ADDRESS)
    await refused(authenticator, officer.id, "wrong horse battery", officer.code())
    assert (await sign_ins(staff_store))[-1].data["failures"] == 1


async def test_lifting_the_blocks_lets_the_address_try_again(
    authenticator: Authenticator, officer: Officer, staff_store: Store, master_key: MasterKey
) -> None:
    for _ in range(BLOCK_AFTER):
        await refused(authenticator, officer.id, "wrong horse battery", officer.code())
    assert (
        await staff_admin.lift_sign_in_blocks(
            staff_store, master_key, officer.id, actor=refs.admin("test")
        )
        == 1
    )
    assert await authenticator.login(officer.id, PASSWORD, officer.code(), address=ADDRESS)


# --- the throttle: attempts per address --------------------------------------------------------


def test_an_address_may_try_its_burst_then_waits_for_the_next_attempt(
    staff_clock: FixedClock,
) -> None:
    policy = ThrottlePolicy(burst=3, interval=timedelta(seconds=6))
    bucket = None
    answers = []
    for _ in range(4):
        wait, spent = admit(policy, bucket, None, staff_clock.now())
        answers.append(wait)
        bucket = spent or bucket
    assert answers == [None, None, None, Wait(6, Scope.ADDRESS)]
    staff_clock.set(staff_clock.now() + timedelta(seconds=4))
    assert admit(policy, bucket, None, staff_clock.now())[0] == Wait(2, Scope.ADDRESS)
    staff_clock.set(staff_clock.now() + timedelta(seconds=2))
    wait, bucket = admit(policy, bucket, None, staff_clock.now())
    assert wait is None
    assert admit(policy, bucket, None, staff_clock.now())[0] == Wait(6, Scope.ADDRESS)


def test_addresses_count_apart_but_one_ipv6_slash_64_counts_as_one() -> None:
    assert address_key("192.0.2.1") != address_key("192.0.2.2")
    assert address_key("::ffff:192.0.2.2") == "192.0.2.2", "IPv4-mapped is the same address"
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")


async def test_addresses_whose_attempts_are_full_again_are_forgotten(
    staff_store: Store, staff_clock: FixedClock, layout: DataDir
) -> None:
    policy = ThrottlePolicy(burst=2)
    for host in range(50):
        await staff_store.admit_sign_in(
            address=f"10.0.0.{host}", name_key="k", now=staff_clock.now(), policy=policy
        )
    staff_clock.set(staff_clock.now() + policy.bucket_full_after + timedelta(seconds=1))
    await staff_store.admit_sign_in(
        address="10.0.1.1", name_key="k", now=staff_clock.now(), policy=policy
    )
    with closing(sqlite3.connect(layout.database)) as conn:
        remembered = conn.execute("SELECT address FROM sign_in_addresses").fetchall()
    assert remembered == [("10.0.1.1",)]


@given(
    burst=st.integers(min_value=1, max_value=20),
    gaps=st.lists(st.integers(min_value=0, max_value=20_000), min_size=1, max_size=200),
)
def test_no_address_gets_more_than_its_burst_plus_one_attempt_per_interval(
    burst: int, gaps: list[int]
) -> None:
    policy = ThrottlePolicy(burst=burst, interval=timedelta(seconds=6))
    now = start = datetime(2026, 3, 2, tzinfo=UTC)
    bucket: Bucket | None = None
    admitted = 0
    for gap in gaps:
        now += timedelta(milliseconds=gap)
        wait, spent = admit(policy, bucket, None, now)
        if wait is None:
            admitted += 1
            bucket = spent
    elapsed = (now - start).total_seconds()
    assert admitted <= burst + elapsed / 6


async def test_a_busy_address_is_refused_with_the_seconds_to_wait_even_with_the_right_credentials(
    staff_store: Store,
    master_key: MasterKey,
    staff_clock: FixedClock,
    cheap_passwords: Passwords,
    officer: Officer,
) -> None:
    authenticator = Authenticator(
        staff_store,
        master_key,
        clock=staff_clock,
        passwords=cheap_passwords,
        throttle_policy=ThrottlePolicy(burst=2, interval=timedelta(seconds=6)),
    )
    await refused(authenticator, officer.id, "wrong horse battery", officer.code())
    await refused(authenticator, "someone.else", "wrong horse battery", officer.code())
    with pytest.raises(TooManyAttempts) as busy:
        await authenticator.login(officer.id, PASSWORD, officer.code(), address=ADDRESS)
    document = problem_document(busy.value, language="de")
    assert document["status"] == 429
    assert document["retry_after"] == 6
    assert document["title"] == "Zu viele Versuche"
    assert await authenticator.login(officer.id, PASSWORD, officer.code(), address=OTHER)
    authenticator.close()


# --- API tokens and sessions ----------------------------------------------------------------


async def test_a_token_identifies_its_account_until_it_is_revoked(
    authenticator: Authenticator, officer: Officer, staff_store: Store
) -> None:
    issued = await staff_admin.issue_token(
        staff_store, officer.id, "nightly export", actor=refs.admin("test")
    )
    assert (await authenticator.authenticate_token(issued.secret)).id == officer.id
    await staff_admin.revoke_token(staff_store, issued.token.id, actor=refs.admin("test"))
    with pytest.raises(StaffNotAuthenticated):
        await authenticator.authenticate_token(issued.secret)


async def test_a_disabled_accounts_tokens_stop_at_once_and_resume_when_enabled(
    authenticator: Authenticator, officer: Officer, staff_store: Store
) -> None:
    issued = await staff_admin.issue_token(
        staff_store, officer.id, "script", actor=refs.admin("test")
    )
    assert (await authenticator.authenticate_token(issued.secret)).id == officer.id
    await staff_admin.set_state(
        staff_store, officer.id, StaffState.DISABLED, actor=refs.admin("test")
    )
    with pytest.raises(StaffNotAuthenticated):
        await authenticator.authenticate_token(issued.secret)
    await staff_admin.set_state(
        staff_store, officer.id, StaffState.ACTIVE, actor=refs.admin("test")
    )
    assert (await authenticator.authenticate_token(issued.secret)).id == officer.id


async def test_a_reset_revokes_every_token_and_replaces_password_and_second_factor(
    authenticator: Authenticator,
    officer: Officer,
    staff_store: Store,
    master_key: MasterKey,
    cheap_passwords: Passwords,
    staff_clock: FixedClock,
) -> None:
    tokens = [
        (
            await staff_admin.issue_token(staff_store, officer.id, f"t{i}", actor=refs.admin("a"))
        ).secret
        for i in (1, 2)
    ]
    enrolment = await staff_admin.reset(
        staff_store, master_key, officer.id, "a whole new passphrase", actor=refs.admin("test"),
        passwords=cheap_passwords,
    )  # fmt: skip
    assert enrolment.tokens_revoked == 2
    for token in tokens:
        with pytest.raises(StaffNotAuthenticated):
            await authenticator.authenticate_token(token)
    await refused(authenticator, officer.id, PASSWORD, officer.code())
    await refused(authenticator, officer.id, "a whole new passphrase", officer.code())
    new_app = pyotp.TOTP(enrolment.totp_secret)
    staff_clock.set(staff_clock.now() + STEP)
    account = await authenticator.login(
        officer.id, "a whole new passphrase", new_app.at(staff_clock.now()), address=ADDRESS
    )
    assert account.id == officer.id


@pytest.mark.parametrize(
    "presented", ["", "egt_", "egt_" + "a" * 52, "Bearer egt_x", "egt_" + "A" * 52, "x" * 5000]
)
async def test_anything_but_an_issued_token_is_refused(
    authenticator: Authenticator, officer: Officer, presented: str
) -> None:
    with pytest.raises(StaffNotAuthenticated):
        await authenticator.authenticate_token(presented)


async def test_a_session_ends_when_its_account_is_disabled(
    authenticator: Authenticator, officer: Officer, staff_store: Store
) -> None:
    assert (await authenticator.current(officer.id)).id == officer.id
    await staff_admin.set_state(
        staff_store, officer.id, StaffState.DISABLED, actor=refs.admin("test")
    )
    with pytest.raises(StaffNotAuthenticated):
        await authenticator.current(officer.id)
    with pytest.raises(StaffNotAuthenticated):
        await authenticator.current("nobody")
