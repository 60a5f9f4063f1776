"""Wiring: from settings and a data directory to a running gateway."""

from __future__ import annotations

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
from gateway.store import Store


@dataclass(frozen=True)
class Gateway:
    app: web.Application
    ssl_context: ssl.SSLContext
    store: Store


def build(settings: Settings, *, clock: Clock | None = None) -> Gateway:
    """The application, its TLS context and its store (started; closed on app cleanup)."""
    layout = DataDir(settings.data_dir)
    if not layout.database.exists():
        raise RegistryError(
            "no Euregate data directory at {path}; run `euregate init` first", path=layout.root
        )
    clock = clock or SystemClock()
    store = Store(layout.database, clock=clock, group_commit_max=settings.group_commit_max)
    intake = Intake(store=store, master_key=datadir.load_master_key(layout), clock=clock)
    context = pki.server_ssl_context(
        certificate=layout.server_certificate,
        private_key=layout.server_key,
        client_ca=layout.ca_certificate,
    )
    app = create_app(store=store, intake=intake, max_body_bytes=settings.max_body_bytes)

    async def start_store(_: web.Application) -> None:
        store.start()

    async def close_store(_: web.Application) -> None:
        store.close()

    app.on_startup.append(start_store)
    app.on_cleanup.append(close_store)
    return Gateway(app=app, ssl_context=context, store=store)


def run(settings: Settings, *, announce: Callable[[str], None] = print) -> None:
    """Serve until interrupted; ``announce`` hears the URL once the port is really open."""
    configure(settings.log_level)
    gateway = build(settings)
    url = f"https://{settings.host}:{settings.port}"
    web.run_app(
        gateway.app,
        host=settings.host,
        port=settings.port,
        ssl_context=gateway.ssl_context,
        print=lambda _: announce(url),
        access_log=None,
    )
