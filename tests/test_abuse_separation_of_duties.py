"""No one person can give anyone access to police data or the audit on the staff pages.

Found: an administrator created a German liaison account on /admin/staff, read its TOTP
secret off the page, signed in as it and read police data; resetting a compliance account
gave audit access the same way. Now adding, resetting or re-roling an account is a proposal
that another person approves (a compliance officer for compliance accounts), and the holder
enrols with two halves of a code (one from each) and alone sees their second factor. Over
real TLS against the real staff listener.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.infra import datafiles
from gateway.infra.audit import refs
from gateway.infra.clock import FixedClock
from gateway.infra.config import DataDir, Settings
from gateway.registry.admin import staff as staff_admin
from gateway.staff import Desk, Passwords, Role, StaffAccount, StaffState
from gateway.staff.proposals import (
    Half,
    ProposalState,
    half_hash,
    halves_match,
    new_half,
)
from gateway.staff.tokens import token_hash
from gateway.store import Store
from tests.conftest import RunningGateway, client_context, gateway_in_process
from tests.staff_http import Answer, StaffBrowser

PASSWORD = "correct horse battery staple"
HOLDERS_PASSWORD = "the holder's own passphrase"
HALF = re.compile(r'data-half="(proposer|approver)">([a-z2-7-]+)<')
SECRET = re.compile(r"data-secret>([A-Z2-7]+)<")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def gateway(
    layout: DataDir, clock: FixedClock, cheap_passwords: Passwords, log_stream: object
) -> AsyncIterator[RunningGateway]:
    settings = Settings(data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0)
    async with gateway_in_process(settings, clock=clock, passwords=cheap_passwords) as running:
        yield running


class Office:
    """The people of the test, enrolled by the host's operator (``euregate staff add``)."""

    def __init__(self, gateway: RunningGateway, clock: FixedClock, passwords: Passwords) -> None:
        self.gateway, self.clock, self.passwords = gateway, clock, passwords
        self.secrets: dict[str, str] = {}

    async def enrol(self, staff_id: str, role: str, desk: str = "*") -> str:
        account = StaffAccount(
            id=staff_id, name=staff_id.title(), role=Role(role), desk=Desk.parse(desk)
        )
        key = datafiles.load_master_key(self.gateway.layout)
        enrolment = await staff_admin.enrol(
            self.gateway.store, key, account, PASSWORD, actor=refs.admin("operator"),
            passwords=self.passwords,
        )  # fmt: skip
        self.secrets[staff_id] = enrolment.totp_secret
        return staff_id

    def code(self, secret: str) -> str:
        self.clock.set(self.clock.now() + timedelta(seconds=30))
        return str(pyotp.TOTP(secret).at(self.clock.now()))

    def browser(self) -> StaffBrowser:
        layout = self.gateway.layout
        return StaffBrowser(self.gateway.staff_url, client_context(layout, None))

    @asynccontextmanager
    async def signed_in(
        self, staff_id: str, password: str = PASSWORD, secret: str | None = None
    ) -> AsyncIterator[StaffBrowser]:
        async with self.browser() as person:
            answer = await person.sign_in(
                staff_id, password, self.code(secret or self.secrets[staff_id])
            )
            assert (answer.status, answer.location) == (303, "/"), answer.text
            yield person

    @property
    def store(self) -> Store:
        return self.gateway.store


@pytest.fixture
async def office(gateway: RunningGateway, clock: FixedClock, cheap_passwords: Passwords) -> Office:
    office = Office(gateway, clock, cheap_passwords)
    await office.enrol("j.jansen", "administrator")
    await office.enrol("p.claes", "administrator")
    await office.enrol("a.peeters", "compliance")
    return office


def half(answer: Answer, which: str) -> str:
    found = dict(HALF.findall(answer.text))
    assert which in found, answer.text
    return found[which]


def shows_no_secret(answer: Answer) -> bool:
    return SECRET.search(answer.text) is None and "otpauth://" not in answer.text


async def pending_id(store: Store, staff_id: str) -> str:
    (proposal,) = [p for p in await store.staff_proposals(ProposalState.PENDING)
                   if p.account.id == staff_id]  # fmt: skip
    return proposal.id


