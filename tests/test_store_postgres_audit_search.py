"""The compliance officer's search answers the same on PostgreSQL as on SQLite: exchanges and
their audit entries are written to an SQLite store through the interface, every row copied
into a PostgreSQL database as it is, and every question asked of both. (The search's contract
runs on PostgreSQL itself once signals, their review and their delivery are kept there; until
then its data can only be written to SQLite.)"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from gateway.decide.decision import Verdict
from gateway.infra.audit import EventKind, events, refs
from gateway.infra.clock import FixedClock
from gateway.store import (
    CopyReview,
    DeliveryState,
    ExchangeQuery,
    NewCopy,
    NewReviewItem,
    ReviewOutcome,
    ReviewState,
    SealedCopy,
    Store,
)
from gateway.store.migrations.postgres_ddl import CLAIM_COLUMNS
from gateway.store.postgres import PostgresStore
from gateway.store.sqlite import SqliteStore
from tests.store_backends import START
from tests.store_events import AsWrittenBefore, an_event
from tests.test_store_contract_signals import (
    AACHEN,
    LANAKEN,
    LIEGE,
    LIMBURG,
    accepted,
    decision,
    new_signal,
    with_partners,
)

Question = Callable[[Store], Awaitable[Any]]
DAY = {"since": START, "until": START + timedelta(days=2)}
QUERIES = (
    ExchangeQuery(),
    ExchangeQuery(partner=LIMBURG.id),
    ExchangeQuery(from_country="BE", to_country="NL"),
    ExchangeQuery(since=START + timedelta(minutes=60)),
    ExchangeQuery(until=START + timedelta(minutes=60)),
    ExchangeQuery(category="undermining.fraud"),
    ExchangeQuery(outcome="deny"),
    ExchangeQuery(rule="2", to_country="DE"),
    ExchangeQuery(partner=LIMBURG.id, outcome="review"),
    ExchangeQuery(event_kind="review.opened"),
    ExchangeQuery(event_kind="inbox.fetched"),
    ExchangeQuery(event_kind="signal.accepted", partner=LIEGE.id),
)


async def written(store: Store, clock: FixedClock) -> list[str]:
    """Exchanges (one denied, one reviewed), fetches (one with its actor as written before),
    a review opened, a push attempted; the signals' ids."""
    await with_partners(store)
    reviewed = NewReviewItem("item-1", LIEGE.id, "BE", "urgent", ("language",), release_now=False)
    dutch = replace(
        new_signal(1, LIEGE, AACHEN),
        decisions=(decision(LIEGE, Verdict.REVIEW), decision(AACHEN)),
        reviews=(reviewed,),
    )
    belgian = replace(
        new_signal(2, LIMBURG, sender=LANAKEN, received=60),
        recipients=(LIMBURG.id, AACHEN.id),
        decisions=(decision(LIMBURG), replace(decision(AACHEN, Verdict.DENY), rules=())),
    )
    german = replace(
        new_signal(3, LIEGE, sender=AACHEN, received=24 * 60), category="undermining.fraud"
    )
    for made in (dutch, belgian, german):
        await store.accept_signal(made, accepted(made))
    liege = refs.partner(LIEGE.id)
    await store.record_all(
        [
            events.ReviewOpened(
                by=refs.staff("m.dubois"), about=refs.signal(dutch.id), item="i", recipient=LIEGE.id
            ),
            events.InboxFetched(
                by=liege, about=liege, envelopes=("e",), signals=(german.id, dutch.id), after=0
            ),
        ]
    )
    await store.record(AsWrittenBefore(AACHEN.id, dutch.id))  # type: ignore[arg-type]
    clock.set(START + timedelta(minutes=20))
    released = NewCopy("c", LIEGE.id, CopyReview.RELEASED, review_item_id="item-1")
    await store.decide_review(
        "item-1",
        ReviewOutcome(ReviewState.RELEASED, "m.dubois", correction=b"s", copy=released),
        an_event(EventKind.REVIEW_RELEASED),
    )
    due = START + timedelta(days=1)  # copies are queued at their signal's receipt
    copy = next(c for c in await store.pending_copies(due=due) if c.signal_id == german.id)
    sealed = SealedCopy(copy.id, "env-1", copy.signal_id, LIEGE.id, "k", b"e", "https://h.example/")
    await store.keep_envelope(sealed, an_event(EventKind.COPY_SEALED))
    await store.record_attempt(
        "env-1",
        state=DeliveryState.PENDING,
        status=502,
        error="bad gateway",
        next_attempt_at=START,
        event=an_event(EventKind.DELIVERY_ATTEMPTED),
    )
    return [dutch.id, belgian.id, german.id, "unknown"]


