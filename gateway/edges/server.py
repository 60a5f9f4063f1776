"""Wiring: from settings and a data directory to a running gateway."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import os
import signal
import ssl
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from aiohttp import web

from gateway.decide.sharing import PolicyInForce, PolicyRefused
from gateway.edges import systemd_notify
from gateway.edges.audit_api import add_partner_routes as add_partner_audit_routes
from gateway.edges.audit_api import add_staff_routes as add_staff_audit_routes
from gateway.edges.etranslation_callbacks import add_etranslation_callbacks
from gateway.edges.holds_api import add_hold_routes
from gateway.edges.listener import GatedSite, Limits
from gateway.edges.metrics import GatewayMetrics
from gateway.edges.notices_api import add_notice_routes
from gateway.edges.openapi import serve_openapi
from gateway.edges.operations import require_loopback
from gateway.edges.partner_app import create_app
from gateway.edges.ports import binding
from gateway.edges.readiness_checks import Parts
from gateway.edges.refusals import REFUSALS, RefusalLedger, summarising
from gateway.edges.restrictions_api import add_restriction_routes
from gateway.edges.staff_app import AUTHENTICATOR, DESK, add_memory_routes, create_staff_app
from gateway.edges.store_gauges import Snapshots
from gateway.edges.watching import Watched, watch
from gateway.edges.web import setup_web
from gateway.edges.web.verifications import Verifications
from gateway.edges.workers import Listeners
from gateway.flow import at_rest
from gateway.flow.backlog import SealingBacklog
from gateway.flow.courier import Courier
from gateway.flow.desk import ReviewDesk
from gateway.flow.fair_pool import FairPool, JobHook, start_executor
from gateway.flow.inbox import Inbox
from gateway.flow.intake import Intake
from gateway.flow.memory_desk import MemoryDesk
from gateway.flow.partner_limits import PartnerLimits
from gateway.flow.prepare import Preparer
from gateway.flow.pusher import Pusher, fan_out
from gateway.flow.restriction import Restrictions, resuming
from gateway.flow.retention import DailyRetention
from gateway.infra import datafiles, pki
from gateway.infra.audit import events
from gateway.infra.audit.note import Ed25519Signer
from gateway.infra.audit.refs import GATEWAY
from gateway.infra.clock import Clock, SystemClock
from gateway.infra.config import DataDir, Settings
from gateway.infra.keyring import open_keyring
from gateway.infra.logs import configure, get_logger
from gateway.infra.seal import Signer
from gateway.infra.vault import MasterKey, VaultError
from gateway.registry.auth import Authenticator
from gateway.staff import PASSWORDS, Passwords
from gateway.store import Store
from gateway.store.backend import described, maintenance_for, store_for
from gateway.translate import (
    MemoryBackend,
    TranslationBackend,
    backend_from_settings,
    checked_url,
    close_backend,
    etranslation_access,
    etranslation_of,
)
from gateway.transparency.log import TransparencyLog
from gateway.transparency.sequencer import Sequencer

log = get_logger("euregate.server")


@dataclass(frozen=True)
class Gateway:
    """The partners' listener (mutual TLS), the staff listener (TLS, API tokens) and the
    operations listener (plain HTTP on loopback: health, readiness, metrics)."""

    app: web.Application
    ssl_context: ssl.SSLContext
    store: Store
    policy: PolicyInForce
    layout: DataDir
    staff_app: web.Application
    staff_ssl_context: ssl.SSLContext
    limits: Limits
    staff_limits: Limits
    operations: Watched
    master_key: MasterKey

    async def reload(self) -> None:
        """What SIGHUP re-reads: the policy, the server certificate (renewed: new handshakes
        present it) and the master key's versions (a rotation began or ended), each off the
        event loop."""
        await self.policy.reload()
        await asyncio.to_thread(self._reload_certificate)
        try:
            self.master_key.adopt(await asyncio.to_thread(open_keyring, self.layout))
        except VaultError as exc:
            log.error("keyring_reload_failed", reason=str(exc))  # noqa: TRY400 (no trace)
            return
        log.info("keyring_reloaded", versions=list(self.master_key.versions))

    def _reload_certificate(self) -> None:
        for context in (self.ssl_context, self.staff_ssl_context):
            try:
                context.load_cert_chain(
                    certfile=self.layout.server_certificate, keyfile=self.layout.server_key
                )
            except (OSError, ssl.SSLError) as exc:
                log.error("certificate_reload_failed", reason=str(exc))  # noqa: TRY400 (no trace)


def listener_limits(settings: Settings) -> tuple[Limits, Limits]:
    """The partners' listener's limits and the staff listener's, from the settings."""
    partners = Limits(
        max_connections=settings.max_connections,
        handshake_timeout=settings.handshake_timeout,
        header_timeout=settings.header_timeout,
        body_timeout=settings.body_timeout,
        idle_timeout=settings.idle_timeout,
        stop_timeout=settings.stop_timeout,
    )
    staff = dataclasses.replace(
        partners,
        max_connections=settings.staff_max_connections,
        per_address=settings.staff_max_connections_per_address,
        allow=tuple(settings.staff_allow),
    )
    return partners, staff


