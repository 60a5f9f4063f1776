"""Sealing: a recipient's copy opens for that recipient's key, that signal and that gateway
signature only, and every other envelope is refused with an error that says why."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa, x25519
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.infra import seal
from gateway.infra.errors import (
    EnvelopeMalformed,
    EnvelopeMisaddressed,
    EnvelopeRefused,
    EnvelopeSignatureInvalid,
    EnvelopeUndecryptable,
    EnvelopeWrongKey,
)
from gateway.infra.seal import (
    Envelope,
    EnvelopeHeader,
    PartnerKey,
    RecipientPrivateKey,
    Signer,
    Suite,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
GATEWAY = "euregate-euregio"
SIGNAL = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
LIEGE = "be-pol-liege"
BODY = "Résumé : plantation de cannabis au-dessus d'un magasin à Kerkrade.".encode()
SIGNER = Signer.generate()
GATEWAY_KEYS = {SIGNER.key_id: SIGNER.public_key}


def key_pair(suite: Suite, partner_id: str = LIEGE) -> tuple[PartnerKey, RecipientPrivateKey]:
    private_pem, public_pem = seal.generate_key_pair(suite)
    found, raw = seal.read_public_key(public_pem)
    public = PartnerKey(
        partner_id=partner_id,
        key_id=seal.key_id(found, raw),
        suite=found,
        public_key=raw,
        valid_from=NOW,
    )
    return public, seal.load_private_key(private_pem)


KEYS = {suite: key_pair(suite) for suite in Suite}


def sealed(suite: Suite = Suite.X25519, plaintext: bytes = BODY, **overrides: str) -> Envelope:
    ids = {"gateway_id": GATEWAY, "signal_id": SIGNAL, "recipient_id": LIEGE, **overrides}
    return seal.seal(plaintext, recipient_key=KEYS[suite][0], signer=SIGNER, now=NOW, **ids)


def opened(
    envelope: Envelope | bytes,
    suite: Suite = Suite.X25519,
    *,
    recipient_id: str = LIEGE,
    signal_id: str | None = SIGNAL,
    private_key: RecipientPrivateKey | None = None,
) -> bytes:
    return seal.open_envelope(
        envelope,
        private_key=private_key or KEYS[suite][1],
        recipient_id=recipient_id,
        signal_id=signal_id,
        gateway_public_keys=GATEWAY_KEYS,
    )


def resigned(envelope: Envelope, **header: str) -> Envelope:
    """The envelope with its header changed and signed again by the real gateway key."""
    new_header = replace(envelope.header, **header)
    return seal.sign_envelope(new_header, envelope.enc, envelope.ciphertext, SIGNER)


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("suite", list(Suite))
def test_a_sealed_copy_opens_for_its_recipient(suite: Suite) -> None:
    envelope = sealed(suite)
    assert opened(envelope, suite) == BODY
    assert opened(envelope.to_bytes(), suite) == BODY
    assert opened(envelope, suite, signal_id=None) == BODY


@pytest.mark.parametrize("suite", list(Suite))
def test_the_header_says_who_what_and_with_which_keys(suite: Suite) -> None:
    header = sealed(suite).header
    assert header == EnvelopeHeader(
        gateway_id=GATEWAY,
        signal_id=SIGNAL,
        recipient_id=LIEGE,
        key_id=KEYS[suite][0].key_id,
        suite=suite,
        created_at="2026-03-02T09:30:00.000000Z",
        signing_key_id=SIGNER.key_id,
        encoding=seal.Encoding.ZLIB,
    )
    assert header.version == 2


@pytest.mark.parametrize("suite", list(Suite))
def test_the_plaintext_is_nowhere_in_the_envelope_and_no_two_seals_are_alike(
    suite: Suite,
) -> None:
    first, second = sealed(suite), sealed(suite)
    assert len(first.ciphertext) == 1024 + 16  # compressed, padded to 1 KiB, plus its tag
    for start in range(len(BODY) - 7):
        piece = BODY[start : start + 8]
        assert piece not in first.ciphertext
        assert piece not in first.enc
        assert piece not in first.to_bytes()
    assert first.enc != second.enc
    assert first.ciphertext != second.ciphertext


@pytest.mark.parametrize("suite", list(Suite))
def test_enc_has_the_length_of_the_suite(suite: Suite) -> None:
    assert len(sealed(suite).enc) == {Suite.X25519: 32, Suite.MLKEM768_X25519: 1120}[suite]


def test_the_envelope_is_canonical_json_with_base64url_members() -> None:
    envelope = sealed()
    document = json.loads(envelope.to_bytes())
    assert set(document) == {"header", "enc", "ciphertext", "signature"}
    assert document["header"]["suite"] == "X25519"
    for member in ("enc", "ciphertext", "signature"):
        assert "=" not in document[member]
        assert "+" not in document[member]
        assert "/" not in document[member]
    assert Envelope.from_bytes(envelope.to_bytes()) == envelope
    assert json.dumps(document, sort_keys=True, separators=(",", ":")).encode() == (
        envelope.to_bytes()
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    plaintext=st.binary(max_size=4096),
    gateway_id=st.text(min_size=1, max_size=40),
    signal_id=st.text(min_size=1, max_size=40),
    recipient_id=st.text(min_size=1, max_size=40),
    suite=st.sampled_from(list(Suite)),
)
def test_any_plaintext_under_any_ids_round_trips(
    plaintext: bytes, gateway_id: str, signal_id: str, recipient_id: str, suite: Suite
) -> None:
    key = replace(KEYS[suite][0], partner_id=recipient_id)
    envelope = seal.seal(
        plaintext,
        recipient_key=key,
        gateway_id=gateway_id,
        signal_id=signal_id,
        recipient_id=recipient_id,
        signer=SIGNER,
    )
    assert Envelope.from_bytes(envelope.to_bytes()) == envelope
    assert (
        opened(envelope.to_bytes(), suite, recipient_id=recipient_id, signal_id=signal_id)
        == plaintext
    )


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("suite", list(Suite))
def test_another_private_key_is_refused(suite: Suite) -> None:
    _, other = key_pair(suite)
    with pytest.raises(EnvelopeWrongKey) as refused:
        opened(sealed(suite), suite, private_key=other)
    assert refused.value.params == {
        "key_id": KEYS[suite][0].key_id,
        "suite": suite.value,
        "given": other.key_id,
    }


def test_a_key_of_the_other_suite_is_refused() -> None:
    with pytest.raises(EnvelopeWrongKey):
        opened(sealed(Suite.X25519), private_key=KEYS[Suite.MLKEM768_X25519][1])


@pytest.mark.parametrize("suite", list(Suite))
def test_a_private_key_passed_off_under_the_right_id_does_not_decrypt(suite: Suite) -> None:
    _, other = key_pair(suite)
    impostor = replace(other, key_id=KEYS[suite][0].key_id)
    with pytest.raises(EnvelopeUndecryptable):
        opened(sealed(suite), suite, private_key=impostor)


@pytest.mark.parametrize("suite", list(Suite))
def test_an_envelope_for_another_recipient_is_refused(suite: Suite) -> None:
    with pytest.raises(EnvelopeMisaddressed) as refused:
        opened(sealed(suite), suite, recipient_id="de-pol-aachen")
    assert refused.value.params == {"recipient": LIEGE, "signal": SIGNAL}


@pytest.mark.parametrize("suite", list(Suite))
def test_an_envelope_of_another_signal_is_refused(suite: Suite) -> None:
    with pytest.raises(EnvelopeMisaddressed):
        opened(sealed(suite), suite, signal_id="0193a1b2-0000-7000-8000-000000000000")


@settings(max_examples=50, deadline=None)
@given(expected=st.text(min_size=1, max_size=40), which=st.sampled_from(["recipient", "signal"]))
def test_any_other_recipient_or_signal_is_refused(expected: str, which: str) -> None:
    envelope = sealed()
    if which == "recipient" and expected != LIEGE:
        with pytest.raises(EnvelopeMisaddressed):
            opened(envelope, recipient_id=expected)
    if which == "signal" and expected != SIGNAL:
        with pytest.raises(EnvelopeMisaddressed):
            opened(envelope, signal_id=expected)


@pytest.mark.parametrize("suite", list(Suite))
@pytest.mark.parametrize(
    "member", ["gateway_id", "signal_id", "recipient_id", "created_at", "key_id"]
)
def test_a_changed_header_member_breaks_the_signature(suite: Suite, member: str) -> None:
    envelope = sealed(suite)
    forged = replace(envelope, header=replace(envelope.header, **{member: "x"}))
    expect = {"recipient_id": "x", "signal_id": "x"}
    with pytest.raises(EnvelopeSignatureInvalid if member != "key_id" else EnvelopeWrongKey):
        opened(forged, suite, **{k: v for k, v in expect.items() if k == member})


@pytest.mark.parametrize("suite", list(Suite))
@pytest.mark.parametrize("member", ["enc", "ciphertext", "signature"])
def test_a_flipped_byte_in_enc_ciphertext_or_signature_is_refused(
    suite: Suite, member: str
) -> None:
    envelope = sealed(suite)
    value = bytearray(getattr(envelope, member))
    for index in (0, len(value) // 2, len(value) - 1):
        tampered = bytearray(value)
        tampered[index] ^= 0x01
        with pytest.raises(EnvelopeSignatureInvalid):
            opened(replace(envelope, **{member: bytes(tampered)}), suite)


@pytest.mark.parametrize("suite", list(Suite))
@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("recipient_id", "be-gem-eupen"),
        ("signal_id", "0193a1b2-0000-7000-8000-000000000000"),
        ("gateway_id", "another-gateway"),
    ],
)
def test_hpke_info_binds_the_ids_even_under_a_valid_signature(
    suite: Suite, member: str, value: str
) -> None:
    """Were the signature ever to pass (a gateway bug, a stolen signing key), an envelope
    re-addressed to another recipient or signal still does not decrypt."""
    forged = resigned(sealed(suite), **{member: value})
    expectations = {"recipient_id": LIEGE, "signal_id": SIGNAL}
    if member in expectations:
        expectations[member] = value
    with pytest.raises(EnvelopeUndecryptable):
        opened(forged, suite, **expectations)


@pytest.mark.parametrize("suite", list(Suite))
def test_a_tampered_ciphertext_under_a_valid_signature_does_not_decrypt(suite: Suite) -> None:
    envelope = sealed(suite)
    ciphertext = bytearray(envelope.ciphertext)
    ciphertext[-1] ^= 0x80
    forged = seal.sign_envelope(envelope.header, envelope.enc, bytes(ciphertext), SIGNER)
    with pytest.raises(EnvelopeUndecryptable):
        opened(forged, suite)


def test_an_unknown_signing_key_or_another_gateways_signature_is_refused() -> None:
    envelope = sealed()
    with pytest.raises(EnvelopeSignatureInvalid) as unknown:
        seal.open_envelope(
            envelope,
            private_key=KEYS[Suite.X25519][1],
            recipient_id=LIEGE,
            signal_id=SIGNAL,
            gateway_public_keys={},
        )
    assert unknown.value.params == {"reason": f"unknown signing key {SIGNER.key_id}"}
    impostor = Signer.generate()
    with pytest.raises(EnvelopeSignatureInvalid) as forged:
        seal.open_envelope(
            envelope,
            private_key=KEYS[Suite.X25519][1],
            recipient_id=LIEGE,
            signal_id=SIGNAL,
            gateway_public_keys={SIGNER.key_id: impostor.public_key},
        )
    assert forged.value.params == {"reason": "the signature does not match"}


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_a_flipped_bit_anywhere_in_the_stored_envelope_is_refused(data: st.DataObject) -> None:
    raw = bytearray(sealed().to_bytes())
    bit = data.draw(st.integers(min_value=0, max_value=len(raw) * 8 - 1))
    raw[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(EnvelopeRefused):
        opened(bytes(raw))


def _document() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(sealed().to_bytes())
    return loaded


def _header_with(**members: object) -> dict[str, object]:
    document = _document()
    header = dict(document["header"])  # type: ignore[call-overload]
    header.update(members)
    document["header"] = {k: v for k, v in header.items() if v is not _DROP}
    return document


_DROP = object()


_MEMBERS = "an envelope has exactly ciphertext, enc, header, signature"
_V2 = "the header must have exactly the members of v2"
_TEXTS = "header members must be non-empty strings"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        pytest.param(b"not json", "not a JSON document", id="not-json"),
        pytest.param(b"\xff\xfe", "not a JSON document", id="not-utf8"),
        pytest.param(b"[" * 100_000, "not a JSON document", id="too-deep"),
        pytest.param(b"[]", _MEMBERS, id="not-an-object"),
        pytest.param(
            {k: v for k, v in _document().items() if k != "signature"}, _MEMBERS, id="no-sig"
        ),
        pytest.param({**_document(), "extra": 1}, _MEMBERS, id="extra-member"),
        pytest.param(
            {**_document(), "header": "v1"},
            "the header must be an object with a version",
            id="header-not-an-object",
        ),
        pytest.param(_header_with(created_at=_DROP), _V2, id="missing-header-member"),
        pytest.param(_header_with(encoding=_DROP), _V2, id="v2-without-encoding"),
        pytest.param(
            _header_with(version=1), "the header must have exactly the members of v1", id="v1-enc"
        ),
        pytest.param(_header_with(version=3), "version 3 is not supported", id="version-3"),
        pytest.param(_header_with(encoding="zstd"), "unknown encoding 'zstd'", id="encoding"),
        pytest.param(_header_with(encoding=""), _TEXTS, id="empty-encoding"),
        pytest.param(_header_with(version=True), "version True is not supported", id="v-true"),
        pytest.param(_header_with(version=1.0), "version 1.0 is not supported", id="v-float"),
        pytest.param(_header_with(suite="P256"), "unknown suite 'P256'", id="unknown-suite"),
        pytest.param(_header_with(signal_id=""), _TEXTS, id="empty-id"),
        pytest.param(_header_with(gateway_id=""), _TEXTS, id="empty-gateway-id"),
        pytest.param(_header_with(signal_id=7), _TEXTS, id="id-not-text"),
        pytest.param(
            {**_document(), "enc": str(_document()["enc"]) + "="},
            "enc is not unpadded base64url",
            id="padded",
        ),
        pytest.param(
            {**_document(), "enc": "a+b/"}, "enc is not canonical base64url", id="plain-base64"
        ),
        pytest.param(
            {**_document(), "enc": "A"}, "enc is not unpadded base64url", id="impossible-length"
        ),
        pytest.param({**_document(), "enc": 5}, "enc is not unpadded base64url", id="enc-number"),
        pytest.param(
            {**_document(), "ciphertext": None},
            "ciphertext is not unpadded base64url",
            id="ciphertext-null",
        ),
        pytest.param(
            {**_document(), "signature": ["AAAA"]},
            "signature is not unpadded base64url",
            id="signature-an-array",
        ),
        pytest.param(
            {**_document(), "enc": "ÄÖ"}, "enc is not unpadded base64url", id="enc-not-ascii"
        ),
    ],
)
def test_what_is_not_an_envelope_is_refused_as_malformed_saying_why(
    document: object, reason: str
) -> None:
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    with pytest.raises(EnvelopeMalformed) as refused:
        opened(raw)
    assert refused.value.params == {"reason": reason}


def test_a_well_signed_enc_of_the_wrong_length_is_malformed() -> None:
    envelope = sealed()
    forged = seal.sign_envelope(envelope.header, envelope.enc[:-1], envelope.ciphertext, SIGNER)
    with pytest.raises(EnvelopeMalformed) as refused:
        opened(forged)
    assert refused.value.params == {"reason": "enc has the wrong length for the suite"}


def test_sealing_to_another_partners_key_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not be-gem-eupen's"):
        sealed(recipient_id="be-gem-eupen")


# --- keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize("suite", list(Suite))
def test_a_key_file_names_its_suite_and_both_halves_agree_on_the_id(suite: Suite) -> None:
    private_pem, public_pem = seal.generate_key_pair(suite)
    found, raw = seal.read_public_key(public_pem)
    assert found is suite
    assert len(raw) == {Suite.X25519: 32, Suite.MLKEM768_X25519: 1184 + 32}[suite]
    private = seal.load_private_key(private_pem)
    assert private.suite is suite
    assert private.key_id == seal.key_id(suite, raw)
    assert seal.read_public_key(public_pem, suite) == (found, raw)


def test_a_key_file_of_another_suite_or_no_key_at_all_is_refused() -> None:
    _, public_pem = seal.generate_key_pair(Suite.MLKEM768_X25519)
    with pytest.raises(ValueError, match="MLKEM768_X25519 key, not X25519"):
        seal.read_public_key(public_pem, Suite.X25519)
    with pytest.raises(ValueError, match="expected one X25519 public key"):
        seal.read_public_key(b"")
    with pytest.raises(ValueError, match="not a PEM public key"):
        seal.read_public_key(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    ed25519_pem = (
        b"-----BEGIN PUBLIC KEY-----\n"
        b"MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
        b"-----END PUBLIC KEY-----\n"
    )
    with pytest.raises(ValueError, match="expected one X25519 public key"):
        seal.read_public_key(ed25519_pem)


def _pem(label: bytes, der: bytes) -> bytes:
    body = base64.encodebytes(der)
    return b"-----BEGIN " + label + b"-----\n" + body + b"-----END " + label + b"-----\n"


_RSA = rsa.generate_private_key(public_exponent=65537, key_size=1024)
_EXPECTED_PRIVATE = (
    "^expected one X25519 private key, or an ML-KEM-768 and an X25519 private key, in PEM$"
)
_EXPECTED_PUBLIC = (
    "^expected one X25519 public key, or an ML-KEM-768 and an X25519 public key, in PEM$"
)


def _first_block(pem: bytes) -> bytes:
    return (
        pem[: pem.index(b"-----END ")] + pem[pem.index(b"-----END ") :].split(b"\n", 1)[0] + b"\n"
    )


def _der_sequence(*parts: bytes) -> bytes:
    body = b"".join(parts)
    return b"\x30" + bytes([len(body)]) + body


_UNKNOWN_ALGORITHM = _der_sequence(bytes.fromhex("06032a0304"))  # OID 1.2.3.4, no parameters
_UNKNOWN_PUBLIC = _pem(b"PUBLIC KEY", _der_sequence(_UNKNOWN_ALGORITHM, b"\x03\x03\x00\xff\xff"))
_UNKNOWN_PRIVATE = _pem(
    b"PRIVATE KEY", _der_sequence(b"\x02\x01\x00", _UNKNOWN_ALGORITHM, b"\x04\x02\xff\xff")
)
_MLKEM_ONLY = tuple(_first_block(pem) for pem in seal.generate_key_pair(Suite.MLKEM768_X25519))
_PKCS8 = serialization.PrivateFormat.PKCS8
_PEM = serialization.Encoding.PEM


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"", "expected one X25519 private key", id="empty"),
        pytest.param(
            _RSA.private_bytes(_PEM, _PKCS8, serialization.NoEncryption()),
            "expected one X25519 private key",
            id="rsa",
        ),
        pytest.param(
            x25519.X25519PrivateKey.generate().private_bytes(
                _PEM, _PKCS8, serialization.BestAvailableEncryption(b"secret")
            ),
            "not an unencrypted PEM private key",
            id="encrypted",
        ),
        pytest.param(
            _pem(b"PRIVATE KEY", b"\x30\x03\x02\x01\x00"),
            "not an unencrypted PEM private key",
            id="not-a-key",
        ),
        pytest.param(seal.generate_key_pair()[1], "not an unencrypted", id="a-public-key"),
        pytest.param(
            _UNKNOWN_PRIVATE,
            r"^not an unencrypted PEM private key: Unknown key type: 1\.2\.3\.4$",
            id="unknown-algorithm",
        ),
        pytest.param(
            seal.generate_key_pair()[0] + seal.generate_key_pair()[0],
            _EXPECTED_PRIVATE,
            id="two-x25519",
        ),
        pytest.param(_MLKEM_ONLY[0], _EXPECTED_PRIVATE, id="ml-kem-alone"),
    ],
)
def test_a_private_key_file_that_is_not_one_is_a_value_error_saying_why(
    data: bytes, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        seal.load_private_key(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            _pem(b"PUBLIC KEY", b"\x30\x03\x02\x01\x00"), "not a PEM public key", id="not-a-key"
        ),
        pytest.param(seal.generate_key_pair()[0], "not a PEM public key", id="a-private-key"),
        pytest.param(
            _UNKNOWN_PUBLIC,
            r"^not a PEM public key: Unknown key type: 1\.2\.3\.4$",
            id="unknown-algorithm",
        ),
        pytest.param(
            seal.generate_key_pair()[1] + seal.generate_key_pair()[1],
            _EXPECTED_PUBLIC,
            id="two-x25519",
        ),
        pytest.param(_MLKEM_ONLY[1], _EXPECTED_PUBLIC, id="ml-kem-alone"),
        pytest.param(
            _RSA.public_key().public_bytes(_PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
            "expected one X25519 public key",
            id="rsa",
        ),
    ],
)
def test_a_public_key_file_that_is_not_one_is_a_value_error_saying_why(
    data: bytes, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        seal.read_public_key(data)


def test_the_key_id_depends_on_suite_and_key() -> None:
    raw = KEYS[Suite.X25519][0].public_key
    assert seal.key_id(Suite.X25519, raw) == seal.key_id(Suite.X25519, bytes(raw))
    assert seal.key_id(Suite.X25519, raw) != seal.key_id(Suite.MLKEM768_X25519, raw)
    other = raw[:-1] + bytes([raw[-1] ^ 1])
    assert seal.key_id(Suite.X25519, raw) != seal.key_id(Suite.X25519, other)
    assert len(seal.key_id(Suite.X25519, raw)) == 16


def test_private_keys_never_show_in_repr() -> None:
    private = KEYS[Suite.X25519][1]
    assert "redacted" in repr(private)
    assert "redacted" in repr(SIGNER)
    assert SIGNER.to_bytes().hex() not in repr(SIGNER)
    again = Signer.from_bytes(SIGNER.to_bytes())
    assert (again.key_id, again.sign(b"x")) == (SIGNER.key_id, SIGNER.sign(b"x"))


def _key(
    key_id: str, *, days_from: int, days_until: int | None = None, **more: object
) -> PartnerKey:
    return PartnerKey(
        partner_id=LIEGE,
        key_id=key_id,
        suite=Suite.X25519,
        public_key=b"\x00" * 32,
        valid_from=NOW + timedelta(days=days_from),
        valid_until=None if days_until is None else NOW + timedelta(days=days_until),
        **more,  # type: ignore[arg-type]
    )


def test_new_messages_use_the_newest_key_valid_now() -> None:
    old = _key("old", days_from=-100)
    new = _key("new", days_from=-1)
    future = _key("future", days_from=5)
    assert seal.current_key([old, new, future], NOW) == new
    assert seal.current_key([new, old], NOW) == new
    assert seal.current_key([old, new, future], NOW + timedelta(days=6)) == future


def test_expired_retired_and_not_yet_valid_keys_are_passed_over() -> None:
    expired = _key("expired", days_from=-10, days_until=-1)
    retired = _key("retired", days_from=-5, retired_at=NOW - timedelta(hours=1))
    kept = _key("kept", days_from=-20)
    assert seal.current_key([expired, retired, kept], NOW) == kept
    assert seal.current_key([expired, retired], NOW) is None
    assert seal.current_key([], NOW) is None
    assert [k.state_at(NOW) for k in (expired, retired, kept, _key("f", days_from=1))] == [
        "expired",
        "retired",
        "valid",
        "not yet valid",
    ]


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 0, 2), (1, 2, 0)])
def test_of_keys_valid_from_the_same_moment_the_last_added_wins_in_any_order(
    order: tuple[int, int, int],
) -> None:
    unknown = _key("added-at-unknown", days_from=-1)
    first = _key("first", days_from=-1, added_at=NOW - timedelta(hours=2))
    second = _key("second", days_from=-1, added_at=NOW - timedelta(hours=1))
    keys = (unknown, first, second)
    assert seal.current_key([keys[index] for index in order], NOW) == second
    assert seal.current_key([unknown, first], NOW) == first
    assert seal.current_key([first, unknown], NOW) == first


@settings(max_examples=100, deadline=None)
@given(
    offsets=st.lists(
        st.tuples(st.integers(-3, 1), st.none() | st.integers(-5, 0)),
        min_size=1,
        max_size=6,
        unique=True,
    ),
    data=st.data(),
)
def test_the_current_key_is_the_newest_usable_whatever_the_order(
    offsets: list[tuple[int, int | None]], data: st.DataObject
) -> None:
    keys = [
        _key(
            f"k{index}",
            days_from=days,
            added_at=None if hours is None else NOW + timedelta(hours=hours),
        )
        for index, (days, hours) in enumerate(offsets)
    ]
    shuffled = data.draw(st.permutations(keys))
    floor = datetime.min.replace(tzinfo=UTC)
    usable = [key for key in keys if key.valid_from <= NOW]
    expected = max(usable, key=lambda k: (k.valid_from, k.added_at or floor), default=None)
    assert seal.current_key(shuffled, NOW) == expected


_TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("moment", "usable", "state"),
    [
        (NOW - _TICK, False, "not yet valid"),
        (NOW, True, "valid"),
        (NOW + timedelta(days=1) - _TICK, True, "valid"),
        (NOW + timedelta(days=1), False, "expired"),
    ],
)
def test_a_key_is_valid_from_its_first_moment_until_just_before_its_last(
    moment: datetime, usable: bool, state: str
) -> None:
    key = _key("k", days_from=0, days_until=1)
    assert key.usable_at(moment) is usable
    assert key.state_at(moment) == state


@pytest.mark.parametrize(
    ("moment", "usable", "state"),
    [(NOW - _TICK, True, "valid"), (NOW, False, "retired"), (NOW + _TICK, False, "retired")],
)
def test_a_key_is_retired_from_the_moment_it_is_retired(
    moment: datetime, usable: bool, state: str
) -> None:
    key = _key("k", days_from=-1, days_until=1, retired_at=NOW)
    assert key.usable_at(moment) is usable
    assert key.state_at(moment) == state
    assert seal.current_key([key], moment) == (key if usable else None)


def test_a_retired_key_that_was_never_valid_is_retired_not_pending() -> None:
    key = _key("k", days_from=5, retired_at=NOW - timedelta(days=1))
    assert key.state_at(NOW) == "retired"
    assert not key.usable_at(NOW + timedelta(days=6))


# --- the format, as docs/envelope.md states it ------------------------------------------------


def _spec_json(value: dict[str, object]) -> bytes:
    """RFC 8785 for these documents: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.mark.parametrize("suite", list(Suite))
