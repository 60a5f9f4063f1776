"""Withdrawal as a property: whatever state each recipient's copy is in when the sender
withdraws (sealed into an envelope, queued but not sealed, waiting for an officer), exactly
the recipients that got an envelope are owed a notice, one each, with the reason; nothing
else of the signal is left to seal; nothing waits at a desk; and withdrawing again changes
nothing. On a real SQLite file."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.flow.withdrawal import WithdrawalReason, withdraw
from gateway.infra.audit import EventKind
from gateway.infra.clock import FixedClock
from gateway.store import CopyReview, NewCopy, NewReviewItem, Store
from gateway.store.sqlite import SqliteStore
from tests.store_backends import START
from tests.store_events import an_event
from tests.test_store_contract_delivery import sealed
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

STATES = ("sealed", "queued", "waiting")
RECIPIENTS = (LIEGE, AACHEN, LANAKEN)


async def posted(store: Store, states: dict[str, str]) -> str:
    """A signal from Limburg whose copy for each recipient is in the state ``states`` gives."""
    recipients = [r for r in RECIPIENTS if r.id in states]
    signal = replace(
        new_signal(1, *recipients),
        copies=tuple(
            NewCopy(f"c-{r.id}", r.id, CopyReview.NONE)
            for r in recipients
            if states[r.id] != "waiting"
        ),
        reviews=tuple(
            NewReviewItem(f"item-{r.id}", r.id, r.country, "urgent", ("language",), False)
            for r in recipients
            if states[r.id] == "waiting"
        ),
        decisions=tuple(decision(r) for r in recipients),
    )
    await store.accept_signal(signal, accepted(signal))
    for copy in await store.pending_copies(due=START):
        if states[copy.recipient_id] == "sealed":
            await store.keep_envelope(
                sealed(copy, f"env-{copy.recipient_id}"), an_event(EventKind.COPY_SEALED)
            )
    return signal.id


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    states=st.dictionaries(
        st.sampled_from([r.id for r in RECIPIENTS]), st.sampled_from(STATES), min_size=1
    ),
    reason=st.sampled_from(list(WithdrawalReason)),
)
async def test_exactly_the_recipients_that_got_it_are_owed_one_notice_each(
    states: dict[str, str], reason: WithdrawalReason
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        clock = FixedClock(START)
        async with SqliteStore(Path(directory) / "euregate.db", clock=clock) as store:
            await with_partners(store)
            signal_id = await posted(store, states)

            done = await withdraw(store, LIMBURG.id, signal_id, reason)
            entries = len(await store.audit_entries())
            again = await withdraw(store, LIMBURG.id, signal_id, WithdrawalReason.SENT_IN_ERROR)

            got_it = {r for r, state in states.items() if state == "sealed"}
            assert done is not None
            assert again == done
            assert len(await store.audit_entries()) == entries
            assert done.notices == len(got_it)
            assert done.cancelled == list(states.values()).count("queued")
            assert done.review_items == list(states.values()).count("waiting")
            owed = await store.pending_copies(due=START)
            assert sorted(c.recipient_id for c in owed) == sorted(got_it)
            assert {(c.notice, c.version) for c in owed} <= {(str(reason), 2)}
            assert await store.pending_reviews(countries=None) == []
