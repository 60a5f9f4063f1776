"""What the PostgreSQL sign-in throttle does that the contract cannot see: gateway processes
admitting attempts of one address at once spend each attempt once, and forgetting old attempts
and failures never waits for a row another transaction holds, so instances pruning at once
neither queue behind each other nor deadlock. (The rest is in the contract tests,
``tests/test_store_contract_staff.py``, on both backends.)"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

import psycopg

from gateway.infra.audit import EventKind
from gateway.infra.clock import FixedClock
from gateway.staff.throttle import ThrottlePolicy
from gateway.store.postgres import PostgresStore
from tests.store_backends import START
from tests.store_events import an_event

POLICY = ThrottlePolicy(burst=2)
HELD, FREE, NEW = "192.0.2.1", "192.0.2.2", "192.0.2.99"
REPO = Path(__file__).resolve().parent.parent

ADMITTER = """
import asyncio, sys
from datetime import UTC, datetime
from gateway.infra.clock import SystemClock
from gateway.staff.throttle import ThrottlePolicy
from gateway.store.postgres import PostgresStore

async def main(url: str, attempts: int) -> None:
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    policy = ThrottlePolicy(burst=10)
    async with PostgresStore(url, clock=SystemClock(), pool_size=4) as store:
        waits = await asyncio.gather(*(
            store.admit_sign_in(address="192.0.2.7", name_key=f"n{n}", now=now, policy=policy)
            for n in range(attempts)
        ))
    print(sum(wait is None for wait in waits))

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


async def test_processes_admitting_at_once_spend_each_attempt_of_an_address_once(
    postgres_url: str,
) -> None:
    async with PostgresStore(postgres_url, clock=FixedClock(START)):
        pass  # the schema first, so that the processes only admit
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            ADMITTER,
            postgres_url,
            "20",
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    outputs = [await process.communicate() for process in processes]

    assert [process.returncode for process in processes] == [0, 0, 0]
    assert sum(int(stdout) for stdout, _ in outputs) == 10


async def test_pruning_forgets_old_rows_but_those_another_transaction_holds(
    postgres_url: str,
) -> None:
    # a blocked prune would run into the statement timeout and fail the admission
    store = PostgresStore(
        postgres_url,
        clock=FixedClock(START),
        pool_size=2,
        statement_timeout=timedelta(seconds=20),
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
