"""Write the envelope test vectors of this directory, once: ``python generate.py``.

HPKE draws a fresh ephemeral key for every envelope, so running this again writes other
``enc``, ``ciphertext`` and ``signature`` bytes: the committed files are the vectors, and
``tests/test_envelope_vectors.py`` checks them without ever calling this. The keys are
derived from fixed labels (test keys only: they open nothing but these files).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519
from euregate_client import canonical

from gateway.infra.seal import (
    Encoding,
    PartnerKey,
    Signer,
    Suite,
    encode_content,
    hpke_info,
    key_id,
    load_private_key,
    seal,
    signed_bytes,
)

HERE = Path(__file__).parent
SEALED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
GATEWAY = "euregate-euregio"
RECIPIENT = "be-pol-liege"
SIGNAL = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
MESSAGE = {
    "format": "euregate.message/1",
    "signal_id": SIGNAL,
    "text": "Test vector: Politie Maastricht → Police de Liège, Straßenverkehr, 2 × 🚗.",
}
"""Not a whole message (see ``schemas/message-1.schema.json``): a few members, with text
outside ASCII so the vector pins UTF-8."""


def _seed(label: str, size: int = 32) -> bytes:
    return hashlib.shake_256(f"euregate test vector {label}".encode()).digest(size)


def _pem_private(key: x25519.X25519PrivateKey | mlkem.MLKEM768PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _pem_public(key: x25519.X25519PublicKey | mlkem.MLKEM768PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def recipient_keys(suite: Suite) -> dict[str, str]:
    """The recipient's key pair: for X25519 from a fixed 32-byte private key; for the hybrid
    suite from an X-Wing seed, expanded as X-Wing does (SHAKE256 to 96 bytes: the ML-KEM-768
    seed d || z, then the X25519 private key)."""
    if suite is Suite.X25519:
        private = x25519.X25519PrivateKey.from_private_bytes(_seed("x25519 recipient"))
        public = private.public_key()
        return {
            "private_key_pem": _pem_private(private).decode(),
            "public_key_pem": _pem_public(public).decode(),
            "x25519_private_key_hex": private.private_bytes_raw().hex(),
            "public_key_hex": public.public_bytes_raw().hex(),
        }
    xwing_seed = _seed("mlkem768-x25519 recipient")
    expanded = hashlib.shake_256(xwing_seed).digest(96)
    quantum = mlkem.MLKEM768PrivateKey.from_seed_bytes(expanded[:64])
    classical = x25519.X25519PrivateKey.from_private_bytes(expanded[64:])
    return {
        "private_key_pem": (_pem_private(quantum) + _pem_private(classical)).decode(),
        "public_key_pem": (
            _pem_public(quantum.public_key()) + _pem_public(classical.public_key())
        ).decode(),
        "xwing_seed_hex": xwing_seed.hex(),
        "mlkem768_seed_hex": expanded[:64].hex(),
        "x25519_private_key_hex": expanded[64:].hex(),
        "public_key_hex": (
            quantum.public_key().public_bytes_raw() + classical.public_key().public_bytes_raw()
        ).hex(),
    }


def vector(suite: Suite, encoding: Encoding | None) -> dict[str, object]:
    signing = ed25519.Ed25519PrivateKey.from_private_bytes(_seed("gateway signing key"))
    signer = Signer(signing)
    keys = recipient_keys(suite)
    public = bytes.fromhex(keys["public_key_hex"])
    recipient = load_private_key(keys["private_key_pem"].encode())
    assert recipient.key_id == key_id(suite, public)
    partner_key = PartnerKey(
        partner_id=RECIPIENT,
        key_id=recipient.key_id,
        suite=suite,
        public_key=public,
        valid_from=SEALED_AT,
    )
    plaintext = canonical.dumps(MESSAGE)
    envelope = seal(
        plaintext,
        recipient_key=partner_key,
        gateway_id=GATEWAY,
        signal_id=SIGNAL,
        recipient_id=RECIPIENT,
        signer=signer,
        now=SEALED_AT,
        encoding=encoding,
    )
    header = envelope.header
    version = header.version
    return {
        "about": (
            f"Envelope version {version}, suite {suite}: test keys only. Bytes are hex, "
            "texts UTF-8; the envelope member is the JSON object as the inbox hands it out."
        ),
        "version": version,
        "suite": str(suite),
        "recipient": {**keys, "key_id": recipient.key_id},
        "gateway": {
            "signing_private_key_hex": signing.private_bytes_raw().hex(),
            "signing_public_key_hex": signer.public_key.hex(),
            "signing_key_id": signer.key_id,
        },
        "header_canonical": canonical.dumps(header.as_json()).decode(),
        "info": hpke_info(header).decode(),
        "enc_hex": envelope.enc.hex(),
        "ciphertext_hex": envelope.ciphertext.hex(),
        "enc_sha256": hashlib.sha256(envelope.enc).hexdigest(),
        "ciphertext_sha256": hashlib.sha256(envelope.ciphertext).hexdigest(),
        "signed_bytes": signed_bytes(header, envelope.enc, envelope.ciphertext).decode(),
        "signature_hex": envelope.signature.hex(),
        "content_hex": encode_content(plaintext, encoding).hex() if encoding else None,
        "plaintext": plaintext.decode(),
        "envelope": envelope.as_json(),
        "envelope_canonical": envelope.to_bytes().decode(),
    }


def main() -> None:
    for suite in Suite:
        for encoding in (None, Encoding.ZLIB):
            written = vector(suite, encoding)
            name = f"envelope-v{written['version']}-{suite.value.lower()}.json"
            text = json.dumps(written, indent=2, ensure_ascii=False) + "\n"
            (HERE / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
