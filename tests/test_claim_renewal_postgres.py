"""A courier's claims on the copies it is sealing, renewed while its batch is in progress, on
PostgreSQL (the one backend that claims work): another instance does not take up a copy whose
batch outlasts a lease, and does once the claimant stops renewing. Leases are short, given as
a parameter; the clock of the tests that wait is the real one, for a second or two."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Final

from gateway.flow.claim_renewal import renewing
from gateway.flow.courier import Courier
from gateway.flow.prepare import Preparer
from gateway.infra import datafiles
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.infra.seal import PartnerKey
from gateway.store.postgres import PostgresStore
from gateway.store.postgres.claims import CLAIM_LEASE
from gateway.translate import NoTranslation
from tests.polling import until
from tests.store_backends import START
from tests.test_store_contract_signals import with_partners
from tests.test_store_postgres_instances import clocks, instances, signals_to

SHORT: Final = timedelta(seconds=0.6)
MICROSECOND: Final = timedelta(microseconds=1)


@contextlib.asynccontextmanager
async def short_leased(url: str, count: int) -> AsyncIterator[list[PostgresStore]]:
    """``count`` instances on the real clock, each claiming for :data:`SHORT`."""
    async with contextlib.AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(
                PostgresStore(url, clock=SystemClock(), pool_size=3, claim_lease=SHORT)
            )
            for _ in range(count)
        ]


async def test_a_renewed_claim_holds_past_its_first_lease_and_only_its_claimant_renews_it(
    postgres_url: str,
) -> None:
    first_clock, second_clock = clocks(2)
    async with instances(postgres_url, first_clock, second_clock) as (first, second):
        await with_partners(first)
        await signals_to(first, 3)
        mine = await first.pending_copies(due=START)
        ids = [copy.id for copy in mine]
        assert len(ids) == 3

        assert await second.renew_copy_claims(ids) == 0, "not its claims"
        first_clock.set(START + CLAIM_LEASE * 0.9)
        assert await first.renew_copy_claims(ids) == 3
        second_clock.set(START + CLAIM_LEASE + MICROSECOND)
        assert await second.pending_copies(due=START) == []
        second_clock.set(START + CLAIM_LEASE * 1.9)
        assert {copy.id for copy in await second.pending_copies(due=START)} == set(ids)


async def test_renewing_while_a_batch_runs_keeps_it_and_a_batch_not_renewed_is_taken_up(
    postgres_url: str,
) -> None:
    async with short_leased(postgres_url, 2) as (first, second):
        await with_partners(first)
        await signals_to(first, 2)
        now = datetime.now(UTC)
        mine = await first.pending_copies(due=now)
        ids = [copy.id for copy in mine]
        assert len(ids) == 2

        async with renewing(partial(first.renew_copy_claims, ids), first.claim_lease):
            for _ in range(3):  # three leases and more, asking all the time
                await asyncio.sleep(SHORT.total_seconds())
                assert await second.pending_copies(due=datetime.now(UTC)) == []

        async def taken_up() -> bool:
            copies = await second.pending_copies(due=datetime.now(UTC))
            return {copy.id for copy in copies} == set(ids)

        await until(taken_up, patience=10)


class SlowToSeal(PostgresStore):
    """A store whose recipients' keys take until ``go`` to look up: a stand-in for a slow
    translation or render, the part of sealing that can outlast a lease."""

    def __init__(self, url: str, *, go: asyncio.Event, **options: object) -> None:
        super().__init__(url, **options)  # type: ignore[arg-type]
        self.go = go
        self.asked = asyncio.Event()

    async def sealing_key(self, partner_id: str, at: datetime) -> PartnerKey | None:
        self.asked.set()
        await self.go.wait()
        return None  # no key: the courier postpones the copy, and lets its claim go


async def test_a_courier_keeps_its_batch_while_sealing_outlasts_the_lease(
    postgres_url: str, layout: DataDir
) -> None:
    go = asyncio.Event()
    key = datafiles.load_master_key(layout)
    slow = SlowToSeal(postgres_url, go=go, clock=SystemClock(), pool_size=3, claim_lease=SHORT)
    async with slow, short_leased(postgres_url, 1) as (other,):
        await with_partners(slow)
        await signals_to(slow, 2)
        courier = Courier(
            store=slow,
            preparer=Preparer(store=slow, master_key=key, translator=NoTranslation()),
            signer=datafiles.load_signer(layout, key),
            gateway_id="euregate.test",
            clock=SystemClock(),
        )
        batch = asyncio.create_task(courier.seal_pending())
        await slow.asked.wait()
        for _ in range(3):
            await asyncio.sleep(SHORT.total_seconds())
            assert await other.pending_copies(due=datetime.now(UTC)) == []
        go.set()
        assert await batch == 0, "no key yet: both copies postponed, by the claimant"
        assert await other.pending_copies(due=datetime.now(UTC)) == []
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        assert [copy.attempts for copy in await other.pending_copies(due=tomorrow)] == [1, 1]