async def propose(person: StaffBrowser, path: str, form: dict[str, str]) -> Answer:
    await person.page("/admin/staff")
    return await person.post(path, form)


async def decide(person: StaffBrowser, proposal_id: str, decision: str = "approve") -> Answer:
    await person.page("/approvals")
    return await person.post(f"/approvals/{proposal_id}/{decision}", {})


async def enrol(office: Office, staff_id: str, first: str, second: str) -> Answer:
    async with office.browser() as holder:
        await holder.get("/enrol")
        return await holder.post(
            "/enrol",
            {
                "staff_id": staff_id,
                "first_half": first,
                "second_half": second,
                "password": HOLDERS_PASSWORD,
                "password_again": HOLDERS_PASSWORD,
            },
        )


NEW_OFFICER = {
    "staff_id": "k.schmidt",
    "name": "Klaus Schmidt",
    "role": "liaison_officer",
    "desk": "DE",
    "language": "de",
    "password": "chosen by the administrator",
}


# --- an account with access to police data ---------------------------------------------------


async def test_an_administrator_alone_cannot_make_a_liaison_officer_nor_see_a_secret(
    office: Office, gateway: RunningGateway
) -> None:
    async with office.signed_in("j.jansen") as proposer:
        proposed = await propose(proposer, "/admin/staff", NEW_OFFICER)
        assert proposed.status == 200
        first = half(proposed, "proposer")
        assert shows_no_secret(proposed)
        assert "k.schmidt" not in [a.id for a in await office.store.staff_accounts()]

        proposal_id = await pending_id(office.store, "k.schmidt")
        own = await decide(proposer, proposal_id)
        assert own.status == 403
        assert (await office.store.staff_proposal(proposal_id)).state is ProposalState.PENDING  # type: ignore[union-attr]

    async with office.signed_in("p.claes") as approver:
        listing = await approver.page("/approvals")
        assert f"/approvals/{proposal_id}/approve" in listing.text
        approved = await decide(approver, proposal_id)
        assert approved.status == 200
        second = half(approved, "approver")
        assert first not in approved.text
        assert shows_no_secret(approved)
    assert second != first

    account = await office.store.staff_account("k.schmidt")
    assert (account.role, str(account.desk), account.state) == (
        Role.LIAISON_OFFICER, "DE", StaffState.ENROLLING,
    )  # fmt: skip
    async with office.browser() as intruder:
        guessed = await intruder.sign_in("k.schmidt", NEW_OFFICER["password"], "000000")
    assert guessed.status == 401, "the administrator's password is no password"

    enrolled = await enrol(office, "k.schmidt", first, second)
    assert enrolled.status == 200, enrolled.text
    (secret,) = SECRET.findall(enrolled.text)
    async with office.signed_in("k.schmidt", HOLDERS_PASSWORD, secret) as holder:
        assert (await holder.get("/review")).status == 200

    again = await enrol(office, "k.schmidt", first, second)
    assert again.status == 401, "a code works once"

    kinds = ("staff.proposed", "staff.proposal_approved", "staff.enrolled")
    events = [
        (e.kind, e.actor, e.subject) for e in await office.store.audit_entries() if e.kind in kinds
    ]
    assert events == [
        ("staff.proposed", "staff:j.jansen", "staff:k.schmidt"),
        ("staff.proposal_approved", "staff:p.claes", "staff:k.schmidt"),
        ("staff.enrolled", "staff:k.schmidt", "staff:k.schmidt"),
    ]
    log = b"".join(e.canonical for e in await office.store.audit_entries())
    for secret_part in (first, second, secret, "Klaus Schmidt"):
        assert secret_part.encode() not in log


# --- an account with access to the audit ------------------------------------------------------


async def test_a_compliance_account_is_approved_by_a_compliance_officer_and_no_administrator(
    office: Office,
) -> None:
    new = {"staff_id": "m.janssens", "name": "M. Janssens", "role": "compliance", "desk": "*"}
    async with office.signed_in("j.jansen") as proposer:
        first = half(await propose(proposer, "/admin/staff", new), "proposer")
    proposal_id = await pending_id(office.store, "m.janssens")

    async with office.signed_in("p.claes") as administrator:
        assert (await decide(administrator, proposal_id)).status == 403
        listing = await administrator.page("/approvals")
        assert f"/approvals/{proposal_id}/approve" not in listing.text
        assert "waits for a compliance officer" in listing.text

    async with office.signed_in("a.peeters") as compliance:
        approved = await decide(compliance, proposal_id)
        assert approved.status == 200
        second = half(approved, "approver")

    enrolled = await enrol(office, "m.janssens", first, second)
    assert enrolled.status == 200
    (secret,) = SECRET.findall(enrolled.text)
    async with office.signed_in("m.janssens", HOLDERS_PASSWORD, secret) as holder:
        assert (await holder.get("/audit")).status == 200