async def open_store(
    settings: Settings,
    layout: DataDir,
    clock: Clock,
    *,
    on_commit: Callable[[int, float], None] | None = None,
) -> Store:
    """The store, started; with ``migrate_on_start``, its schema brought forward first, and
    that recorded in the audit log. ``on_commit`` hears of each committed batch (metrics)."""
    change = None
    if settings.migrate_on_start:
        change = await maintenance_for(settings, layout.database).migrate()
    store = await store_for(settings, layout.database, clock=clock, on_commit=on_commit).start()
    if change is not None and change.before is not None and change.migrated:
        await store.record(
            events.StoreMigrated(by=GATEWAY, from_version=change.before, to_version=change.after)
        )
    return store


async def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    passwords: Passwords = PASSWORDS,
    intake_hook: JobHook | None = None,
) -> Gateway:
    """The application, its TLS context and its store (started; closed on app cleanup).

    ``passwords`` hashes and checks staff passwords (argon2id with the parameters of
    :mod:`gateway.staff.passwords`); ``intake_hook`` runs in the intake worker before each
    job (tests hold jobs with it).
    """
    layout = datafiles.require_data_dir(DataDir(settings.data_dir))
    checked_url(settings.libretranslate_url, allow_http=settings.libretranslate_allow_http)
    etranslation_access(settings)
    clock = clock or SystemClock()
    metrics = GatewayMetrics()
    store = await open_store(settings, layout, clock, on_commit=metrics.committed)
    try:
        policy = await PolicyInForce.adopt(settings.policy_file or layout.policy, store=store)
    except PolicyRefused:
        await store.close()
        raise
    master_key = datafiles.load_master_key(layout)
    await at_rest.upgrade(store, master_key)
    translator = backend_from_settings(settings, store=store, master_key=master_key, clock=clock)
    preparing = ThreadPoolExecutor(1, thread_name_prefix="euregate-prepare")
    preparer = Preparer(
        store=store, master_key=master_key, translator=translator, policy=policy, cpu=preparing
    )
    inbox = Inbox(
        store, max_waiting=settings.long_polls_per_partner, recheck=settings.long_poll_recheck
    )
    pusher = Pusher.from_settings(settings, layout, store=store, clock=clock)
    signer = datafiles.load_signer(layout, master_key)
    transparency, sequencer = await audit_tree(
        settings, layout, store=store, clock=clock, signer=signer
    )
    courier = Courier(
        store=store,
        preparer=preparer,
        signer=signer,
        gateway_id=settings.gateway_id,
        clock=clock,
        sealed=fan_out(inbox.notify, pusher.wake),
    )
    desk = ReviewDesk(
        store=store,
        preparer=preparer,
        clock=clock,
        master_key=master_key,
        on_released=courier.wake,
    )
    restrictions = Restrictions(
        store=store,
        master_key=master_key,
        clock=clock,
        released=resuming(courier.wake, fan_out(inbox.notify, pusher.wake)),
    )
    pool = intake_pool(settings, intake_hook)
    intake = Intake(
        store=store,
        master_key=master_key,
        clock=clock,
        policy=policy,
        pool=pool,
        on_accepted=courier.wake,
        observer=metrics,
        backlog=SealingBacklog(store, clock, limit=settings.courier_backlog_limit),
    )
    context = pki.server_ssl_context(
        certificate=layout.server_certificate,
        private_key=layout.server_key,
        client_ca=layout.ca_certificate,
    )
    app = create_app(
        store=store,
        clock=clock,
        intake=intake,
        inbox=inbox,
        limits=PartnerLimits(
            store=store,
            clock=clock,
            rate=settings.partner_rate,
            burst=settings.partner_burst,
            concurrency=settings.partner_concurrency,
            max_body_bytes=settings.max_body_bytes,
        ),
        max_body_bytes=settings.max_body_bytes,
        transparency=transparency,
        gateway_id=settings.gateway_id,
        on_withdrawn=courier.wake,
    )
    partner_refusals = RefusalLedger(
        clock, store.record_all, listener="partners", limit=settings.refusals_per_minute
    )
    app[REFUSALS] = partner_refusals
    app.cleanup_ctx.append(summarising(partner_refusals))
    app.cleanup_ctx.append(_background(partial(policy.follow, settings.policy_follow_interval)))
    app.cleanup_ctx.append(
        _background(partial(store.hear_sealed, fan_out(inbox.notify, pusher.wake)))
    )
    app.cleanup_ctx.append(_background(courier.run))
    app.cleanup_ctx.append(_background(pusher.run))
    retention = DailyRetention(
        store,
        policy,
        clock,
        interval=settings.retention_interval,
        limit=settings.retention_limit,
    )
    app.cleanup_ctx.append(_background(retention.run))
    authenticator = Authenticator(
        store,
        master_key,
        clock=clock,
        passwords=passwords,
        hash_workers=settings.password_hash_workers,
    )
    staff_app = create_staff_app(
        desk=desk,
        authenticator=authenticator,
        refusals=RefusalLedger(
            clock, store.record_all, listener="staff", limit=settings.refusals_per_minute
        ),
    )
    memory = translator if isinstance(translator, MemoryBackend) else None
    add_memory_routes(staff_app, MemoryDesk(store=store, memory=memory))
    _add_compliance_routes(staff_app, store, clock, restrictions)
    add_etranslation_callbacks(staff_app, etranslation_of(translator))
    serve_audit_tree(app, staff_app, transparency, sequencer)
    serve_openapi(app, "partner")
    serve_openapi(staff_app, "staff")
    setup_web(
        staff_app,
        desk=staff_app[DESK],
        authenticator=staff_app[AUTHENTICATOR],
        store=store,
        master_key=master_key,
        signer=signer,
        verifications=Verifications(store, clock),
        clock=clock,
        enrolment_code_lifetime=timedelta(hours=settings.enrolment_code_hours),
        partner_changed=inbox.notify,
        restrictions=restrictions,
        witness_stale_after=timedelta(hours=settings.witness_stale_hours),
    )

    _attach_lifecycle(
        app,
        staff_app,
        pool=pool,
        preparing=preparing,
        store=store,
        translator=translator,
        inbox=inbox,
    )
    limits, staff_limits = listener_limits(settings)
    operations = watch(
        settings,
        layout,
        metrics,
        Parts(
            store=store,
            health=store.health,
            policy=policy,
            master_key=master_key,
            signer=signer,
            sequencer=sequencer,
            snapshots=Snapshots(store, clock, timeout=settings.readiness_timeout),
            clock=clock,
            courier_stalled_after=settings.courier_stalled_after,
        ),
        inbox=inbox,
        listeners={"partners": app, "staff": staff_app},
    )
    return Gateway(
        app=app,
        ssl_context=context,
        store=store,
        policy=policy,
        layout=layout,
        staff_app=staff_app,
        staff_ssl_context=pki.staff_ssl_context(
            certificate=layout.server_certificate,
            private_key=layout.server_key,
            client_ca=settings.staff_client_ca_file,
        ),
        limits=limits,
        staff_limits=staff_limits,
        operations=operations,
        master_key=master_key,
    )


