"""What the PostgreSQL sign-in throttle does that the contract cannot see: forgetting old
attempts and failures never waits for a row another transaction holds, so instances pruning at
once neither queue behind each other nor deadlock. (The rest is in the contract tests,
``tests/test_store_contract_staff.py``, on both backends.)"""

from __future__ import annotations

from datetime import timedelta

import psycopg

from gateway.infra.audit import EventKind
from gateway.infra.clock import FixedClock
from gateway.staff.throttle import ThrottlePolicy
from gateway.store.postgres import PostgresStore
from tests.store_backends import START
from tests.store_events import an_event

POLICY = ThrottlePolicy(burst=2)
HELD, FREE, NEW = "192.0.2.1", "192.0.2.2", "192.0.2.99"


async def test_pruning_forgets_old_rows_but_those_another_transaction_holds(
    postgres_url: str,
) -> None:
    # a blocked prune would run into the statement timeout and fail the admission
    store = PostgresStore(
        postgres_url,
        clock=FixedClock(START),
        pool_size=2,
        statement_timeout=timedelta(seconds=20),
        partial=True,
    )
    async with store:
        for address in (HELD, FREE):
            await store.admit_sign_in(address=address, name_key="n", now=START, policy=POLICY)
            await store.sign_in_failed(
                address=address,
                name_key="n",
                now=START,
                policy=POLICY,
                event_for=lambda _: an_event(EventKind.STAFF_LOGIN_REFUSED),
            )
        later = START + POLICY.forget_after + timedelta(seconds=1)
        async with await psycopg.AsyncConnection.connect(postgres_url) as holder:
            async with holder.transaction():
                await holder.execute(
                    "SELECT 1 FROM sign_in_addresses WHERE address = %s FOR UPDATE", (HELD,)
                )
                await holder.execute(
                    "SELECT 1 FROM sign_in_failures WHERE address = %s FOR UPDATE", (HELD,)
                )

                wait = await store.admit_sign_in(
                    address=NEW, name_key="n", now=later, policy=POLICY
                )

            addresses = await holder.execute("SELECT address FROM sign_in_addresses ORDER BY 1")
            kept_addresses = [row[0] for row in await addresses.fetchall()]
            failures = await holder.execute("SELECT address FROM sign_in_failures ORDER BY 1")
            kept_failures = [row[0] for row in await failures.fetchall()]

    assert wait is None
    assert kept_addresses == [HELD, NEW]
    assert kept_failures == [HELD]
