"""The store's contract, whatever its backend: staff accounts, their tokens and sessions, the
proposals a second person decides, enrolment, and the sign-in throttle's state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

import pytest

from gateway.contract.partners import Partner
from gateway.infra.audit import AuditEntry, AuditEvent, EventKind
from gateway.infra.clock import FixedClock
from gateway.infra.errors import RegistryError
from gateway.staff.accounts import Desk, Role, StaffAccount, StaffState
from gateway.staff.login import StaffRecord
from gateway.staff.proposals import NO_PASSWORD, Proposal, ProposalKind, ProposalState
from gateway.staff.sessions import Ended, SessionRecord
from gateway.staff.throttle import Scope, ThrottlePolicy
from gateway.staff.tokens import NewToken
from gateway.store import Decided, Store
from tests.store_backends import START, TimesChecked, open_backend
from tests.store_events import an_event

LIEGE = Partner("be-pol-liege", "Zone de police de Liège", "BE", "police", ("fr",))
OFFICER = StaffAccount(
    id="m.dubois", name="Marie Dubois", role=Role.LIAISON_OFFICER, desk=Desk.parse("BE")
)
ADMINISTRATOR = StaffAccount(
    id="j.jansen", name="Jan Jansen", role=Role.ADMINISTRATOR, desk=Desk.parse("*")
)
NOBODY = StaffAccount(id="x.nobody", name="X", role=Role.COMPLIANCE, desk=Desk.parse("*"))
POLICY = ThrottlePolicy()
ADDRESS = "192.0.2.10"


def event(kind: EventKind) -> AuditEvent:
    return an_event(kind)


async def last_entry(store: Store) -> AuditEntry:
    return (await store.audit_entries())[-1]


def approved(_: object) -> AuditEvent:
    return event(EventKind.STAFF_PROPOSAL_APPROVED)


def refused(_: object) -> AuditEvent:
    return event(EventKind.STAFF_PROPOSAL_REFUSED)


async def decide(
    store: Store,
    proposal_id: str,
    *,
    approve: bool,
    half: str | None = None,
    expires: datetime | None = None,
) -> Decided:
    """A second administrator's decision, now."""
    return await store.decide_staff_proposal(
        proposal_id,
        approve=approve,
        decided_by="a.other",
        now=START,
        approver_half=half,
        code_expires_at=expires,
        name_key="n",
        event_for=approved if approve else refused,
    )


def credentials(account: StaffAccount, password: str = "hash-1") -> StaffRecord:
    return StaffRecord(account, password_hash=password, totp_sealed=b"totp-" + password.encode())


async def enrolled(store: Store, *accounts: StaffAccount) -> None:
    for account in accounts:
        await store.add_staff(credentials(account), event(EventKind.STAFF_ADDED))


async def kinds(store: Store) -> list[str]:
    return [entry.kind for entry in await store.audit_entries()]


def session(id_hash: str, staff_id: str = OFFICER.id, *, started: int = 0) -> SessionRecord:
    at = START + timedelta(minutes=started)
    return SessionRecord(
        id_hash=id_hash, staff_id=staff_id, language="fr", csrf="c", started_at=at, seen_at=at
    )


# --- accounts ----------------------------------------------------------------------------------


async def test_an_account_is_kept_active_and_created_now(empty_store: Store) -> None:
    kept = await empty_store.add_staff(credentials(ADMINISTRATOR), event(EventKind.STAFF_ADDED))

    assert (kept.id, kept.role, kept.desk, kept.state) == (
        "j.jansen",
        Role.ADMINISTRATOR,
        Desk.parse("*"),
        StaffState.ACTIVE,
    )
    assert kept.created_at == START
    assert await empty_store.staff_account("j.jansen") == kept
    record = await empty_store.staff_record("j.jansen")
    assert record is not None
    assert (record.account, record.password_hash, record.totp_sealed) == (
        kept,
        "hash-1",
        b"totp-hash-1",
    )
    assert await kinds(empty_store) == ["staff.added"]