async def audit_tree(
    settings: Settings, layout: DataDir, *, store: Store, clock: Clock, signer: Signer
) -> tuple[TransparencyLog, Sequencer | None]:
    """What the listeners answer about the audit log's tree, and the sequencer that grows it,
    unless another instance does (``audit_sequencer``)."""
    log_signer = Ed25519Signer(settings.audit_origin, signer)
    transparency = TransparencyLog(store, log_key=log_signer.verifier)
    if not settings.audit_sequencer:
        return transparency, None
    sequencer = Sequencer(
        store=store,
        signer=log_signer,
        clock=clock,
        leadership=await store.sequencer_leadership(layout.sequencer_lock),
        interval=settings.checkpoint_interval,
        republish_after=timedelta(seconds=settings.checkpoint_republish),
    )
    return transparency, sequencer


def _add_compliance_routes(
    staff_app: web.Application, store: Store, clock: Clock, restrictions: Restrictions
) -> None:
    """Legal holds, overdue withdrawal notices and restrictions of processing on the staff
    API, for compliance staff."""
    add_hold_routes(staff_app, store, clock)
    add_notice_routes(staff_app, store=store, clock=clock)
    add_restriction_routes(staff_app, restrictions, store, clock)


def serve_audit_tree(
    app: web.Application,
    staff_app: web.Application,
    transparency: TransparencyLog,
    sequencer: Sequencer | None,
) -> None:
    """The tree's routes on both listeners; the sequencer runs while the gateway does."""
    add_partner_audit_routes(app)
    add_staff_audit_routes(staff_app, transparency)
    if sequencer is not None:
        app.cleanup_ctx.append(_background(sequencer.run))


