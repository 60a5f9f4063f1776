"""Sign-in floods stall nothing, and nobody can lock a person out of their account.

Found: 80 sign-ins for unknown names from 8 addresses made a partner's API call take
seconds, as argon2 shared its threads with every database read; and five wrong passwords
from anyone locked a named account for 15 minutes, doubling to a day. Now password hashing
has its own pool, and the throttle (kept in the database) counts failures per login name and
address, and attempts per address: an attacker's address is held back, the holder's is not.
Every sign-in here goes over real TLS to the real staff listener, each "address" a loopback
address of its own (127.0.0.0/8).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from gateway.infra import datafiles
from gateway.infra.audit import refs
from gateway.infra.clock import FixedClock
from gateway.infra.config import DataDir, Settings
from gateway.registry.admin import staff as staff_admin
from gateway.staff import Desk, Passwords, Role, StaffAccount
from tests.conftest import RunningGateway, client_context, gateway_in_process
from tests.staff_http import StaffBrowser

PASSWORD = "correct horse battery staple"
WRONG = "not the password at all"
ATTACKER, HOLDER, ADMINISTRATOR = "127.0.0.2", "127.0.0.3", "127.0.0.4"


class GatedPasswords(Passwords):
    """Real argon2id (at its cheapest parameters) behind a gate the test holds shut, so that
    sign-ins stay in the password hashing as long as the test wants: a stand-in for a slow
    hash, since the real one cannot be held still."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost_kib=8, parallelism=1)
        self.gate = threading.Event()
        self.entered = 0
        self._count = threading.Lock()

    def verify(self, password_hash: str, password: str) -> bool:
        with self._count:
            self.entered += 1
        assert self.gate.wait(timeout=120), "the test never opened the gate"
        return super().verify(password_hash, password)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


def running(
    layout: DataDir, clock: FixedClock, passwords: Passwords, **settings: object
) -> AbstractAsyncContextManager[RunningGateway]:
    chosen = Settings(data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0, **settings)
    return gateway_in_process(chosen, clock=clock, passwords=passwords)


@pytest.fixture
async def gateway(
    layout: DataDir, clock: FixedClock, cheap_passwords: Passwords, log_stream: object
) -> AsyncIterator[RunningGateway]:
    async with running(layout, clock, cheap_passwords) as gateway:
        yield gateway


async def enrol(
    gateway: RunningGateway, passwords: Passwords, staff_id: str, role: str = "liaison_officer"
) -> str:
    """The person's TOTP secret."""
    account = StaffAccount(
        id=staff_id,
        name=staff_id.title(),
        role=Role(role),
        desk=Desk.parse("BE" if role == "liaison_officer" else "*"),
    )
    key = datafiles.load_master_key(gateway.layout)
    enrolment = await staff_admin.enrol(
        gateway.store, key, account, PASSWORD, actor=refs.admin("test"), passwords=passwords
    )
    return enrolment.totp_secret


def browser(gateway: RunningGateway, address: str) -> StaffBrowser:
    return StaffBrowser(gateway.staff_url, client_context(gateway.layout, None), address=address)


def code(clock: FixedClock, secret: str) -> str:
    clock.set(clock.now() + timedelta(seconds=30))
    return str(pyotp.TOTP(secret).at(clock.now()))


async def attempt(gateway: RunningGateway, address: str, staff_id: str, password: str) -> int:
    async with browser(gateway, address) as person:
        return (await person.sign_in(staff_id, password, "000000")).status


# --- hashing has its own threads ----------------------------------------------------------------


@pytest.fixture
async def few_default_threads() -> AsyncIterator[ThreadPoolExecutor]:
    """asyncio's default executor pinned to 4 threads (it depends on the machine otherwise), as
    many as the gateway is given for hashing: were hashing in the default executor, the held
    sign-ins would take every one of its threads."""
    executor = ThreadPoolExecutor(max_workers=4)
    asyncio.get_running_loop().set_default_executor(executor)
    yield executor
    executor.shutdown(wait=False, cancel_futures=True)


async def test_sign_ins_held_in_password_hashing_hold_up_no_partner_request_and_no_store_read(
    layout: DataDir, clock: FixedClock, log_stream: object, few_default_threads: object
) -> None:
    passwords = GatedPasswords()
    async with running(layout, clock, passwords, password_hash_workers=4) as gateway:
        await enrol(gateway, passwords, "m.dubois")
        sign_ins = [
            asyncio.create_task(attempt(gateway, ATTACKER, name, WRONG))
            for name in ("m.dubois", "nobody", "x.y", "a.b", "c.d", "e.f")
        ]
        try:
            async with asyncio.timeout(60):  # a hang guard only
                while passwords.entered < 4:  # noqa: ASYNC110 - counted in the pool's threads
                    await asyncio.sleep(0.01)

                async with gateway.client("be-pol-liege") as partner:
                    keys = await partner.gateway_keys()
                staff = await gateway.store.read(
                    lambda conn: conn.execute("SELECT COUNT(*) FROM staff").fetchone()[0]
                )
            assert keys
            assert staff == 1
            assert not any(task.done() for task in sign_ins), "the sign-ins were still held"
        finally:
            passwords.gate.set()
        assert await asyncio.gather(*sign_ins) == [401] * 6


