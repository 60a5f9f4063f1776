"""Refusals of requests that prove no identity, counted per client address and summarised.

A bogus or revoked API token on the staff listener, or a refused client certificate (a
suspended or revoked partner, a revoked or unregistered certificate) on the partners'
listener, costs the gateway no durable write of its own. Each listener counts its refusals
per address in windows of a minute and writes one ``authentication.refused`` audit entry per
window and address, with the count and the reasons, when the window has ended (and whatever
is left when the gateway stops). From ``limit`` refusals in a window on, the address is
answered 429 with ``Retry-After`` until the window ends, before anything is looked up.

The counts live in this process, as a rate limit's may: with several gateway instances each
summarises what it refused itself. Nothing is lost but detail: the audit log still says, per
minute, which address was refused how often and why.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from aiohttp import web

from gateway.infra.addresses import address_key
from gateway.infra.audit import AuditEvent, events, timestamp
from gateway.infra.audit.schema import ABSENT
from gateway.infra.clock import Clock
from gateway.infra.errors import NotAuthenticated, StaffNotAuthenticated, TooManyRefusals
from gateway.infra.logs import get_logger

WINDOW: Final = timedelta(minutes=1)
OTHERS: Final = "*"
"""Where refusals from further addresses are counted once a window has ``max_addresses``
(so memory stays bounded); those addresses are not throttled."""
THROTTLED: Final = "throttled"
log = get_logger("euregate.refusals")

Record = Callable[[Sequence[AuditEvent]], Awaitable[object]]


@dataclass
class _Tally:
    refused: int = 0
    throttled: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    credentials: list[str] = field(default_factory=list)


class RefusalLedger:
    """One listener's refusals, by window and address."""

    def __init__(
        self,
        clock: Clock,
        record: Record,
        *,
        listener: str,
        limit: int = 30,
        window: timedelta = WINDOW,
        max_addresses: int = 10_000,
        max_credentials: int = 5,
    ) -> None:
        self._clock = clock
        self._record = record
        self.listener = listener
        self.limit = limit
        self._window = window.total_seconds()
        self._max_addresses = max_addresses
        self._max_credentials = max_credentials
        self._tallies: dict[float, dict[str, _Tally]] = {}

    @contextlib.asynccontextmanager
    async def screening(
        self, address: str, *, credential: str | None = None
    ) -> AsyncIterator[None]:
        """Around authenticating one request from ``address``: refused at once (429,
        :class:`~gateway.infra.errors.TooManyRefusals`) when the address has had its ``limit`` of
        refusals this minute; a refusal raised inside
        (:class:`~gateway.infra.errors.NotAuthenticated` or
        :class:`~gateway.infra.errors.StaffNotAuthenticated`) is counted with its ``reason``.
        Requests already being authenticated when the limit is reached are still answered, so an
        address may see a few more refusals than ``limit`` (no more than it had requests in flight),
        each counted in the summary."""
        wait = self._throttle(address)
        if wait is not None:
            raise TooManyRefusals(retry_after=wait)
        try:
            yield
        except (NotAuthenticated, StaffNotAuthenticated) as refusal:
            await self.refused(address, str(refusal.params["reason"]), credential=credential)
            raise

    def _throttle(self, address: str) -> int | None:
        """Seconds until the window ends if ``address`` has had its ``limit`` of refusals in
        it (this request then counts as throttled), else ``None``."""
        now = self._clock.now()
        start = self._start(now)
        tally = self._tallies.get(start, {}).get(address_key(address))
        if tally is None or tally.refused + tally.throttled < self.limit:
            return None
        tally.throttled += 1
        tally.reasons[THROTTLED] += 1
        return max(1, math.ceil(start + self._window - now.timestamp()))

    async def refused(self, address: str, reason: str, *, credential: str | None = None) -> None:
        """Count one refusal; write the summaries of windows that have ended meanwhile."""
        start = self._start(self._clock.now())
        tally = self._tallies.setdefault(start, {}).setdefault(self._key(start, address), _Tally())
        tally.refused += 1
        tally.reasons[reason] += 1
        if (
            credential is not None
            and credential not in tally.credentials
            and len(tally.credentials) < self._max_credentials
        ):
            tally.credentials.append(credential)
        if any(begun < start for begun in self._tallies):
            await self.flush()

    async def flush(self, *, everything: bool = False) -> int:
        """Write one audit entry per ended window (every window, at shutdown) and address;
        how many were written."""
        current = self._start(self._clock.now())
        due = [begun for begun in self._tallies if everything or begun < current]
        events = [
            self._event(begun, address, tally)
            for begun in sorted(due)
            for address, tally in sorted(self._tallies.pop(begun).items())
        ]
        if not events:
            return 0
        try:
            await self._record(events)
        except Exception as exc:  # noqa: BLE001 - a summary lost must not stop the listener
            log.error(  # noqa: TRY400 - the error's text is not ours to log
                "refusal_summary_lost", entries=len(events), error_type=type(exc).__name__
            )
            return 0
        return len(events)

    async def run(self) -> None:
        """Write each window's summaries once it has ended, until cancelled."""
        while True:
            now = self._clock.now().timestamp()
            await asyncio.sleep(self._start_of(now) + self._window - now + 0.5)
            await self.flush()

    def _start(self, now: datetime) -> float:
        return self._start_of(now.timestamp())

    def _start_of(self, moment: float) -> float:
        return math.floor(moment / self._window) * self._window

    def _key(self, start: float, address: str) -> str:
        key = address_key(address)
        window = self._tallies.get(start, {})
        if key in window or len(window) < self._max_addresses:
            return key
        return OTHERS

    def _event(self, start: float, address: str, tally: _Tally) -> events.AuthenticationRefused:
        return events.AuthenticationRefused(
            listener=self.listener,
            address=address,
            since=timestamp(datetime.fromtimestamp(start, UTC)),
            until=timestamp(datetime.fromtimestamp(start + self._window, UTC)),
            count=tally.refused + tally.throttled,
            throttled=tally.throttled,
            reasons=dict(sorted(tally.reasons.items())),
            credentials=tuple(tally.credentials) if tally.credentials else ABSENT,
        )


REFUSALS: Final = web.AppKey("refusals", RefusalLedger)
"""The listener's ledger, on its application."""


def summarising(
    ledger: RefusalLedger,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context for the listener's application: summaries written as windows end,
    and the rest when it stops (before the store closes: contexts unwind before
    ``on_cleanup``)."""

    async def context(_: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(ledger.run())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await ledger.flush(everything=True)

    return context