async def test_a_reset_takes_effect_only_when_approved_and_ends_the_old_credentials(
    office: Office,
) -> None:
    await office.enrol("m.dubois", "liaison_officer", desk="BE")
    token = (
        await staff_admin.issue_token(
            office.store, "m.dubois", "script", actor=refs.admin("operator")
        )
    ).secret
    async with office.signed_in("m.dubois") as holder:
        async with office.signed_in("j.jansen") as proposer:
            proposed = await propose(
                proposer, "/admin/staff/m.dubois/reset", {"password": "x" * 20}
            )
            first = half(proposed, "proposer")
            assert shows_no_secret(proposed)
        assert (await holder.get("/review")).status == 200, "nothing changes before approval"
        assert await office.store.staff_for_token(token_hash(token)) is not None

        async with office.signed_in("p.claes") as approver:
            second = half(
                await decide(approver, await pending_id(office.store, "m.dubois")), "approver"
            )

        assert (await holder.get("/review")).status == 303, "the old session ended"
    assert await office.store.staff_for_token(token_hash(token)) is None, "the old token is revoked"
    async with office.browser() as old:
        answer = await old.sign_in("m.dubois", PASSWORD, office.code(office.secrets["m.dubois"]))
    assert answer.status == 401

    enrolled = await enrol(office, "m.dubois", first, second)
    (secret,) = SECRET.findall(enrolled.text)
    assert secret != office.secrets["m.dubois"]


async def test_a_new_role_or_desk_needs_the_second_person_of_the_new_role(
    office: Office,
) -> None:
    await office.enrol("m.dubois", "liaison_officer", desk="BE")
    async with office.signed_in("j.jansen") as proposer:
        proposed = await propose(
            proposer, "/admin/staff/changes",
            {"staff_id": "m.dubois", "role": "compliance", "desk": "*"},
        )  # fmt: skip
        assert proposed.status == 200
        assert 'data-half="' not in proposed.text
    assert (await office.store.staff_account("m.dubois")).role is Role.LIAISON_OFFICER
    proposal_id = await pending_id(office.store, "m.dubois")

    async with office.signed_in("p.claes") as administrator:
        assert (await decide(administrator, proposal_id)).status == 403
    async with office.signed_in("m.dubois") as holder:
        async with office.signed_in("a.peeters") as compliance:
            assert (await decide(compliance, proposal_id)).status == 200
        assert (await holder.get("/")).location.startswith("/login"), "sessions ended"
    assert (await office.store.staff_account("m.dubois")).role is Role.COMPLIANCE


async def test_nobody_decides_a_proposal_about_their_own_account(office: Office) -> None:
    await office.enrol("r.admin", "administrator")
    async with office.signed_in("j.jansen") as proposer:
        await propose(proposer, "/admin/staff/p.claes/reset", {})
    proposal_id = await pending_id(office.store, "p.claes")
    async with office.signed_in("p.claes") as subject:
        assert (await decide(subject, proposal_id)).status == 403
        assert "about your own account" in (await subject.page("/approvals")).text
    async with office.signed_in("r.admin") as third:
        assert (await decide(third, proposal_id, "refuse")).status == 200
    assert (await office.store.staff_proposal(proposal_id)).state is ProposalState.REFUSED  # type: ignore[union-attr]
    assert (await office.store.staff_account("p.claes")).state is StaffState.ACTIVE
    (event,) = [e for e in await office.store.audit_entries() if e.kind == "staff.proposal_refused"]
    assert (event.actor, event.subject) == ("staff:r.admin", "staff:p.claes")


