"""Keys: a partner's encryption public keys and its witnesses' verifier keys, added and retired,
and the gateway's own signing key registered, its public half served at
``GET /v1/gateway/keys``."""

from __future__ import annotations

from datetime import datetime

from gateway.infra import audit, seal
from gateway.infra.audit import events, refs
from gateway.infra.audit.cosignature import WitnessKey
from gateway.infra.audit.refs import Ref
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_
from gateway.infra.seal import GatewayKey, PartnerKey, Signer, Suite
from gateway.store import RegisteredWitnessKey, Store


async def add_partner_key(
    store: Store,
    partner_id: str,
    public_key_pem: bytes,
    *,
    now: datetime,
    actor: Ref,
    suite: Suite | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> PartnerKey:
    """Register a partner's encryption public key from PEM; audited."""
    try:
        found, raw = seal.read_public_key(public_key_pem, suite)
    except ValueError as exc:
        raise RegistryError(N_("{problem}"), problem=str(exc)) from exc
    valid_from = valid_from or now
    if valid_until is not None and valid_until <= valid_from:
        raise RegistryError(N_("the key must be valid until after it becomes valid"))
    key = PartnerKey(
        partner_id=partner_id,
        key_id=seal.key_id(found, raw),
        suite=found,
        public_key=raw,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    return await store.add_partner_key(
        key,
        events.PartnerKeyAdded(
            by=actor,
            about=refs.partner(partner_id),
            key_id=key.key_id,
            suite=str(key.suite),
            valid_from=audit.timestamp(valid_from),
            valid_until=None if valid_until is None else audit.timestamp(valid_until),
        ),
    )


async def retire_partner_key(
    store: Store, partner_id: str, key_id: str, *, actor: Ref
) -> PartnerKey:
    def event(current: PartnerKey) -> events.PartnerKeyRetired:
        return events.PartnerKeyRetired(
            by=actor, about=refs.partner(partner_id), key_id=key_id, suite=str(current.suite)
        )

    return await store.retire_partner_key(partner_id, key_id, event)


async def register_gateway_key(store: Store, signer: Signer, *, now: datetime, actor: Ref) -> None:
    """Register the public half of the gateway's signing key, once."""
    if any(key.key_id == signer.key_id for key in await store.gateway_keys()):
        return
    await store.add_gateway_key(
        GatewayKey(key_id=signer.key_id, public_key=signer.public_key, created_at=now),
        events.GatewayKeyCreated(by=actor, key_id=signer.key_id, algorithm="Ed25519"),
    )


async def add_witness_key(
    store: Store, partner_id: str, vkey: str, *, actor: Ref
) -> RegisteredWitnessKey:
    """Register a partner's witness verifier key (``cosignature/v1``); audited."""
    key = WitnessKey.parse(vkey.strip())
    return await store.add_witness_key(
        RegisteredWitnessKey.of(partner_id, key),
        events.WitnessKeyAdded(
            by=actor, about=refs.partner(partner_id), key_name=key.name, key_id=key.key_id.hex()
        ),
    )


async def retire_witness_key(
    store: Store, partner_id: str, key_id_hex: str, *, actor: Ref
) -> RegisteredWitnessKey:
    """Retire a partner's witness key: its cosignatures are refused from now on; audited."""

    def event(current: RegisteredWitnessKey) -> events.WitnessKeyRetired:
        return events.WitnessKeyRetired(
            by=actor, about=refs.partner(partner_id), key_name=current.name, key_id=current.key_id
        )

    return await store.retire_witness_key(partner_id, key_id_hex, event)
