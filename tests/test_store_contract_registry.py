"""The store's contract, whatever its backend: partners, their certificates and keys, the
gateway's signing keys and the sharing policy in force."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gateway.contract.partners import Certificate, CertificateState, Partner, PartnerState
from gateway.infra.audit import AuditEvent, EventKind, refs
from gateway.infra.clock import FixedClock
from gateway.infra.errors import RegistryError
from gateway.infra.seal import GatewayKey, PartnerKey, Signer, Suite
from gateway.store import Store
from tests.store_backends import START
from tests.store_events import an_event

LIMBURG = Partner("nl-pol-limburg", "Politie Eenheid Limburg", "NL", "police", ("nl",))
LIEGE = Partner("be-pol-liege", "Zone de police de Liège", "BE", "police", ("fr", "nl"))
AACHEN = Partner("de-pol-aachen", "Polizeipräsidium Aachen", "DE", "police", ("de",))


def added(partner: Partner) -> AuditEvent:
    return an_event(EventKind.PARTNER_ADDED, about=refs.partner(partner.id))


def certificate(partner: Partner, fingerprint: str, *, days: int = 825) -> Certificate:
    return Certificate(
        fingerprint=fingerprint,
        partner_id=partner.id,
        serial=fingerprint[:8],
        not_before=START.replace(microsecond=0),
        not_after=START.replace(microsecond=0) + timedelta(days=days),
    )


def key(partner: Partner, key_id: str, *, valid_from: datetime = START) -> PartnerKey:
    return PartnerKey(
        partner_id=partner.id,
        key_id=key_id,
        suite=Suite.X25519,
        public_key=key_id.encode().ljust(32, b"."),
        valid_from=valid_from,
    )


def event(kind: EventKind) -> AuditEvent:
    return an_event(kind)


async def with_partners(store: Store, *partners: Partner) -> None:
    for partner in partners:
        await store.add_partner(partner, added(partner))


async def kinds(store: Store) -> list[str]:
    return [entry.kind for entry in await store.audit_entries()]


# --- partners --------------------------------------------------------------------------------


async def test_a_partner_is_kept_as_given_and_its_addition_audited(empty_store: Store) -> None:
    kept = await empty_store.add_partner(LIEGE, added(LIEGE))

    assert kept == LIEGE == await empty_store.partner(LIEGE.id)
    (entry,) = await empty_store.audit_entries()
    assert (entry.kind, entry.subject) == ("partner.added", "partner:be-pol-liege")


async def test_a_partner_id_is_taken_once_and_a_refusal_writes_nothing(
    empty_store: Store,
) -> None:
    await with_partners(empty_store, LIMBURG)

    with pytest.raises(RegistryError, match="already exists"):
        await empty_store.add_partner(LIMBURG, added(LIMBURG))

    assert await kinds(empty_store) == ["partner.added"]


async def test_partners_are_listed_by_id_whatever_their_state(empty_store: Store) -> None:
    await with_partners(empty_store, LIMBURG, AACHEN, LIEGE)
    await empty_store.set_partner_state(
        AACHEN.id, PartnerState.SUSPENDED, lambda _: event(EventKind.PARTNER_STATE_CHANGED)
    )

    listed = await empty_store.partners()

    assert [p.id for p in listed] == ["be-pol-liege", "de-pol-aachen", "nl-pol-limburg"]
    assert [p.state for p in listed] == [
        PartnerState.ACTIVE,
        PartnerState.SUSPENDED,
        PartnerState.ACTIVE,
    ]


async def test_an_unknown_partner_is_a_registry_error(empty_store: Store) -> None:
    with pytest.raises(RegistryError, match="no partner nl-nobody"):
        await empty_store.partner("nl-nobody")
    with pytest.raises(RegistryError, match="no partner nl-nobody"):
        await empty_store.set_partner_state(
            "nl-nobody", PartnerState.SUSPENDED, lambda _: event(EventKind.PARTNER_STATE_CHANGED)
        )
    assert await kinds(empty_store) == []


async def test_a_change_of_state_hears_the_partner_as_it_was(empty_store: Store) -> None:
    await with_partners(empty_store, LIMBURG)
    heard: list[PartnerState] = []

    def change(before: Partner) -> AuditEvent:
        heard.append(before.state)
        return event(EventKind.PARTNER_STATE_CHANGED)

    suspended = await empty_store.set_partner_state(LIMBURG.id, PartnerState.SUSPENDED, change)
    active = await empty_store.set_partner_state(LIMBURG.id, PartnerState.ACTIVE, change)

    assert (suspended.state, active.state) == (PartnerState.SUSPENDED, PartnerState.ACTIVE)
    assert heard == [PartnerState.ACTIVE, PartnerState.SUSPENDED]
    assert (await kinds(empty_store))[-2:] == ["partner.state_changed"] * 2


async def test_revoking_a_partner_revokes_its_certificates_and_is_for_good(
    empty_store: Store,
) -> None:
    await with_partners(empty_store, LIMBURG)
    await empty_store.register_certificate(
        certificate(LIMBURG, "a" * 64), event(EventKind.CERTIFICATE_ISSUED)
    )

    revoked = await empty_store.set_partner_state(
        LIMBURG.id, PartnerState.REVOKED, lambda _: event(EventKind.PARTNER_STATE_CHANGED)
    )

    assert revoked.state is PartnerState.REVOKED
    assert [c.state for c in await empty_store.certificates(LIMBURG.id)] == [
        CertificateState.REVOKED
    ]
    with pytest.raises(RegistryError, match="revoked for good"):
        await empty_store.set_partner_state(
            LIMBURG.id, PartnerState.ACTIVE, lambda _: event(EventKind.PARTNER_STATE_CHANGED)
        )
    with pytest.raises(RegistryError, match="revoked for good"):
        await empty_store.register_certificate(
            certificate(LIMBURG, "b" * 64), event(EventKind.CERTIFICATE_ISSUED)
        )


# --- certificates ----------------------------------------------------------------------------


async def test_a_certificate_is_kept_with_aware_times_and_listed_in_order(
    empty_store: Store,
) -> None:
    await with_partners(empty_store, LIMBURG, LIEGE)
    first = certificate(LIMBURG, "1" * 64)
    second = certificate(LIMBURG, "2" * 64, days=30)
    for issued in (first, certificate(LIEGE, "3" * 64), second):
        assert await empty_store.register_certificate(issued, event(EventKind.CERTIFICATE_ISSUED))

    listed = await empty_store.certificates(LIMBURG.id)

    assert listed == [first, second]
    assert all(c.not_before.utcoffset() == timedelta(0) for c in listed)
    assert listed[1].not_after - listed[1].not_before == timedelta(days=30)
    assert listed[0].state is CertificateState.ACTIVE


async def test_a_fingerprint_is_registered_once(empty_store: Store) -> None:
    await with_partners(empty_store, LIMBURG, LIEGE)
    await empty_store.register_certificate(
        certificate(LIMBURG, "c" * 64), event(EventKind.CERTIFICATE_ISSUED)
    )

    with pytest.raises(RegistryError, match="already registered"):
        await empty_store.register_certificate(
            certificate(LIEGE, "c" * 64), event(EventKind.CERTIFICATE_ISSUED)
        )
    with pytest.raises(RegistryError, match="no partner"):
        await empty_store.register_certificate(
            certificate(AACHEN, "d" * 64), event(EventKind.CERTIFICATE_ISSUED)
        )
    assert await empty_store.certificates(LIEGE.id) == []


async def test_a_certificate_is_revoked_once(empty_store: Store) -> None:
    await with_partners(empty_store, LIMBURG)
    issued = certificate(LIMBURG, "e" * 64)
    await empty_store.register_certificate(issued, event(EventKind.CERTIFICATE_ISSUED))

    revoked = await empty_store.revoke_certificate(
        issued.fingerprint, event(EventKind.CERTIFICATE_REVOKED)
    )

    assert (revoked.fingerprint, revoked.state) == (issued.fingerprint, CertificateState.REVOKED)
    with pytest.raises(RegistryError, match="no active certificate"):
        await empty_store.revoke_certificate(
            issued.fingerprint, event(EventKind.CERTIFICATE_REVOKED)
        )
    assert (await kinds(empty_store)).count("certificate.revoked") == 1


async def test_admission_names_whom_a_fingerprint_speaks_for_in_any_state(
    empty_store: Store,
) -> None:
    await with_partners(empty_store, LIMBURG, LIEGE)
    issued = certificate(LIEGE, "f" * 64)
    await empty_store.register_certificate(issued, event(EventKind.CERTIFICATE_ISSUED))
    await empty_store.revoke_certificate(issued.fingerprint, event(EventKind.CERTIFICATE_REVOKED))

    found = await empty_store.admission(issued.fingerprint)
    nobody = await empty_store.admission("0" * 64)
    anonymous = await empty_store.admission(None)

    assert found.partner == LIEGE
    assert found.certificate is not None
    assert found.certificate.state is CertificateState.REVOKED
    assert [p.id for p in found.registry] == ["be-pol-liege", "nl-pol-limburg"]
    assert (nobody.partner, nobody.certificate) == (None, None)
    assert (anonymous.partner, anonymous.registry) == (None, found.registry)


# --- partners' keys --------------------------------------------------------------------------


async def test_a_key_is_kept_as_given_and_added_now(
    empty_store: Store, store_clock: FixedClock
) -> None:
    await with_partners(empty_store, LIEGE)
    later = START + timedelta(days=7)
    store_clock.set(START + timedelta(seconds=3))

    kept = await empty_store.add_partner_key(
        key(LIEGE, "k1", valid_from=later), event(EventKind.PARTNER_KEY_ADDED)
    )

    assert kept.added_at == START + timedelta(seconds=3)
    assert (kept.valid_from, kept.valid_until, kept.retired_at) == (later, None, None)
    assert await empty_store.partner_keys(LIEGE.id) == [kept]


async def test_a_key_id_is_registered_once_and_only_for_an_active_partner(
    empty_store: Store,
) -> None:
    await with_partners(empty_store, LIEGE, AACHEN)
    await empty_store.add_partner_key(key(LIEGE, "k1"), event(EventKind.PARTNER_KEY_ADDED))
    await empty_store.set_partner_state(
        AACHEN.id, PartnerState.SUSPENDED, lambda _: event(EventKind.PARTNER_STATE_CHANGED)
    )

    with pytest.raises(RegistryError, match="already has key k1"):
        await empty_store.add_partner_key(key(LIEGE, "k1"), event(EventKind.PARTNER_KEY_ADDED))
    with pytest.raises(RegistryError, match="suspended"):
        await empty_store.add_partner_key(key(AACHEN, "k2"), event(EventKind.PARTNER_KEY_ADDED))
    with pytest.raises(RegistryError, match="no partner"):
        await empty_store.add_partner_key(key(LIMBURG, "k3"), event(EventKind.PARTNER_KEY_ADDED))
    with pytest.raises(RegistryError, match="no partner"):
        await empty_store.partner_keys(LIMBURG.id)
    assert (await kinds(empty_store)).count("partner_key.added") == 1


async def test_a_key_retires_once_and_nothing_new_is_sealed_to_it(
    empty_store: Store, store_clock: FixedClock
) -> None:
    await with_partners(empty_store, LIEGE)
    older = await empty_store.add_partner_key(key(LIEGE, "old"), event(EventKind.PARTNER_KEY_ADDED))
    store_clock.set(START + timedelta(seconds=1))
    newer = await empty_store.add_partner_key(key(LIEGE, "new"), event(EventKind.PARTNER_KEY_ADDED))
    heard: list[str | None] = []

    def retire(before: PartnerKey) -> AuditEvent:
        heard.append(None if before.retired_at is None else "retired")
        return event(EventKind.PARTNER_KEY_RETIRED)

    assert await empty_store.sealing_key(LIEGE.id, START + timedelta(hours=1)) == newer
    store_clock.set(START + timedelta(seconds=2))
    retired = await empty_store.retire_partner_key(LIEGE.id, "new", retire)

    assert retired.retired_at == START + timedelta(seconds=2)
    assert heard == [None]
    assert await empty_store.sealing_key(LIEGE.id, START + timedelta(hours=1)) == older
    assert [k.key_id for k in await empty_store.partner_keys(LIEGE.id)] == ["old", "new"]
    with pytest.raises(RegistryError, match="already retired"):
        await empty_store.retire_partner_key(LIEGE.id, "new", retire)
    with pytest.raises(RegistryError, match="has no key"):
        await empty_store.retire_partner_key(LIEGE.id, "other", retire)


async def test_no_key_seals_before_it_is_valid(empty_store: Store) -> None:
    await with_partners(empty_store, LIEGE)
    soon = START + timedelta(days=1)
    await empty_store.add_partner_key(
        key(LIEGE, "k", valid_from=soon), event(EventKind.PARTNER_KEY_ADDED)
    )

    assert await empty_store.sealing_key(LIEGE.id, START) is None
    assert await empty_store.sealing_key(LIMBURG.id, START) is None
    found = await empty_store.sealing_key(LIEGE.id, soon)
    assert found is not None
    assert found.key_id == "k"


# --- the gateway's signing keys --------------------------------------------------------------


async def test_gateway_keys_are_registered_once_and_listed_oldest_first(
    empty_store: Store,
) -> None:
    second = GatewayKey(key_id="g2", public_key=b"2" * 32, created_at=START + timedelta(days=1))
    first = GatewayKey(key_id="g1", public_key=b"1" * 32, created_at=START)
    for made in (second, first):
        await empty_store.add_gateway_key(made, event(EventKind.GATEWAY_KEY_CREATED))

    with pytest.raises(RegistryError, match="already registered"):
        await empty_store.add_gateway_key(first, event(EventKind.GATEWAY_KEY_CREATED))
    assert await empty_store.gateway_keys() == [first, second]


async def test_a_new_signing_key_is_kept_and_the_old_one_retires_once(empty_store: Store) -> None:
    old, new, newer = Signer.generate(), Signer.generate(), Signer.generate()
    created = an_event(EventKind.GATEWAY_KEY_CREATED, key_id=old.key_id)
    await empty_store.add_gateway_key(GatewayKey(old.key_id, old.public_key, START), created)
    retires = START + timedelta(days=14)
    rotated = an_event(EventKind.GATEWAY_KEY_ROTATED, by=refs.admin("a"), key_id=new.key_id)

    retiring = await empty_store.rotate_gateway_key(
        GatewayKey(new.key_id, new.public_key, START), replaces=old.key_id, retires_at=retires,
        event=rotated,
    )  # fmt: skip

    assert (retiring.key_id, retiring.retired_at) == (old.key_id, retires)
    keys = {key.key_id: key.retired_at for key in await empty_store.gateway_keys()}
    assert keys == {old.key_id: retires, new.key_id: None}
    with pytest.raises(RegistryError):
        await empty_store.rotate_gateway_key(
            GatewayKey(newer.key_id, newer.public_key, START), replaces=old.key_id,
            retires_at=retires, event=rotated,
        )  # fmt: skip
    assert newer.key_id not in {key.key_id for key in await empty_store.gateway_keys()}


# --- the sharing policy ----------------------------------------------------------------------


async def test_a_policy_adopted_is_in_force_with_its_text_kept(empty_store: Store) -> None:
    assert await empty_store.policy_in_force() is None

    await empty_store.adopt_policy("a" * 64, "version = 1\n", event(EventKind.POLICY_ADOPTED))
    await empty_store.adopt_policy("b" * 64, "version = 2\n", event(EventKind.POLICY_ADOPTED))

    assert await empty_store.policy_in_force() == "b" * 64
    assert await empty_store.policy_text("a" * 64) == "version = 1\n"
    assert await empty_store.policy_text("c" * 64) is None
    assert await kinds(empty_store) == ["policy.adopted", "policy.adopted"]


async def test_a_policy_adopted_again_is_in_force_again(empty_store: Store) -> None:
    for digest in ("a", "b", "a"):
        await empty_store.adopt_policy(digest * 64, f"{digest}\n", event(EventKind.POLICY_ADOPTED))

    assert await empty_store.policy_in_force() == "a" * 64
    assert await empty_store.policy_text("a" * 64) == "a\n"
    assert await kinds(empty_store) == ["policy.adopted"] * 3