def test_ids_are_16_hex_digits_of_sha256_over_name_zero_byte_and_raw_key(suite: Suite) -> None:
    raw = KEYS[suite][0].public_key
    expected = hashlib.sha256(suite.value.encode() + b"\x00" + raw).hexdigest()[:16]
    assert seal.key_id(suite, raw) == KEYS[suite][0].key_id == expected
    signing = hashlib.sha256(b"Ed25519\x00" + SIGNER.public_key).hexdigest()[:16]
    assert SIGNER.key_id == seal.signing_key_id(SIGNER.public_key) == signing


@pytest.mark.parametrize("suite", list(Suite))
def test_hpke_info_and_the_signed_bytes_are_the_documented_json(suite: Suite) -> None:
    envelope = sealed(suite)
    header = envelope.header
    assert seal.hpke_info(header) == _spec_json(
        {
            "context": "euregate/envelope/v2/hpke-info",
            "gateway_id": GATEWAY,
            "signal_id": SIGNAL,
            "recipient_id": LIEGE,
            "key_id": KEYS[suite][0].key_id,
            "suite": suite.value,
            "encoding": "zlib",
        }
    )
    signed = _spec_json(
        {
            "context": "euregate/envelope/v2/signature",
            "header": json.loads(envelope.to_bytes())["header"],
            "enc_sha256": hashlib.sha256(envelope.enc).hexdigest(),
            "ciphertext_sha256": hashlib.sha256(envelope.ciphertext).hexdigest(),
        }
    )
    assert seal.signed_bytes(header, envelope.enc, envelope.ciphertext) == signed
    ed25519.Ed25519PublicKey.from_public_bytes(SIGNER.public_key).verify(envelope.signature, signed)


