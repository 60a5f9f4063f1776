"""The envelope kept binary: smaller than its JSON, and always handed back byte for byte."""

from __future__ import annotations

import json

import pytest
from euregate_client import canonical
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.infra import seal
from gateway.infra.seal import Suite
from gateway.store import envelope_form
from tests.test_seal import BODY, KEYS, SIGNER, sealed


@settings(max_examples=300)
@given(value=st.one_of(st.binary(max_size=300), st.binary(max_size=40).map(b"\x00".__add__)))
def test_any_bytes_come_back_as_they_were_given(value: bytes) -> None:
    assert envelope_form.wire(envelope_form.stored(value)) == value


@pytest.mark.parametrize("suite", list(Suite))
@pytest.mark.parametrize("encoding", [seal.Encoding.ZLIB, None], ids=["v2", "v1"])
def test_an_envelope_is_kept_binary_a_quarter_smaller_and_rebuilt_exactly(
    suite: Suite, encoding: seal.Encoding | None
) -> None:
    envelope = seal.seal(
        BODY * 40,
        recipient_key=KEYS[suite][0],
        gateway_id="euregate",
        signal_id="0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        recipient_id=KEYS[suite][0].partner_id,
        signer=SIGNER,
        encoding=encoding,
    )
    wire = envelope.to_bytes()
    kept = envelope_form.stored(wire)
    binary = len(canonical.dumps(envelope.header.as_json())) + len(envelope.enc)
    binary += len(envelope.signature) + len(envelope.ciphertext)
    assert kept[:1] == b"\x00"
    assert len(kept) == 1 + 6 + binary
    assert len(kept) < 0.8 * len(wire)
    assert envelope_form.wire(kept) == wire


@settings(max_examples=50, deadline=None)
@given(plaintext=st.binary(max_size=3000))
def test_every_sealed_envelope_is_kept_binary_and_opens_after(plaintext: bytes) -> None:
    wire = sealed(plaintext=plaintext).to_bytes()
    kept = envelope_form.stored(wire)
    assert kept[:1] == b"\x00"
    assert envelope_form.wire(kept) == wire


def test_json_kept_before_the_binary_form_is_handed_out_as_it_is() -> None:
    """Rows written by earlier versions hold the canonical JSON itself."""
    wire = sealed().to_bytes()
    assert envelope_form.wire(wire) == wire


def test_an_envelope_in_other_than_canonical_form_is_kept_as_given() -> None:
    wire = json.dumps(json.loads(sealed().to_bytes()), indent=1).encode()
    assert envelope_form.stored(wire) == wire
    assert envelope_form.wire(envelope_form.stored(wire)) == wire
