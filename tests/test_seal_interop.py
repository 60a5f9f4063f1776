"""Interoperability with an independent HPKE implementation, pyhpke, both ways.

The gateway seals with the ``cryptography`` package's single-shot HPKE API, which takes
an ``info`` but no AAD: it always encrypts with an empty AAD. The RFC 9180 test vectors
(Appendix A) all use a non-empty AAD, so they cannot run through the gateway's code path.
pyhpke is itself tested against those vectors upstream; agreeing with it byte for byte, in
both directions, under the gateway's ``info``, is the proof here. pyhpke has no ML-KEM, so
the MLKEM768_X25519 suite is proven by round trip, wrong-key and tamper tests in
``tests/test_seal.py``.
"""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyhpke import AEADId, CipherSuite, KDFId, KEMId, OpenError

from gateway.infra import seal
from gateway.infra.errors import EnvelopeUndecryptable
from gateway.infra.seal import Encoding, EnvelopeHeader, PartnerKey, Signer, Suite

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LIEGE = "be-pol-liege"
SIGNAL = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
SIGNER = Signer.generate()
PYHPKE = CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.AES256_GCM)

_PRIVATE_PEM, _PUBLIC_PEM = seal.generate_key_pair(Suite.X25519)
PRIVATE = seal.load_private_key(_PRIVATE_PEM)
_, RAW_PUBLIC = seal.read_public_key(_PUBLIC_PEM)
PUBLIC = PartnerKey(
    partner_id=LIEGE,
    key_id=PRIVATE.key_id,
    suite=Suite.X25519,
    public_key=RAW_PUBLIC,
    valid_from=NOW,
)


def header(**overrides: object) -> EnvelopeHeader:
    fields = {
        "gateway_id": "euregate-euregio",
        "signal_id": SIGNAL,
        "recipient_id": LIEGE,
        "key_id": PUBLIC.key_id,
        "suite": Suite.X25519,
        "created_at": "2026-03-02T09:30:00.000000Z",
        "signing_key_id": SIGNER.key_id,
        **overrides,
    }
    return EnvelopeHeader(**fields)  # type: ignore[arg-type]


def inflated(content: bytes) -> bytes:
    """A version 2 envelope's content as any zlib reads it: one stream, then zeros."""
    inflater = zlib.decompressobj()
    plaintext = inflater.decompress(content)
    assert inflater.eof
    assert inflater.unused_data == bytes(len(inflater.unused_data))
    return plaintext


def pyhpke_opens(envelope: seal.Envelope) -> bytes:
    private = PYHPKE.kem.deserialize_private_key(PRIVATE.key.private_bytes_raw())
    context = PYHPKE.create_recipient_context(
        envelope.enc, private, info=seal.hpke_info(envelope.header)
    )
    opened: bytes = context.open(envelope.ciphertext)
    return opened


def pyhpke_seals(plaintext: bytes, for_header: EnvelopeHeader) -> tuple[bytes, bytes]:
    public = PYHPKE.kem.deserialize_public_key(RAW_PUBLIC)
    enc, context = PYHPKE.create_sender_context(public, info=seal.hpke_info(for_header))
    ciphertext: bytes = context.seal(plaintext)
    return enc, ciphertext


def gateway_opens(envelope: seal.Envelope) -> bytes:
    return seal.open_envelope(
        envelope.to_bytes(),
        private_key=PRIVATE,
        recipient_id=LIEGE,
        signal_id=SIGNAL,
        gateway_public_keys={SIGNER.key_id: SIGNER.public_key},
    )


@settings(max_examples=50, deadline=None)
@given(plaintext=st.binary(max_size=2048))
def test_what_the_gateway_seals_opens_with_pyhpke(plaintext: bytes) -> None:
    envelope = seal.seal(
        plaintext,
        recipient_key=PUBLIC,
        gateway_id="euregate-euregio",
        signal_id=SIGNAL,
        recipient_id=LIEGE,
        signer=SIGNER,
        now=NOW,
    )
    assert envelope.header.encoding is Encoding.ZLIB
    assert inflated(pyhpke_opens(envelope)) == plaintext


@settings(max_examples=50, deadline=None)
@given(plaintext=st.binary(max_size=2048), compressed=st.booleans())
def test_what_pyhpke_seals_opens_on_the_gateways_open_path(
    plaintext: bytes, compressed: bool
) -> None:
    """Version 2 (compressed with the standard zlib, padded with zeros) and version 1."""
    if compressed:
        bound = header(encoding=Encoding.ZLIB)
        packed = zlib.compress(plaintext, 9)
        content = packed + bytes(-len(packed) % 1024)
    else:
        bound, content = header(), plaintext
    enc, ciphertext = pyhpke_seals(content, bound)
    envelope = seal.sign_envelope(bound, enc, ciphertext, SIGNER)
    assert gateway_opens(envelope) == plaintext


def test_pyhpke_agrees_that_the_info_binds_the_recipient() -> None:
    envelope = seal.seal(
        b"an envelope for Liege",
        recipient_key=PUBLIC,
        gateway_id="euregate-euregio",
        signal_id=SIGNAL,
        recipient_id=LIEGE,
        signer=SIGNER,
        now=NOW,
    )
    with pytest.raises(OpenError):
        pyhpke_opens(replace(envelope, header=replace(envelope.header, recipient_id="x")))


def test_pyhpke_sealed_under_another_binding_does_not_open_on_the_gateways_path() -> None:
    enc, ciphertext = pyhpke_seals(b"meant for Aachen", header(recipient_id="de-pol-aachen"))
    envelope = seal.sign_envelope(header(), enc, ciphertext, SIGNER)
    with pytest.raises(EnvelopeUndecryptable):
        gateway_opens(envelope)
