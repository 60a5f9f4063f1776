"""The committed envelope test vectors (``docs/test-vectors/``) against ``docs/envelope.md``.

The key ids, HPKE ``info`` and the signed bytes are rebuilt here from the formulas of
``docs/envelope.md`` with a few lines of their own, never by ``gateway.infra.seal``, and
compared byte for byte; each vector is then opened three ways: by the partner client,
by pyhpke (X25519; pyhpke has no ML-KEM), and by RFC 9180's key schedule written out below
over ``cryptography``'s primitives, with the X-Wing KEM (ML-KEM-768 + X25519, KEM id
0x647a) decapsulated by hand for the hybrid suite. The vectors are never regenerated here:
HPKE is randomised, the committed bytes are what a partner in another language checks
against.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from euregate_client import envelope, keys
from hypothesis import given
from hypothesis import strategies as st
from pyhpke import AEADId, CipherSuite, KDFId, KEMId

from gateway.infra import seal

VECTORS = Path(__file__).parent.parent / "docs" / "test-vectors"
NAMES = (
    "envelope-v1-x25519.json",
    "envelope-v2-x25519.json",
    "envelope-v1-mlkem768_x25519.json",
    "envelope-v2-mlkem768_x25519.json",
)
KEM_IDS = {"X25519": 0x0020, "MLKEM768_X25519": 0x647A}
KDF_HKDF_SHA256, AEAD_AES_256_GCM = 0x0001, 0x0002
XWING_LABEL = b"\\.//^\\"


def load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return loaded


def jcs(value: object) -> bytes:
    """RFC 8785 for what these documents hold (ASCII keys, strings, small integers)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def private_pems(vector: dict[str, Any]) -> list[bytes]:
    end = "-----END PRIVATE KEY-----\n"
    text: str = vector["recipient"]["private_key_pem"]
    return [(block + end).encode() for block in text.split(end) if block.strip()]


@pytest.fixture(params=NAMES)
def vector(request: pytest.FixtureRequest) -> dict[str, Any]:
    return load(request.param)


def test_every_suite_and_version_has_its_vector() -> None:
    found = sorted(path.name for path in VECTORS.glob("envelope-*.json"))
    assert found == sorted(NAMES)
    assert {(load(n)["suite"], load(n)["version"]) for n in NAMES} == {
        (suite, version) for suite in KEM_IDS for version in (1, 2)
    }


def test_the_key_ids_follow_the_formula(vector: dict[str, Any]) -> None:
    header = vector["envelope"]["header"]
    public = bytes.fromhex(vector["recipient"]["public_key_hex"])
    suite_bytes = vector["suite"].encode("utf-8")
    recipient_id = hashlib.sha256(suite_bytes + b"\x00" + public).hexdigest()[:16]
    signing_public = bytes.fromhex(vector["gateway"]["signing_public_key_hex"])
    signing_id = hashlib.sha256(b"Ed25519\x00" + signing_public).hexdigest()[:16]
    assert recipient_id == vector["recipient"]["key_id"] == header["key_id"]
    assert signing_id == vector["gateway"]["signing_key_id"] == header["signing_key_id"]


def test_the_private_keys_give_the_public_key(vector: dict[str, Any]) -> None:
    """The PEM private keys (PKCS#8; for the hybrid suite ML-KEM-768's 64-byte seed form,
    then X25519) and, for the hybrid suite, the X-Wing seed give the raw public key."""
    keys = [serialization.load_pem_private_key(pem, password=None) for pem in private_pems(vector)]
    raws = [key.public_key().public_bytes_raw() for key in keys]  # type: ignore[union-attr]
    assert b"".join(raws).hex() == vector["recipient"]["public_key_hex"]
    if vector["suite"] == "MLKEM768_X25519":
        expanded = hashlib.shake_256(bytes.fromhex(vector["recipient"]["xwing_seed_hex"])).digest(
            96
        )
        quantum = mlkem.MLKEM768PrivateKey.from_seed_bytes(expanded[:64])
        classical = x25519.X25519PrivateKey.from_private_bytes(expanded[64:])
        assert isinstance(keys[0], mlkem.MLKEM768PrivateKey)
        assert keys[0].private_bytes_raw() == quantum.private_bytes_raw()
        assert raws == [
            quantum.public_key().public_bytes_raw(),
            classical.public_key().public_bytes_raw(),
        ]
        assert len(raws[0]) == 1184
        assert len(raws[1]) == 32


def test_info_follows_the_formula(vector: dict[str, Any]) -> None:
    header = vector["envelope"]["header"]
    bound = {
        "context": f"euregate/envelope/v{header['version']}/hpke-info",
        **{
            name: header[name]
            for name in ("gateway_id", "signal_id", "recipient_id", "key_id", "suite")
        },
    }
    if header["version"] == 2:
        bound["encoding"] = header["encoding"]
    assert jcs(bound) == vector["info"].encode("utf-8")