async def test_an_id_is_taken_once_and_a_desk_names_registered_partners_only(
    empty_store: Store,
) -> None:
    await enrolled(empty_store, ADMINISTRATOR)
    named = StaffAccount(
        id="k.smit", name="K", role=Role.LIAISON_OFFICER, desk=Desk.parse(LIEGE.id)
    )

    with pytest.raises(RegistryError, match="already exists"):
        await empty_store.add_staff(credentials(ADMINISTRATOR), event(EventKind.STAFF_ADDED))
    with pytest.raises(RegistryError, match="not registered"):
        await empty_store.add_staff(credentials(named), event(EventKind.STAFF_ADDED))
    await empty_store.add_partner(LIEGE, event(EventKind.PARTNER_ADDED))
    assert (
        await empty_store.add_staff(credentials(named), event(EventKind.STAFF_ADDED))
    ).desk == Desk.parse(LIEGE.id)
    with pytest.raises(RegistryError, match="no staff nobody"):
        await empty_store.staff_account("nobody")
    assert await empty_store.staff_record("nobody") is None


async def test_accounts_are_listed_by_id(empty_store: Store) -> None:
    await enrolled(empty_store, OFFICER, ADMINISTRATOR)
    assert [a.id for a in await empty_store.staff_accounts()] == ["j.jansen", "m.dubois"]


async def test_a_new_role_or_desk_ends_the_accounts_sessions_a_new_name_does_not(
    empty_store: Store,
) -> None:
    await enrolled(empty_store, OFFICER)
    await empty_store.open_staff_session(session("s1"), absolute=timedelta(hours=12))
    heard: list[str] = []

    def changed(before: StaffAccount) -> AuditEvent:
        heard.append(before.name)
        return event(EventKind.STAFF_CHANGED)

    renamed = await empty_store.update_staff(
        StaffAccount(id=OFFICER.id, name="M. Dubois", role=OFFICER.role, desk=OFFICER.desk), changed
    )
    still = await empty_store.staff_session("s1")
    moved = await empty_store.update_staff(
        StaffAccount(id=OFFICER.id, name="M. Dubois", role=Role.COMPLIANCE, desk=Desk.parse("*")),
        changed,
    )
    ended = await empty_store.staff_session("s1")

    assert (renamed.name, moved.role) == ("M. Dubois", Role.COMPLIANCE)
    assert heard == ["Marie Dubois", "M. Dubois"]
    assert still is not None
    assert still.ended_at is None
    assert ended is not None
    assert (ended.ended_at, ended.ended_reason) == (START, Ended.ACCOUNT_CHANGED)


async def test_disabling_ends_every_session_and_enabling_an_unenrolled_account_waits(
    empty_store: Store,
) -> None:
    waiting = StaffRecord(OFFICER, password_hash=NO_PASSWORD, totp_sealed=b"")
    await empty_store.add_staff(waiting, event(EventKind.STAFF_ADDED))
    await enrolled(empty_store, ADMINISTRATOR)
    await empty_store.open_staff_session(
        session("s2", ADMINISTRATOR.id), absolute=timedelta(hours=12)
    )

    def changed(_: StaffAccount) -> AuditEvent:
        return event(EventKind.STAFF_STATE_CHANGED)

    disabled = await empty_store.set_staff_state(ADMINISTRATOR.id, StaffState.DISABLED, changed)
    again = await empty_store.set_staff_state(OFFICER.id, StaffState.ACTIVE, changed)
    ended = await empty_store.staff_session("s2")

    assert disabled.state is StaffState.DISABLED
    assert again.state is StaffState.ENROLLING
    assert ended is not None
    assert ended.ended_reason is Ended.DISABLED


