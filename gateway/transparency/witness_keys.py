"""A partner's witness key: made on the partner's side (registering it at the gateway, audited,
is the administration's: :mod:`gateway.registry.admin.keys`).

The private key is written as the Go ``sumdb/note`` tools write a signer key, so that other
witness software reads it: ``PRIVATE+KEY+<name>+<key ID>+<base64(type || seed)>``, type
``0x04`` (``cosignature/v1``). Its public half is the verifier key
``<name>+<key ID>+<base64(0x04 || public key)>``
(:class:`~gateway.infra.audit.cosignature.WitnessKey`), which is all the gateway is given.
"""

from __future__ import annotations

import base64
from typing import Final

from gateway.infra.audit.cosignature import COSIGNATURE_V1, Cosigner
from gateway.infra.audit.note import key_id, strict_b64decode, valid_key_name
from gateway.infra.errors import VerifierKeyMalformed
from gateway.infra.i18n import N_
from gateway.infra.seal import Signer

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
