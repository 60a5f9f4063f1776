"""Version 2 envelopes: the plaintext compressed and padded before sealing, the encoding
bound into HPKE ``info`` and the signature; version 1 envelopes, sealed before, still open."""

from __future__ import annotations

import json
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from euregate_client import canonical, open_message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.infra import seal
from gateway.infra.errors import EnvelopeMalformed, EnvelopeSignatureInvalid, EnvelopeUndecryptable
from gateway.infra.seal import Encoding, Envelope, Suite
from tests.test_seal import BODY, KEYS, LIEGE, SIGNAL, SIGNER, opened, sealed

V1_FIXTURE = Path(__file__).parent / "data" / "envelope-v1.json"


def _v1() -> dict[str, str | dict[str, object]]:
    loaded: dict[str, str | dict[str, object]] = json.loads(V1_FIXTURE.read_text("utf-8"))
    return loaded


def test_an_envelope_sealed_by_the_version_1_code_still_opens() -> None:
    """The fixture was sealed by the code before compression, with its own test keys."""
    fixture = _v1()
    envelope = Envelope.from_json(fixture["envelope"])
    private_key = seal.load_private_key(str(fixture["recipient_private_key_pem"]).encode())
    gateway_keys = {
        str(fixture["gateway_signing_key_id"]): seal.unb64url(str(fixture["gateway_public_key"]))
    }
    assert envelope.header.version == 1
    assert envelope.header.encoding is None
    assert envelope.to_bytes() == canonical.dumps(fixture["envelope"])
    message = open_message(
        {
            "id": "e1",
            "position": 1,
            "signal_id": envelope.header.signal_id,
            "version": 1,
            "envelope": fixture["envelope"],
        },
        private_key=private_key,
        recipient_id=envelope.header.recipient_id,
        gateway_keys=gateway_keys,
    )
    assert json.dumps(message.content, separators=(",", ":")) == fixture["plaintext"]


@pytest.mark.parametrize("suite", list(Suite))
def test_the_gateway_can_still_seal_version_1_and_it_opens_uncompressed(suite: Suite) -> None:
    envelope = seal.seal(
        BODY,
        recipient_key=KEYS[suite][0],
        gateway_id="euregate-euregio",
        signal_id=SIGNAL,
        recipient_id=LIEGE,
        signer=SIGNER,
        encoding=None,
    )
    assert json.loads(envelope.to_bytes())["header"]["version"] == 1
    assert "encoding" not in json.loads(envelope.to_bytes())["header"]
    assert len(envelope.ciphertext) == len(BODY) + 16
    assert b"euregate/envelope/v1/hpke-info" in seal.hpke_info(envelope.header)
    assert opened(envelope.to_bytes(), suite) == BODY


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    plaintext=st.one_of(
        st.binary(max_size=6000), st.text(max_size=3000).map(str.encode), st.just(b"")
    ),
    suite=st.sampled_from(list(Suite)),
)
def test_any_payload_round_trips_padded_to_whole_kibibytes(plaintext: bytes, suite: Suite) -> None:
    envelope = sealed(suite, plaintext)
    assert envelope.header.encoding is Encoding.ZLIB
    assert (len(envelope.ciphertext) - 16) % seal.PADDING_BLOCK == 0
    assert len(envelope.ciphertext) - 16 <= len(zlib.compress(plaintext)) + seal.PADDING_BLOCK
    assert opened(Envelope.from_bytes(envelope.to_bytes()).to_bytes(), suite) == plaintext


def test_how_well_a_payload_compressed_shows_only_to_the_kibibyte() -> None:
    redundant, dense = b"a" * 900, bytes(range(256)) * 2
    assert len(sealed(plaintext=redundant).ciphertext) == len(sealed(plaintext=dense).ciphertext)


@settings(max_examples=40, deadline=None)
@given(
    encoding=st.sampled_from([None, "zstd", "zlib ", "ZLIB"]), suite=st.sampled_from(list(Suite))
)
def test_a_tampered_encoding_fails_the_signature(encoding: str | None, suite: Suite) -> None:
    envelope = sealed(suite)
    forged = replace(envelope, header=replace(envelope.header, encoding=encoding))  # type: ignore[arg-type]
    with pytest.raises(EnvelopeSignatureInvalid):
        opened(forged, suite)


@pytest.mark.parametrize("suite", list(Suite))
def test_a_downgrade_to_version_1_does_not_decrypt_even_when_signed_again(suite: Suite) -> None:
    """The encoding is in HPKE ``info``: were the signature ever forged, a v2 envelope
    relabelled v1 (so that its compressed bytes would pass for the plaintext) still fails."""
    envelope = sealed(suite)
    header = replace(envelope.header, encoding=None)
    forged = seal.sign_envelope(header, envelope.enc, envelope.ciphertext, SIGNER)
    with pytest.raises(EnvelopeUndecryptable):
        opened(forged, suite)


_STREAM = zlib.compress(BODY)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(b"not zlib at all", "the content is not a zlib stream", id="not-zlib"),
        pytest.param(
            _STREAM[:-3],
            "the content is not one whole zlib stream within bounds",
            id="truncated",
        ),
        pytest.param(
            _STREAM + b"\x00\x00\x01",
            "the content's padding is not all zeros",
            id="padding-not-zero",
        ),
        pytest.param(
            _STREAM + _STREAM, "the content's padding is not all zeros", id="second-stream"
        ),
    ],
)
def test_content_that_is_not_one_zlib_stream_and_zeros_is_malformed(
    content: bytes, reason: str
) -> None:
    with pytest.raises(EnvelopeMalformed) as refused:
        seal.decode_content(content, Encoding.ZLIB)
    assert refused.value.params == {"reason": reason}


def test_content_that_inflates_past_the_bound_is_refused() -> None:
    bomb = zlib.compress(bytes(seal.MAX_PLAINTEXT + 1), 9)
    with pytest.raises(EnvelopeMalformed) as refused:
        seal.decode_content(bomb, Encoding.ZLIB)
    assert refused.value.params == {
        "reason": "the content is not one whole zlib stream within bounds"
    }


@pytest.mark.parametrize("suite", list(Suite))
def test_a_bad_stream_sealed_and_signed_by_the_gateway_is_malformed_not_garbage(
    suite: Suite,
) -> None:
    """Decryption succeeds, the signature holds: the content itself is refused."""
    envelope = sealed(suite)
    header = envelope.header
    content = b"\x01" * seal.PADDING_BLOCK
    public = seal._public_key_object(suite, KEYS[suite][0].public_key)
    raw = suite.hpke.encrypt(content, public, info=seal.hpke_info(header))
    forged = seal.sign_envelope(header, raw[: suite.enc_length], raw[suite.enc_length :], SIGNER)
    with pytest.raises(EnvelopeMalformed):
        opened(forged, suite)