async def test_a_reset_revokes_the_accounts_tokens_ends_its_sessions_and_no_one_elses(
    empty_store: Store,
) -> None:
    await enrolled(empty_store, OFFICER, ADMINISTRATOR)
    for number, owner in enumerate((OFFICER, OFFICER, ADMINISTRATOR)):
        await empty_store.issue_token(
            NewToken(f"tok-{number}", owner.id, "script"),
            f"h{number}",
            event(EventKind.STAFF_TOKEN_ISSUED),
        )
    await empty_store.open_staff_session(session("s3"), absolute=timedelta(hours=12))

    reset = await empty_store.reset_staff_credentials(
        OFFICER.id,
        password_hash="hash-2",
        totp_sealed=b"totp-2",
        event_for=lambda count: an_event(EventKind.STAFF_CREDENTIALS_RESET, tokens_revoked=count),
    )

    assert (reset.account.id, reset.tokens_revoked) == (OFFICER.id, 2)
    assert (await last_entry(empty_store)).data["tokens_revoked"] == 2
    assert [t.active for t in await empty_store.tokens(OFFICER.id)] == [False, False]
    assert [t.active for t in await empty_store.tokens(ADMINISTRATOR.id)] == [True]
    record = await empty_store.staff_record(OFFICER.id)
    assert record is not None
    assert record.password_hash == "hash-2"
    ended = await empty_store.staff_session("s3")
    assert ended is not None
    assert ended.ended_reason is Ended.CREDENTIALS_RESET


async def test_a_sign_in_counts_only_with_the_credentials_it_checked(empty_store: Store) -> None:
    await enrolled(empty_store, OFFICER)
    seen = await empty_store.staff_record(OFFICER.id)
    assert seen is not None

    first = await empty_store.record_login_success(
        seen,
        totp_sealed=b"advanced",
        password_hash=None,
        event=event(EventKind.STAFF_LOGIN_SUCCEEDED),
        name_key="n",
        address=ADDRESS,
    )
    replayed = await empty_store.record_login_success(
        seen,
        totp_sealed=b"again",
        password_hash=None,
        event=event(EventKind.STAFF_LOGIN_SUCCEEDED),
        name_key="n",
        address=ADDRESS,
    )

    assert (first, replayed) == (True, False)
    now = await empty_store.staff_record(OFFICER.id)
    assert now is not None
    assert (now.totp_sealed, now.password_hash) == (b"advanced", "hash-1")
    assert (await kinds(empty_store)).count("staff.login_succeeded") == 1


# --- tokens ----------------------------------------------------------------------------------


async def test_a_token_is_issued_found_by_its_hash_listed_and_revoked_once(
    empty_store: Store, store_clock: FixedClock
) -> None:
    await enrolled(empty_store, OFFICER)
    store_clock.set(START + timedelta(seconds=5))

    issued = await empty_store.issue_token(
        NewToken("tok-1", OFFICER.id, "nightly export"),
        "hash-of-token",
        event(EventKind.STAFF_TOKEN_ISSUED),
    )

    assert (issued.id, issued.label, issued.created_at, issued.revoked_at) == (
        "tok-1",
        "nightly export",
        START + timedelta(seconds=5),
        None,
    )
    assert await empty_store.staff_for_token("hash-of-token") == await empty_store.staff_account(
        OFFICER.id
    )
    assert await empty_store.staff_for_token("another hash") is None
    with pytest.raises(RegistryError, match="already exists"):
        await empty_store.issue_token(
            NewToken("tok-1", OFFICER.id, "again"), "h2", event(EventKind.STAFF_TOKEN_ISSUED)
        )

    revoked = await empty_store.revoke_token(
        "tok-1", lambda _: event(EventKind.STAFF_TOKEN_REVOKED)
    )

    assert revoked.revoked_at == START + timedelta(seconds=5)
    assert not revoked.active
    assert await empty_store.staff_for_token("hash-of-token") is None
    assert await empty_store.tokens(OFFICER.id) == [revoked]
    with pytest.raises(RegistryError, match="no active token"):
        await empty_store.revoke_token("tok-1", lambda _: event(EventKind.STAFF_TOKEN_REVOKED))


async def test_a_disabled_accounts_tokens_find_nobody_and_it_gets_no_new_one(
    empty_store: Store,
) -> None:
    await enrolled(empty_store, OFFICER)
    await empty_store.issue_token(
        NewToken("tok-1", OFFICER.id, "s"), "h", event(EventKind.STAFF_TOKEN_ISSUED)
    )
    await empty_store.set_staff_state(
        OFFICER.id, StaffState.DISABLED, lambda _: event(EventKind.STAFF_STATE_CHANGED)
    )

    assert await empty_store.staff_for_token("h") is None
    with pytest.raises(RegistryError, match="not active"):
        await empty_store.issue_token(
            NewToken("tok-2", OFFICER.id, "s"), "h2", event(EventKind.STAFF_TOKEN_ISSUED)
        )


