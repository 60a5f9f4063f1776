"""Fixtures: a real data directory with the demo network, a real gateway on a free port
over real TLS, and partners with their real client certificates."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import socket
import ssl
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web
from euregate_client import EuregateClient

from gateway.edges.server import build, open_listeners, open_operations_listener
from gateway.edges.staff_client import StaffClient
from gateway.infra import datafiles, logs, pki
from gateway.infra.audit import refs
from gateway.infra.clock import Clock, FixedClock, SystemClock
from gateway.infra.config import DataDir, Settings
from gateway.infra.vault import MasterKey
from gateway.registry import datadir
from gateway.registry.admin import staff as staff_admin
from gateway.staff import Desk, Passwords, Role, StaffAccount
from gateway.store import Store
from gateway.store.sqlite import SqliteStore
from tests import audit_entries
from tests.audit_entries import OLD_AUDIT_ENTRIES
from tests.postgres import postgres_cluster, postgres_url  # noqa: F401 - the store's tests'
from tests.store_backends import empty_store, parametrize_empty_store, store_clock  # noqa: F401

T = TypeVar("T")
REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


# --- every audit entry a test writes reads back into its type (tests/audit_entries.py) --------

_CHECKED: list[Path] = []


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_empty_store(metafunc)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{OLD_AUDIT_ENTRIES}: the test writes audit entries as older versions did (an actor "
        "written the older way is taken as it is written now)",
    )


@pytest.fixture(autouse=True)
def audit_entries_fit_their_types(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """Fails the test that wrote an audit entry its event type cannot read back exactly."""
    yield
    _CHECKED.append(tmp_path)
    old_forms = request.node.get_closest_marker(OLD_AUDIT_ENTRIES) is not None
    if misfits := audit_entries.misfits(tmp_path, old_forms=old_forms):
        pytest.fail("audit entries that do not fit their types:\n" + "\n".join(misfits))


@pytest.fixture(autouse=True, scope="session")
def every_audit_entry_fits_its_type(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The same for the databases of fixtures wider than one test, when the session ends."""
    yield
    if misfits := audit_entries.misfits(tmp_path_factory.getbasetemp(), skip=_CHECKED):
        pytest.fail("audit entries that do not fit their types:\n" + "\n".join(misfits))


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DataDir:
    """One demo data directory per test session; tests get copies of it."""
    layout = DataDir(tmp_path_factory.mktemp("template") / "data")
    layout.root.mkdir()

    async def initialise() -> None:
        async with SqliteStore(layout.database, clock=SystemClock()) as store:
            await datadir.initialise(
                layout,
                server_names=["localhost", "127.0.0.1"],
                now=datetime.now(UTC),
                demo=True,
                store=store,
                actor=refs.admin("test"),
            )

    # The first test to ask for it may be one whose event loop is already running.
    with ThreadPoolExecutor(1) as apart:
        apart.submit(asyncio.run, initialise()).result()
    return layout


@pytest.fixture
def layout(demo_template: DataDir, tmp_path: Path) -> DataDir:
    """A fresh copy of the demo data directory: CA, server and partner certificates, database."""
    target = tmp_path / "data"
    shutil.copytree(demo_template.root, target)
    return DataDir(target)


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Everything the gateway logs during the test, as JSON lines."""
    stream = io.StringIO()
    logs.configure("debug", stream=stream)
    yield stream
    logs.configure("info")


def client_context(layout: DataDir, partner_id: str | None) -> ssl.SSLContext:
    """TLS as partner ``partner_id`` would speak it; ``None`` presents no certificate."""
    return pki.client_ssl_context(
        certificate=layout.partner_certificate(partner_id) if partner_id else None,
        private_key=layout.partner_key(partner_id) if partner_id else None,
        server_ca=layout.ca_certificate,
    )


@dataclass
class RunningGateway:
    url: str
    staff_url: str
    layout: DataDir
    store: Store
    policy_digest: str
    operations_url: str = ""
    """The operations listener (plain HTTP on loopback): /healthz, /readyz, /metrics."""

    def client(self, partner_id: str, *, language: str = "en") -> EuregateClient:
        return EuregateClient(
            self.url, ssl_context=client_context(self.layout, partner_id), language=language
        )

    def staff_client(self, token: str, *, language: str = "en") -> StaffClient:
        """A person's script on the staff listener: TLS checked against the gateway's CA, no
        client certificate, the API token as its only credential."""
        return StaffClient(
            self.staff_url,
            token=token,
            ssl_context=client_context(self.layout, None),
            language=language,
        )


@pytest.fixture
async def gateway(layout: DataDir, log_stream: io.StringIO) -> AsyncIterator[RunningGateway]:
    """The real gateway, in this process, on free loopback ports: the partners' listener with
    mutual TLS and the staff listener with TLS and API tokens."""
    settings = Settings(data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0)
    async with gateway_in_process(settings) as running:
        yield running


def load_example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def example() -> Callable[[str], dict[str, Any]]:
    return load_example


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def gateway_process(
    layout: DataDir, port: int, *, staff_port: int = 0, options: Sequence[str] = ()
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``euregate serve`` as its own process, as an operator runs it (with ``options`` besides
    the data directory and the ports); yields once it listens."""
    command = ["-m", "gateway", "serve", "--data-dir", str(layout.root)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--staff-port", str(staff_port)]
    command += ["--operations-port", "0", *options]
    process = await asyncio.create_subprocess_exec(
        sys.executable, *command, cwd=REPO, stdout=asyncio.subprocess.PIPE
    )
    stdout = process.stdout
    assert stdout is not None

    async def until_listening() -> None:
        while b"listening" not in (line := await stdout.readline()):
            assert line, "the gateway exited before listening"

    try:
        await asyncio.wait_for(until_listening(), timeout=30)
        drain = asyncio.create_task(stdout.read())
        yield process
        if process.returncode is None:
            process.kill()
        await drain
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


# --- staff accounts ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def cheap_passwords() -> Passwords:
    """Real argon2id at its cheapest parameters: the algorithm under test, in milliseconds."""
    return Passwords(time_cost=1, memory_cost_kib=8, parallelism=1)


@pytest.fixture
def staff_clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 9, 0, 7, tzinfo=UTC))


