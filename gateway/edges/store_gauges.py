"""Gauges read from the store, at scrape time but bounded: at most one snapshot read in flight,
none more often than every ``max_age`` seconds, each given ``timeout`` seconds. However often
Prometheus (or anyone on the loopback) asks, the store answers a few counting reads a while.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.infra.clock import Clock
from gateway.infra.logs import get_logger
from gateway.store import OperationsSnapshot, OperationsStore

log = get_logger("euregate.operations")


class Snapshots:
    """The store's latest :class:`OperationsSnapshot`, refreshed on demand within bounds."""

    def __init__(
        self, store: OperationsStore, clock: Clock, *, max_age: float = 5.0, timeout: float = 2.0
    ) -> None:
        self._store = store
        self._clock = clock
        self._max_age = max_age
        self._timeout = timeout
        self._latest: OperationsSnapshot | None = None
        self._taken_at = -float("inf")
        self._refreshing: asyncio.Task[OperationsSnapshot | None] | None = None
        self.failed = False
        """Whether the last attempt to read one failed (then :attr:`latest` is older)."""

    @property
    def latest(self) -> OperationsSnapshot | None:
        return self._latest

    async def fresh(self) -> OperationsSnapshot | None:
        """A snapshot at most ``max_age`` seconds old, or ``None`` when the store could not
        give one within ``timeout`` (the older one stays in :attr:`latest`)."""
        if time.monotonic() - self._taken_at < self._max_age:
            return None if self.failed else self._latest
        if self._refreshing is None:
            self._refreshing = asyncio.ensure_future(self._refresh())
        task = self._refreshing
        return await asyncio.shield(task)

    async def _refresh(self) -> OperationsSnapshot | None:
        try:
            async with asyncio.timeout(self._timeout):
                snapshot = await self._store.operations_snapshot(self._clock.now())
        except Exception as exc:  # noqa: BLE001 - any failure of the store is "no snapshot"
            if not self.failed:
                log.warning("operations_snapshot_failed", error_type=type(exc).__name__)
            self.failed = True
            return None
        finally:
            self._taken_at = time.monotonic()
            self._refreshing = None
        self._latest, self.failed = snapshot, False
        return snapshot


@dataclass(frozen=True)
class OwnCertificate:
    """One of the gateway's own certificates: which, and when it expires."""

    name: str
    not_after: datetime


DAY = 86400.0


def _age(now: datetime, then: datetime | None) -> float:
    return 0.0 if then is None else max(0.0, (now - then).total_seconds())


class StoreGauges(Collector):
    """The gauges of the latest snapshot, ages counted at the moment of the scrape."""

    def __init__(
        self, snapshots: Snapshots, clock: Clock, own: Iterable[OwnCertificate] = ()
    ) -> None:
        self._snapshots = snapshots
        self._clock = clock
        self._own = tuple(own)

    def describe(self) -> Iterator[Metric]:
        return iter(())

    def collect(self) -> Iterator[Metric]:
        now = self._clock.now()
        yield from self._certificates(now)
        snapshot = self._snapshots.latest
        failing = GaugeMetricFamily(
            "euregate_store_snapshot_failing",
            "1 when the store did not answer the last counting read in time; the store's "
            "gauges are then the last ones read.",
            value=1.0 if self._snapshots.failed else 0.0,
        )
        yield failing
        if snapshot is not None:
            yield from _snapshot_gauges(snapshot, now)

    def _certificates(self, now: datetime) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "euregate_certificate_expiry_days",
            "Days until a certificate expires (negative: expired), the gateway's own (server, "
            "client, ca) and each active partner's latest.",
            labels=["holder", "name"],
        )
        for certificate in self._own:
            family.add_metric(["gateway", certificate.name], _days(certificate.not_after, now))
        snapshot = self._snapshots.latest
        if snapshot is not None:
            for partner, not_after in sorted(snapshot.certificates_expire.items()):
                family.add_metric(["partner", partner], _days(not_after, now))
        yield family


def _days(not_after: datetime, now: datetime) -> float:
    return round((not_after - now).total_seconds() / DAY, 3)


def _labelled(
    name: str, text: str, label: str, values: dict[str, int] | dict[str, float]
) -> Metric:
    family = GaugeMetricFamily(name, text, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], float(value))
    return family


def _snapshot_gauges(snapshot: OperationsSnapshot, now: datetime) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "euregate_courier_pending_copies",
        "Copies waiting to be sealed for their recipient.",
        value=snapshot.pending_copies,
    )
    yield GaugeMetricFamily(
        "euregate_courier_oldest_pending_seconds",
        "Age of the oldest copy waiting to be sealed (0: none waits).",
        value=_age(now, snapshot.oldest_pending_copy),
    )
    yield _labelled(
        "euregate_review_waiting",
        "Copies waiting for a liaison officer, per desk (the recipient's country).",
        "desk",
        snapshot.review_waiting,
    )
    yield _labelled(
        "euregate_review_oldest_waiting_seconds",
        "Age of the oldest copy waiting for a liaison officer, per desk.",
        "desk",
        {desk: _age(now, at) for desk, at in snapshot.review_oldest.items()},
    )
    yield _labelled(
        "euregate_requests_open",
        "Requests for information without a reply, overdue ones included, per deadline kind.",
        "deadline_kind",
        snapshot.requests_open,
    )
    yield _labelled(
        "euregate_requests_overdue",
        "Requests for information past their deadline without a reply, per deadline kind.",
        "deadline_kind",
        snapshot.requests_overdue,
    )
    yield _labelled(
        "euregate_webhook_deliveries",
        "Webhook pushes in the outbox, per state (pending, delivered, dead).",
        "state",
        snapshot.deliveries,
    )
    yield GaugeMetricFamily(
        "euregate_audit_entries", "Entries in the audit log.", value=snapshot.audit_entries
    )
    yield GaugeMetricFamily(
        "euregate_audit_checkpoint_age_seconds",
        "Seconds since the latest checkpoint of the audit log was signed and published.",
        value=_age(now, snapshot.latest_checkpoint_at),
    )
    cosigned = GaugeMetricFamily(
        "euregate_audit_cosignature_age_seconds",
        "Seconds since a witness last cosigned a checkpoint (no sample: none ever did).",
        labels=[],
    )
    if snapshot.latest_cosignature_at is not None:
        cosigned.add_metric([], _age(now, snapshot.latest_cosignature_at))
    yield cosigned
