"""A partner's witness key: made on the partner's side, registered at the gateway, audited.

The private key is written as the Go ``sumdb/note`` tools write a signer key, so that other
witness software reads it: ``PRIVATE+KEY+<name>+<key ID>+<base64(type || seed)>``, type
``0x04`` (``cosignature/v1``). Its public half is the verifier key
``<name>+<key ID>+<base64(0x04 || public key)>``
(:class:`~gateway.infra.audit.cosignature.WitnessKey`), which is all the gateway is given.
"""

from __future__ import annotations

import base64
from typing import Final

from gateway.infra.audit import events, refs
from gateway.infra.audit.cosignature import COSIGNATURE_V1, Cosigner, WitnessKey
from gateway.infra.audit.note import key_id, strict_b64decode, valid_key_name
from gateway.infra.audit.refs import Ref
from gateway.infra.errors import VerifierKeyMalformed
from gateway.infra.i18n import N_
from gateway.infra.seal import Signer
from gateway.store import RegisteredWitnessKey, Store

PRIVATE_PREFIX: Final = "PRIVATE+KEY+"
NOT_A_PRIVATE_KEY = N_(
    "it is not a witness's private key (PRIVATE+KEY+name+key ID+base64 of the key)."
)


def new_witness_key(name: str) -> tuple[str, str]:
    """A new witness key named ``name``: its private key text and its verifier key."""
    signer = Signer.generate()
    cosigner = Cosigner(name, signer)
    material = base64.b64encode(bytes([COSIGNATURE_V1]) + signer.to_bytes()).decode()
    private = f"{PRIVATE_PREFIX}{name}+{cosigner.key.key_id.hex()}+{material}"
    return private, cosigner.key.encode()


def read_witness_key(text: str) -> Cosigner:
    """The witness's cosigner from its private key text."""
    name, _, rest = text.strip().removeprefix(PRIVATE_PREFIX).partition("+")
    id_hex, _, material_b64 = rest.partition("+")
    material = strict_b64decode(material_b64)
    if (
        not text.strip().startswith(PRIVATE_PREFIX)
        or not valid_key_name(name)
        or material is None
        or len(material) != 33
        or material[0] != COSIGNATURE_V1
    ):
        raise VerifierKeyMalformed(reason=NOT_A_PRIVATE_KEY)
    signer = Signer.from_bytes(material[1:])
    if key_id(name, COSIGNATURE_V1, signer.public_key).hex() != id_hex:
        raise VerifierKeyMalformed(reason=NOT_A_PRIVATE_KEY)
    return Cosigner(name, signer)


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
