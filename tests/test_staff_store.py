"""The staff tables in the real SQLite store: accounts, sign-in failures and API tokens,
each change in one transaction with its audit event, and no secret kept in clear."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gateway.infra.audit import events, refs, verify
from gateway.infra.clock import FixedClock
from gateway.infra.config import DataDir
from gateway.infra.errors import RegistryError
from gateway.infra.vault import MasterKey
from gateway.registry.admin import staff as staff_admin
from gateway.staff import Desk, Passwords, Role, StaffAccount, StaffState
from gateway.staff.throttle import ThrottlePolicy, name_key
from gateway.staff.tokens import token_hash
from gateway.store import Store
from gateway.store.sqlite import SqliteStore

PASSWORD = "correct horse battery"


def officer(staff_id: str = "j.jansen", desk: str = "NL") -> StaffAccount:
    return StaffAccount(
        id=staff_id, name="Jan Jansen", role=Role.LIAISON_OFFICER, desk=Desk.parse(desk)
    )


@pytest.fixture
async def enrol(
    staff_store: Store, master_key: MasterKey, cheap_passwords: Passwords
) -> staff_admin.Enrolment:
    return await staff_admin.enrol(
        staff_store,
        master_key,
        officer(),
        PASSWORD,
        actor=refs.admin("test"),
        passwords=cheap_passwords,
    )


async def staff_events(store: Store) -> list[tuple[str, str, str, dict[str, object]]]:
    return [
        (e.kind, e.actor, e.subject, e.data)
        for e in await store.audit_entries()
        if e.kind.startswith("staff.")
    ]


async def test_an_account_reads_back_as_enrolled_and_its_addition_is_audited(
    enrol: staff_admin.Enrolment, staff_store: Store, staff_clock: FixedClock
) -> None:
    stored = await staff_store.staff_account("j.jansen")
    assert stored == enrol.account
    assert (stored.name, stored.role, str(stored.desk), stored.state) == (
        "Jan Jansen", Role.LIAISON_OFFICER, "NL", StaffState.ACTIVE,
    )  # fmt: skip
    assert stored.created_at == staff_clock.now()
    assert await staff_events(staff_store) == [
        (
            "staff.added",
            "admin:test",
            "staff:j.jansen",
            {"role": "liaison_officer", "desk": "NL", "language": "en"},
        )
    ]


async def test_accounts_are_listed_by_id(
    staff_store: Store, master_key: MasterKey, cheap_passwords: Passwords
) -> None:
    for staff_id in ("m.dupont", "a.schmidt", "j.jansen"):
        await staff_admin.enrol(
            staff_store, master_key, officer(staff_id), PASSWORD, actor=refs.admin("a"),
            passwords=cheap_passwords,
        )  # fmt: skip
    assert [a.id for a in await staff_store.staff_accounts()] == [
        "a.schmidt",
        "j.jansen",
        "m.dupont",
    ]


async def test_an_id_is_enrolled_once(
    enrol: staff_admin.Enrolment,
    staff_store: Store,
    master_key: MasterKey,
    cheap_passwords: Passwords,
) -> None:
    with pytest.raises(RegistryError, match="already exists"):
        await staff_admin.enrol(
            staff_store,
            master_key,
            officer(),
            PASSWORD,
            actor=refs.admin("a"),
            passwords=cheap_passwords,
        )
    assert [e[0] for e in await staff_events(staff_store)] == ["staff.added"]


async def test_a_desk_of_partners_names_registered_partners_only(
    staff_store: Store, master_key: MasterKey, cheap_passwords: Passwords
) -> None:
    with pytest.raises(RegistryError, match="nl-pol-nowhere"):
        await staff_admin.enrol(
            staff_store, master_key, officer(desk="be-pol-liege,nl-pol-nowhere"), PASSWORD,
            actor=refs.admin("a"), passwords=cheap_passwords,
        )  # fmt: skip
    added = await staff_admin.enrol(
        staff_store, master_key, officer(desk="be-pol-liege,nl-gem-maastricht"), PASSWORD,
        actor=refs.admin("a"), passwords=cheap_passwords,
    )  # fmt: skip
    assert (await staff_store.staff_account("j.jansen")).desk == added.account.desk


async def test_a_change_is_audited_by_what_changed_and_never_by_name(
    enrol: staff_admin.Enrolment, staff_store: Store
) -> None:
    wanted = StaffAccount(
        id="j.jansen", name="Johanna Jansen-Peeters", role=Role.COMPLIANCE, desk=Desk.parse("*"),
        language="nl",
    )  # fmt: skip
    changed = await staff_admin.change(staff_store, wanted, actor=refs.admin("test"))
    assert await staff_store.staff_account("j.jansen") == changed
    assert (changed.name, changed.role, str(changed.desk), changed.language) == (
        "Johanna Jansen-Peeters", Role.COMPLIANCE, "*", "nl",
    )  # fmt: skip
    kind, _, _, data = (await staff_events(staff_store))[-1]
    assert kind == "staff.changed"
    assert data == {
        "role": {"from": "liaison_officer", "to": "compliance"},
        "desk": {"from": "NL", "to": "*"},
        "language": {"from": "en", "to": "nl"},
        "name_changed": True,
    }
    assert all("Jansen" not in e.canonical.decode() for e in await staff_store.audit_entries())


async def test_failures_count_per_name_and_address_and_lifting_forgets_them_everywhere(
    enrol: staff_admin.Enrolment, staff_store: Store, staff_clock: FixedClock, master_key: MasterKey
) -> None:
    policy = ThrottlePolicy()
    name = name_key(master_key, "j.jansen")
    for address in ["192.0.2.1"] * 5 + ["192.0.2.2"]:
        await staff_store.sign_in_failed(
            address=address,
            name_key=name,
            now=staff_clock.now(),
            policy=policy,
            event_for=lambda failures: events.StaffLoginRefused(
                by=refs.staff("j.jansen"),
                about=refs.staff("j.jansen"),
                reason="password",
                address="192.0.2.1",
                failures=failures.count,
            ),
        )
    blocks = (
        await staff_admin.sign_in_blocks(
            staff_store, master_key, ["j.jansen"], staff_clock.now(), policy
        )
    )["j.jansen"]
    assert [(b.address, b.failures, b.blocked_until) for b in blocks] == [
        ("192.0.2.1", 5, staff_clock.now() + timedelta(minutes=15)),
        ("192.0.2.2", 1, None),
    ]
    assert (
        await staff_admin.lift_sign_in_blocks(
            staff_store, master_key, "j.jansen", actor=refs.admin("test")
        )
        == 2
    )
    assert await staff_admin.sign_in_blocks(
        staff_store, master_key, ["j.jansen"], staff_clock.now(), policy
    ) == {"j.jansen": []}
    assert (await staff_events(staff_store))[-1][:3] == (
        "staff.sign_in_unblocked", "admin:test", "staff:j.jansen",
    )  # fmt: skip
    assert "j.jansen" not in (await staff_events(staff_store))[-1][3].values()


async def test_a_sign_in_does_not_count_when_the_credentials_changed_since_they_were_read(
    enrol: staff_admin.Enrolment,
    staff_store: Store,
    master_key: MasterKey,
    cheap_passwords: Passwords,
) -> None:
    seen = await staff_store.staff_record("j.jansen")
    assert seen is not None
    await staff_admin.reset(
        staff_store, master_key, "j.jansen", "a whole new passphrase", actor=refs.admin("a"),
        passwords=cheap_passwords,
    )  # fmt: skip
    event = events.StaffLoginSucceeded(
        by=refs.staff("j.jansen"), about=refs.staff("j.jansen"), address="192.0.2.1"
    )
    kept = await staff_store.record_login_success(
        seen,
        totp_sealed=seen.totp_sealed,
        password_hash=None,
        event=event,
        name_key="k",
        address="192.0.2.1",
    )
    assert kept is False
    assert "staff.login_succeeded" not in [e[0] for e in await staff_events(staff_store)]


# --- tokens -----------------------------------------------------------------------------------


async def test_a_token_is_issued_listed_and_revoked_once(
    enrol: staff_admin.Enrolment, staff_store: Store, staff_clock: FixedClock
) -> None:
    issued = await staff_admin.issue_token(
        staff_store, "j.jansen", " nightly export ", actor=refs.admin("test")
    )
    assert await staff_store.staff_for_token(token_hash(issued.secret)) == enrol.account
    [listed] = await staff_store.tokens("j.jansen")
    assert (listed.id, listed.label, listed.active) == (issued.token.id, "nightly export", True)

    revoked = await staff_admin.revoke_token(staff_store, issued.token.id, actor=refs.admin("test"))
    assert revoked.revoked_at == staff_clock.now()
    assert not (await staff_store.tokens("j.jansen"))[0].active
    assert await staff_store.staff_for_token(token_hash(issued.secret)) is None
    with pytest.raises(RegistryError, match="no active token"):
        await staff_admin.revoke_token(staff_store, issued.token.id, actor=refs.admin("test"))
    assert [e[0] for e in await staff_events(staff_store)] == [
        "staff.added", "staff.token_issued", "staff.token_revoked",
    ]  # fmt: skip
    assert (await staff_events(staff_store))[-1][2] == "staff:j.jansen"


@pytest.mark.parametrize("label", ["", "   ", "x" * 101, "tab\there"])
async def test_a_token_needs_a_short_printable_label(
    enrol: staff_admin.Enrolment, staff_store: Store, label: str
) -> None:
    with pytest.raises(RegistryError, match="label"):
        await staff_admin.issue_token(staff_store, "j.jansen", label, actor=refs.admin("a"))


async def test_no_token_for_a_disabled_or_unknown_account(
    enrol: staff_admin.Enrolment, staff_store: Store
) -> None:
    with pytest.raises(RegistryError, match="no staff nobody"):
        await staff_admin.issue_token(staff_store, "nobody", "script", actor=refs.admin("a"))
    await staff_admin.set_state(staff_store, "j.jansen", StaffState.DISABLED, actor=refs.admin("a"))
    with pytest.raises(RegistryError, match="not active"):
        await staff_admin.issue_token(staff_store, "j.jansen", "script", actor=refs.admin("a"))


async def test_a_reset_revokes_that_accounts_tokens_and_no_one_elses(
    enrol: staff_admin.Enrolment,
    staff_store: Store,
    master_key: MasterKey,
    cheap_passwords: Passwords,
) -> None:
    await staff_admin.enrol(
        staff_store, master_key, officer("m.dupont", "BE"), PASSWORD, actor=refs.admin("a"),
        passwords=cheap_passwords,
    )  # fmt: skip
    mine = [
        await staff_admin.issue_token(staff_store, "j.jansen", f"t{i}", actor=refs.admin("a"))
        for i in range(3)
    ]
    theirs = await staff_admin.issue_token(staff_store, "m.dupont", "t", actor=refs.admin("a"))
    await staff_admin.revoke_token(staff_store, mine[0].token.id, actor=refs.admin("a"))
    reset = await staff_admin.reset(
        staff_store, master_key, "j.jansen", "a whole new passphrase", actor=refs.admin("test"),
        passwords=cheap_passwords,
    )  # fmt: skip
    assert reset.tokens_revoked == 2
    assert reset.totp_secret != enrol.totp_secret
    assert all(token.staff_id == "j.jansen" for token in await staff_store.tokens("j.jansen"))
    assert not any(token.active for token in await staff_store.tokens("j.jansen"))
    assert await staff_store.staff_for_token(token_hash(theirs.secret)) is not None
    assert (await staff_events(staff_store))[-1][:2] == ("staff.credentials_reset", "admin:test")
    assert (await staff_events(staff_store))[-1][3] == {"tokens_revoked": 2}


async def test_an_unknown_account_is_named_as_such(
    staff_store: Store, master_key: MasterKey, cheap_passwords: Passwords
) -> None:
    assert await staff_store.staff_record("nobody") is None
    with pytest.raises(RegistryError, match="no staff nobody"):
        await staff_store.staff_account("nobody")
    with pytest.raises(RegistryError, match="no staff nobody"):
        await staff_admin.set_state(
            staff_store, "nobody", StaffState.DISABLED, actor=refs.admin("a")
        )
    with pytest.raises(RegistryError, match="no staff nobody"):
        await staff_admin.reset(
            staff_store,
            master_key,
            "nobody",
            PASSWORD,
            actor=refs.admin("a"),
            passwords=cheap_passwords,
        )
    with pytest.raises(RegistryError, match="no staff nobody"):
        await staff_store.tokens("nobody")
    assert await staff_events(staff_store) == []


# --- what is kept -----------------------------------------------------------------------------


async def test_no_password_second_factor_or_token_is_kept_in_clear_and_the_chain_holds(
    layout: DataDir, master_key: MasterKey, cheap_passwords: Passwords, staff_clock: FixedClock
) -> None:
    async with SqliteStore(layout.database, clock=staff_clock) as store:
        enrolment = await staff_admin.enrol(
            store, master_key, officer(), PASSWORD, actor=refs.admin("a"), passwords=cheap_passwords
        )
        token = (
            await staff_admin.issue_token(store, "j.jansen", "script", actor=refs.admin("a"))
        ).secret
        reset = await staff_admin.reset(
            store, master_key, "j.jansen", "a whole new passphrase", actor=refs.admin("a"),
            passwords=cheap_passwords,
        )  # fmt: skip
        assert verify(await store.audit_entries()).ok
    secrets = [PASSWORD, "a whole new passphrase", enrolment.totp_secret, reset.totp_secret, token]
    files = [p for p in layout.database.parent.iterdir() if p.name.startswith(layout.database.name)]
    kept = b"".join(path.read_bytes() for path in files)
    assert b"j.jansen" in kept, "the search below looks at the right files"
    for secret in secrets:
        assert secret.encode() not in kept
