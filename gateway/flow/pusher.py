"""Push: each envelope in the outbox POSTed to its recipient's webhook over mutual TLS.

The outbox is a ``deliveries`` row written in the same transaction that keeps the envelope,
so a push survives a crash: after a restart whatever was due (or in flight when the process
died) is pushed again. Delivery is at least once; a webhook tells repeats apart by the
envelope ``id``. The body is the entry ``GET /v1/inbox`` would give for the envelope.

The gateway presents its own client certificate (``server/client.pem``, issued by its CA at
``euregate init``) and checks the webhook's server certificate against ``webhook_ca_file``
(default: its own CA). A 2xx answer delivers the envelope and acknowledges it at once, in one
transaction, so it leaves the inbox; anything else, a refused handshake or a timeout is a
failed attempt, tried again after an exponential pause with full jitter, and dead-lettered
(``dead``) after ``webhook_max_attempts``; an administrator puts it back (``euregate delivery
retry``, :mod:`gateway.registry.admin.deliveries`).

Pushes run beside intake, never in its way: at most ``per_partner`` in flight to one partner
and ``concurrency`` overall, each bounded by ``timeout``, so a webhook that hangs holds only
its own partner's slots.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random as random_module
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import aiohttp
from euregate_client import canonical

from gateway.flow.inbox import inbox_entry
from gateway.infra import pki
from gateway.infra.audit import events, refs, timestamp
from gateway.infra.clock import Clock
from gateway.infra.config import DataDir, Settings
from gateway.infra.errors import RegistryError, StorageUnavailable
from gateway.infra.i18n import N_
from gateway.infra.logs import get_logger
from gateway.store import Delivery, DeliveryState, InboxEnvelope, Store

log = get_logger("euregate.webhooks")

Notify = Callable[[str], None]

FIRST_PAUSE: Final = timedelta(seconds=30)
LONGEST_PAUSE: Final = timedelta(hours=1)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: after the n-th failure, a pause drawn uniformly
    between nothing and ``first * 2**(n-1)``, never more than ``cap``."""

    first: timedelta = FIRST_PAUSE
    cap: timedelta = LONGEST_PAUSE

    def ceiling(self, failures: int) -> timedelta:
        """The longest pause after ``failures`` failed attempts (at least one)."""
        ceiling = self.first
        for _ in range(max(failures, 1) - 1):
            if ceiling >= self.cap:
                break
            ceiling *= 2  # doubling only up to the cap: a timedelta overflows far beyond it
        return min(ceiling, self.cap)

    def pause(self, failures: int, draw: float) -> timedelta:
        """The pause for one ``draw`` from [0, 1)."""
        return self.ceiling(failures) * min(max(draw, 0.0), 1.0)


@dataclass(frozen=True)
class PushResult:
    """One attempt's result: an HTTP ``status`` when the webhook answered, else an ``error``
    kind (``timeout``, ``tls``, ``connection``); ``error`` is ``status`` for a non-2xx."""

    status: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def push_body(envelope: InboxEnvelope) -> bytes:
    """The same entry ``GET /v1/inbox`` gives for this envelope."""
    return canonical.dumps(inbox_entry(envelope))


def webhook_ssl_context(settings: Settings, layout: DataDir) -> ssl.SSLContext:
    """Mutual TLS towards webhooks: the gateway's client certificate, the configured CA."""
    if not layout.gateway_client_certificate.exists():
        raise RegistryError(
            N_(
                "the gateway has no client certificate for webhooks at {path}; "
                "run `euregate init` to create it"
            ),
            path=layout.gateway_client_certificate,
        )
    return pki.client_ssl_context(
        certificate=layout.gateway_client_certificate,
        private_key=layout.gateway_client_key,
        server_ca=settings.webhook_ca_file or layout.ca_certificate,
    )


def fan_out(*listeners: Notify) -> Notify:
    """One notification heard by several listeners (the inbox's long-polls and the pusher)."""

    def notify(recipient_id: str) -> None:
        for listener in listeners:
            listener(recipient_id)

    return notify