@pytest.fixture
async def staff_store(layout: DataDir, staff_clock: FixedClock) -> AsyncIterator[Store]:
    """The demo data directory's real SQLite store, on the staff tests' clock."""
    async with SqliteStore(layout.database, clock=staff_clock) as store:
        yield store


def with_store(
    layout: DataDir, use: Callable[[Store], Awaitable[T]], clock: Clock | None = None
) -> T:
    """``use`` the data directory's store, opened for it and closed after, from a test without
    an event loop of its own: one that runs commands, each of which runs its own loop."""

    async def run() -> T:
        async with SqliteStore(layout.database, clock=clock or SystemClock()) as store:
            return await use(store)

    return asyncio.run(run())


@pytest.fixture
def master_key(layout: DataDir) -> MasterKey:
    return datafiles.load_master_key(layout)


@pytest.fixture
def staff_token(layout: DataDir, cheap_passwords: Passwords) -> Callable[..., Awaitable[str]]:
    """Enrol a person (``role``, ``desk``) in the demo data directory and issue an API token;
    returns the token's secret, as ``euregate staff token issue`` shows it once."""

    async def enrol_with_token(
        staff_id: str, *, role: str = "liaison_officer", desk: str | None = None
    ) -> str:
        return await enrol_staff(layout, cheap_passwords, staff_id, role=role, desk=desk)

    return enrol_with_token


async def enrol_staff(
    layout: DataDir,
    passwords: Passwords,
    staff_id: str,
    *,
    role: str = "liaison_officer",
    desk: str | None = None,
) -> str:
    """Enrol a person in ``layout`` and issue an API token; its secret. A liaison officer
    serves the Belgian desk unless told otherwise; others, all."""
    desk = desk or ("BE" if role == "liaison_officer" else "*")
    key = datafiles.load_master_key(layout)
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        account = StaffAccount(
            id=staff_id, name=staff_id.title(), role=Role(role), desk=Desk.parse(desk)
        )
        await staff_admin.enrol(
            store, key, account, "correct horse battery staple", actor=refs.admin("test"),
            passwords=passwords,
        )  # fmt: skip
        return (
            await staff_admin.issue_token(store, staff_id, "tests", actor=refs.admin("test"))
        ).secret


# --- staff pages in a browser (tests/web_fixtures.py) -----------------------------------------

from tests.web_fixtures import (  # noqa: E402, F401
    browser,
    compliance,
    dutch_signal,
    page,
    playwright,
    pytest_collection_modifyitems,
    web_gateway,
)

# --- webhooks: partners' HTTPS receivers and a gateway that leaves pushing to the test --------


class WebhookReceiver:
    """A partner's webhook server over real mutual TLS: it admits clients with a certificate
    from ``client_ca`` and answers ``status``; while ``hold`` is clear it keeps each request
    waiting (a webhook that hangs)."""

    def __init__(self, status: int, redirect_to: str | None = None) -> None:
        self.url = ""
        self.status = status
        self.redirect_to = redirect_to
        self.received: list[dict[str, Any]] = []
        self.peers: list[str] = []
        self.hold = asyncio.Event()
        self.waiting = 0

    def envelope_ids(self) -> list[str]:
        return [str(body["id"]) for body in self.received]


