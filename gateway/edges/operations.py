"""The operations listener: where monitoring asks whether the gateway lives, whether it is
ready, and for its metrics.

A listener of its own, apart from the partners' and the staff listeners, in plain HTTP and
therefore on a loopback address only (:func:`require_loopback` refuses any other at start):
``GET /healthz`` (the process lives), ``GET /readyz`` (each readiness check and its result;
200 or 503) and ``GET /metrics`` (Prometheus text). The container image's ``HEALTHCHECK`` and
``deploy/compose.yaml`` ask :data:`HEALTH_PATH` on it (:func:`health_url`).
"""

from __future__ import annotations

import ipaddress
from typing import Final

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.edges.metrics import GatewayMetrics
from gateway.edges.readiness import Readiness, Report
from gateway.edges.store_gauges import Snapshots
from gateway.infra.errors import SettingInvalid
from gateway.infra.i18n import N_

OPERATIONS_HOST: Final = "127.0.0.1"
OPERATIONS_PORT: Final = 9443
HEALTH_PATH: Final = "/healthz"
READY_PATH: Final = "/readyz"
METRICS_PATH: Final = "/metrics"

NOT_LOOPBACK: Final = N_(
    "the operations listener speaks plain HTTP and listens on a loopback address only "
    "(127.0.0.1 or ::1); let Prometheus reach it on this host, or through a TLS proxy"
)


def health_url(host: str = OPERATIONS_HOST, port: int = OPERATIONS_PORT) -> str:
    """Where a health check asks whether the process lives."""
    return f"http://{host}:{port}{HEALTH_PATH}"


def require_loopback(host: str) -> None:
    """Refuse (:class:`SettingInvalid`) an address that is not loopback for plain HTTP."""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SettingInvalid(setting=f"operations_host = {host!r}", reason=NOT_LOOPBACK)


def create_operations_app(
    readiness: Readiness, metrics: GatewayMetrics, snapshots: Snapshots
) -> web.Application:
    """The three routes; nothing else answers here (404), and nothing here needs a secret."""

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def readyz(_: web.Request) -> web.Response:
        report = await readiness.report()
        _record(metrics, report)
        return web.json_response(report.as_json(), status=200 if report.ready else 503)

    async def scrape(_: web.Request) -> web.Response:
        await snapshots.fresh()
        _record(metrics, await readiness.report())
        response = web.Response(body=generate_latest(metrics.registry))
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    app = web.Application()
    app.router.add_get(HEALTH_PATH, healthz)
    app.router.add_get(READY_PATH, readyz)
    app.router.add_get(METRICS_PATH, scrape)
    return app


def _record(metrics: GatewayMetrics, report: Report) -> None:
    metrics.ready.set(1 if report.ready else 0)
    for name, result in report.checks.items():
        metrics.check_passed.labels(check=name).set(1 if result.ok else 0)
