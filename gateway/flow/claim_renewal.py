"""Keeping a claim on work while the work takes longer than the claim's lease.

Where several instances share the store, what one hands out to its courier is claimed for a
lease (:attr:`gateway.store.DeliveryStore.claim_lease`); another instance passes it by until
the lease runs out. A batch that outlasts the lease (a slow translation, a large backlog)
would lose its copies to another instance, which would seal them again for nothing. So while
a batch is in progress its claims are renewed every third of a lease, and renewing stops
when the batch ends.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

from gateway.infra.errors import StorageUnavailable
from gateway.infra.logs import get_logger

log = get_logger("euregate.claims")

RENEWALS_PER_LEASE = 3


@contextlib.asynccontextmanager
async def renewing(
    renew: Callable[[], Awaitable[object]], lease: timedelta | None
) -> AsyncIterator[None]:
    """Call ``renew`` every third of ``lease`` while the block runs (never, for no lease)."""
    if lease is None:
        yield
        return
    task = asyncio.create_task(_renew_every(renew, lease.total_seconds() / RENEWALS_PER_LEASE))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _renew_every(renew: Callable[[], Awaitable[object]], interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await renew()
        except StorageUnavailable:
            pass  # the store says so in the log; the next renewal tries again
        except Exception as exc:  # noqa: BLE001 - renewing must not end the batch
            log.error("claims_not_renewed", error_type=type(exc).__name__)  # noqa: TRY400