def _attach_lifecycle(
    app: web.Application,
    staff_app: web.Application,
    *,
    pool: FairPool,
    preparing: ThreadPoolExecutor,
    store: Store,
    translator: TranslationBackend,
    inbox: Inbox,
) -> None:
    """Start the intake workers with the partners' app; at its stop answer the waiting
    long-polls, then close the workers and the store; close the translator with the staff app."""

    async def start_pool(_: web.Application) -> None:
        await pool.start()

    async def close_store(_: web.Application) -> None:
        pool.close()
        preparing.shutdown(wait=True)
        await store.close()

    async def close_translator(_: web.Application) -> None:
        await close_backend(translator)

    async def end_long_polls(_: web.Application) -> None:
        inbox.close()

    app.on_startup.append(start_pool)
    app.on_shutdown.append(end_long_polls)
    app.on_cleanup.append(close_store)
    staff_app.on_cleanup.append(close_translator)


def intake_pool(settings: Settings, hook: JobHook | None = None) -> FairPool:
    """The workers that examine posted bodies, partners taking turns for them."""
    return FairPool(
        lambda: start_executor(
            settings.intake_worker_kind, settings.intake_workers, preload=["gateway.flow.intake"]
        ),
        workers=settings.intake_workers,
        queue_limit=settings.partner_concurrency,
        hook=hook,
    )


