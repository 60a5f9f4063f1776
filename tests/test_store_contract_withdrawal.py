"""The store's contract, whatever its backend: a sender withdrawing its signal cancels the
copies not yet sealed, withdraws the review items waiting, and queues one notice for each
recipient that got an envelope; once, in one audited write."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from gateway.flow.withdrawal import OVERDUE_AFTER, overdue_notices
from gateway.flow.withdrawal_state import NoticeState, recipients_told
from gateway.infra.audit import AuditEvent, EventKind
from gateway.infra.clock import FixedClock
from gateway.store import CopyReview, NewCopy, ReviewState, Store
from gateway.store.interface.withdrawal import ListedWithdrawal, UnacknowledgedNotice, Withdrawal
from tests.store_backends import START
from tests.store_events import an_event
from tests.test_store_contract_delivery import sealed, waiting_for
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


@pytest.fixture
async def registry(empty_store: Store) -> Store:
    return await with_partners(empty_store)


def withdrawn_event(done: Withdrawal) -> AuditEvent:
    return an_event(
        EventKind.SIGNAL_WITHDRAWN,
        signal_id=done.signal_id,
        reason=done.reason,
        cancelled=done.cancelled,
        review_items=done.review_items,
        notices=done.notices,
    )


async def sealed_waiting_and_queued(store: Store, clock: FixedClock) -> str:
    """A signal sealed for Aachen, waiting for an officer for Liège, and queued (not sealed)
    for Lanaken; its id."""
    signal = replace(
        new_signal(1, AACHEN, LIEGE, LANAKEN),
        copies=(
            NewCopy("c1-aachen", AACHEN.id, CopyReview.NONE),
            NewCopy("c1-lanaken", LANAKEN.id, CopyReview.NONE),
        ),
        reviews=(waiting_for(LIEGE, 1),),
        decisions=(decision(AACHEN), decision(LIEGE), decision(LANAKEN)),
    )
    await store.accept_signal(signal, accepted(signal))
    clock.set(START + timedelta(minutes=1))
    (copy,) = [
        c for c in await store.pending_copies(due=clock.now()) if c.recipient_id == AACHEN.id
    ]
    await store.keep_envelope(sealed(copy, "env-1"), an_event(EventKind.COPY_SEALED))
    clock.set(START + timedelta(minutes=2))
    return signal.id


async def test_withdrawing_cancels_what_is_not_sealed_and_queues_a_notice_for_each_recipient(
    registry: Store, store_clock: FixedClock
) -> None:
    signal_id = await sealed_waiting_and_queued(registry, store_clock)
    entries_before = len(await registry.audit_entries())

    done = await registry.withdraw_signal(
        signal_id, reason="data_incorrect", by=LIMBURG.id, event=withdrawn_event
    )

    assert done == Withdrawal(
        signal_id,
        "data_incorrect",
        LIMBURG.id,
        START + timedelta(minutes=2),
        cancelled=1,
        review_items=1,
        notices=1,
    )
    assert await registry.withdrawal(signal_id) == done
    (notice,) = await registry.pending_copies(due=store_clock.now())
    assert (notice.recipient_id, notice.version, notice.notice) == (AACHEN.id, 2, "data_incorrect")
    assert notice.review is CopyReview.NONE
    item = await registry.review_item("item-1")
    assert item is not None
    assert item.state is ReviewState.WITHDRAWN
    assert await registry.pending_reviews(countries=None) == []
    entries = await registry.audit_entries()
    assert [e.kind for e in entries[entries_before:]] == ["signal.withdrawn"]
    assert [e.id for e in await registry.inbox(AACHEN.id, after=0, limit=10)] == ["env-1"]


async def test_a_second_withdrawal_answers_the_first_and_is_not_audited_again(
    registry: Store, store_clock: FixedClock
) -> None:
    signal_id = await sealed_waiting_and_queued(registry, store_clock)
    first = await registry.withdraw_signal(
        signal_id, reason="data_incorrect", by=LIMBURG.id, event=withdrawn_event
    )
    entries = len(await registry.audit_entries())
    store_clock.set(START + timedelta(minutes=5))

    again = await registry.withdraw_signal(
        signal_id, reason="sent_in_error", by=LIMBURG.id, event=withdrawn_event
    )

    assert again == first
    assert len(await registry.audit_entries()) == entries
    assert len(await registry.pending_copies(due=store_clock.now())) == 1


async def test_only_the_sender_withdraws_its_signal(
    registry: Store, store_clock: FixedClock
) -> None:
    signal_id = await sealed_waiting_and_queued(registry, store_clock)
    entries = len(await registry.audit_entries())

    for by, signal in ((AACHEN.id, signal_id), (LIMBURG.id, "no-such-signal")):
        assert (
            await registry.withdraw_signal(
                signal, reason="data_incorrect", by=by, event=withdrawn_event
            )
            is None
        )

    assert await registry.withdrawal(signal_id) is None
    assert len(await registry.audit_entries()) == entries


async def test_a_replacement_counts_the_versions_of_its_chain(
    registry: Store, store_clock: FixedClock
) -> None:
    signals = [new_signal(n, AACHEN) for n in (1, 2, 3)]
    for signal in signals:
        await registry.accept_signal(signal, accepted(signal))
    first, second, third = (s.id for s in signals)

    replaced = await registry.withdraw_signal(
        first, reason="replaced", by=LIMBURG.id, event=withdrawn_event, replaced_by=second
    )
    again = await registry.withdraw_signal(
        second, reason="replaced", by=LIMBURG.id, event=withdrawn_event, replaced_by=third
    )

    assert replaced is not None
    assert again is not None
    assert (replaced.replaced_by, replaced.replaced_version) == (second, 2)
    assert (again.replaced_by, again.replaced_version) == (third, 3)
    assert await registry.withdrawal(first) == replaced
    assert (await registry.withdrawal(third)) is None


async def test_a_notice_not_acknowledged_is_listed_once_it_is_older_than_asked(
    registry: Store, store_clock: FixedClock
) -> None:
    signal_id = await sealed_waiting_and_queued(registry, store_clock)
    await registry.withdraw_signal(
        signal_id, reason="data_incorrect", by=LIMBURG.id, event=withdrawn_event
    )
    store_clock.set(START + timedelta(minutes=3))
    (notice,) = await registry.pending_copies(due=store_clock.now())
    await registry.keep_envelope(sealed(notice, "notice-1"), an_event(EventKind.COPY_SEALED))

    at_the_time = START + timedelta(minutes=3)
    assert await registry.unacknowledged_notices(sealed_before=at_the_time, limit=10) == []
    later = START + timedelta(days=3)
    assert await registry.unacknowledged_notices(sealed_before=later, limit=0) == []
    (listed,) = await registry.unacknowledged_notices(sealed_before=later, limit=10)
    assert listed == UnacknowledgedNotice(
        signal_id, AACHEN.id, "notice-1", "data_incorrect", at_the_time
    )

    await registry.acknowledge(AACHEN.id, "notice-1", an_event(EventKind.INBOX_ACKNOWLEDGED))
    assert await registry.unacknowledged_notices(sealed_before=later, limit=10) == []


async def sealed_notices(store: Store, clock: FixedClock, signal_id: str) -> dict[str, str]:
    """Seal every notice queued for ``signal_id``; their envelope ids by recipient."""
    pending = [c for c in await store.pending_copies(due=clock.now()) if c.signal_id == signal_id]
    envelopes = {}
    for notice in pending:
        envelope_id = f"notice-{notice.recipient_id}"
        await store.keep_envelope(sealed(notice, envelope_id), an_event(EventKind.COPY_SEALED))
        envelopes[notice.recipient_id] = envelope_id
    return envelopes


async def test_withdrawals_are_listed_newest_first_a_page_at_a_time_with_their_acknowledgements(
    registry: Store, store_clock: FixedClock
) -> None:
    signals = [new_signal(n, AACHEN, LIEGE) for n in (1, 2, 3)]
    for signal in signals:
        await registry.accept_signal(signal, accepted(signal))
    for copy in await registry.pending_copies(due=store_clock.now()):
        envelope_id = f"env-{copy.signal_id[-1]}-{copy.recipient_id}"
        await registry.keep_envelope(sealed(copy, envelope_id), an_event(EventKind.COPY_SEALED))
    first, second, third = (s.id for s in signals)
    withdrawn: dict[str, Withdrawal] = {}
    for minutes, (signal_id, reason) in enumerate(
        ((first, "data_incorrect"), (third, "sent_in_error"), (second, "no_longer_relevant")),
        start=1,
    ):
        store_clock.set(START + timedelta(minutes=minutes))
        done = await registry.withdraw_signal(
            signal_id, reason=reason, by=LIMBURG.id, event=withdrawn_event
        )
        assert done is not None
        withdrawn[signal_id] = done
    store_clock.set(START + timedelta(minutes=5))
    notices = await sealed_notices(registry, store_clock, first)
    acknowledged = an_event(EventKind.INBOX_ACKNOWLEDGED)
    await registry.acknowledge(AACHEN.id, notices[AACHEN.id], acknowledged)
    await registry.acknowledge(LIEGE.id, f"env-1-{LIEGE.id}", acknowledged)  # not a notice

    listed = await registry.withdrawals(offset=0, limit=10)

    assert listed == [
        ListedWithdrawal(withdrawn[second], 0),
        ListedWithdrawal(withdrawn[third], 0),
        ListedWithdrawal(withdrawn[first], 1),
    ]
    assert [w.withdrawal.notices for w in listed] == [2, 2, 2]
    assert await registry.withdrawals(offset=1, limit=1) == listed[1:2]
    assert await registry.withdrawals(offset=2, limit=5) == listed[2:]
    assert await registry.withdrawals(offset=3, limit=5) == []
    assert await registry.withdrawals(offset=0, limit=0) == []


async def test_a_signal_never_withdrawn_is_not_listed(
    registry: Store, store_clock: FixedClock
) -> None:
    await sealed_waiting_and_queued(registry, store_clock)

    assert await registry.withdrawals(offset=0, limit=10) == []


async def test_the_overdue_list_and_one_notices_state_agree_at_the_overdue_days_edge(
    registry: Store, store_clock: FixedClock
) -> None:
    """The store's list of overdue notices and the state the exchange page shows of one notice
    read from its track are one rule: both change at the same instant."""
    signal_id = await sealed_waiting_and_queued(registry, store_clock)
    await registry.withdraw_signal(
        signal_id, reason="data_incorrect", by=LIMBURG.id, event=withdrawn_event
    )
    await sealed_notices(registry, store_clock, signal_id)
    sealed_at = store_clock.now()

    for after, state in (
        (OVERDUE_AFTER, NoticeState.WAITING),
        (OVERDUE_AFTER + timedelta(microseconds=1), NoticeState.OVERDUE),
    ):
        now = sealed_at + after
        (signal_track,) = await registry.signal_tracks([signal_id])
        (told,) = [t for t in recipients_told(signal_track, now) if t.notice is not None]
        listed = await overdue_notices(registry, now)
        assert told.state is state
        assert [n.recipient_id for n in listed] == (
            [AACHEN.id] if state is NoticeState.OVERDUE else []
        )