# --- sessions --------------------------------------------------------------------------------


async def test_a_session_is_kept_changed_while_open_and_ended_for_good(
    empty_store: Store,
) -> None:
    await enrolled(empty_store, OFFICER)
    await empty_store.open_staff_session(session("s1"), absolute=timedelta(hours=12))
    later = START + timedelta(minutes=5)

    await empty_store.update_staff_session(
        "s1", {"language": "nl", "seen_at": later, "flash": "hi"}
    )
    changed = await empty_store.staff_session("s1")
    await empty_store.end_staff_session("s1", Ended.IDLE)
    await empty_store.update_staff_session("s1", {"language": "de"})
    await empty_store.end_staff_session("s1", Ended.ABSOLUTE)
    ended = await empty_store.staff_session("s1")

    assert changed == SessionRecord(
        id_hash="s1",
        staff_id=OFFICER.id,
        language="nl",
        csrf="c",
        started_at=START,
        seen_at=later,
        flash="hi",
    )
    assert ended is not None
    assert (ended.language, ended.ended_at, ended.ended_reason) == ("nl", START, Ended.IDLE)
    assert await empty_store.staff_session("unknown") is None
    with pytest.raises(ValueError, match="cannot change"):
        await empty_store.update_staff_session("s1", {"staff_id": "someone.else"})


async def test_signing_out_ends_every_session_of_the_account_only(empty_store: Store) -> None:
    await enrolled(empty_store, OFFICER, ADMINISTRATOR)
    for id_hash, owner in (("a", OFFICER), ("b", OFFICER), ("c", ADMINISTRATOR)):
        await empty_store.open_staff_session(
            session(id_hash, owner.id), absolute=timedelta(hours=12)
        )

    ended = await empty_store.end_staff_sessions(
        OFFICER.id,
        Ended.SIGNED_OUT,
        lambda n: an_event(EventKind.STAFF_SIGNED_OUT, sessions_ended=n),
    )

    assert ended == 2
    assert (await last_entry(empty_store)).data["sessions_ended"] == 2
    reasons = [(await empty_store.staff_session(h)) for h in ("a", "b", "c")]
    assert [r.ended_reason if r else "gone" for r in reasons] == [
        Ended.SIGNED_OUT,
        Ended.SIGNED_OUT,
        None,
    ]


async def test_opening_a_session_forgets_those_that_can_no_longer_be_used(
    empty_store: Store,
) -> None:
    await enrolled(empty_store, OFFICER, ADMINISTRATOR)
    await empty_store.open_staff_session(
        session("old", ADMINISTRATOR.id), absolute=timedelta(hours=12)
    )
    await empty_store.open_staff_session(session("ended"), absolute=timedelta(hours=12))
    await empty_store.end_staff_session("ended", Ended.IDLE)

    await empty_store.open_staff_session(
        session("new", started=13 * 60), absolute=timedelta(hours=12)
    )

    assert await empty_store.staff_session("old") is None
    assert await empty_store.staff_session("ended") is None
    assert await empty_store.staff_session("new") is not None


# --- proposals and enrolment -----------------------------------------------------------------


def proposal(kind: ProposalKind, account: StaffAccount, number: int = 1) -> Proposal:
    return Proposal(
        id=f"prop-{number}",
        kind=kind,
        account=account,
        proposed_by=ADMINISTRATOR.id,
        proposed_at=START,
    )


