"""A receipt's proof: its audit entry is in a checkpoint the gateway signed.

A partner needs only its receipt (the entry's leaf index and hash), the checkpoint, the
gateway's public key and the inclusion proof, which the gateway hands anyone and which
proves nothing unless it leads to the signed root (:func:`prove_receipt`).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from euregate_client import merkle
from euregate_client.checkpoint import SignedCheckpoint, open_checkpoint
from euregate_client.errors import InclusionUnproven, NoteUnverified, ReceiptMalformed
from euregate_client.note import Ed25519Verifier, strict_b64decode


def log_verifiers(origin: str, public_keys: Iterable[bytes]) -> list[Ed25519Verifier]:
    """The note keys of the gateway's signing keys (raw Ed25519), under the log's origin."""
    return [Ed25519Verifier(origin, key) for key in public_keys]


def open_log_checkpoint(
    note: bytes, verifiers: Sequence[Ed25519Verifier], *, origin: str
) -> SignedCheckpoint:
    """The checkpoint in ``note`` if one of the gateway's keys signed it, for ``origin``; a
    typed :class:`~gateway.infra.errors.NoteRefused` otherwise."""
    unverified = NoteUnverified(names=origin)
    for verifier in verifiers:
        try:
            return open_checkpoint(note, verifier, origin=origin)
        except NoteUnverified as refusal:
            unverified = refusal
    raise unverified


@dataclass(frozen=True)
class ReceiptLeaf:
    """What a receipt says of its audit entry: the leaf's index and hash in the tree."""

    index: int
    leaf_hash: bytes

    @classmethod
    def of(cls, receipt: Mapping[str, Any]) -> ReceiptLeaf:
        """From a receipt (``POST /v1/signals``) or a status (``GET /v1/signals/{id}``)."""
        found = receipt.get("audit")
        index = found.get("leaf_index") if isinstance(found, dict) else None
        encoded = found.get("leaf_hash") if isinstance(found, dict) else None
        leaf = strict_b64decode(encoded) if isinstance(encoded, str) else None
        if type(index) is not int or index < 0 or leaf is None or len(leaf) != merkle.HASH_SIZE:
            raise ReceiptMalformed()
        return cls(index, leaf)


def decode_proof(encoded: object) -> list[bytes]:
    """A proof as JSON carries it: a list of base64 hashes. What is not one is left out, so
    that a proof with it does not verify."""
    nodes = encoded if isinstance(encoded, list) else []
    return [raw for node in nodes if isinstance(node, str) and (raw := strict_b64decode(node))]


def prove_receipt(
    leaf: ReceiptLeaf,
    checkpoint_note: bytes,
    proof: Sequence[bytes],
    verifiers: Sequence[Ed25519Verifier],
    *,
    origin: str,
) -> SignedCheckpoint:
    """The signed checkpoint, if ``proof`` shows the receipt's entry in it; else
    :class:`InclusionUnproven` (or a typed refusal of the checkpoint itself)."""
    signed = open_log_checkpoint(checkpoint_note, verifiers, origin=origin)
    size, root = signed.checkpoint.size, signed.checkpoint.root
    if not merkle.verify_inclusion(leaf.leaf_hash, leaf.index, size, proof, root):
        raise InclusionUnproven(
            index=leaf.index,
            leaf_hash=base64.b64encode(leaf.leaf_hash).decode(),
            size=size,
        )
    return signed