def test_the_signature_covers_the_bytes_of_the_formula(vector: dict[str, Any]) -> None:
    envelope = vector["envelope"]
    enc, ciphertext = unb64url(envelope["enc"]), unb64url(envelope["ciphertext"])
    signed = jcs(
        {
            "context": f"euregate/envelope/v{envelope['header']['version']}/signature",
            "header": envelope["header"],
            "enc_sha256": hashlib.sha256(enc).hexdigest(),
            "ciphertext_sha256": hashlib.sha256(ciphertext).hexdigest(),
        }
    )
    assert signed == vector["signed_bytes"].encode("utf-8")
    public = bytes.fromhex(vector["gateway"]["signing_public_key_hex"])
    ed25519.Ed25519PublicKey.from_public_bytes(public).verify(
        unb64url(envelope["signature"]), signed
    )
    tampered = signed.replace(b'"context":"euregate/envelope/v', b'"context":"euregate/envelope/w')
    with pytest.raises(InvalidSignature):
        ed25519.Ed25519PublicKey.from_public_bytes(public).verify(
            unb64url(envelope["signature"]), tampered
        )


def test_the_envelope_is_its_parts_in_canonical_json(vector: dict[str, Any]) -> None:
    envelope = vector["envelope"]
    assert unb64url(envelope["enc"]).hex() == vector["enc_hex"]
    assert unb64url(envelope["ciphertext"]).hex() == vector["ciphertext_hex"]
    assert unb64url(envelope["signature"]).hex() == vector["signature_hex"]
    assert jcs(envelope) == vector["envelope_canonical"].encode("utf-8")
    assert jcs(envelope["header"]) == vector["header_canonical"].encode("utf-8")
    assert vector["enc_sha256"] == hashlib.sha256(bytes.fromhex(vector["enc_hex"])).hexdigest()
    assert (
        len(bytes.fromhex(vector["enc_hex"]))
        == {"X25519": 32, "MLKEM768_X25519": 1120}[vector["suite"]]
    )


def test_the_partner_client_opens_each_vector(vector: dict[str, Any]) -> None:
    """With the partner client (clients/python), which the gateway's own code imports."""
    private = keys.load_private_key(vector["recipient"]["private_key_pem"].encode())
    header = vector["envelope"]["header"]
    opened = envelope.open_envelope(
        vector["envelope_canonical"].encode("utf-8"),
        private_key=private,
        recipient_id=header["recipient_id"],
        signal_id=header["signal_id"],
        gateway_public_keys={
            vector["gateway"]["signing_key_id"]: bytes.fromhex(
                vector["gateway"]["signing_public_key_hex"]
            )
        },
    )
    assert opened == vector["plaintext"].encode("utf-8")


def plaintext_of(vector: dict[str, Any], content: bytes) -> bytes:
    """The message in what HPKE opened: as it is (v1), or one zlib stream then zeros (v2)."""
    if vector["version"] == 1:
        return content
    assert content.hex() == vector["content_hex"]
    assert len(content) % 1024 == 0
    inflater = zlib.decompressobj()
    plaintext = inflater.decompress(content)
    assert inflater.eof
    assert inflater.unused_data == bytes(len(inflater.unused_data))
    return plaintext


def test_pyhpke_opens_the_x25519_vectors() -> None:
    suite = CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.AES256_GCM)
    for name in NAMES[:2]:
        vector = load(name)
        private = suite.kem.deserialize_private_key(
            bytes.fromhex(vector["recipient"]["x25519_private_key_hex"])
        )
        context = suite.create_recipient_context(
            bytes.fromhex(vector["enc_hex"]), private, info=vector["info"].encode("utf-8")
        )
        content = context.open(bytes.fromhex(vector["ciphertext_hex"]))
        assert plaintext_of(vector, content) == vector["plaintext"].encode("utf-8")


# --- RFC 9180, base mode, single shot, written out ----------------------------------------


def _extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.digest(salt or bytes(32), ikm, "sha256")


def _expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.digest(prk, block + info + bytes([counter]), "sha256")
        out, counter = out + block, counter + 1
    return out[:length]