async def test_an_approved_addition_creates_the_account_waiting_for_enrolment_once(
    empty_store: Store,
) -> None:
    await enrolled(empty_store, ADMINISTRATOR)
    kept = await empty_store.add_staff_proposal(
        proposal(ProposalKind.ADD, OFFICER), "proposer-half-hash", event(EventKind.STAFF_PROPOSED)
    )
    expires = START + timedelta(hours=72)

    decided = await decide(
        empty_store, kept.id, approve=True, half="approver-half-hash", expires=expires
    )

    assert (kept.state, decided.proposal.state) == (ProposalState.PENDING, ProposalState.APPROVED)
    assert (
        decided.proposal.decided_by,
        decided.proposal.decided_at,
        decided.proposal.code_expires_at,
    ) == ("a.other", START, expires)
    assert (await empty_store.staff_account(OFFICER.id)).state is StaffState.ENROLLING
    codes = await empty_store.enrolment_codes(OFFICER.id, START)
    assert [(c.proposal_id, c.proposer_half, c.approver_half) for c in codes] == [
        ("prop-1", "proposer-half-hash", "approver-half-hash")
    ]
    assert await empty_store.enrolment_codes(OFFICER.id, expires) == []
    with pytest.raises(RegistryError, match="no longer pending"):
        await decide(empty_store, kept.id, approve=False)

    account = await empty_store.enrol_staff(
        kept.id,
        password_hash="chosen",
        totp_sealed=b"new",
        now=START,
        name_key="n",
        event=event(EventKind.STAFF_ENROLLED),
    )

    assert account.state is StaffState.ACTIVE
    assert await empty_store.enrolment_codes(OFFICER.id, START) == []
    with pytest.raises(RegistryError, match="used or expired"):
        await empty_store.enrol_staff(
            kept.id,
            password_hash="again",
            totp_sealed=b"x",
            now=START,
            name_key="n",
            event=event(EventKind.STAFF_ENROLLED),
        )
    assert (await empty_store.staff_proposal(kept.id)) == Proposal(
        id="prop-1",
        kind=ProposalKind.ADD,
        account=StaffAccount(
            id=OFFICER.id, name=OFFICER.name, role=OFFICER.role, desk=OFFICER.desk
        ),
        proposed_by=ADMINISTRATOR.id,
        proposed_at=START,
        state=ProposalState.ENROLLED,
        decided_by="a.other",
        decided_at=START,
        code_expires_at=expires,
    )


async def test_one_proposal_waits_per_account_and_it_must_fit_the_accounts_existence(
    empty_store: Store,
) -> None:
    await enrolled(empty_store, ADMINISTRATOR, OFFICER)

    with pytest.raises(RegistryError, match="already exists"):
        await empty_store.add_staff_proposal(
            proposal(ProposalKind.ADD, OFFICER), None, event(EventKind.STAFF_PROPOSED)
        )
    with pytest.raises(RegistryError, match="no staff"):
        await empty_store.add_staff_proposal(
            proposal(ProposalKind.RESET, NOBODY), "h", event(EventKind.STAFF_PROPOSED)
        )
    await empty_store.add_staff_proposal(
        proposal(ProposalKind.RESET, OFFICER, 1), "h", event(EventKind.STAFF_PROPOSED)
    )
    with pytest.raises(RegistryError, match="already waits"):
        await empty_store.add_staff_proposal(
            proposal(ProposalKind.RESET, OFFICER, 2), "h", event(EventKind.STAFF_PROPOSED)
        )
    assert [p.id for p in await empty_store.staff_proposals(ProposalState.PENDING)] == ["prop-1"]
    assert await empty_store.staff_proposals(ProposalState.APPROVED) == []
    assert await empty_store.staff_proposal("prop-2") is None


async def test_an_approved_reset_takes_everything_away_and_a_change_ends_sessions(
    empty_store: Store,
) -> None:
    await enrolled(empty_store, ADMINISTRATOR, OFFICER)
    await empty_store.issue_token(
        NewToken("tok-1", OFFICER.id, "s"), "h", event(EventKind.STAFF_TOKEN_ISSUED)
    )
    await empty_store.open_staff_session(session("s1"), absolute=timedelta(hours=12))
    await empty_store.add_staff_proposal(
        proposal(ProposalKind.RESET, OFFICER, 1), "h", event(EventKind.STAFF_PROPOSED)
    )

    reset = await decide(
        empty_store, "prop-1", approve=True, half="h2", expires=START + timedelta(days=3)
    )
    moved = StaffAccount(
        id=OFFICER.id, name=OFFICER.name, role=Role.COMPLIANCE, desk=Desk.parse("*")
    )
    await empty_store.open_staff_session(session("s2"), absolute=timedelta(hours=12))
    await empty_store.add_staff_proposal(
        proposal(ProposalKind.CHANGE, moved, 2), None, event(EventKind.STAFF_PROPOSED)
    )
    changed = await decide(empty_store, "prop-2", approve=True)

    assert (reset.tokens_revoked, reset.sessions_ended) == (1, 1)
    assert (changed.tokens_revoked, changed.sessions_ended) == (0, 1)
    account = await empty_store.staff_account(OFFICER.id)
    assert (account.role, account.state) == (Role.COMPLIANCE, StaffState.ENROLLING)
    assert await empty_store.staff_for_token("h") is None


