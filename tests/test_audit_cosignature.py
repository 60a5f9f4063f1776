"""Witness cosignatures (C2SP tlog-cosignature, cosignature/v1 with Ed25519)."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gateway.infra.audit import note
from gateway.infra.audit.checkpoint import DEFAULT_ORIGIN, Checkpoint, sign_checkpoint
from gateway.infra.audit.cosignature import (
    COSIGNATURE_V1,
    Cosigner,
    WitnessKey,
    cosignatures,
    signed_message,
)
from gateway.infra.audit.note import Ed25519Signer, Signature
from gateway.infra.errors import NoteSignatureInvalid, VerifierKeyMalformed
from gateway.infra.seal import Signer

EXAMPLE_BODY = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)
EXAMPLE_COSIGNATURE = (
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2"
    "oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="
)


def test_the_signed_message_is_the_specifications() -> None:
    assert signed_message(EXAMPLE_BODY, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_the_specifications_example_line_holds_its_timestamp_then_an_ed25519_signature() -> None:
    parsed = Signature.parse(EXAMPLE_COSIGNATURE)
    assert parsed.name == "witness.example.com/w1"
    assert len(parsed.signature) == 8 + 64
    assert struct.unpack(">Q", parsed.signature[:8]) == (1679315147,)


def test_the_key_id_is_computed_with_type_0x04() -> None:
    key = Signer.generate()
    witness = Cosigner("witness.example/nl-pol-limburg", key).key
    expected = hashlib.sha256(b"witness.example/nl-pol-limburg\n\x04" + key.public_key).digest()
    assert witness.key_id == expected[:4]
    assert witness.key_id != note.key_id(witness.name, note.ED25519, key.public_key)
    vkey = witness.encode()
    assert base64.b64decode(vkey.split("+", 2)[2])[0] == COSIGNATURE_V1
    assert WitnessKey.parse(vkey) == witness


def test_an_ordinary_note_key_is_not_a_witness_key() -> None:
    signer = Ed25519Signer("witness.example/w", Signer.generate())
    with pytest.raises(VerifierKeyMalformed):
        WitnessKey.parse(signer.verifier.encode())


def signed_checkpoint(size: int = 42) -> note.Note:
    key = Ed25519Signer(DEFAULT_ORIGIN, Signer.generate())
    return sign_checkpoint(Checkpoint(DEFAULT_ORIGIN, size, bytes(range(32))), key).note


def test_a_cosignature_verifies_with_plain_ed25519_over_the_signed_message() -> None:
    key = Signer.generate()
    body = signed_checkpoint().text
    line = Cosigner("witness.example/w", key).cosign(body, 1_700_000_000)
    Ed25519PublicKey.from_public_bytes(key.public_key).verify(
        line.signature[8:], signed_message(body, 1_700_000_000)
    )
    assert line.signature[:8] == (1_700_000_000).to_bytes(8, "big")


def test_cosignatures_on_a_checkpoint_are_found_and_checked() -> None:
    checkpoint = signed_checkpoint()
    first, second = (
        Cosigner("w.example/be", Signer.generate()),
        Cosigner("w.example/de", Signer.generate()),
    )
    stranger = Cosigner("w.example/xx", Signer.generate())
    cosigned = checkpoint.with_signatures(
        [
            first.cosign(checkpoint.text, 1_700_000_001),
            stranger.cosign(checkpoint.text, 1_700_000_002),
            second.cosign(checkpoint.text, 1_700_000_003),
        ]
    )
    reopened = note.parse(cosigned.encode())
    found = cosignatures(reopened, [first.key, second.key])
    assert [(c.witness, c.timestamp) for c in found] == [
        ("w.example/be", 1_700_000_001),
        ("w.example/de", 1_700_000_003),
    ]
    assert cosignatures(reopened, []) == []


def test_a_cosignature_with_another_time_or_on_another_checkpoint_fails() -> None:
    checkpoint = signed_checkpoint()
    witness = Cosigner("w.example/be", Signer.generate())
    line = witness.cosign(checkpoint.text, 1_700_000_001)
    later = Signature(
        line.name, line.key_id, (1_700_000_002).to_bytes(8, "big") + line.signature[8:]
    )
    with pytest.raises(NoteSignatureInvalid):
        cosignatures(checkpoint.with_signatures([later]), [witness.key])
    other = signed_checkpoint(size=43)
    with pytest.raises(NoteSignatureInvalid):
        cosignatures(other.with_signatures([line]), [witness.key])
    assert not witness.key.verify(checkpoint.text.encode(), line.signature[:-1])


def test_a_timestamp_beyond_2_63_is_refused() -> None:
    witness = Cosigner("w.example/be", Signer.generate())
    with pytest.raises(ValueError, match="2\\^63"):
        witness.cosign("x\n", 1 << 63)
    forged = (1 << 63).to_bytes(8, "big") + bytes(64)
    assert not witness.key.verify(b"x\n", forged)
