"""A person signed in to the staff pages without a browser: the sign-in form over real TLS,
as a script would fill it in (password and authenticator code), keeping the session cookie."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pyotp

from gateway.infra import datafiles
from gateway.infra.audit import refs
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.registry.admin import staff as staff_admin
from gateway.staff import Desk, Passwords, Role, StaffAccount
from gateway.store.sqlite import SqliteStore
from tests.conftest import RunningGateway, client_context

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def enrol(
    layout: DataDir, staff_id: str, role: str, passwords: Passwords, *, language: str = "en"
) -> str:
    """Enrol ``staff_id`` with ``role`` (a liaison officer at the Belgian desk, anyone else at
    every desk) and ``language``; the TOTP secret, as the person's authenticator app keeps
    it."""
    desk = "BE" if role == "liaison_officer" else "*"
    account = StaffAccount(
        id=staff_id,
        name=staff_id.title(),
        role=Role(role),
        desk=Desk.parse(desk),
        language=language,
    )
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        enrolment = await staff_admin.enrol(
            store,
            datafiles.load_master_key(layout),
            account,
            PASSWORD,
            actor=refs.admin("test"),
            passwords=passwords,
        )
    return enrolment.totp_secret


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found is not None, "the page has a form with its CSRF secret"
    return found.group(1)


@asynccontextmanager
async def signed_in(
    gateway: RunningGateway, staff_id: str, totp_secret: str
) -> AsyncIterator[aiohttp.ClientSession]:
    """A session on the staff listener, signed in as ``staff_id``."""
    connector = aiohttp.TCPConnector(ssl=client_context(gateway.layout, None))
    async with aiohttp.ClientSession(
        base_url=gateway.staff_url, connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        async with session.get("/login") as page:
            csrf = csrf_of(await page.text())
        form = {
            "csrf": csrf,
            "staff_id": staff_id,
            "password": PASSWORD,
            "code": pyotp.TOTP(totp_secret).now(),
        }
        async with session.post("/login", data=form, allow_redirects=False) as answer:
            assert answer.status == 303, await answer.text()
        yield session