def _background(
    work: Callable[[], Coroutine[object, object, None]],
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context running ``work`` while the application runs, cancelled before the
    store closes (contexts unwind before ``on_cleanup`` handlers)."""

    async def context(_: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(work())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context


def reload_on_hangup(gateway: Gateway, *, pid_file: bool = True) -> None:
    """SIGHUP (``euregate policy reload``, ``keys rotate-master``) re-reads the policy and the
    master key's versions; the process id is written to the pid file for those commands to
    find (``pid_file``)."""

    reloads: set[asyncio.Task[object]] = set()

    async def install(_: web.Application) -> None:
        loop = asyncio.get_running_loop()

        def hangup() -> None:
            task = loop.create_task(gateway.reload())
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        loop.add_signal_handler(signal.SIGHUP, hangup)
        if pid_file:
            gateway.layout.pid_file.write_text(f"{os.getpid()}\n")

    async def uninstall(_: web.Application) -> None:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        if pid_file:
            gateway.layout.pid_file.unlink(missing_ok=True)

    gateway.app.on_startup.append(install)
    gateway.app.on_cleanup.append(uninstall)


GIL_SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold the GIL while another waits for it (CPython's default is 0.005).

The copies' CPU work runs on a thread beside the event loop; each time the loop has a
request to go on with, it waits for that thread to let go of the GIL. A shorter interval
keeps that wait short (measured in ``bench/abuse.py``) at the cost of more switches."""


ANSWERS_WRITTEN = 5.0
"""Seconds aiohttp's own stop waits, after the listeners have drained, for answers still
being written; a request still under way then is ended."""


async def run(
    settings: Settings,
    *,
    announce: Callable[[str, str], None],
    listeners: Listeners | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM, then stop cleanly; ``announce`` hears both URLs once
    the ports are open. A worker of ``serve --workers`` serves the ``listeners`` it inherited
    and leaves the pid file to its parent."""
    configure(settings.log_level, log_format=settings.log_format)
    require_loopback(settings.operations_host)
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    gateway = await build(settings)
    freeze_startup_heap()
    reload_on_hangup(gateway, pid_file=listeners is None)
    await serve(gateway, settings, announce, listeners)


def freeze_startup_heap() -> None:
    """Move what start-up made (policy, code lists, locales, compiled models and schemas),
    which lives as long as the process, out of the garbage collector's way: a full collection
    stops the event loop, and should walk only what requests leave behind."""
    gc.collect()
    gc.freeze()


async def prepare(settings: Settings) -> None:
    """What the parent of ``serve --workers`` does once before its workers start: the store
    brought to its schema and the policy adopted, so that the workers do not race to."""
    layout = datafiles.require_data_dir(DataDir(settings.data_dir))
    store = await open_store(settings, layout, SystemClock())
    try:
        await PolicyInForce.adopt(settings.policy_file or layout.policy, store=store)
    finally:
        await store.close()


async def serve(
    gateway: Gateway,
    settings: Settings,
    announce: Callable[[str, str], None],
    listeners: Listeners | None = None,
) -> None:
    """Both listeners and the operations listener until SIGINT or SIGTERM, the service
    manager told when they accept (``READY=1``) and when they stop (``STOPPING=1``).

    A stop is :func:`stop_listeners`; then the store commits what is queued and closes. The
    operations listener stays open until then, ``/readyz`` answering 503 (stopping)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    runners: list[web.AppRunner] = []
    operations: list[web.AppRunner] = []
    try:
        urls = await open_listeners(
            gateway, settings.host, (settings.port, settings.staff_port), runners, listeners
        )
        operations_url = await open_operations_listener(
            gateway, settings.operations_host, settings.operations_port, operations
        )
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        announce(*urls)
        log.info(
            "gateway_started",
            partners=urls[0],
            staff=urls[1],
            operations=operations_url,
            data_dir=str(gateway.layout.root),
            store=described(settings, gateway.layout.database),
            policy_sha256=gateway.policy.policy.digest,
        )
        systemd_notify.notify(READY="1", STATUS=f"partners on {urls[0]}, staff on {urls[1]}")
        await stop.wait()
        gateway.operations.readiness.stopping()
        log.info("gateway_stopping", reason="signal")
        systemd_notify.notify(STOPPING="1", STATUS="finishing the requests in flight")
    finally:
        await stop_listeners(runners)
        for runner in operations:
            await runner.cleanup()
    log.info("gateway_stopped")


async def stop_listeners(runners: list[web.AppRunner]) -> None:
    """Close both listening sockets at once; answer the waiting long-polls with what they have
    (``on_shutdown``); let both listeners' requests under way finish, each within its
    ``stop_timeout``; then clean up, the staff listener first (the partners' closes the store).
    Cleaning up sends ``on_shutdown`` again: its handlers must bear being called twice."""
    sites = [site for runner in runners for site in runner.sites if isinstance(site, GatedSite)]
    for site in sites:
        await site.stop()
    for runner in runners:
        if runner.server is not None:
            await runner.shutdown()
    await asyncio.gather(*(site.drain() for site in sites))
    for runner in reversed(runners):
        await runner.cleanup()


async def open_listeners(
    gateway: Gateway,
    host: str,
    ports: tuple[int, int],
    runners: list[web.AppRunner],
    listeners: Listeners | None = None,
) -> tuple[str, str]:
    """Open the partners' listener and the staff listener on ``ports`` (or on the sockets of
    ``listeners``, bound already); their URLs. Each runner joins ``runners`` before it starts,
    for the caller to clean up, failure or not."""
    urls = []
    bound = (listeners.partners, listeners.staff) if listeners else ((), ())
    for app, port, context, limits, name, sockets in (
        (gateway.app, ports[0], gateway.ssl_context, gateway.limits, "partners", bound[0]),
        (
            gateway.staff_app,
            ports[1],
            gateway.staff_ssl_context,
            gateway.staff_limits,
            "staff",
            bound[1],
        ),
    ):
        runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=ANSWERS_WRITTEN
        )
        runners.append(runner)
        await runner.setup()
        site = GatedSite(
            runner,
            host,
            port,
            ssl_context=context,
            limits=limits,
            name=name,
            handshake_failed=gateway.operations.metrics.handshake_failed(name),
            sockets=sockets,
        )
        with binding(host, port, name):
            await site.start()
        urls.append(f"https://{host}:{runner.addresses[0][1]}")
    return urls[0], urls[1]


async def open_operations_listener(
    gateway: Gateway, host: str, port: int, runners: list[web.AppRunner]
) -> str:
    """Open the operations listener (plain HTTP, loopback only: :func:`require_loopback`); its
    URL. Its runner joins ``runners`` before it starts."""
    require_loopback(host)
    runner = web.AppRunner(
        gateway.operations.app, access_log=None, handle_signals=False, shutdown_timeout=1.0
    )
    runners.append(runner)
    await runner.setup()
    with binding(host, port, "operations"):
        await web.TCPSite(runner, host, port).start()
    bound_host, bound_port = runner.addresses[0][:2]
    return f"http://{_url_host(bound_host)}:{bound_port}"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
