"""Fixtures for the staff pages in a real browser: Debian's Chromium driven by Playwright,
against the real gateway over HTTPS.

Playwright's synchronous API drives the browser from the test's thread, so the gateway runs
its event loop in a thread of its own (:class:`WebGateway`), on a clock the test moves.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import io
import shutil
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pyotp
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from euregate_client import EuregateClient
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from gateway.edges.server import build, open_listeners
from gateway.edges.web import WEB
from gateway.edges.web.verifications import Verifications
from gateway.infra import datafiles
from gateway.infra.audit import AuditEntry, refs
from gateway.infra.clock import FixedClock
from gateway.infra.config import DataDir, Settings
from gateway.registry.admin import staff as staff_admin
from gateway.staff import Desk, Passwords, Role, StaffAccount
from gateway.store import Store
from gateway.store.sqlite import SqliteStore

T = TypeVar("T")
PASSWORD = "correct horse battery staple"


def chromium_executable() -> str:
    return shutil.which("chromium") or "/usr/bin/chromium"


def spki_sha256(certificate_pem: bytes) -> str:
    """Base64 SHA-256 of a certificate's SubjectPublicKeyInfo, as Chromium's
    ``--ignore-certificate-errors-spki-list`` takes it."""
    certificate = x509.load_pem_x509_certificate(certificate_pem)
    spki = certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright, demo_template: DataDir) -> Iterator[Browser]:
    """One Chromium (Debian's, never a downloaded one) for the whole test session.

    Chromium takes no CA file, so it trusts exactly the gateway's server certificate by its
    public key (``--ignore-certificate-errors-spki-list``): every test's data directory is a
    copy of the session's demo template, with the same server key. Any other certificate,
    including one from the gateway's own CA for another key, is still refused.
    """
    pin = spki_sha256(demo_template.server_certificate.read_bytes())
    launched = playwright.chromium.launch(
        executable_path=chromium_executable(),
        args=[f"--ignore-certificate-errors-spki-list={pin}"],
    )
    yield launched
    launched.close()


@dataclass
class Person:
    staff_id: str
    totp_secret: str
    role: Role
    desk: str


class WebGateway:
    """The real gateway on free loopback ports, served from its own thread and event loop."""

    def __init__(self, layout: DataDir, clock: FixedClock, passwords: Passwords) -> None:
        self.layout = layout
        self.clock = clock
        self._passwords = passwords
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runners: list[web.AppRunner] = []
        self.url = self.staff_url = ""
        self.store: Store | None = None
        self.verifications: Verifications | None = None

    def start(self) -> None:
        self._thread.start()
        built = self.run(
            build(
                Settings(data_dir=self.layout.root, host="127.0.0.1", port=0, staff_port=0),
                clock=self.clock,
            )
        )
        self.store = built.store
        self.verifications = built.staff_app[WEB].verifications
        self.url, self.staff_url = self.run(
            open_listeners(built, "127.0.0.1", (0, 0), self._runners)
        )

    def stop(self) -> None:
        async def cleanup() -> None:
            transports = [
                handler.transport
                for runner in self._runners
                if runner.server is not None
                for handler in runner.server.connections
                if handler.transport is not None
            ]
            for runner in reversed(self._runners):
                await runner.cleanup()
            # A TLS connection closing politely waits for the browser's close_notify, which
            # may never come; the loop is about to end, so end those connections now.
            for transport in transports:
                transport.abort()
            await asyncio.sleep(0.1)

        try:
            self.run(cleanup())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            self._loop.close()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=120)

    def audit_entries(self) -> list[AuditEntry]:
        """The whole audit chain as the gateway's store keeps it."""
        assert self.store is not None, "the gateway has started"
        return self.run(self.store.audit_entries())

    def post(self, document: dict[str, Any], *, reference: str | None = None) -> str:
        """Post a signal as the Dutch police; its gateway id."""
        if reference is not None:
            document = copy.deepcopy(document)
            document["sender_reference"] = reference
        from tests.conftest import client_context

        async def send() -> str:
            async with EuregateClient(
                self.url, ssl_context=client_context(self.layout, "nl-pol-limburg")
            ) as partner:
                receipt = await partner.post_signal(document)
            return str(receipt["signal_id"])

        return self.run(send())

    def enrol(
        self,
        staff_id: str,
        *,
        role: str = "liaison_officer",
        desk: str = "BE",
        language: str = "en",
    ) -> Person:
        key = datafiles.load_master_key(self.layout)
        account = StaffAccount(
            id=staff_id,
            name=staff_id.title(),
            role=Role(role),
            desk=Desk.parse(desk),
            language=language,
        )

        async def enrol() -> staff_admin.Enrolment:
            async with SqliteStore(self.layout.database, clock=self.clock) as store:
                return await staff_admin.enrol(
                    store,
                    key,
                    account,
                    PASSWORD,
                    actor=refs.admin("test"),
                    passwords=self._passwords,
                )

        return Person(staff_id, self.run(enrol()).totp_secret, Role(role), desk)

    def code(self, person: Person) -> str:
        """A fresh TOTP code: the clock moves on one step first, as a code is good only once."""
        self.clock.set(self.clock.now() + timedelta(seconds=30))
        return str(pyotp.TOTP(person.totp_secret).at(self.clock.now()))

    def later(self, **delta: float) -> None:
        self.clock.set(self.clock.now() + timedelta(**delta))


@pytest.fixture
def web_gateway(
    layout: DataDir, log_stream: io.StringIO, cheap_passwords: Passwords
) -> Iterator[WebGateway]:
    """The real gateway for the browser, on a clock that stands still until a test moves it."""
    gateway = WebGateway(
        layout, FixedClock(datetime.now(UTC).replace(microsecond=0)), cheap_passwords
    )
    gateway.start()
    try:
        yield gateway
    finally:
        gateway.stop()


@pytest.fixture
def page(browser: Browser, web_gateway: WebGateway) -> Iterator[Page]:
    """A fresh browser profile (no cookies) on the staff pages, in English."""
    context = browser.new_context(base_url=web_gateway.staff_url, locale="en-GB")
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


DUTCH_SIGNAL = "nl-drug-waste-maastricht.json"


@pytest.fixture
def dutch_signal(web_gateway: WebGateway, example: Callable[[str], dict[str, Any]]) -> str:
    """The Dutch police's signal about drug waste, posted; its gateway id."""
    return web_gateway.post(example(DUTCH_SIGNAL))


@pytest.fixture
def compliance(page: Page, web_gateway: WebGateway) -> Person:
    """A compliance officer, signed in on ``page``."""
    person = web_gateway.enrol("a.peeters", role="compliance", desk="*")
    sign_in(page, web_gateway, person)
    return person


def sign_in(page: Page, gateway: WebGateway, person: Person, *, code: str | None = None) -> None:
    page.goto("/login")
    page.fill("#staff_id", person.staff_id)
    page.fill("#password", PASSWORD)
    page.fill("#code", code or gateway.code(person))
    page.click("form.sign-in button[type=submit]")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last. Between two calls of Playwright's synchronous API the test's thread
    counts as running Playwright's event loop, so an asyncio test after the first browser
    test could not start its own."""
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ()))
