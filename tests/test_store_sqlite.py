"""The SQLite backend of the store: WAL with full synchronous commits, group commit with a
savepoint per write, writes that outlive their callers, closing under a running read, two
processes on one file keeping one chain. What every backend promises is in
``test_store_contract_*.py``."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.contract.partners import DEMO_NETWORK, Partner
from gateway.decide.decision import Decision, FiredRule, Verdict
from gateway.infra import audit
from gateway.infra.audit import events, refs
from gateway.infra.clock import FixedClock
from gateway.store import NewSignal
from gateway.store.sqlite import SqliteStore
from gateway.store.sqlite.database import StoreClosed, Transaction
from gateway.store.sqlite.times import moment, moment_or_none

CLOCK = FixedClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
SENDER = DEMO_NETWORK[0]
RECIPIENT = DEMO_NETWORK[4]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    async with SqliteStore(tmp_path / "euregate.db", clock=CLOCK) as opened:
        for partner in (SENDER, RECIPIENT):
            await opened.add_partner(partner, partner_added(partner))
        yield opened


def new_signal(number: int, *, digest: str = "d" * 64, reference: str | None = None) -> NewSignal:
    return NewSignal(
        id=f"00000000-0000-7000-8000-{number:012d}",
        sender_id=SENDER.id,
        sender_reference=reference or f"REF-{number}",
        body_sha256=digest,
        received_at=CLOCK.now(),
        recipients=(RECIPIENT.id,),
        sealed_body=b"sealed-" + str(number).encode(),
        handling_code="H2",
        category="undermining.drug_waste",
        purpose="criminal_investigation",
        urgency="urgent",
        decisions=(Decision(RECIPIENT.id, Verdict.DELIVER, {}, (FiredRule("2"),), "p" * 64),),
    )


def partner_added(partner: Partner) -> events.PartnerAdded:
    return events.PartnerAdded(
        by=refs.admin("test"),
        about=refs.partner(partner.id),
        country=partner.country,
        agency_type=partner.agency_type,
        languages=partner.languages,
    )


def accepted_event(signal: NewSignal) -> events.SignalAccepted:
    return events.SignalAccepted(
        by=refs.partner(signal.sender_id),
        signal_id=signal.id,
        sender_reference=signal.sender_reference,
        body_sha256=signal.body_sha256,
        recipients=signal.recipients,
        schema="1.0",
        language="nl",
        category=signal.category,
        urgency=signal.urgency,
        purpose=signal.purpose,
        handling_code=signal.handling_code,
        policy_sha256="p" * 64,
        decisions=tuple(
            events.Decided(recipient=d.recipient_id, verdict=str(d.verdict), rules=d.rule_ids)
            for d in signal.decisions
        ),
    )


async def test_the_database_runs_in_wal_mode_with_full_synchronous_commits(
    store: SqliteStore,
) -> None:
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert await store.read(lambda c: c.execute("PRAGMA synchronous").fetchone()[0]) == 2


async def test_an_accepted_signal_is_on_disk_with_its_audit_entry(store: SqliteStore) -> None:
    signal = new_signal(1)
    accepted = await store.accept_signal(signal, accepted_event(signal))
    assert not accepted.replayed
    other = sqlite3.connect(store.path)
    row = other.execute(
        "SELECT signals.id, audit.kind FROM signals JOIN audit ON audit.seq = signals.audit_seq"
    ).fetchone()
    other.close()
    assert row == (signal.id, "signal.accepted")


async def test_concurrent_writes_are_committed_together(store: SqliteStore) -> None:
    signals = [new_signal(n) for n in range(200)]
    before = store.batches_committed
    results = await asyncio.gather(*(store.accept_signal(s, accepted_event(s)) for s in signals))
    assert len({r.signal.id for r in results}) == 200
    assert store.batches_committed - before < 200
    assert sorted(r.signal.audit_seq for r in results) == list(range(3, 203))
    assert audit.verify(await store.audit_entries()).ok


async def test_a_caller_that_gives_up_neither_undoes_its_write_nor_stops_the_writer(
    store: SqliteStore,
) -> None:
    """A client that hangs up cancels its request; the write it queued still lands, and the
    writer thread goes on serving everyone else."""
    abandoned = [new_signal(n) for n in range(50)]
    tasks = [asyncio.create_task(store.accept_signal(s, accepted_event(s))) for s in abandoned]
    await asyncio.sleep(0)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    later = new_signal(99)
    accepted = await asyncio.wait_for(store.accept_signal(later, accepted_event(later)), 10)

    assert accepted.signal.id == later.id
    assert {s.id for s in abandoned} <= set(await store.signal_ids())


async def test_closing_waits_for_a_read_still_running_and_refuses_later_ones(
    tmp_path: Path,
) -> None:
    """A read whose caller gave up still runs in its worker thread; closing the store must not
    pull its connection away under it (that crashes the process), and reads after are refused."""
    opened = SqliteStore(
        tmp_path / "euregate.db", clock=FixedClock(datetime(2026, 3, 2, tzinfo=UTC))
    )
    await opened.start()
    reading, finished = threading.Event(), threading.Event()

    def slow_read(conn: sqlite3.Connection) -> int:
        reading.set()
        time.sleep(0.3)
        (count,) = conn.execute("SELECT count(*) FROM audit").fetchone()
        finished.set()
        return int(count)

    gave_up = asyncio.create_task(opened.read(slow_read))
    assert await asyncio.to_thread(reading.wait, 5)
    gave_up.cancel()
    await opened.close()
    assert finished.is_set()
    with pytest.raises(StoreClosed):
        await opened.read(lambda conn: conn.execute("SELECT 1").fetchone())


async def test_a_read_that_fails_mid_result_does_not_hide_later_writes(tmp_path: Path) -> None:
    """A failed read's traceback can keep one of its cursors mid-result, and with it the old
    snapshot of its connection; the next read on the same reader thread still sees every
    write committed since."""
    async with SqliteStore(tmp_path / "euregate.db", clock=CLOCK, read_threads=1) as opened:
        for partner in (SENDER, RECIPIENT):
            await opened.add_partner(partner, partner_added(partner))

        def failing(conn: sqlite3.Connection) -> None:
            rows = conn.execute("SELECT seq FROM audit")
            rows.fetchone()
            raise LookupError("a read that gives up half way")

        with pytest.raises(LookupError) as failed:
            await opened.read(failing)
        signal = new_signal(1)
        await opened.accept_signal(signal, accepted_event(signal))

        assert failed.value.__traceback__ is not None
        assert await opened.signal(signal.id) is not None


async def test_one_failing_write_does_not_undo_the_others_in_its_batch(store: SqliteStore) -> None:
    def failing(tx: Transaction) -> None:
        tx.append(
            events.SignalRefused(
                by=refs.partner("x"), status=422, error_kind="signal-invalid", codes=()
            )
        )
        raise RuntimeError("this write fails after appending")

    signals = [new_signal(n) for n in range(10)]
    outcomes = await asyncio.gather(
        *(store.accept_signal(s, accepted_event(s)) for s in signals[:5]),
        store.write(failing),
        *(store.accept_signal(s, accepted_event(s)) for s in signals[5:]),
        return_exceptions=True,
    )
    assert isinstance(outcomes[5], RuntimeError)
    assert len(await store.signal_ids()) == 10
    entries = list(await store.audit_entries())
    assert "signal.refused" not in {e.kind for e in entries}
    assert audit.verify(entries).ok


async def test_two_processes_writing_keep_one_unbroken_chain(store: SqliteStore) -> None:
    """The CLI writes while the server runs: each transaction reads the chain's tail anew."""
    async with SqliteStore(store.path, clock=CLOCK) as second:
        for n in range(20):
            writer = store if n % 2 else second
            signal = new_signal(n)
            await writer.accept_signal(signal, accepted_event(signal))
    result = audit.verify(await store.audit_entries())
    assert result.ok
    assert result.checked == 22


# --- times as kept ---------------------------------------------------------------------------


@given(st.datetimes(timezones=st.timezones(), min_value=datetime(1970, 1, 1)))
def test_a_time_kept_reads_back_as_the_same_instant_in_utc(at: datetime) -> None:
    kept = moment(audit.timestamp(at))

    # In UTC: Python never finds an ambiguous wall-clock time equal to one of another zone.
    assert kept == at.astimezone(UTC)
    assert kept.tzinfo is UTC


@pytest.mark.parametrize(
    "written",
    [
        "2026-03-02T10:00:07.000001+01:00",
        "2026-03-02T09:00:07.000001",
        "2026-03-02T09:00:07.000001Z",
    ],
)
def test_a_time_an_older_version_wrote_reads_as_utc(written: str) -> None:
    assert moment(written) == datetime(2026, 3, 2, 9, 0, 7, 1, tzinfo=UTC)
    assert moment(written).tzinfo is UTC
    assert moment_or_none(None) is None