class Pusher:
    def __init__(
        self,
        *,
        store: Store,
        clock: Clock,
        ssl_context: ssl.SSLContext,
        max_attempts: int = 8,
        timeout: float = 10.0,
        concurrency: int = 16,
        per_partner: int = 2,
        backoff: Backoff = Backoff(),
        random: Callable[[], float] = random_module.random,
        poll: float = 5.0,
    ) -> None:
        self._store = store
        self._clock = clock
        self._ssl = ssl_context
        self._max_attempts = max_attempts
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._concurrency = concurrency
        self._per_partner = per_partner
        self._backoff = backoff
        self._random = random
        self._poll = poll
        self._wake = asyncio.Event()
        self._in_flight: dict[str, tuple[str, asyncio.Task[None]]] = {}
        self._slots: asyncio.Semaphore | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, layout: DataDir, *, store: Store, clock: Clock
    ) -> Pusher:
        return cls(
            store=store,
            clock=clock,
            ssl_context=webhook_ssl_context(settings, layout),
            max_attempts=settings.webhook_max_attempts,
            timeout=settings.webhook_timeout,
            concurrency=settings.webhook_concurrency,
            per_partner=settings.webhook_partner_concurrency,
        )

    def wake(self, _recipient_id: str = "") -> None:
        """Something was sealed: look at the outbox now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Start the pushes that are due, then wait to be woken, for one to finish or for the
        next poll; until cancelled (pushes in flight are cancelled with it and, never recorded,
        are pushed again after a restart)."""
        if self._concurrency == 0:
            return
        self._slots = asyncio.Semaphore(self._concurrency)
        async with self._session() as session:
            try:
                while True:
                    self._wake.clear()
                    try:
                        await self._start_due(session)
                    except StorageUnavailable:
                        pass  # the store says so in the log; the next poll tries again
                    except Exception as exc:  # noqa: BLE001 - the next poll tries again
                        log.error("outbox_unreadable", error=type(exc).__name__)  # noqa: TRY400
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the
                    # cancellation that stops the gateway if a wake-up comes at that moment.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self._poll):
                            await self._wake.wait()
            finally:
                tasks = [task for _, task in self._in_flight.values()]
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def push_due(self) -> int:
        """Push everything due now, once, and wait for the outcomes; how many were tried."""
        self._slots = asyncio.Semaphore(max(self._concurrency, 1))
        async with self._session() as session:
            started = await self._start_due(session)
            await self._tasks()
        return started

    def _session(self) -> aiohttp.ClientSession:
        # Partners may share a host: the per-partner bound is the scheduler's, not the pool's.
        connector = aiohttp.TCPConnector(ssl=self._ssl, limit=max(self._concurrency, 1))
        return aiohttp.ClientSession(connector=connector, timeout=self._timeout)

    async def _start_due(self, session: aiohttp.ClientSession) -> int:
        due = await self._store.due_pushes(
            due=self._clock.now(),
            per_recipient=self._per_partner,
            skip=tuple(self._in_flight),
        )
        busy: dict[str, int] = {}
        for recipient_id, _ in self._in_flight.values():
            busy[recipient_id] = busy.get(recipient_id, 0) + 1
        started = 0
        for delivery in due:
            if busy.get(delivery.recipient_id, 0) >= self._per_partner:
                continue
            busy[delivery.recipient_id] = busy.get(delivery.recipient_id, 0) + 1
            self._start(session, delivery)
            started += 1
        return started

    def _start(self, session: aiohttp.ClientSession, delivery: Delivery) -> None:
        task = asyncio.create_task(self._push(session, delivery))
        self._in_flight[delivery.envelope_id] = (delivery.recipient_id, task)

        def finished(_: asyncio.Task[None]) -> None:
            self._in_flight.pop(delivery.envelope_id, None)
            self._wake.set()

        task.add_done_callback(finished)

    async def _tasks(self) -> None:
        await asyncio.gather(*(task for _, task in self._in_flight.values()))

    async def _push(self, session: aiohttp.ClientSession, delivery: Delivery) -> None:
        try:
            await self._attempt(session, delivery)
        except StorageUnavailable:
            await asyncio.sleep(self._poll)  # the store says so in the log; pushed again later
        except Exception as exc:  # noqa: BLE001 - one push must not stop the others
            log.error(  # noqa: TRY400 - no traceback: it may quote the envelope
                "push_not_recorded", envelope=delivery.envelope_id, error=type(exc).__name__
            )
            # Still in flight while it waits, so it is not taken up again at once.
            await asyncio.sleep(self._poll)

    async def _attempt(self, session: aiohttp.ClientSession, delivery: Delivery) -> None:
        envelope = await self._store.envelope(delivery.envelope_id)
        if envelope is None:
            raise LookupError(delivery.envelope_id)
        assert self._slots is not None
        async with self._slots:
            outcome = await self._post(session, delivery.url, envelope)
        await self._record(delivery, outcome)

    async def _post(
        self, session: aiohttp.ClientSession, url: str, envelope: InboxEnvelope
    ) -> PushResult:
        headers = {"Content-Type": "application/json", "Euregate-Envelope": envelope.id}
        try:
            async with session.post(
                url, data=push_body(envelope), headers=headers, allow_redirects=False
            ) as answer:
                await answer.read()
                status = answer.status
        except TimeoutError:
            return PushResult(status=None, error="timeout")
        except (aiohttp.ClientSSLError, ssl.SSLError):
            return PushResult(status=None, error="tls")
        except (aiohttp.ClientError, OSError):
            return PushResult(status=None, error="connection")
        return PushResult(status=status, error=None if 200 <= status < 300 else "status")

    async def _record(self, delivery: Delivery, outcome: PushResult) -> None:
        attempt = delivery.attempts + 1
        signal = refs.signal(delivery.signal_id)
        attempted = functools.partial(
            events.DeliveryAttempted,
            about=signal,
            envelope=delivery.envelope_id,
            recipient=delivery.recipient_id,
            attempt=attempt,
            status=outcome.status,
            error=outcome.error,
        )
        if outcome.delivered:
            assert outcome.status is not None
            await self._store.record_delivered(
                delivery.envelope_id,
                status=outcome.status,
                attempted=attempted(state="delivered"),
                acknowledged=events.InboxAcknowledged(
                    by=refs.partner(delivery.recipient_id),
                    about=signal,
                    envelope=delivery.envelope_id,
                    recipient=delivery.recipient_id,
                    via="webhook",
                ),
            )
            log.info("push_delivered", envelope=delivery.envelope_id, attempt=attempt)
            return
        next_at: datetime | None = None
        if attempt >= self._max_attempts:
            state = DeliveryState.DEAD
        else:
            state = DeliveryState.PENDING
            next_at = self._clock.now() + self._backoff.pause(attempt, self._random())
        await self._store.record_attempt(
            delivery.envelope_id,
            state=state,
            status=outcome.status,
            error=outcome.error,
            next_attempt_at=next_at,
            event=attempted(
                state=str(state),
                next_attempt_at=None if next_at is None else timestamp(next_at),
            ),
        )
        log.info(
            "push_failed",
            envelope=delivery.envelope_id,
            attempt=attempt,
            status=outcome.status,
            error=outcome.error,
            state=state,
        )
