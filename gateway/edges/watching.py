"""How a gateway is watched: its metrics wired into the listeners it serves, the store's
gauges, the readiness checks, and the operations app that answers monitoring."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from aiohttp import web
from cryptography import x509

from gateway.edges.metrics import GatewayMetrics
from gateway.edges.operations import create_operations_app
from gateway.edges.readiness import Readiness
from gateway.edges.readiness_checks import Parts, standard_readiness
from gateway.edges.store_gauges import OwnCertificate, StoreGauges
from gateway.flow.inbox import Inbox
from gateway.infra.config import DataDir, Settings


@dataclass(frozen=True)
class Watched:
    """The operations app and what it reads."""

    app: web.Application
    metrics: GatewayMetrics
    readiness: Readiness


def own_certificates(layout: DataDir) -> Iterator[OwnCertificate]:
    """The gateway's own certificates in its data directory, those that are there."""
    for name, path in (
        ("server", layout.server_certificate),
        ("client", layout.gateway_client_certificate),
        ("ca", layout.ca_certificate),
    ):
        if path.is_file():
            loaded = x509.load_pem_x509_certificate(path.read_bytes())
            yield OwnCertificate(name, loaded.not_valid_after_utc)


def watch(
    settings: Settings,
    layout: DataDir,
    metrics: GatewayMetrics,
    parts: Parts,
    *,
    inbox: Inbox,
    listeners: dict[str, web.Application],
) -> Watched:
    """Time every request of ``listeners`` (by name), count the long-polls, read the store's
    gauges at scrape time, and put the standard readiness checks together."""
    for name, app in listeners.items():
        app.middlewares.insert(0, metrics.timing(name))
    metrics.long_polls.set_function(inbox.waiting)
    metrics.registry.register(
        StoreGauges(parts.snapshots, parts.clock, tuple(own_certificates(layout)))
    )
    readiness = standard_readiness(parts, timeout=settings.readiness_timeout)
    return Watched(create_operations_app(readiness, metrics, parts.snapshots), metrics, readiness)
