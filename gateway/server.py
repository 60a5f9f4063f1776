"""Wiring: from settings and a data directory to a running gateway."""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from gateway import datadir, pki
from gateway.app import create_app
from gateway.clock import Clock, SystemClock
from gateway.config import DataDir, Settings
from gateway.errors import RegistryError
from gateway.intake import Intake
from gateway.logs import configure
from gateway.sharing import PolicyInForce, PolicyRefused
from gateway.store import Store


@dataclass(frozen=True)
class Gateway:
    app: web.Application
    ssl_context: ssl.SSLContext
    store: Store
    policy: PolicyInForce
    layout: DataDir


def build(settings: Settings, *, clock: Clock | None = None) -> Gateway:
    """The application, its TLS context and its store (started; closed on app cleanup)."""
    layout = DataDir(settings.data_dir)
    if not layout.database.exists():
        raise RegistryError(
            "no Euregate data directory at {path}; run `euregate init` first", path=layout.root
        )
    clock = clock or SystemClock()
    store = Store(layout.database, clock=clock, group_commit_max=settings.group_commit_max).start()
    try:
        policy = PolicyInForce(settings.policy_file or layout.policy, store=store)
    except PolicyRefused:
        store.close()
        raise
    intake = Intake(
        store=store, master_key=datadir.load_master_key(layout), clock=clock, policy=policy
    )
    context = pki.server_ssl_context(
        certificate=layout.server_certificate,
        private_key=layout.server_key,
        client_ca=layout.ca_certificate,
    )
    app = create_app(store=store, intake=intake, max_body_bytes=settings.max_body_bytes)

    async def close_store(_: web.Application) -> None:
        store.close()

    app.on_cleanup.append(close_store)
    return Gateway(app=app, ssl_context=context, store=store, policy=policy, layout=layout)


def reload_on_hangup(gateway: Gateway) -> None:
    """SIGHUP (``euregate policy reload``) re-reads the policy, off the event loop."""

    reloads: set[asyncio.Task[object]] = set()

    async def install(_: web.Application) -> None:
        loop = asyncio.get_running_loop()

        def hangup() -> None:
            task = loop.create_task(asyncio.to_thread(gateway.policy.reload))
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        loop.add_signal_handler(signal.SIGHUP, hangup)
        gateway.layout.pid_file.write_text(f"{os.getpid()}\n")

    async def uninstall(_: web.Application) -> None:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        gateway.layout.pid_file.unlink(missing_ok=True)

    gateway.app.on_startup.append(install)
    gateway.app.on_cleanup.append(uninstall)


def run(settings: Settings, *, announce: Callable[[str], None] = print) -> None:
    """Serve until interrupted; ``announce`` hears the URL once the port is really open."""
    configure(settings.log_level)
    gateway = build(settings)
    reload_on_hangup(gateway)
    url = f"https://{settings.host}:{settings.port}"
    web.run_app(
        gateway.app,
        host=settings.host,
        port=settings.port,
        ssl_context=gateway.ssl_context,
        print=lambda _: announce(url),
        access_log=None,
    )
