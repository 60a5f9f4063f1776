"""The courier's backlog as the store counts it, on every backend: copies not yet sealed and
due, by the sender of their signal; sealed and postponed copies not counted."""

from __future__ import annotations

from datetime import timedelta

from gateway.infra.audit import EventKind
from gateway.store import Store
from tests.store_backends import START
from tests.test_store_contract_delivery import event, sealed
from tests.test_store_contract_signals import (
    AACHEN,
    LANAKEN,
    LIEGE,
    accepted,
    new_signal,
    with_partners,
)


async def test_copies_waiting_are_counted_by_sender_and_only_while_due_and_unsealed(
    empty_store: Store,
) -> None:
    store = await with_partners(empty_store)
    assert await store.copies_waiting(due=START) == {}
    made = (
        new_signal(1, LIEGE, AACHEN),
        new_signal(2, LIEGE, AACHEN),
        new_signal(3, LIEGE, sender=LANAKEN),
    )
    for signal in made:
        await store.accept_signal(signal, accepted(signal))

    assert await store.copies_waiting(due=START) == {"nl-pol-limburg": 4, "be-pol-lanaken": 1}

    first, second, *_ = await store.pending_copies(due=START, limit=10)
    await store.keep_envelope(sealed(first, "env-1"), event(EventKind.COPY_SEALED))
    await store.postpone_copy(
        second.id, until=START + timedelta(minutes=5), error="no_encryption_key"
    )

    assert await store.copies_waiting(due=START) == {"nl-pol-limburg": 2, "be-pol-lanaken": 1}
    later = await store.copies_waiting(due=START + timedelta(minutes=5))
    assert later == {"nl-pol-limburg": 3, "be-pol-lanaken": 1}