def issue_server_files(
    authority: pki.CertificateAuthority, directory: Path, name: str = "127.0.0.1"
) -> tuple[Path, Path]:
    """A TLS server certificate for ``name`` from ``authority``, written as PEM files."""
    issued = pki.issue_server_certificate(authority, [name], now=datetime.now(UTC))
    directory.mkdir(parents=True, exist_ok=True)
    certificate, key = directory / "server.pem", directory / "server.key"
    certificate.write_bytes(issued.certificate_pem)
    key.write_bytes(issued.private_key_pem)
    return certificate, key


@asynccontextmanager
async def webhook_receiver(
    directory: Path,
    *,
    client_ca: Path,
    authority: pki.CertificateAuthority | None = None,
    certificate: tuple[Path, Path] | None = None,
    status: int = 200,
    holding: bool = False,
    redirect_to: str | None = None,
) -> AsyncIterator[WebhookReceiver]:
    """A real aiohttp HTTPS webhook on a free loopback port with ``certificate`` (PEM files:
    certificate, key) or one from ``authority``, admitting only client certificates issued
    under ``client_ca``; with ``redirect_to`` it answers ``status`` with that ``Location``."""
    if certificate is None:
        assert authority is not None, "give the receiver a certificate or an authority"
        certificate = issue_server_files(authority, directory)
    pem, key = certificate
    context = pki.server_ssl_context(certificate=pem, private_key=key, client_ca=client_ca)
    receiver = WebhookReceiver(status, redirect_to)
    if not holding:
        receiver.hold.set()

    async def receive(request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peercert") if request.transport else None
        subject = dict(pair[0] for pair in (peer or {}).get("subject", ()))
        receiver.peers.append(str(subject.get("commonName")))
        body = await request.json()
        receiver.waiting += 1
        try:
            await receiver.hold.wait()
        finally:
            receiver.waiting -= 1
        receiver.received.append(body)
        location = {} if receiver.redirect_to is None else {"Location": receiver.redirect_to}
        return web.json_response({}, status=receiver.status, headers=location)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context).start()
    receiver.url = f"https://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        yield receiver
    finally:
        receiver.hold.set()
        await runner.cleanup()


@pytest.fixture
def receiver_for(layout: DataDir, tmp_path: Path) -> Callable[..., Any]:
    """Webhook receivers whose certificates come from the data directory's CA (what
    ``webhook_ca_file`` defaults to) and that admit the gateway's client certificate."""
    count = 0

    def make(**options: Any) -> Any:
        nonlocal count
        count += 1
        options.setdefault("authority", datafiles.load_authority(layout))
        options.setdefault("client_ca", layout.ca_certificate)
        return webhook_receiver(tmp_path / f"receiver-{count}", **options)

    return make


@asynccontextmanager
async def gateway_in_process(settings: Settings, **options: Any) -> AsyncIterator[RunningGateway]:
    """Both listeners of the gateway built from ``settings`` (and ``options`` of
    :func:`~gateway.edges.server.build`), in this process."""
    built = await build(settings, **options)
    runners: list[web.AppRunner] = []
    try:
        url, staff_url = await open_listeners(built, "127.0.0.1", (0, 0), runners)
        operations_url = await open_operations_listener(built, "127.0.0.1", 0, runners)
        yield RunningGateway(
            url=url,
            staff_url=staff_url,
            layout=settings_layout(settings),
            store=built.store,
            policy_digest=built.policy.policy.digest,
            operations_url=operations_url,
        )
    finally:
        for runner in reversed(runners):
            await runner.cleanup()


def settings_layout(settings: Settings) -> DataDir:
    return DataDir(settings.data_dir)


@pytest.fixture
async def quiet_gateway(layout: DataDir, log_stream: io.StringIO) -> AsyncIterator[RunningGateway]:
    """The real gateway with pushing turned off (``webhook_concurrency=0``): envelopes wait in
    the outbox for a pusher the test drives step by step."""
    settings = Settings(
        data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0, webhook_concurrency=0
    )
    async with gateway_in_process(settings) as running:
        yield running


# --- the audit log's tree: a data directory whose gateway a test starts and stops ----------

# --- a stand-in LibreTranslate -------------------------------------------------------------
from tests.libretranslate_standin import standin  # noqa: E402, F401
from tests.transparency_scene import scene  # noqa: E402, F401
