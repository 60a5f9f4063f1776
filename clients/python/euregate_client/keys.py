"""A partner's keys: the HPKE suites, key ids, and PEM files of its key pair.

A key's id is computed from its public half alone (:func:`key_id`), so a partner never has
to be told the id the gateway seals its envelopes to. The formats are in ``docs/envelope.md``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, hpke, serialization
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

SIGNING_ALGORITHM: Final = "Ed25519"
MLKEM768_PUBLIC_SIZE: Final = 1184
"""Bytes of the ML-KEM-768 half of a hybrid public key; the X25519 half follows."""


class Suite(StrEnum):
    """The HPKE suites a partner may register a key for; KDF HKDF-SHA256, AEAD AES-256-GCM."""

    X25519 = "X25519"  # DHKEM(X25519, HKDF-SHA256)
    MLKEM768_X25519 = "MLKEM768_X25519"  # ML-KEM-768 + X25519 hybrid, post-quantum

    @property
    def hpke(self) -> hpke.Suite:
        return _HPKE_SUITES[self][0]

    @property
    def enc_length(self) -> int:
        return _HPKE_SUITES[self][1]


def _hpke_suite(kem: hpke.KEM) -> tuple[hpke.Suite, int]:
    return hpke.Suite(kem, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM), kem.enc_length()


# Built once: each seal and open used to construct the suite and ask the KEM for its length.
_HPKE_SUITES: Final = {
    Suite.X25519: _hpke_suite(hpke.KEM.X25519),
    Suite.MLKEM768_X25519: _hpke_suite(hpke.KEM.MLKEM768_X25519),
}


def key_id(suite: Suite, public_key: bytes) -> str:
    """A key's id: the first 16 hex digits of SHA-256 over suite and raw public key.

    Anyone holding the public key computes the same id, so a partner never has to be told.
    """
    return hashlib.sha256(suite.encode() + b"\x00" + public_key).hexdigest()[:16]


def _pem_blocks(data: bytes) -> list[bytes]:
    blocks, current = [], []
    for line in data.splitlines(keepends=True):
        if line.startswith(b"-----BEGIN "):
            current = [line]
        elif current:
            current.append(line)
            if line.startswith(b"-----END "):
                blocks.append(b"".join(current))
                current = []
    return blocks


def read_public_key(data: bytes, suite: Suite | None = None) -> tuple[Suite, bytes]:
    """The suite and raw public key in a PEM file; ``ValueError`` saying why if it is not one.

    X25519: one ``PUBLIC KEY`` block (what ``openssl genpkey -algorithm X25519`` gives).
    MLKEM768_X25519: two ``PUBLIC KEY`` blocks in one file, ML-KEM-768 and X25519.
    """
    keys: list[object] = []
    for block in _pem_blocks(data):
        try:
            keys.append(serialization.load_pem_public_key(block))
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise ValueError(f"not a PEM public key: {exc}") from exc
    x25519_keys = [k for k in keys if isinstance(k, x25519.X25519PublicKey)]
    mlkem_keys = [k for k in keys if isinstance(k, mlkem.MLKEM768PublicKey)]
    if len(keys) == 1 and len(x25519_keys) == 1:
        found, raw = Suite.X25519, x25519_keys[0].public_bytes_raw()
    elif len(keys) == 2 and len(x25519_keys) == 1 and len(mlkem_keys) == 1:
        found = Suite.MLKEM768_X25519
        raw = mlkem_keys[0].public_bytes_raw() + x25519_keys[0].public_bytes_raw()
    else:
        raise ValueError(
            "expected one X25519 public key, or an ML-KEM-768 and an X25519 public key, in PEM"
        )
    if suite is not None and suite is not found:
        raise ValueError(f"the file holds a {found} key, not {suite}")
    return found, raw


@dataclass(frozen=True)
class RecipientPrivateKey:
    """A partner's private key, with the suite and id of its public half."""

    suite: Suite
    key_id: str
    key: Any  # x25519.X25519PrivateKey or hpke.MLKEM768X25519PrivateKey

    def __repr__(self) -> str:
        return f"RecipientPrivateKey(suite={self.suite}, key_id={self.key_id}, key=<redacted>)"


