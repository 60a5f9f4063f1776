"""Several gateway instances on one PostgreSQL database: what each of them writes at the same time
as the others must come out as if one had written it all. Each instance here is a store of its
own, with its own pool of connections (and, where it matters, its own clock); one is a process
killed mid-work. (The rules themselves, whatever the backend, are in the contract tests.)"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import psycopg
import pytest

from gateway.contract.partners import Partner
from gateway.infra.audit import EventKind
from gateway.infra.clock import FixedClock
from gateway.infra.errors import IdempotencyConflict
from gateway.store import (
    Accepted,
    CopyReview,
    Delivery,
    NewCopy,
    NewReviewItem,
    ReviewOutcome,
    ReviewState,
    Store,
)
from gateway.store.postgres import PostgresStore
from gateway.store.postgres.claims import CLAIM_LEASE
from gateway.store.postgres.notices import SEALED_CHANNEL
from tests.polling import until
from tests.store_backends import START
from tests.test_store_contract_delivery import HOOK, event, sealed
from tests.test_store_contract_signals import (
    AACHEN,
    LIEGE,
    accepted,
    decision,
    new_signal,
    with_partners,
)

REPO: Final = Path(__file__).resolve().parent.parent
MICROSECOND: Final = timedelta(microseconds=1)


@contextlib.asynccontextmanager
async def instances(url: str, *clocks: FixedClock) -> AsyncIterator[list[PostgresStore]]:
    """One started store per clock, all on the database at ``url``."""
    async with contextlib.AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(PostgresStore(url, clock=clock, pool_size=3))
            for clock in clocks
        ]


def clocks(count: int, at: datetime = START) -> list[FixedClock]:
    return [FixedClock(at) for _ in range(count)]


async def kinds(store: Store) -> list[str]:
    return [entry.kind for entry in await store.audit_entries()]


async def signals_to(
    store: Store, count: int, partners: Sequence[Partner] = (LIEGE,), *, webhook: bool = False
) -> None:
    """``count`` signals to ``partners``, each with its copies due at once; with ``webhook``,
    sealed at once, each envelope with a push to send."""
    for number in range(1, count + 1):
        made = new_signal(number, *partners)
        await store.accept_signal(made, accepted(made))
    if webhook:
        for copy in await store.pending_copies(due=START, limit=1000):
            await store.keep_envelope(
                sealed(copy, f"env-{copy.id}", webhook=HOOK), event(EventKind.COPY_SEALED)
            )


# --- intake ----------------------------------------------------------------------------------


async def test_a_retry_on_every_instance_at_once_is_kept_once_and_all_get_its_receipt(
    postgres_url: str,
) -> None:
    async with instances(postgres_url, *clocks(4)) as stores:
        await with_partners(stores[0])
        retries = [new_signal(n, LIEGE, reference="REF-SAME") for n in range(1, 5)]

        answers = await asyncio.gather(
            *(store.accept_signal(s, accepted(s)) for store, s in zip(stores, retries, strict=True))
        )

        (first,) = [a for a in answers if not a.replayed]
        assert [a.signal for a in answers] == [first.signal] * 4
        assert await stores[1].signal_ids() == [first.signal.id]
        assert (await kinds(stores[2])).count("signal.accepted") == 1


async def test_one_reference_with_other_bodies_on_every_instance_at_once_keeps_one_signal(
    postgres_url: str,
) -> None:
    async with instances(postgres_url, *clocks(4)) as stores:
        await with_partners(stores[0])
        bodies = [
            new_signal(n, LIEGE, reference="REF-SAME", digest=f"{n:064x}") for n in range(1, 5)
        ]

        answers = await asyncio.gather(
            *(store.accept_signal(s, accepted(s)) for store, s in zip(stores, bodies, strict=True)),
            return_exceptions=True,
        )

        (kept,) = [a for a in answers if isinstance(a, Accepted)]
        refused = [a for a in answers if isinstance(a, IdempotencyConflict)]
        assert not kept.replayed
        assert [r.params["signal_id"] for r in refused] == [kept.signal.id] * 3
        assert await stores[3].signal_ids() == [kept.signal.id]


# --- review ----------------------------------------------------------------------------------


async def test_officers_deciding_one_item_on_every_instance_at_once_decide_it_once(
    postgres_url: str,
) -> None:
    async with instances(postgres_url, *clocks(4)) as stores:
        await with_partners(stores[0])
        waiting = NewReviewItem("item-1", LIEGE.id, "BE", "urgent", ("language",), False)
        made = replace(
            new_signal(1),
            recipients=(LIEGE.id,),
            decisions=(decision(LIEGE),),
            reviews=(waiting,),
            copies=(),
        )
        await stores[0].accept_signal(made, accepted(made))

        decided = await asyncio.gather(
            *(
                store.decide_review(
                    "item-1",
                    ReviewOutcome(
                        ReviewState.RELEASED,
                        f"officer-{n}",
                        correction=b"sealed",
                        copy=NewCopy(f"copy-{n}", LIEGE.id, CopyReview.RELEASED, "item-1"),
                    ),
                    event(EventKind.REVIEW_RELEASED),
                )
                for n, store in enumerate(stores)
            )
        )

        (winner,) = [item for item in decided if item is not None]
        (copy,) = await stores[1].pending_copies(due=START)
        assert winner.officer_id == f"officer-{copy.id.removeprefix('copy-')}"
        assert (copy.version, copy.review) == (1, CopyReview.RELEASED)
        assert (await kinds(stores[2])).count("review.released") == 1


# --- sealing ---------------------------------------------------------------------------------


async def test_instances_asking_at_once_claim_different_copies_until_a_claim_runs_out(
    postgres_url: str,
) -> None:
    first_clock, second_clock = clocks(2)
    async with instances(postgres_url, first_clock, second_clock) as (first, second):
        await with_partners(first)
        await signals_to(first, 6)

        mine, theirs = await asyncio.gather(
            first.pending_copies(due=START, limit=4), second.pending_copies(due=START, limit=4)
        )

        assert sorted(len(c) for c in (mine, theirs)) == [2, 4]
        assert {c.id for c in mine}.isdisjoint({c.id for c in theirs})
        assert await first.pending_copies(due=START, limit=10) == mine, "asked again: the same"
        assert await second.pending_copies(due=START, limit=10) == theirs
        second_clock.set(START + CLAIM_LEASE - MICROSECOND)
        assert await second.pending_copies(due=START, limit=10) == theirs
        second_clock.set(START + CLAIM_LEASE)
        taken_up = await second.pending_copies(due=START, limit=10)
        assert {c.id for c in taken_up} == {c.id for c in mine} | {c.id for c in theirs}


async def test_a_postponed_copy_is_free_for_any_instance_once_due(postgres_url: str) -> None:
    async with instances(postgres_url, *clocks(2)) as (first, second):
        await with_partners(first)
        await signals_to(first, 1)
        (copy,) = await first.pending_copies(due=START)

        await first.postpone_copy(copy.id, until=START, error="no_encryption_key")

        (again,) = await second.pending_copies(due=START)
        assert (again.id, again.attempts) == (copy.id, 1)


CLAIMER: Final = """
import asyncio, sys
from gateway.infra.clock import SystemClock
from gateway.store.postgres import PostgresStore