# --- lockout is no weapon ---------------------------------------------------------------------


async def test_an_attackers_failures_from_one_address_do_not_stop_the_holder_at_another(
    gateway: RunningGateway, clock: FixedClock, cheap_passwords: Passwords
) -> None:
    secret = await enrol(gateway, cheap_passwords, "m.dubois")
    answers = [await attempt(gateway, ATTACKER, "m.dubois", WRONG) for _ in range(6)]
    assert answers == [401] * 5 + [429]

    async with browser(gateway, HOLDER) as holder:
        answer = await holder.sign_in("m.dubois", PASSWORD, code(clock, secret))
        assert (answer.status, answer.location) == (303, "/")
        assert await holder.signed_in()

    async with browser(gateway, ATTACKER) as attacker:
        blocked = await attacker.sign_in("m.dubois", PASSWORD, code(clock, secret))
    assert blocked.status == 429
    assert blocked.shows("Too many failed sign-ins with this login name from your address.")


async def test_an_account_attacked_from_many_addresses_stays_usable_from_its_holders(
    gateway: RunningGateway, clock: FixedClock, cheap_passwords: Passwords
) -> None:
    secret = await enrol(gateway, cheap_passwords, "m.dubois")
    attackers = [f"127.0.1.{host}" for host in range(1, 9)]
    answers = await asyncio.gather(
        *(attempt(gateway, address, "m.dubois", WRONG) for address in attackers for _ in range(5))
    )
    assert answers == [401] * 40
    async with browser(gateway, HOLDER) as holder:
        answer = await holder.sign_in("m.dubois", PASSWORD, code(clock, secret))
    assert (answer.status, answer.location) == (303, "/")


async def test_the_throttle_is_kept_in_the_database_and_holds_on_every_instance(
    gateway: RunningGateway, layout: DataDir, clock: FixedClock, cheap_passwords: Passwords
) -> None:
    """One address spends its ten attempts on one instance; another instance of the gateway,
    on the same database, makes it wait too, and so it does for a blocked name."""
    await enrol(gateway, cheap_passwords, "m.dubois")
    spent = [await attempt(gateway, ATTACKER, f"guess{n}", WRONG) for n in range(10)]
    assert spent == [401] * 10
    for _ in range(5):
        assert await attempt(gateway, HOLDER, "m.dubois", WRONG) == 401

    async with running(layout, clock, cheap_passwords) as second:
        async with browser(second, ATTACKER) as attacker:
            busy = await attacker.sign_in("another.guess", WRONG, "000000")
        assert busy.status == 429
        assert busy.shows("Too many sign-in attempts from your address. Wait 6 seconds")
        assert await attempt(second, HOLDER, "m.dubois", WRONG) == 429

    rows = await gateway.store.read(
        lambda conn: conn.execute(
            "SELECT (SELECT COUNT(*) FROM sign_in_addresses WHERE address = ?), "
            "(SELECT COUNT(*) FROM sign_in_failures WHERE address = ? AND blocked_until "
            "IS NOT NULL)",
            (ATTACKER, HOLDER),
        ).fetchone()
    )
    assert rows == (1, 1)
    names = await gateway.store.read(
        lambda conn: [row[0] for row in conn.execute("SELECT name_key FROM sign_in_failures")]
    )
    assert names
    assert all(len(name) == 64 and "dubois" not in name for name in names), "keyed hashes only"


async def test_administrators_see_where_an_account_is_blocked_and_lift_it(
    gateway: RunningGateway, clock: FixedClock, cheap_passwords: Passwords
) -> None:
    await enrol(gateway, cheap_passwords, "m.dubois")
    administrator = await enrol(gateway, cheap_passwords, "j.jansen", role="administrator")
    for _ in range(5):
        await attempt(gateway, ATTACKER, "m.dubois", WRONG)

    async with browser(gateway, ADMINISTRATOR) as person:
        await person.sign_in("j.jansen", PASSWORD, code(clock, administrator))
        page = await person.get("/admin/staff")
        assert page.status == 200
        row = page.text.split('data-staff="m.dubois"')[1].split("</tr>")[0]
        assert f"{ATTACKER} until" in row
        lifted = await person.post("/admin/staff/m.dubois/unblock", {})
        assert lifted.status == 303
        assert "1 unblocked" in (await person.get("/admin/staff")).text

    assert await attempt(gateway, ATTACKER, "m.dubois", WRONG) == 401
    (event,) = [
        e for e in await gateway.store.audit_entries() if e.kind == "staff.sign_in_unblocked"
    ]
    assert (event.actor, event.subject, event.data) == (
        "staff:j.jansen",
        "staff:m.dubois",
        {"addresses": 1},
    )