def copied(database: Path, url: str) -> None:
    """Every row of every table of the SQLite file into the PostgreSQL database, as it is
    (times and JSON as text, cast by PostgreSQL; flags as booleans; ``rowid`` as ``seq``; the
    claims of work, which only PostgreSQL keeps, left empty; the columns PostgreSQL computes
    computed there)."""
    source = sqlite3.connect(database)
    with psycopg.connect(url) as target:
        target.execute("SET session_replication_role = replica")
        types: dict[str, dict[str, str]] = {}
        for table, column, data_type in target.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND is_generated = 'NEVER'"
        ):
            types.setdefault(table, {})[column] = data_type
        for table, every_column in types.items():
            if table == "meta":
                continue
            claims = set(CLAIM_COLUMNS) if table in ("copies", "deliveries") else set()
            columns = {c: kind for c, kind in every_column.items() if c not in claims}
            from_sqlite = [c if c != "seq" else "rowid" for c in columns]
            rows = source.execute(f"SELECT {', '.join(from_sqlite)} FROM {table}").fetchall()
            kinds = list(columns.values())
            for row in rows:
                values = [
                    bool(v) if kind == "boolean" and v is not None else v
                    for v, kind in zip(row, kinds, strict=True)
                ]
                target.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) OVERRIDING SYSTEM VALUE "
                    f"VALUES ({', '.join('%s' for _ in columns)})",
                    values,
                )
    source.close()


@pytest.mark.old_audit_entries
async def test_every_search_answers_the_same_on_both_backends(
    postgres_url: str, tmp_path: Path
) -> None:
    clock = FixedClock(START)
    async with PostgresStore(postgres_url, clock=clock):
        pass  # the schema
    async with SqliteStore(tmp_path / "euregate.db", clock=clock) as sqlite_store:
        signal_ids = await written(sqlite_store, clock)
    copied(tmp_path / "euregate.db", postgres_url)

    questions: list[tuple[str, Question]] = [
        (f"search {q}", lambda s, q=q: s.search_exchanges(q)) for q in QUERIES
    ]
    questions += [
        ("page", lambda s: s.search_exchanges(ExchangeQuery(), offset=1, limit=2)),
        ("export", lambda s: s.export_exchanges(ExchangeQuery(partner=AACHEN.id))),
        ("latest", lambda s: s.entries_of_kind(EventKind.SIGNAL_ACCEPTED, limit=2)),
        ("values", lambda s: s.search_values()),
        ("head", lambda s: s.chain_head()),
        ("hours", lambda s: s.exchanges_by_hour(**DAY)),
        ("by rule", lambda s: s.decisions_by_rule(**DAY)),
        ("reviews", lambda s: s.review_spans(**DAY)),
        ("webhooks", lambda s: s.webhook_health()),
        ("tree leaves", lambda s: s.signal_entries(signal_ids)),
    ]
    for signal_id in signal_ids:
        questions += [
            (f"exchanges of {signal_id}", lambda s, i=signal_id: s.exchanges_of_signal(i)),
            (f"events of {signal_id}", lambda s, i=signal_id: s.signal_events(i)),
        ]

    async with (
        SqliteStore(tmp_path / "euregate.db", clock=clock) as sqlite_store,
        PostgresStore(postgres_url, clock=clock) as postgres_store,
    ):
        for name, question in questions:
            assert await question(postgres_store) == await question(sqlite_store), name
        fetched = await postgres_store.export_exchanges(ExchangeQuery(event_kind="inbox.fetched"))
    assert sorted((e.signal_id, e.recipient_id) for e in fetched) == sorted(
        [(signal_ids[0], LIEGE.id), (signal_ids[0], AACHEN.id), (signal_ids[2], LIEGE.id)]
    ), "the search found something to compare"