async def test_a_refused_proposal_changes_nothing(empty_store: Store) -> None:
    await enrolled(empty_store, ADMINISTRATOR)
    await empty_store.add_staff_proposal(
        proposal(ProposalKind.ADD, OFFICER), "h", event(EventKind.STAFF_PROPOSED)
    )

    decision = await decide(empty_store, "prop-1", approve=False)

    assert decision.proposal.state is ProposalState.REFUSED
    with pytest.raises(RegistryError, match="no staff"):
        await empty_store.staff_account(OFFICER.id)
    assert (await kinds(empty_store))[-1] == "staff.proposal_refused"


# --- the sign-in throttle --------------------------------------------------------------------


async def test_an_address_spends_its_burst_then_waits(empty_store: Store) -> None:
    policy = ThrottlePolicy(burst=3)
    waits = [
        await empty_store.admit_sign_in(address=ADDRESS, name_key=f"n{i}", now=START, policy=policy)
        for i in range(4)
    ]

    assert waits[:3] == [None, None, None]
    assert waits[3] is not None
    assert (waits[3].scope, waits[3].seconds > 0) == (Scope.ADDRESS, True)
    assert (
        await empty_store.admit_sign_in(
            address="192.0.2.99", name_key="n", now=START, policy=policy
        )
        is None
    )


async def test_failures_block_a_name_from_one_address_and_lifting_forgets_them_everywhere(
    empty_store: Store,
) -> None:
    def failed(_: object) -> AuditEvent:
        return event(EventKind.STAFF_LOGIN_REFUSED)

    for address in ("192.0.2.1", "192.0.2.2"):
        for _ in range(POLICY.failures_before_block):
            counted = await empty_store.sign_in_failed(
                address=address, name_key="n", now=START, policy=POLICY, event_for=failed
            )
    assert counted.count == POLICY.failures_before_block
    assert counted.blocked_until == START + POLICY.first_block
    wait = await empty_store.admit_sign_in(
        address="192.0.2.1", name_key="n", now=START, policy=POLICY
    )
    assert wait is not None
    assert wait.scope is Scope.NAME

    blocks = await empty_store.sign_in_blocks(["n", "other"], START, POLICY)

    assert sorted(b.address for b in blocks["n"]) == ["192.0.2.1", "192.0.2.2"]
    assert blocks["other"] == []
    assert blocks["n"][0].last_failure_at == START
    lifted = await empty_store.lift_sign_in_blocks(
        "n", lambda n: an_event(EventKind.STAFF_SIGN_IN_UNBLOCKED, addresses=n)
    )
    assert lifted == 2
    assert (await last_entry(empty_store)).data["addresses"] == 2
    assert (await empty_store.sign_in_blocks(["n"], START, POLICY))["n"] == []


async def test_blocked_addresses_come_first_the_longest_blocked_first(empty_store: Store) -> None:
    for address, failures in (("192.0.2.1", 2), ("192.0.2.2", 5), ("192.0.2.3", 6)):
        for _ in range(failures):
            await empty_store.sign_in_failed(
                address=address,
                name_key="n",
                now=START,
                policy=POLICY,
                event_for=lambda _: event(EventKind.STAFF_LOGIN_REFUSED),
            )

    blocks = (await empty_store.sign_in_blocks(["n"], START, POLICY))["n"]

    assert [(b.address, b.failures, b.blocked_until) for b in blocks] == [
        ("192.0.2.3", 6, START + 2 * POLICY.first_block),
        ("192.0.2.2", 5, START + POLICY.first_block),
        ("192.0.2.1", 2, None),
    ]


