"""The gateway's metrics, in a Prometheus registry of its own (never the global one, so that
several gateways in one process do not collide).

Labels are bounded sets only: countries, outcomes, stages, listeners, route templates and
methods, desks (countries), deadline kinds, delivery states, partner ids (bounded by the
registry). Never a signal id, a path as sent, or anything a signal holds.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)

from gateway.flow.intake_watch import Outcome, Stage

LATENCY_BUCKETS: Final = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
    10,
    30,
)
COMMIT_SIZE_BUCKETS: Final = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
UNMATCHED_ROUTE: Final = "unmatched"
"""The route label of a request no route answers (a 404, a probe): one label for them all."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class GatewayMetrics:
    """The metrics one gateway counts as it works; those read from the store at scrape time
    are :class:`gateway.edges.store_gauges.StoreGauges`, registered here too."""

    def __init__(self) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # *_created: only when it started
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.intake = Counter(
            "euregate_intake",
            "Signals posted, by outcome (per recipient: deliver, review, deny, replayed; "
            "refused posts once, recipient country none) and sender and recipient country.",
            ["outcome", "sender_country", "recipient_country"],
            registry=registry,
        )
        self.stage_seconds = Histogram(
            "euregate_intake_stage_seconds",
            "Seconds intake took to validate a body, and to decide it for its recipients.",
            ["stage"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.request_seconds = Histogram(
            "euregate_request_seconds",
            "Seconds from a request's arrival to its answer, by listener, route and method.",
            ["listener", "route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.commit_writes = Histogram(
            "euregate_store_commit_writes",
            "Writes committed together in one transaction (group commit).",
            buckets=COMMIT_SIZE_BUCKETS,
            registry=registry,
        )
        self.commit_seconds = Histogram(
            "euregate_store_commit_seconds",
            "Seconds one group commit's COMMIT (its fsync) took.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.handshake_failures = Counter(
            "euregate_tls_handshake_failures",
            "TLS handshakes that failed or took too long, by listener.",
            ["listener"],
            registry=registry,
        )
        self.long_polls = Gauge(
            "euregate_long_polls_open", "Inbox long-polls waiting now.", registry=registry
        )
        self.ready = Gauge(
            "euregate_ready",
            "1 when every readiness check passed at the last /readyz or scrape, else 0.",
            registry=registry,
        )
        self.check_passed = Gauge(
            "euregate_readiness_check",
            "1 when the readiness check passed at the last /readyz or scrape, else 0.",
            ["check"],
            registry=registry,
        )
        for stage in Stage:
            self.stage_seconds.labels(stage=str(stage))

    # --- intake (gateway.flow.intake_watch.IntakeObserver) ---------------------------------

    def timed(self, stage: Stage, seconds: float) -> None:
        self.stage_seconds.labels(stage=str(stage)).observe(seconds)

    def counted(self, outcome: Outcome, sender_country: str, recipient_country: str) -> None:
        self.intake.labels(
            outcome=str(outcome), sender_country=sender_country, recipient_country=recipient_country
        ).inc()

    # --- the store's writer (gateway.store.sqlite.database.CommitObserver) -----------------

    def committed(self, size: int, seconds: float) -> None:
        self.commit_writes.observe(size)
        self.commit_seconds.observe(seconds)

    # --- listeners --------------------------------------------------------------------------

    def handshake_failed(self, listener: str) -> Callable[[], None]:
        """What ``listener``'s TLS site calls at each failed handshake."""
        counter = self.handshake_failures.labels(listener=listener)
        return counter.inc

    def timing(self, listener: str) -> Middleware:
        """A middleware timing each request of ``listener`` under its route's template."""
        histogram = self.request_seconds

        @web.middleware
        async def timed(request: web.Request, handler: Handler) -> web.StreamResponse:
            started = time.perf_counter()
            try:
                return await handler(request)
            finally:
                histogram.labels(
                    listener=listener, route=route_name(request), method=route_method(request)
                ).observe(time.perf_counter() - started)

        return timed


def route_name(request: web.Request) -> str:
    """The template of the route that answered (``/v1/signals/{signal_id}``), never the path
    as sent."""
    info = request.match_info
    if isinstance(info, web.UrlMappingMatchInfo) and info.http_exception is None:
        canonical = info.route.resource.canonical if info.route.resource else None
        if canonical:
            return canonical
    return UNMATCHED_ROUTE


def route_method(request: web.Request) -> str:
    """The request's method, or ``other``: a method a caller makes up is no label."""
    return request.method if request.method in KNOWN_METHODS else "other"


KNOWN_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