async def main(url: str) -> None:
    clock = SystemClock()
    async with PostgresStore(url, clock=clock, pool_size=1) as store:
        copies = await store.pending_copies(due=clock.now(), limit=3)
        print(" ".join(copy.id for copy in copies), flush=True)
        await asyncio.Event().wait()

asyncio.run(main(sys.argv[1]))
"""


async def test_the_copies_an_instance_claimed_before_it_was_killed_are_taken_up_after_the_lease(
    postgres_url: str,
) -> None:
    now = datetime.now(UTC)
    survivor_clock = FixedClock(now)
    async with instances(postgres_url, survivor_clock) as (survivor,):
        await with_partners(survivor)
        await signals_to(survivor, 5)
        claimer = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CLAIMER, postgres_url, cwd=REPO, stdout=asyncio.subprocess.PIPE
        )
        assert claimer.stdout is not None
        claimed = (await claimer.stdout.readline()).decode().split()
        claimer.send_signal(signal.SIGKILL)
        await claimer.wait()

        left = await survivor.pending_copies(due=now, limit=10)
        survivor_clock.set(datetime.now(UTC) + CLAIM_LEASE)
        taken_up = await survivor.pending_copies(due=now, limit=10)

        assert len(claimed) == 3
        assert {c.id for c in left}.isdisjoint(claimed)
        assert len(left) == 2
        assert {c.id for c in taken_up} == {c.id for c in left} | set(claimed)


async def test_one_copy_sealed_on_two_instances_at_once_is_kept_once(postgres_url: str) -> None:
    async with instances(postgres_url, *clocks(2)) as stores:
        await with_partners(stores[0])
        await signals_to(stores[0], 1)
        (copy,) = await stores[0].pending_copies(due=START)

        positions = await asyncio.gather(
            *(
                store.keep_envelope(sealed(copy, f"env-{n}"), event(EventKind.COPY_SEALED))
                for n, store in enumerate(stores)
            )
        )

        assert sorted(positions, key=lambda p: p is None) == [1, None]
        assert len(await stores[1].envelopes_of_signal(copy.signal_id)) == 1
        assert (await kinds(stores[1])).count("copy.sealed") == 1


async def test_an_envelope_sealed_on_one_instance_is_heard_on_the_other_once_kept(
    postgres_url: str,
) -> None:
    """The other instance's long-polls wake at once: it hears the recipient of each envelope
    kept elsewhere, and of none that was not kept (the second seal of one copy)."""
    async with instances(postgres_url, *clocks(2)) as (listening, sealing):
        await with_partners(sealing)
        await signals_to(sealing, 2)
        heard: list[str] = []
        hearing = asyncio.create_task(listening.hear_sealed(heard.append))
        try:
            await until(lambda: listens(postgres_url, SEALED_CHANNEL))
            first, second = await sealing.pending_copies(due=START)
            kept = await sealing.keep_envelope(sealed(first, "env-1"), event(EventKind.COPY_SEALED))
            refused = await sealing.keep_envelope(
                sealed(first, "env-again"), event(EventKind.COPY_SEALED)
            )

            async def one_heard() -> bool:
                return len(heard) == 1

            await until(one_heard)
            await sealing.keep_envelope(sealed(second, "env-2"), event(EventKind.COPY_SEALED))

            async def two_heard() -> bool:
                return len(heard) == 2

            await until(two_heard)
        finally:
            hearing.cancel()
        assert (kept, refused) == (1, None)
        assert heard == [first.recipient_id, second.recipient_id]
        with pytest.raises(asyncio.CancelledError):
            await hearing


async def listens(url: str, channel: str) -> bool:
    """Whether a session of the database listens on ``channel``: a notice sent before would
    reach no one."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query = %s",
            (f"LISTEN {channel}",),
        )
        row = await cursor.fetchone()
    return row is not None and row[0] > 0