def load_private_key(data: bytes) -> RecipientPrivateKey:
    """A partner's private key from PEM (PKCS#8; for the hybrid suite ML-KEM-768 then X25519)."""
    keys: list[object] = []
    for block in _pem_blocks(data):
        try:
            keys.append(serialization.load_pem_private_key(block, password=None))
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise ValueError(f"not an unencrypted PEM private key: {exc}") from exc
    x25519_keys = [k for k in keys if isinstance(k, x25519.X25519PrivateKey)]
    mlkem_keys = [k for k in keys if isinstance(k, mlkem.MLKEM768PrivateKey)]
    if len(keys) == 1 and len(x25519_keys) == 1:
        key: Any = x25519_keys[0]
        suite, raw = Suite.X25519, x25519_keys[0].public_key().public_bytes_raw()
    elif len(keys) == 2 and len(x25519_keys) == 1 and len(mlkem_keys) == 1:
        key = hpke.MLKEM768X25519PrivateKey(mlkem_keys[0], x25519_keys[0])
        suite = Suite.MLKEM768_X25519
        raw = (
            mlkem_keys[0].public_key().public_bytes_raw()
            + x25519_keys[0].public_key().public_bytes_raw()
        )
    else:
        raise ValueError(
            "expected one X25519 private key, or an ML-KEM-768 and an X25519 private key, in PEM"
        )
    return RecipientPrivateKey(suite=suite, key_id=key_id(suite, raw), key=key)


def generate_key_pair(suite: Suite = Suite.X25519) -> tuple[bytes, bytes]:
    """A fresh key pair as (private PEM, public PEM), in the formats the loaders read; a
    hybrid one from a fresh X-Wing seed (:func:`xwing_key_pair`)."""
    if suite is Suite.MLKEM768_X25519:
        return xwing_key_pair(os.urandom(XWING_SEED_SIZE))
    return _pem_pair((), x25519.X25519PrivateKey.generate())


XWING_SEED_SIZE: Final = 32
"""An X-Wing private key as draft-connolly-cfrg-xwing-kem defines it: a 32-byte seed."""


def xwing_key_pair(seed: bytes) -> tuple[bytes, bytes]:
    """The MLKEM768_X25519 key pair of an X-Wing seed as (private PEM, public PEM): the seed
    expanded with SHAKE256 to 96 bytes, the first 64 the ML-KEM-768 seed ``d || z`` (FIPS 203),
    the last 32 the X25519 private key, as X-Wing expands its decapsulation key."""
    if len(seed) != XWING_SEED_SIZE:
        raise ValueError(f"an X-Wing seed is {XWING_SEED_SIZE} bytes, not {len(seed)}")
    shake = hashes.Hash(hashes.SHAKE256(digest_size=96))
    shake.update(seed)
    expanded = shake.finalize()
    quantum = mlkem.MLKEM768PrivateKey.from_seed_bytes(expanded[:64])
    classical = x25519.X25519PrivateKey.from_private_bytes(expanded[64:])
    return _pem_pair((quantum,), classical)


def _pem_pair(
    quantum: tuple[mlkem.MLKEM768PrivateKey, ...], classical: x25519.X25519PrivateKey
) -> tuple[bytes, bytes]:
    """(private PEM, public PEM): PKCS#8 and SubjectPublicKeyInfo blocks, ML-KEM-768 first."""
    pkcs8 = serialization.PrivateFormat.PKCS8
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    pem, none = serialization.Encoding.PEM, serialization.NoEncryption()
    keys: tuple[mlkem.MLKEM768PrivateKey | x25519.X25519PrivateKey, ...] = (*quantum, classical)
    private = b"".join(key.private_bytes(pem, pkcs8, none) for key in keys)
    public = b"".join(key.public_key().public_bytes(pem, spki) for key in keys)
    return private, public


def signing_key_id(public_key: bytes) -> str:
    return hashlib.sha256(SIGNING_ALGORITHM.encode() + b"\x00" + public_key).hexdigest()[:16]