def test_the_header_is_the_documented_json() -> None:
    assert json.loads(sealed().to_bytes())["header"] == {
        "version": 2,
        "encoding": "zlib",
        "gateway_id": GATEWAY,
        "signal_id": SIGNAL,
        "recipient_id": LIEGE,
        "key_id": KEYS[Suite.X25519][0].key_id,
        "suite": "X25519",
        "created_at": "2026-03-02T09:30:00.000000Z",
        "signing_key_id": SIGNER.key_id,
    }


def test_without_a_moment_an_envelope_is_sealed_now() -> None:
    before = datetime.now(UTC)
    envelope = seal.seal(
        BODY,
        recipient_key=KEYS[Suite.X25519][0],
        gateway_id=GATEWAY,
        signal_id=SIGNAL,
        recipient_id=LIEGE,
        signer=SIGNER,
    )
    created = datetime.strptime(envelope.header.created_at, "%Y-%m-%dT%H:%M:%S.%fZ")
    assert before <= created.replace(tzinfo=UTC) <= datetime.now(UTC)


def test_a_gateway_key_is_served_as_documented() -> None:
    key = seal.GatewayKey(
        key_id=SIGNER.key_id, public_key=SIGNER.public_key, created_at=NOW, retired_at=None
    )
    public = base64.urlsafe_b64encode(SIGNER.public_key).rstrip(b"=").decode()
    assert key.as_json() == {
        "key_id": SIGNER.key_id,
        "algorithm": "Ed25519",
        "public_key": public,
        "created_at": "2026-03-02T09:30:00.000000Z",
        "retired_at": None,
    }
    retired = replace(key, retired_at=NOW + timedelta(days=1))
    assert retired.as_json()["retired_at"] == "2026-03-03T09:30:00.000000Z"


