"""Staff sessions end when they should, for every copy of the cookie and every gateway instance.

Found by replaying a copied cookie: after signing out it still opened the review queue, and
after ``staff reset`` the old session still worked. Now the cookie carries only a session id
and the database keeps the session (by the id's hash); signing out ends every session of the
account, and so do a reset, disabling, and a new role or desk. Everything over real TLS
against the real staff listener, on a clock the test moves.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st

from gateway.edges.web.sessions import KEY_PURPOSE
from gateway.infra import datafiles
from gateway.infra.audit import refs
from gateway.infra.clock import FixedClock
from gateway.infra.config import DataDir, Settings
from gateway.registry.admin import staff as staff_admin
from gateway.staff import Desk, Passwords, Role, StaffAccount, StaffState
from gateway.staff.sessions import Ended, SessionRecord, Timeouts, why_ended
from gateway.store import Store
from tests.conftest import RunningGateway, client_context, gateway_in_process
from tests.staff_http import StaffBrowser

PASSWORD = "correct horse battery staple"
STEP = timedelta(seconds=30)


class People:
    """Enrols people in the gateway's database and gives the codes their apps show."""

    def __init__(self, store: Store, layout: DataDir, clock: FixedClock, passwords: Passwords):
        self._store, self._layout, self._clock, self._passwords = store, layout, clock, passwords
        self.secrets: dict[str, str] = {}

    async def enrol(self, staff_id: str, *, role: str = "liaison_officer", desk: str = "BE") -> str:
        account = StaffAccount(
            id=staff_id, name=staff_id.title(), role=Role(role), desk=Desk.parse(desk)
        )
        enrolment = await staff_admin.enrol(
            self._store, datafiles.load_master_key(self._layout), account, PASSWORD,
            actor=refs.admin("test"), passwords=self._passwords,
        )  # fmt: skip
        self.secrets[staff_id] = enrolment.totp_secret
        return staff_id

    def code(self, staff_id: str) -> str:
        """A fresh code: the clock moves on one step first, as a code is good only once."""
        self._clock.set(self._clock.now() + STEP)
        return str(pyotp.TOTP(self.secrets[staff_id]).at(self._clock.now()))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


def running(
    layout: DataDir, clock: FixedClock, passwords: Passwords
) -> AbstractAsyncContextManager[RunningGateway]:
    settings = Settings(data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0)
    return gateway_in_process(settings, clock=clock, passwords=passwords)


@pytest.fixture
async def gateway(
    layout: DataDir, clock: FixedClock, cheap_passwords: Passwords, log_stream: object
) -> AsyncIterator[RunningGateway]:
    async with running(layout, clock, cheap_passwords) as gateway:
        yield gateway


@pytest.fixture
def people(
    gateway: RunningGateway, layout: DataDir, clock: FixedClock, cheap_passwords: Passwords
) -> People:
    return People(gateway.store, layout, clock, cheap_passwords)


def browser(gateway: RunningGateway, cookie: str | None = None) -> StaffBrowser:
    return StaffBrowser(gateway.staff_url, client_context(gateway.layout, None), cookie=cookie)


@asynccontextmanager
async def signed_in(
    gateway: RunningGateway, people: People, staff_id: str
) -> AsyncIterator[StaffBrowser]:
    async with browser(gateway) as person:
        answer = await person.sign_in(staff_id, PASSWORD, people.code(staff_id))
        assert (answer.status, answer.location) == (303, "/"), answer.text
        assert await person.signed_in()
        yield person


async def session_row(store: Store, cookie: str) -> SessionRecord | None:
    return await store.staff_session(hashlib.sha256(cookie.encode()).hexdigest())


# --- a copied cookie ---------------------------------------------------------------------------


async def test_a_cookie_copied_before_signing_out_opens_nothing_after_it(
    gateway: RunningGateway, people: People
) -> None:
    async with signed_in(gateway, people, await people.enrol("m.dubois")) as officer:
        cookie = officer.cookie
        assert cookie is not None
        async with browser(gateway, cookie=cookie) as thief:
            assert (await thief.get("/review")).status == 200

            assert (await officer.sign_out()).status == 303

            replayed = await thief.get("/review")
            assert replayed.status == 303
            assert replayed.location.startswith("/login")
    record = await session_row(gateway.store, cookie)
    assert record is not None
    assert record.ended_reason is Ended.SIGNED_OUT


