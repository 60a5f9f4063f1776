"""The store: durable group commit, idempotent intake, an unbroken chain across writers."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway import audit
from gateway.audit import events, refs
from gateway.clock import FixedClock
from gateway.decision import Decision, FiredRule, Verdict
from gateway.errors import IdempotencyConflict, RegistryError
from gateway.partners import DEMO_NETWORK, Partner
from gateway.store import NewCopy, NewSignal, Store, Transaction
from gateway.store.database import StoreClosed

CLOCK = FixedClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
SENDER = DEMO_NETWORK[0]
RECIPIENT = DEMO_NETWORK[4]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "euregate.db", clock=CLOCK) as opened:
        for partner in (SENDER, RECIPIENT):
            opened.add_partner(partner, partner_added(partner))
        yield opened


def new_signal(number: int, *, digest: str = "d" * 64, reference: str | None = None) -> NewSignal:
    return NewSignal(
        id=f"00000000-0000-7000-8000-{number:012d}",
        sender_id=SENDER.id,
        sender_reference=reference or f"REF-{number}",
        body_sha256=digest,
        received_at="2026-11-25T09:00:00.000000Z",
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


async def test_the_database_runs_in_wal_mode_with_full_synchronous_commits(store: Store) -> None:
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert store.read_sync(lambda c: c.execute("PRAGMA synchronous").fetchone()[0]) == 2


async def test_an_accepted_signal_is_on_disk_with_its_audit_entry(store: Store) -> None:
    signal = new_signal(1)
    accepted = await store.accept_signal(signal, accepted_event(signal))
    assert not accepted.replayed
    other = sqlite3.connect(store.path)
    row = other.execute(
        "SELECT signals.id, audit.kind FROM signals JOIN audit ON audit.seq = signals.audit_seq"
    ).fetchone()
    other.close()
    assert row == (signal.id, "signal.accepted")


async def test_concurrent_writes_are_committed_together(store: Store) -> None:
    signals = [new_signal(n) for n in range(200)]
    before = store.batches_committed
    results = await asyncio.gather(*(store.accept_signal(s, accepted_event(s)) for s in signals))
    assert len({r.signal.id for r in results}) == 200
    assert store.batches_committed - before < 200
    assert sorted(r.signal.audit_seq for r in results) == list(range(3, 203))
    assert audit.verify(store.audit_entries()).ok


async def test_a_caller_that_gives_up_neither_undoes_its_write_nor_stops_the_writer(
    store: Store,
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
    assert {s.id for s in abandoned} <= set(store.signal_ids())


def test_closing_waits_for_a_read_still_running_and_refuses_later_ones(tmp_path: Path) -> None:
    """A read whose caller gave up still runs in its worker thread; closing the store must not
    pull its connection away under it (that crashes the process), and reads after are refused."""
    opened = Store(tmp_path / "euregate.db", clock=FixedClock(datetime(2026, 3, 2, tzinfo=UTC)))
    opened.start()
    reading = threading.Event()

    def slow_read(conn: sqlite3.Connection) -> int:
        reading.set()
        time.sleep(0.3)
        (count,) = conn.execute("SELECT count(*) FROM audit").fetchone()
        return int(count)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        result = pool.submit(opened.read_sync, slow_read)
        assert reading.wait(5)
        opened.close()
        assert result.done()
        assert result.result() >= 0
    with pytest.raises(StoreClosed):
        opened.read_sync(lambda conn: conn.execute("SELECT 1").fetchone())


async def test_the_same_reference_and_body_returns_the_original(store: Store) -> None:
    first = await store.accept_signal(new_signal(1), accepted_event(new_signal(1)))
    again = await store.accept_signal(
        new_signal(2, reference="REF-1"), accepted_event(new_signal(2))
    )
    assert again.replayed
    assert again.signal == first.signal
    assert store.signal_ids() == [first.signal.id]


async def test_the_same_reference_with_another_body_is_a_conflict_that_writes_nothing(
    store: Store,
) -> None:
    await store.accept_signal(new_signal(1), accepted_event(new_signal(1)))
    entries_before = len(list(store.audit_entries()))
    with pytest.raises(IdempotencyConflict) as caught:
        await store.accept_signal(
            new_signal(2, digest="e" * 64, reference="REF-1"), accepted_event(new_signal(2))
        )
    assert caught.value.params["signal_id"] == new_signal(1).id
    assert len(list(store.audit_entries())) == entries_before


async def test_one_failing_write_does_not_undo_the_others_in_its_batch(store: Store) -> None:
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
    assert len(store.signal_ids()) == 10
    entries = list(store.audit_entries())
    assert "signal.refused" not in {e.kind for e in entries}
    assert audit.verify(entries).ok


async def test_two_processes_writing_keep_one_unbroken_chain(store: Store) -> None:
    """The CLI writes while the server runs: each transaction reads the chain's tail anew."""
    with Store(store.path, clock=CLOCK) as second:
        for n in range(20):
            writer = store if n % 2 else second
            signal = new_signal(n)
            await writer.accept_signal(signal, accepted_event(signal))
    result = audit.verify(store.audit_entries())
    assert result.ok
    assert result.checked == 22


async def test_a_partner_is_added_once(store: Store) -> None:
    with pytest.raises(RegistryError, match="already exists"):
        store.add_partner(SENDER, partner_added(SENDER))


async def test_decisions_are_kept_with_the_signal_and_shown_on_a_replay(store: Store) -> None:
    first = await store.accept_signal(new_signal(1), accepted_event(new_signal(1)))
    again = await store.accept_signal(
        new_signal(2, reference="REF-1"), accepted_event(new_signal(2))
    )
    assert first.signal.decisions == again.signal.decisions
    [kept] = first.signal.decisions
    assert (kept.recipient_id, kept.verdict, kept.rule_ids) == (RECIPIENT.id, "deliver", ("2",))
    [full] = await store.decisions(first.signal.id)
    assert full["policy_sha256"] == "p" * 64


async def test_a_reply_may_answer_only_a_signal_delivered_to_its_sender(store: Store) -> None:
    """Delivered: its copy was queued (as intake queues one for each ``deliver`` verdict)."""
    signal = replace(new_signal(1), copies=(NewCopy("c-1", RECIPIENT.id, review="none"),))
    accepted = await store.accept_signal(signal, accepted_event(signal))
    answered = await store.forwarded(accepted.signal.id, RECIPIENT.id)
    assert answered is not None
    assert (answered.handling_code, answered.sender_id) == ("H2", SENDER.id)
    assert await store.forwarded(accepted.signal.id, "de-pol-aachen") is None
    assert await store.forwarded("00000000-0000-7000-8000-000000000999", RECIPIENT.id) is None