def _labeled_extract(suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return _extract(salt, b"HPKE-v1" + suite_id + label + ikm)


def _labeled_expand(suite_id: bytes, prk: bytes, label: bytes, info: bytes, size: int) -> bytes:
    return _expand(prk, size.to_bytes(2, "big") + b"HPKE-v1" + suite_id + label + info, size)


def _dhkem_x25519_decap(enc: bytes, private: bytes) -> bytes:
    key = x25519.X25519PrivateKey.from_private_bytes(private)
    dh = key.exchange(x25519.X25519PublicKey.from_public_bytes(enc))
    kem_suite = b"KEM" + (0x0020).to_bytes(2, "big")
    prk = _labeled_extract(kem_suite, b"", b"eae_prk", dh)
    context = enc + key.public_key().public_bytes_raw()
    return _labeled_expand(kem_suite, prk, b"shared_secret", context, 32)


def _xwing_decap(enc: bytes, vector: dict[str, Any]) -> bytes:
    """X-Wing: ML-KEM-768 and X25519 secrets combined with SHA3-256 over
    ss_M || ss_X || ct_X || pk_X || label."""
    keys = vector["recipient"]
    quantum = mlkem.MLKEM768PrivateKey.from_seed_bytes(bytes.fromhex(keys["mlkem768_seed_hex"]))
    classical = x25519.X25519PrivateKey.from_private_bytes(
        bytes.fromhex(keys["x25519_private_key_hex"])
    )
    ct_m, ct_x = enc[:1088], enc[1088:]
    ss_m = quantum.decapsulate(ct_m)
    ss_x = classical.exchange(x25519.X25519PublicKey.from_public_bytes(ct_x))
    pk_x = bytes.fromhex(keys["public_key_hex"])[1184:]
    return hashlib.sha3_256(ss_m + ss_x + ct_x + pk_x + XWING_LABEL).digest()


def open_by_hand(vector: dict[str, Any], info: bytes) -> bytes:
    enc = bytes.fromhex(vector["enc_hex"])
    if vector["suite"] == "X25519":
        shared = _dhkem_x25519_decap(
            enc, bytes.fromhex(vector["recipient"]["x25519_private_key_hex"])
        )
    else:
        shared = _xwing_decap(enc, vector)
    ids = (KEM_IDS[vector["suite"]], KDF_HKDF_SHA256, AEAD_AES_256_GCM)
    suite_id = b"HPKE" + b"".join(i.to_bytes(2, "big") for i in ids)
    context = (
        b"\x00"
        + _labeled_extract(suite_id, b"", b"psk_id_hash", b"")
        + _labeled_extract(suite_id, b"", b"info_hash", info)
    )
    secret = _labeled_extract(suite_id, shared, b"secret", b"")
    key = _labeled_expand(suite_id, secret, b"key", context, 32)
    nonce = _labeled_expand(suite_id, secret, b"base_nonce", context, 12)
    return AESGCM(key).decrypt(nonce, bytes.fromhex(vector["ciphertext_hex"]), b"")


def test_rfc_9180_written_out_opens_each_vector(vector: dict[str, Any]) -> None:
    """Both KEMs as their specifications define them (the hybrid suite is X-Wing, KEM id
    0x647a), the key schedule of RFC 9180, an empty AAD: the vector opens."""
    content = open_by_hand(vector, vector["info"].encode("utf-8"))
    assert plaintext_of(vector, content) == vector["plaintext"].encode("utf-8")


def test_written_out_hpke_refuses_another_info(vector: dict[str, Any]) -> None:
    """The written-out HPKE is not a pass-through: another ``info`` fails the tag."""
    other = vector["info"].replace("hpke-info", "hpke-inf0").encode("utf-8")
    with pytest.raises(InvalidTag):
        open_by_hand(vector, other)


# --- the formulas hold for every header, not only the vectors' --------------------------


TEXTS = st.text(min_size=1, max_size=40)


@given(
    texts=st.fixed_dictionaries(
        dict.fromkeys(
            ("gateway_id", "signal_id", "recipient_id", "key_id", "created_at", "signing_key_id"),
            TEXTS,
        )
    ),
    suite=st.sampled_from(list(seal.Suite)),
    encoding=st.sampled_from([None, seal.Encoding.ZLIB]),
    enc=st.binary(max_size=64),
    ciphertext=st.binary(max_size=64),
    public=st.binary(min_size=1, max_size=64),
)
def test_the_documented_formulas_are_the_gateways_for_any_header(
    texts: dict[str, str],
    suite: seal.Suite,
    encoding: seal.Encoding | None,
    enc: bytes,
    ciphertext: bytes,
    public: bytes,
) -> None:
    """Any text in the header (beyond ASCII too): a JSON encoder that sorts keys, writes no
    whitespace and leaves non-ASCII unescaped gives the gateway's bytes, as the page says."""
    header = seal.EnvelopeHeader(suite=suite, encoding=encoding, **texts)
    version = 1 if encoding is None else 2
    members = header.as_json()
    bound = {name: members[name] for name in ("gateway_id", "signal_id", "recipient_id")}
    bound |= {"key_id": members["key_id"], "suite": str(suite)}
    bound["context"] = f"euregate/envelope/v{version}/hpke-info"
    if encoding is not None:
        bound["encoding"] = str(encoding)
    assert seal.hpke_info(header) == jcs(bound)
    assert seal.signed_bytes(header, enc, ciphertext) == jcs(
        {
            "context": f"euregate/envelope/v{version}/signature",
            "header": members,
            "enc_sha256": hashlib.sha256(enc).hexdigest(),
            "ciphertext_sha256": hashlib.sha256(ciphertext).hexdigest(),
        }
    )
    expected_id = hashlib.sha256(str(suite).encode("utf-8") + b"\x00" + public).hexdigest()[:16]
    assert seal.key_id(suite, public) == expected_id
