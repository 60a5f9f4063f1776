"""The store's contract, whatever its backend: the partners' witness keys, the cosignatures
they post on the gateway's checkpoints, and the inconsistencies they report."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gateway.contract.partners import Partner, PartnerState
from gateway.infra.audit import AuditEvent, EventKind, refs
from gateway.infra.audit.cosignature import WitnessKey
from gateway.infra.clock import FixedClock
from gateway.infra.errors import RegistryError
from gateway.store import InconsistencyReport, RegisteredWitnessKey, Store, StoredCosignature
from tests.store_backends import START
from tests.store_events import an_event

LIMBURG = Partner("nl-pol-limburg", "Politie Eenheid Limburg", "NL", "police", ("nl",))
LIEGE = Partner("be-pol-liege", "Zone de police de Liège", "BE", "police", ("fr", "nl"))


def witness_key(partner: Partner, seed: int = 1) -> RegisteredWitnessKey:
    key = WitnessKey(f"{partner.id}/witness", bytes([seed]) * 32)
    return RegisteredWitnessKey.of(partner.id, key)


def event(kind: EventKind) -> AuditEvent:
    return an_event(kind)


ADDED = event(EventKind.WITNESS_KEY_ADDED)
COSIGNED = event(EventKind.CHECKPOINT_COSIGNED)


def cosignature(
    partner: Partner, size: int, *, at: int = 1_700_000_000, seed: int = 1
) -> StoredCosignature:
    key = witness_key(partner, seed)
    return StoredCosignature(
        size=size,
        partner_id=partner.id,
        key_name=key.name,
        key_id=key.key_id,
        cosigned_at=at,
        line=f"\u2014 {key.name} line-{size}-{at}\n",
        received_at=START,
    )


async def with_partners(store: Store, *partners: Partner) -> None:
    for partner in partners:
        await store.add_partner(
            partner, an_event(EventKind.PARTNER_ADDED, about=refs.partner(partner.id))
        )


async def kinds(store: Store) -> list[str]:
    return [entry.kind for entry in await store.audit_entries()]


async def test_a_witness_key_is_registered_once_for_an_active_partner_and_audited(
    empty_store: Store,
) -> None:
    await with_partners(empty_store, LIMBURG)
    key = witness_key(LIMBURG)

    kept = await empty_store.add_witness_key(key, ADDED)

    assert (kept.partner_id, kept.name, kept.key_id, kept.public_key) == (
        key.partner_id, key.name, key.key_id, key.public_key,
    )  # fmt: skip
    assert (kept.added_at, kept.retired_at, kept.active) == (START, None, True)
    assert kept.vkey == key.key.encode()
    assert await empty_store.witness_keys(LIMBURG.id) == [kept]
    assert (await kinds(empty_store))[-1] == EventKind.WITNESS_KEY_ADDED
    with pytest.raises(RegistryError, match="already registered"):
        await empty_store.add_witness_key(key, ADDED)
    assert (await kinds(empty_store)).count(EventKind.WITNESS_KEY_ADDED) == 1


async def test_a_key_registered_for_one_partner_is_not_registered_for_another(
    empty_store: Store,
) -> None:
    await with_partners(empty_store, LIMBURG, LIEGE)
    await empty_store.add_witness_key(witness_key(LIMBURG), ADDED)
    stolen = RegisteredWitnessKey.of(LIEGE.id, witness_key(LIMBURG).key)

    with pytest.raises(RegistryError, match="already registered"):
        await empty_store.add_witness_key(stolen, ADDED)
    assert await empty_store.witness_keys(LIEGE.id) == []


async def test_no_witness_key_for_an_unknown_or_suspended_partner(empty_store: Store) -> None:
    await with_partners(empty_store, LIMBURG)
    await empty_store.set_partner_state(
        LIMBURG.id, PartnerState.SUSPENDED, lambda _: event(EventKind.PARTNER_STATE_CHANGED)
    )

    with pytest.raises(RegistryError, match="suspended"):
        await empty_store.add_witness_key(witness_key(LIMBURG), ADDED)
    with pytest.raises(RegistryError):
        await empty_store.add_witness_key(witness_key(LIEGE), ADDED)
    with pytest.raises(RegistryError):
        await empty_store.witness_keys(LIEGE.id)
    assert EventKind.WITNESS_KEY_ADDED not in await kinds(empty_store)


async def test_a_witness_key_retires_once_and_stays_listed(
    empty_store: Store, store_clock: FixedClock
) -> None:
    await with_partners(empty_store, LIMBURG, LIEGE)
    first = await empty_store.add_witness_key(witness_key(LIMBURG, 1), ADDED)
    store_clock.set(START + timedelta(days=1))
    second = await empty_store.add_witness_key(witness_key(LIMBURG, 2), ADDED)
    other = await empty_store.add_witness_key(witness_key(LIEGE, 3), ADDED)
    seen: list[RegisteredWitnessKey] = []

    def retired(current: RegisteredWitnessKey) -> AuditEvent:
        seen.append(current)
        return event(EventKind.WITNESS_KEY_RETIRED)

    store_clock.set(START + timedelta(days=2))
    gone = await empty_store.retire_witness_key(LIMBURG.id, first.key_id, retired)

    assert seen == [first]
    assert (gone.retired_at, gone.active) == (START + timedelta(days=2), False)
    assert await empty_store.witness_keys(LIMBURG.id) == [gone, second]
    assert await empty_store.witness_keys() == [gone, other, second]
    with pytest.raises(RegistryError, match="already retired"):
        await empty_store.retire_witness_key(LIMBURG.id, first.key_id, retired)
    with pytest.raises(RegistryError, match="no witness key"):
        await empty_store.retire_witness_key(LIEGE.id, first.key_id, retired)
    assert (await kinds(empty_store)).count(EventKind.WITNESS_KEY_RETIRED) == 1


async def test_cosignatures_are_kept_per_size_and_key_the_later_replacing_the_earlier(
    empty_store: Store, store_clock: FixedClock
) -> None:
    await with_partners(empty_store, LIMBURG, LIEGE)
    store_clock.set(START + timedelta(seconds=5))
    first = await empty_store.add_cosignature(cosignature(LIMBURG, 10), COSIGNED)
    await empty_store.add_cosignature(cosignature(LIEGE, 10, seed=3), COSIGNED)
    store_clock.set(START + timedelta(seconds=9))
    again = await empty_store.add_cosignature(cosignature(LIMBURG, 10, at=1_700_000_060), COSIGNED)

    assert first.received_at == START + timedelta(seconds=5)
    assert (again.cosigned_at, again.received_at) == (1_700_000_060, START + timedelta(seconds=9))
    kept = await empty_store.cosignatures(10)
    assert [(c.partner_id, c.line) for c in kept] == [
        (LIEGE.id, cosignature(LIEGE, 10, seed=3).line),
        (LIMBURG.id, again.line),
    ]
    assert await empty_store.cosignatures(11) == []
    assert (await kinds(empty_store)).count(EventKind.CHECKPOINT_COSIGNED) == 3


async def test_each_witness_keys_latest_cosignature_is_of_the_largest_size_it_cosigned(
    empty_store: Store,
) -> None:
    await with_partners(empty_store, LIMBURG, LIEGE)
    for size, at in ((10, 100), (30, 300), (20, 400)):
        await empty_store.add_cosignature(cosignature(LIMBURG, size, at=at), COSIGNED)
    await empty_store.add_cosignature(cosignature(LIMBURG, 15, seed=2), COSIGNED)
    await empty_store.add_cosignature(cosignature(LIEGE, 12, seed=3), COSIGNED)

    latest = await empty_store.latest_cosignatures()

    assert [(c.partner_id, c.key_id, c.size) for c in latest] == sorted(
        [
            (LIEGE.id, witness_key(LIEGE, 3).key_id, 12),
            (LIMBURG.id, witness_key(LIMBURG, 1).key_id, 30),
            (LIMBURG.id, witness_key(LIMBURG, 2).key_id, 15),
        ]
    )


async def test_reports_of_inconsistencies_are_kept_with_their_evidence_latest_first(
    empty_store: Store, store_clock: FixedClock
) -> None:
    await with_partners(empty_store, LIMBURG, LIEGE)
    reports = []
    for number, partner in enumerate((LIMBURG, LIEGE, LIMBURG)):
        store_clock.set(START + timedelta(minutes=number))
        reports.append(
            await empty_store.report_inconsistency(
                InconsistencyReport(
                    id=f"r{number}",
                    partner_id=partner.id,
                    kind="checkpoint-rollback",
                    previous=None if number == 1 else b"old %d\n" % number,
                    submitted=b"new %d\n" % number,
                    previous_size=None if number == 1 else 20,
                    submitted_size=19,
                ),
                event(EventKind.INCONSISTENCY_REPORTED),
            )
        )

    assert [r.reported_at for r in reports] == [START + timedelta(minutes=n) for n in range(3)]
    assert reports[1].previous is None
    assert reports[0].previous == b"old 0\n"
    assert await empty_store.inconsistencies() == reports[::-1]
    assert await empty_store.inconsistencies(limit=1) == [reports[2]]
    assert await empty_store.inconsistency("r1") == reports[1]
    assert await empty_store.inconsistency("r9") is None
    with pytest.raises(RegistryError):
        await empty_store.report_inconsistency(
            InconsistencyReport("r9", "nobody", "x", None, b"n\n", None, None),
            event(EventKind.INCONSISTENCY_REPORTED),
        )