async def test_an_address_left_alone_gets_its_burst_back_and_old_failures_count_from_one(
    empty_store: Store,
) -> None:
    policy = ThrottlePolicy(burst=2)

    async def admitted(address: str, now: datetime) -> list[bool]:
        return [
            await empty_store.admit_sign_in(address=address, name_key="n", now=now, policy=policy)
            is None
            for _ in range(policy.burst + 1)
        ]

    async def failure(now: datetime) -> int:
        counted = await empty_store.sign_in_failed(
            address=ADDRESS,
            name_key="n",
            now=now,
            policy=policy,
            event_for=lambda _: event(EventKind.STAFF_LOGIN_REFUSED),
        )
        return counted.count

    first = await admitted(ADDRESS, START)
    counts = [await failure(START), await failure(START)]
    later = START + policy.forget_after + timedelta(seconds=1)
    other = await admitted("192.0.2.99", later)  # forgets what can be forgotten meanwhile

    assert (first, other, await admitted(ADDRESS, later)) == ([True, True, False],) * 3
    assert [*counts, await failure(later)] == [1, 2, 1]


async def test_failures_are_forgotten_a_day_after_the_last(empty_store: Store) -> None:
    await empty_store.sign_in_failed(
        address=ADDRESS,
        name_key="n",
        now=START,
        policy=POLICY,
        event_for=lambda _: event(EventKind.STAFF_LOGIN_REFUSED),
    )
    later = START + POLICY.forget_after + timedelta(seconds=1)
    assert len((await empty_store.sign_in_blocks(["n"], START, POLICY))["n"]) == 1
    assert (await empty_store.sign_in_blocks(["n"], later, POLICY))["n"] == []


# --- several instances on one database -------------------------------------------------------
# Each test below opens a second store on the database of ``empty_store``, as a second gateway
# instance does, and writes through both at once: what one instance decides holds on the other,
# and of two writers racing for the same thing exactly one wins.


@pytest.fixture
async def other_instance(
    request: pytest.FixtureRequest, tmp_path: Path, store_clock: FixedClock, empty_store: Store
) -> AsyncIterator[Store]:
    """A second store on the database of ``empty_store``."""
    backend = request.node.callspec.params["empty_store"]
    async with open_backend(backend, request, tmp_path, store_clock) as opened:
        yield cast(Store, TimesChecked(opened))


def outcomes(results: list[object]) -> list[str]:
    """What each of several racing writes came to: its result's type, or the error's message."""
    return sorted(str(r) if isinstance(r, RegistryError) else type(r).__name__ for r in results)


async def test_a_session_opened_on_one_instance_holds_on_another_and_ends_on_both(
    empty_store: Store, other_instance: Store
) -> None:
    await enrolled(empty_store, OFFICER)
    await empty_store.open_staff_session(session("s1"), absolute=timedelta(hours=12))
    later = START + timedelta(minutes=5)

    await other_instance.update_staff_session("s1", {"seen_at": later, "language": "nl"})
    seen_here = await empty_store.staff_session("s1")
    ended = await other_instance.end_staff_sessions(
        OFFICER.id,
        Ended.SIGNED_OUT,
        lambda n: an_event(EventKind.STAFF_SIGNED_OUT, sessions_ended=n),
    )
    await empty_store.update_staff_session("s1", {"language": "de"})
    after = await empty_store.staff_session("s1")

    assert seen_here is not None
    assert (seen_here.seen_at, seen_here.language, seen_here.ended_at) == (later, "nl", None)
    assert ended == 1
    assert after is not None
    assert (after.language, after.ended_reason) == ("nl", Ended.SIGNED_OUT)


async def test_instances_admitting_at_once_spend_each_attempt_of_an_address_once(
    empty_store: Store, other_instance: Store
) -> None:
    policy = ThrottlePolicy(burst=5)
    instances = (empty_store, other_instance)

    waits = await asyncio.gather(
        *(
            instances[i % 2].admit_sign_in(
                address=ADDRESS, name_key=f"n{i}", now=START, policy=policy
            )
            for i in range(24)
        )
    )

    assert sum(wait is None for wait in waits) == policy.burst
    assert all(wait.scope is Scope.ADDRESS for wait in waits if wait is not None)