async def test_signing_out_ends_every_session_of_the_account_and_is_audited(
    gateway: RunningGateway, people: People
) -> None:
    staff_id = await people.enrol("m.dubois")
    async with (
        signed_in(gateway, people, staff_id) as office,
        signed_in(gateway, people, staff_id) as laptop,
        signed_in(gateway, people, await people.enrol("k.schmidt", desk="DE")) as colleague,
    ):
        kept = laptop.cookie
        assert kept is not None

        await office.sign_out()

        assert not await laptop.signed_in()
        assert await colleague.signed_in(), "another person's session goes on"
    record = await session_row(gateway.store, kept)
    assert record is not None
    assert record.ended_reason is Ended.SIGNED_OUT
    (event,) = [e for e in await gateway.store.audit_entries() if e.kind == "staff.signed_out"]
    assert (event.actor, event.data) == ("staff:m.dubois", {"sessions_ended": 2})


# --- what an administrator or the operator does to the account ---------------------------------


async def reset(store: Store, layout: DataDir, passwords: Passwords) -> None:
    await staff_admin.reset(
        store, datafiles.load_master_key(layout), "m.dubois", "a whole new passphrase",
        actor=refs.admin("test"), passwords=passwords,
    )  # fmt: skip


async def disable(store: Store, layout: DataDir, passwords: Passwords) -> None:
    await staff_admin.set_state(store, "m.dubois", StaffState.DISABLED, actor=refs.admin("test"))


async def new_desk(store: Store, layout: DataDir, passwords: Passwords) -> None:
    await staff_admin.change(
        store, await changed(store, desk=Desk.parse("DE")), actor=refs.admin("test")
    )


async def new_role(store: Store, layout: DataDir, passwords: Passwords) -> None:
    await staff_admin.change(
        store,
        await changed(store, role=Role.COMPLIANCE, desk=Desk.parse("*")),
        actor=refs.admin("test"),
    )


async def changed(store: Store, **values: object) -> StaffAccount:
    now = await store.staff_account("m.dubois")
    fields = {"id": now.id, "name": now.name, "role": now.role, "desk": now.desk}
    return StaffAccount(**{**fields, **values})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (reset, Ended.CREDENTIALS_RESET),
        (disable, Ended.DISABLED),
        (new_desk, Ended.ACCOUNT_CHANGED),
        (new_role, Ended.ACCOUNT_CHANGED),
    ],
)
async def test_a_reset_disabling_or_a_new_role_or_desk_ends_every_session_at_once(
    gateway: RunningGateway,
    people: People,
    cheap_passwords: Passwords,
    change: Callable[[Store, DataDir, Passwords], Awaitable[None]],
    why: Ended,
) -> None:
    async with signed_in(gateway, people, await people.enrol("m.dubois")) as officer:
        cookie = officer.cookie
        assert cookie is not None

        await change(gateway.store, gateway.layout, cheap_passwords)

        answer = await officer.get("/")
        assert answer.status == 303
        assert answer.location.startswith("/login")
    record = await session_row(gateway.store, cookie)
    assert record is not None
    assert record.ended_reason is why


async def test_a_new_name_or_language_leaves_the_session_alone(
    gateway: RunningGateway, people: People
) -> None:
    async with signed_in(gateway, people, await people.enrol("m.dubois")) as officer:
        await staff_admin.change(
            gateway.store,
            await changed(gateway.store, name="Marie Dubois"),
            actor=refs.admin("test"),
        )
        assert (await officer.get("/review")).status == 200


# --- what the cookie holds, and where the session lives ----------------------------------------


async def test_the_cookie_is_only_an_unguessable_id_and_the_database_keeps_only_its_hash(
    gateway: RunningGateway, people: People
) -> None:
    async with signed_in(gateway, people, await people.enrol("m.dubois")) as officer:
        await officer.page("/")
        cookie, csrf = officer.cookie, officer.csrf
    assert cookie is not None
    assert cookie.startswith("egs_")
    assert len(cookie) == 4 + 43  # 32 random bytes, URL-safe base64

    record = await session_row(gateway.store, cookie)
    assert record is not None
    assert (record.staff_id, record.csrf) == ("m.dubois", csrf)
    stored = b"".join(
        path.read_bytes() for path in gateway.layout.root.glob("euregate.db*") if path.is_file()
    )
    assert cookie.encode() not in stored
    assert hashlib.sha256(cookie.encode()).hexdigest().encode() in stored