async def test_inbox_positions_sealed_on_two_instances_follow_commit_order(
    postgres_url: str,
) -> None:
    """A reader that pages by position must never see a gap that a later commit fills: each
    inbox read, taken while two instances seal, is 1, 2, ... k with nothing missing."""
    async with instances(postgres_url, *clocks(3)) as (first, second, reader):
        await with_partners(first)
        await signals_to(first, 30)
        sealing = True
        seen: list[list[int]] = []

        async def seal_all(store: Store, tag: str) -> None:
            while copies := await store.pending_copies(due=START, limit=3):
                await asyncio.gather(
                    *(
                        store.keep_envelope(
                            sealed(c, f"{tag}-{c.id}"), event(EventKind.COPY_SEALED)
                        )
                        for c in copies
                    )
                )

        async def read_while_sealing() -> None:
            while sealing:
                seen.append([e.position for e in await reader.inbox(LIEGE.id, after=0, limit=50)])

        reading = asyncio.create_task(read_while_sealing())
        await asyncio.gather(seal_all(first, "a"), seal_all(second, "b"))
        sealing = False
        await reading

        final = [e.position for e in await reader.inbox(LIEGE.id, after=0, limit=50)]
        assert final == list(range(1, 31))
        assert len(seen) > 1
        assert [s for s in seen if s != list(range(1, len(s) + 1))] == []


# --- pushing ---------------------------------------------------------------------------------


def ids(deliveries: Sequence[Delivery]) -> set[str]:
    return {d.envelope_id for d in deliveries}


async def test_instances_claim_different_pushes_within_each_partners_bound(
    postgres_url: str,
) -> None:
    async with instances(postgres_url, *clocks(2)) as (first, second):
        await with_partners(first)
        await signals_to(first, 3, (LIEGE, AACHEN), webhook=True)

        mine = await first.due_pushes(due=START, per_recipient=1)
        none_left = await second.due_pushes(due=START, per_recipient=1)
        theirs = await second.due_pushes(due=START, per_recipient=2)

        assert sorted(d.recipient_id for d in mine) == [LIEGE.id, AACHEN.id]
        assert none_left == [], "each partner's one push at a time is in flight on the first"
        assert sorted(d.recipient_id for d in theirs) == [LIEGE.id, AACHEN.id]
        assert ids(mine).isdisjoint(ids(theirs))
        assert await first.due_pushes(due=START, per_recipient=1) == mine


async def test_a_push_in_flight_keeps_its_claim_while_its_instance_asks_again(
    postgres_url: str,
) -> None:
    first_clock, second_clock, third_clock = clocks(3)
    async with instances(postgres_url, first_clock, second_clock, third_clock) as stores:
        first, second, third = stores
        await with_partners(first)
        await signals_to(first, 3, webhook=True)
        in_flight = await first.due_pushes(due=START, per_recipient=1)
        lapsed = await second.due_pushes(due=START, per_recipient=2)

        first_clock.set(START + CLAIM_LEASE / 2)
        await first.due_pushes(due=START, per_recipient=1, skip=ids(in_flight))
        third_clock.set(START + CLAIM_LEASE)
        taken_up = await third.due_pushes(due=START, per_recipient=3)

        assert (len(in_flight), len(lapsed)) == (1, 1)
        assert ids(taken_up) == ids(lapsed) | {f"env-c3-{LIEGE.id}"}
        assert ids(in_flight).isdisjoint(ids(taken_up))


async def test_a_push_recorded_delivered_on_two_instances_at_once_counts_once(
    postgres_url: str,
) -> None:
    async with instances(postgres_url, *clocks(2)) as stores:
        await with_partners(stores[0])
        await signals_to(stores[0], 1, webhook=True)
        (push,) = await stores[0].due_pushes(due=START, per_recipient=1)

        done = await asyncio.gather(
            *(
                store.record_delivered(
                    push.envelope_id,
                    status=200,
                    attempted=event(EventKind.DELIVERY_ATTEMPTED),
                    acknowledged=event(EventKind.INBOX_ACKNOWLEDGED),
                )
                for store in stores
            )
        )

        assert sorted(done) == [False, True]
        assert (await kinds(stores[1])).count("delivery.attempted") == 1
        assert (await kinds(stores[1])).count("inbox.acknowledged") == 1