async def test_failures_counted_at_once_on_two_instances_are_each_counted(
    empty_store: Store, other_instance: Store
) -> None:
    instances = (empty_store, other_instance)

    counted = await asyncio.gather(
        *(
            instances[i % 2].sign_in_failed(
                address=ADDRESS,
                name_key="n",
                now=START,
                policy=POLICY,
                event_for=lambda _: event(EventKind.STAFF_LOGIN_REFUSED),
            )
            for i in range(12)
        )
    )

    assert sorted(f.count for f in counted) == list(range(1, 13))
    blocks = await empty_store.sign_in_blocks(["n"], START, POLICY)
    assert [b.failures for b in blocks["n"]] == [12]


async def test_one_of_two_sign_ins_with_the_same_credentials_on_two_instances_counts(
    empty_store: Store, other_instance: Store
) -> None:
    await enrolled(empty_store, OFFICER)
    seen = await empty_store.staff_record(OFFICER.id)
    assert seen is not None

    recorded = await asyncio.gather(
        *(
            instance.record_login_success(
                seen,
                totp_sealed=advanced,
                password_hash=None,
                event=event(EventKind.STAFF_LOGIN_SUCCEEDED),
                name_key="n",
                address=ADDRESS,
            )
            for instance, advanced in ((empty_store, b"here"), (other_instance, b"there"))
        )
    )

    assert sorted(recorded) == [False, True]
    kept = await other_instance.staff_record(OFFICER.id)
    assert kept is not None
    assert kept.totp_sealed == (b"here" if recorded[0] else b"there")
    assert (await kinds(empty_store)).count("staff.login_succeeded") == 1


async def test_two_administrators_deciding_at_once_on_two_instances_one_decision_stands(
    empty_store: Store, other_instance: Store
) -> None:
    officers = [
        StaffAccount(id=f"o.{n}", name=f"O {n}", role=Role.LIAISON_OFFICER, desk=Desk.parse("BE"))
        for n in range(6)
    ]
    await enrolled(empty_store, ADMINISTRATOR, *officers)
    for n, officer in enumerate(officers):
        await empty_store.add_staff_proposal(
            proposal(ProposalKind.RESET, officer, n), "h", event(EventKind.STAFF_PROPOSED)
        )

    results = await asyncio.gather(
        *(
            decide(instance, f"prop-{n}", approve=approve)
            for n in range(len(officers))
            for instance, approve in ((empty_store, True), (other_instance, False))
        ),
        return_exceptions=True,
    )

    for n in range(len(officers)):
        pair = results[2 * n : 2 * n + 2]
        assert outcomes(pair) == ["Decided", f"proposal prop-{n} is no longer pending"]
        stood = next(r for r in pair if isinstance(r, Decided))
        assert await other_instance.staff_proposal(f"prop-{n}") == stood.proposal
        officer = await empty_store.staff_account(f"o.{n}")
        approved_here = stood.proposal.state is ProposalState.APPROVED
        assert officer.state is (StaffState.ENROLLING if approved_here else StaffState.ACTIVE)
    verdicts = (EventKind.STAFF_PROPOSAL_APPROVED, EventKind.STAFF_PROPOSAL_REFUSED)
    assert sum(kind in verdicts for kind in await kinds(empty_store)) == len(officers)


async def test_an_enrolment_code_used_at_once_on_two_instances_enrols_once(
    empty_store: Store, other_instance: Store
) -> None:
    await enrolled(empty_store, ADMINISTRATOR)
    await empty_store.add_staff_proposal(
        proposal(ProposalKind.ADD, OFFICER), "h1", event(EventKind.STAFF_PROPOSED)
    )
    await decide(empty_store, "prop-1", approve=True, half="h2", expires=START + timedelta(days=3))

    results = await asyncio.gather(
        *(
            instance.enrol_staff(
                "prop-1",
                password_hash=chosen,
                totp_sealed=chosen.encode(),
                now=START,
                name_key="n",
                event=event(EventKind.STAFF_ENROLLED),
            )
            for instance, chosen in ((empty_store, "here"), (other_instance, "there"))
        ),
        return_exceptions=True,
    )

    assert outcomes(results) == ["StaffAccount", "the enrolment code is used or expired"]
    kept = await other_instance.staff_record(OFFICER.id)
    assert kept is not None
    assert kept.password_hash == ("here" if isinstance(results[0], StaffAccount) else "there")
    assert (await kinds(empty_store)).count("staff.enrolled") == 1