async def test_a_cookie_that_carries_the_session_itself_is_no_session(
    gateway: RunningGateway, people: People, clock: FixedClock
) -> None:
    """A cookie in the older form (the account and the times, encrypted under the gateway's
    key), however fresh, signs nobody in: only the database says who is signed in."""
    await people.enrol("m.dubois")
    key = datafiles.load_master_key(gateway.layout).derive(KEY_PURPOSE)
    now = clock.now().isoformat()
    contents = {
        "created": int(time.time()),
        "session": {"staff_id": "m.dubois", "language": "en", "csrf": "x" * 43,
                    "started": now, "seen": now},
    }  # fmt: skip
    forged = Fernet(base64.urlsafe_b64encode(key)).encrypt(json.dumps(contents).encode()).decode()
    async with browser(gateway, cookie=forged) as holder:
        answer = await holder.get("/review")
    assert answer.status == 303
    assert answer.location.startswith("/login")


async def test_idle_and_absolute_timeouts_are_kept_by_the_database(
    gateway: RunningGateway, people: People, clock: FixedClock
) -> None:
    async with signed_in(gateway, people, await people.enrol("m.dubois")) as officer:
        cookie = officer.cookie
        assert cookie is not None
        started = clock.now()

        clock.set(started + timedelta(minutes=29))
        assert (await officer.get("/review")).status == 200
        record = await session_row(gateway.store, cookie)
        assert record is not None
        assert (record.started_at, record.seen_at) == (started, clock.now())

        clock.set(started + timedelta(minutes=29, seconds=30))
        assert (await officer.get("/review")).status == 200
        record = await session_row(gateway.store, cookie)
        assert record is not None
        assert record.seen_at == started + timedelta(minutes=29), "written at most once a minute"

        clock.set(started + timedelta(minutes=59))
        answer = await officer.get("/review")
        assert (answer.status, answer.location) == (303, "/login?next=/review&ended=idle")
    record = await session_row(gateway.store, cookie)
    assert record is not None
    assert record.ended_reason is Ended.IDLE
    async with browser(gateway, cookie=cookie) as replay:
        assert not await replay.signed_in()


async def test_a_session_begun_on_one_instance_is_ended_for_every_instance(
    gateway: RunningGateway,
    people: People,
    layout: DataDir,
    clock: FixedClock,
    cheap_passwords: Passwords,
) -> None:
    """Two gateway instances on one database: nothing of a session lives in either process."""
    async with (
        signed_in(gateway, people, await people.enrol("m.dubois")) as first,
        running(layout, clock, cheap_passwords) as second,
    ):
        async with browser(second, cookie=first.cookie) as elsewhere:
            assert (await elsewhere.get("/review")).status == 200
            await elsewhere.sign_out()
        assert not await first.signed_in()


async def test_signing_in_replaces_the_cookie_from_before(
    gateway: RunningGateway, people: People
) -> None:
    staff_id = await people.enrol("m.dubois")
    async with browser(gateway) as person:
        await person.get("/login")
        before, csrf_before = person.cookie, person.csrf
        assert before is not None
        await person.post(
            "/login",
            {"staff_id": staff_id, "password": PASSWORD, "code": people.code(staff_id)},
        )
        await person.get("/review")
        assert person.cookie not in (None, before)
        assert person.csrf != csrf_before
        async with browser(gateway, cookie=before) as fixer:
            assert not await fixer.signed_in(), "the cookie from before sign-in is no session"


# --- the rule, for all times ------------------------------------------------------------------

MINUTES = st.integers(min_value=0, max_value=24 * 60)


@given(started=MINUTES, seen_after=MINUTES, now_after=MINUTES)
def test_a_session_is_over_exactly_when_idle_or_absolute_time_has_run_out(
    started: int, seen_after: int, now_after: int
) -> None:
    timeouts = Timeouts()
    origin = datetime(2026, 3, 2, tzinfo=UTC)
    begun = origin + timedelta(minutes=started)
    seen = begun + timedelta(minutes=seen_after)
    now = seen + timedelta(minutes=now_after)
    record = SessionRecord("h", "m.dubois", "en", "c", started_at=begun, seen_at=seen)
    over = now - begun >= timeouts.absolute or now - seen >= timeouts.idle
    assert (why_ended(record, now, timeouts) is not None) is over
    ended = SessionRecord(
        "h", "m.dubois", "en", "c", started_at=begun, seen_at=seen, ended_reason=Ended.SIGNED_OUT
    )
    assert why_ended(ended, now, timeouts) is Ended.SIGNED_OUT