@pytest.mark.parametrize(
    "data", [bytes(range(250, 250 - length, -1)) for length in range(6)] + [b"\x00\x00\x17"]
)
def test_base64url_round_trips_without_padding(data: bytes) -> None:
    text = seal.b64url(data)
    assert "=" not in text
    assert text == base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert seal.unb64url(text) == data


def test_private_keys_show_only_their_suite_and_id() -> None:
    private = KEYS[Suite.X25519][1]
    assert repr(private) == (
        f"RecipientPrivateKey(suite=X25519, key_id={private.key_id}, key=<redacted>)"
    )
    assert repr(SIGNER) == f"Signer(key_id={SIGNER.key_id}, key=<redacted>)"


def test_a_signing_key_of_the_wrong_length_is_an_invalid_signature() -> None:
    with pytest.raises(EnvelopeSignatureInvalid) as refused:
        seal.open_envelope(
            sealed(),
            private_key=KEYS[Suite.X25519][1],
            recipient_id=LIEGE,
            signal_id=SIGNAL,
            gateway_public_keys={SIGNER.key_id: SIGNER.public_key[:31]},
        )
    assert refused.value.params == {"reason": "the signature does not match"}


def test_a_header_naming_another_signing_key_cannot_be_signed() -> None:
    header = replace(sealed().header, signing_key_id="0" * 16)
    refusal = r"^the header names another signing key than the signer's$"
    with pytest.raises(ValueError, match=refusal):
        seal.sign_envelope(header, b"e", b"c", SIGNER)


def test_key_files_may_carry_text_around_their_blocks() -> None:
    private_pem, public_pem = seal.generate_key_pair(Suite.MLKEM768_X25519)
    annotated = b"comment\n" + public_pem.replace(b"\n-----BEGIN", b"\nx\n-----BEGIN")
    found, raw = seal.read_public_key(annotated)
    assert (found, raw) == seal.read_public_key(public_pem)
    private = seal.load_private_key(b"# key\n" + private_pem + b"trailer\n")
    assert private.key_id == seal.key_id(found, raw)