@pytest.mark.parametrize("role", ["liaison_officer", "compliance"])
async def test_other_roles_neither_propose_nor_decide_what_is_not_theirs(
    office: Office, role: str
) -> None:
    await office.enrol("x.other", role, desk="BE" if role == "liaison_officer" else "*")
    async with office.signed_in("j.jansen") as proposer:
        await propose(proposer, "/admin/staff", NEW_OFFICER)
    proposal_id = await pending_id(office.store, "k.schmidt")
    async with office.signed_in("x.other") as person:
        await person.page("/")
        assert (await person.post("/admin/staff", {**NEW_OFFICER, "staff_id": "y.z"})).status == 403
        assert (await person.post(f"/approvals/{proposal_id}/approve", {})).status == 403
    assert (await office.store.staff_proposal(proposal_id)).state is ProposalState.PENDING  # type: ignore[union-attr]


async def test_a_decision_without_the_forms_csrf_secret_is_refused(office: Office) -> None:
    async with office.signed_in("j.jansen") as proposer:
        await propose(proposer, "/admin/staff", NEW_OFFICER)
    proposal_id = await pending_id(office.store, "k.schmidt")
    async with office.signed_in("p.claes") as approver:
        forged = await approver.post(f"/approvals/{proposal_id}/approve", {}, csrf="forged")
    assert forged.status == 403
    assert (await office.store.staff_proposal(proposal_id)).state is ProposalState.PENDING  # type: ignore[union-attr]


# --- the enrolment code -------------------------------------------------------------------------


async def test_a_code_needs_both_halves_in_order_and_expires(
    office: Office, clock: FixedClock
) -> None:
    async with office.signed_in("j.jansen") as proposer:
        first = half(await propose(proposer, "/admin/staff", NEW_OFFICER), "proposer")
    async with office.signed_in("p.claes") as approver:
        second = half(
            await decide(approver, await pending_id(office.store, "k.schmidt")), "approver"
        )

    assert (await enrol(office, "k.schmidt", second, first)).status == 401
    assert (await enrol(office, "k.schmidt", first, new_half())).status == 401
    assert (await enrol(office, "k.s", first, second)).status == 401
    typed = await enrol(office, "k.schmidt", first.upper().replace("-", " "), second)
    assert typed.status == 200, "case, spaces and dashes do not matter"

    async with office.signed_in("j.jansen") as proposer:
        first = half(await propose(proposer, "/admin/staff/k.schmidt/reset", {}), "proposer")
    async with office.signed_in("p.claes") as approver:
        second = half(
            await decide(approver, await pending_id(office.store, "k.schmidt")), "approver"
        )
    clock.set(clock.now() + timedelta(hours=72))
    assert (await enrol(office, "k.schmidt", first, second)).status == 401, "expired"


HALVES = st.builds(new_half)


@given(first=HALVES, second=HALVES, other=HALVES)
def test_only_the_two_halves_in_their_places_match(first: str, second: str, other: str) -> None:
    kept = (half_hash("prop-1", Half.PROPOSER, first), half_hash("prop-1", Half.APPROVER, second))
    assert halves_match("prop-1", kept, first, second)
    assert not halves_match("prop-2", kept, first, second)
    if other not in (first, second):
        assert not halves_match("prop-1", kept, other, second)
        assert not halves_match("prop-1", kept, first, other)
    if first != second:
        assert not halves_match("prop-1", kept, second, first)


async def test_an_account_disabled_and_enabled_before_enrolment_still_waits_for_its_holder(
    office: Office,
) -> None:
    async with office.signed_in("j.jansen") as proposer:
        first = half(await propose(proposer, "/admin/staff", NEW_OFFICER), "proposer")
    async with office.signed_in("p.claes") as approver:
        second = half(
            await decide(approver, await pending_id(office.store, "k.schmidt")), "approver"
        )
    await staff_admin.set_state(
        office.store, "k.schmidt", StaffState.DISABLED, actor=refs.staff("j.jansen")
    )
    assert (await enrol(office, "k.schmidt", first, second)).status == 401, "disabled: no enrolment"
    await staff_admin.set_state(
        office.store, "k.schmidt", StaffState.ACTIVE, actor=refs.staff("j.jansen")
    )
    assert (await office.store.staff_account("k.schmidt")).state is StaffState.ENROLLING
    assert (await enrol(office, "k.schmidt", first, second)).status == 200
