"""Sealing a recipient's copy: HPKE (RFC 9180) to the partner's key, signed by the gateway.

Pure apart from the cryptography: no store, no files. HPKE is the ``cryptography``
package's single-shot ``hpke`` API, whose output is the encapsulated key followed by the
AEAD ciphertext. Its ``info`` binds gateway, signal, recipient, key id and suite, so an
envelope opened under any other binding fails to decrypt. The gateway signs the canonical
header and the SHA-256 digests of ``enc`` and ``ciphertext`` with Ed25519, so a recipient
can tell the gateway sealed it, offline. Since version 2 the plaintext is compressed
(zlib) and padded with zeros to a multiple of 1 KiB before it is sealed, the encoding named
in the header; version 1 envelopes (no encoding) still open. The format is in
``docs/envelope.md``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, Final

from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, hpke, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519

from gateway.infra import canonical
from gateway.infra.audit import timestamp
from gateway.infra.errors import (
    EnvelopeMalformed,
    EnvelopeMisaddressed,
    EnvelopeSignatureInvalid,
    EnvelopeUndecryptable,
    EnvelopeWrongKey,
)

__all__ = [
    "ENVELOPE_VERSION",
    "XWING_SEED_SIZE",
    "Encoding",
    "Envelope",
    "EnvelopeHeader",
    "GatewayKey",
    "PartnerKey",
    "RecipientPrivateKey",
    "Signer",
    "Suite",
    "current_key",
    "decode_content",
    "encode_content",
    "generate_key_pair",
    "hpke_info",
    "key_id",
    "load_private_key",
    "open_envelope",
    "read_public_key",
    "seal",
    "sign_envelope",
    "signed_bytes",
    "xwing_key_pair",
]

ENVELOPE_VERSION: Final = 2
SIGNING_ALGORITHM: Final = "Ed25519"
PADDING_BLOCK: Final = 1024
"""The compressed plaintext is padded with zeros to a multiple of this many bytes."""
MAX_PLAINTEXT: Final = 64 * 2**20
"""The most an envelope's content may inflate to; more is refused as malformed."""
_MLKEM768_PUBLIC_SIZE: Final = 1184


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


# --- keys ---------------------------------------------------------------------------------


def key_id(suite: Suite, public_key: bytes) -> str:
    """A key's id: the first 16 hex digits of SHA-256 over suite and raw public key.

    Anyone holding the public key computes the same id, so a partner never has to be told.
    """
    return hashlib.sha256(suite.encode() + b"\x00" + public_key).hexdigest()[:16]


@dataclass(frozen=True)
class PartnerKey:
    """A partner's registered encryption public key (raw: X25519 32 bytes; hybrid ML-KEM || X)."""

    partner_id: str
    key_id: str
    suite: Suite
    public_key: bytes
    valid_from: datetime
    valid_until: datetime | None = None
    retired_at: datetime | None = None
    added_at: datetime | None = None

    def usable_at(self, moment: datetime) -> bool:
        """Valid at ``moment`` and not retired: fit to seal a new message to."""
        if self.retired_at is not None and self.retired_at <= moment:
            return False
        if moment < self.valid_from:
            return False
        return self.valid_until is None or moment < self.valid_until

    def state_at(self, moment: datetime) -> str:
        if self.retired_at is not None and self.retired_at <= moment:
            return "retired"
        if moment < self.valid_from:
            return "not yet valid"
        if self.valid_until is not None and moment >= self.valid_until:
            return "expired"
        return "valid"


def current_key(keys: Iterable[PartnerKey], at: datetime) -> PartnerKey | None:
    """The key a new message is sealed to: the newest of those usable at ``at``.

    Newest by ``valid_from``, then by when it was added; older keys keep opening the
    envelopes already sealed to them until they are retired.
    """
    usable = [key for key in keys if key.usable_at(at)]
    if not usable:
        return None
    floor = datetime.min.replace(tzinfo=UTC)
    return max(usable, key=lambda key: (key.valid_from, key.added_at or floor))


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


@lru_cache(maxsize=256)
def _public_key_object(suite: Suite, raw: bytes) -> Any:
    """The key object HPKE encrypts to; cached, as a partner's key is sealed to again and again."""
    if suite is Suite.X25519:
        return x25519.X25519PublicKey.from_public_bytes(raw)
    return hpke.MLKEM768X25519PublicKey(
        mlkem.MLKEM768PublicKey.from_public_bytes(raw[:_MLKEM768_PUBLIC_SIZE]),
        x25519.X25519PublicKey.from_public_bytes(raw[_MLKEM768_PUBLIC_SIZE:]),
    )


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
    key = x25519.X25519PrivateKey.generate()
    return _pem_pair((), key)


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


class Signer:
    """The gateway's Ed25519 signing key. Its bytes never appear in repr or str."""

    __slots__ = ("_key", "key_id", "public_key")

    def __init__(self, key: ed25519.Ed25519PrivateKey) -> None:
        self._key = key
        self.public_key = key.public_key().public_bytes_raw()
        self.key_id = signing_key_id(self.public_key)

    @classmethod
    def generate(cls) -> Signer:
        return cls(ed25519.Ed25519PrivateKey.generate())

    @classmethod
    def from_bytes(cls, raw: bytes) -> Signer:
        return cls(ed25519.Ed25519PrivateKey.from_private_bytes(raw))

    def to_bytes(self) -> bytes:
        """The raw 32-byte private key, for sealing under the master key and nothing else."""
        return self._key.private_bytes_raw()

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def __repr__(self) -> str:
        return f"Signer(key_id={self.key_id}, key=<redacted>)"


def signing_key_id(public_key: bytes) -> str:
    return hashlib.sha256(SIGNING_ALGORITHM.encode() + b"\x00" + public_key).hexdigest()[:16]


@dataclass(frozen=True)
class GatewayKey:
    """A public signing key of the gateway, as ``GET /v1/gateway/keys`` serves it."""

    key_id: str
    public_key: bytes
    created_at: datetime
    retired_at: datetime | None = None
    algorithm: str = SIGNING_ALGORITHM

    def as_json(self) -> dict[str, object]:
        return {
            "key_id": self.key_id,
            "algorithm": self.algorithm,
            "public_key": b64url(self.public_key),
            "created_at": timestamp(self.created_at),
            "retired_at": None if self.retired_at is None else timestamp(self.retired_at),
        }


# --- envelopes ----------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """The bytes of unpadded base64url ``text`` (as :func:`b64url` writes it); ValueError if
    it is not base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _unb64url(text: object, member: str) -> bytes:
    if not isinstance(text, str) or not text.isascii() or "=" in text:
        raise EnvelopeMalformed(reason=f"{member} is not unpadded base64url")
    try:
        decoded = unb64url(text)
    except (binascii.Error, ValueError) as exc:
        raise EnvelopeMalformed(reason=f"{member} is not unpadded base64url") from exc
    if b64url(decoded) != text:
        raise EnvelopeMalformed(reason=f"{member} is not canonical base64url")
    return decoded


class Encoding(StrEnum):
    """How the plaintext was encoded before HPKE sealed it (header member ``encoding``, v2)."""

    ZLIB = "zlib"  # one zlib stream (RFC 1950), then zero bytes to a multiple of PADDING_BLOCK


_TEXT_MEMBERS: Final = (
    "gateway_id",
    "signal_id",
    "recipient_id",
    "key_id",
    "suite",
    "created_at",
    "signing_key_id",
)
_HEADER_MEMBERS: Final = {
    1: {"version", *_TEXT_MEMBERS},
    2: {"version", *_TEXT_MEMBERS, "encoding"},
}


@dataclass(frozen=True)
class EnvelopeHeader:
    """Who and what an envelope is for; ``encoding`` None is a version 1 header (no
    compression), anything else version 2."""

    gateway_id: str
    signal_id: str
    recipient_id: str
    key_id: str
    suite: Suite
    created_at: str
    signing_key_id: str
    encoding: Encoding | None = None

    @property
    def version(self) -> int:
        return 1 if self.encoding is None else 2

    def as_json(self) -> dict[str, object]:
        members: dict[str, object] = {
            "version": self.version,
            "gateway_id": self.gateway_id,
            "signal_id": self.signal_id,
            "recipient_id": self.recipient_id,
            "key_id": self.key_id,
            "suite": str(self.suite),
            "created_at": self.created_at,
            "signing_key_id": self.signing_key_id,
        }
        if self.encoding is not None:
            members["encoding"] = str(self.encoding)
        return members

    @classmethod
    def from_json(cls, value: object) -> EnvelopeHeader:
        if not isinstance(value, dict) or "version" not in value:
            raise EnvelopeMalformed(reason="the header must be an object with a version")
        version = value["version"]
        if type(version) is not int or version not in _HEADER_MEMBERS:
            raise EnvelopeMalformed(reason=f"version {version!r} is not supported")
        if set(value) != _HEADER_MEMBERS[version]:
            raise EnvelopeMalformed(
                reason=f"the header must have exactly the members of v{version}"
            )
        texts = [value[name] for name in _HEADER_MEMBERS[version] - {"version"}]
        if not all(isinstance(text, str) and text for text in texts):
            raise EnvelopeMalformed(reason="header members must be non-empty strings")
        try:
            suite = Suite(value["suite"])
        except ValueError as exc:
            raise EnvelopeMalformed(reason=f"unknown suite {value['suite']!r}") from exc
        try:
            encoding = None if version == 1 else Encoding(value["encoding"])
        except ValueError as exc:
            raise EnvelopeMalformed(reason=f"unknown encoding {value['encoding']!r}") from exc
        return cls(
            gateway_id=value["gateway_id"],
            signal_id=value["signal_id"],
            recipient_id=value["recipient_id"],
            key_id=value["key_id"],
            suite=suite,
            created_at=value["created_at"],
            signing_key_id=value["signing_key_id"],
            encoding=encoding,
        )


@dataclass(frozen=True)
class Envelope:
    """One recipient's sealed copy: header, encapsulated key, ciphertext, gateway signature."""

    header: EnvelopeHeader
    enc: bytes
    ciphertext: bytes
    signature: bytes

    def as_json(self) -> dict[str, object]:
        return {
            "header": self.header.as_json(),
            "enc": b64url(self.enc),
            "ciphertext": b64url(self.ciphertext),
            "signature": b64url(self.signature),
        }

    def to_bytes(self) -> bytes:
        """Canonical JSON (RFC 8785): the bytes stored and delivered."""
        return canonical.dumps(self.as_json())

    @classmethod
    def from_json(cls, value: object) -> Envelope:
        members = {"header", "enc", "ciphertext", "signature"}
        if not isinstance(value, dict) or set(value) != members:
            raise EnvelopeMalformed(reason=f"an envelope has exactly {', '.join(sorted(members))}")
        return cls(
            header=EnvelopeHeader.from_json(value["header"]),
            enc=_unb64url(value["enc"], "enc"),
            ciphertext=_unb64url(value["ciphertext"], "ciphertext"),
            signature=_unb64url(value["signature"], "signature"),
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Envelope:
        try:
            document = json.loads(data)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
            raise EnvelopeMalformed(reason="not a JSON document") from exc
        return cls.from_json(document)


def hpke_info(header: EnvelopeHeader) -> bytes:
    """HPKE ``info``: canonical JSON of what the envelope is bound to (since v2 its
    encoding too)."""
    bound: dict[str, object] = {
        "context": f"euregate/envelope/v{header.version}/hpke-info",
        "gateway_id": header.gateway_id,
        "signal_id": header.signal_id,
        "recipient_id": header.recipient_id,
        "key_id": header.key_id,
        "suite": str(header.suite),
    }
    if header.encoding is not None:
        bound["encoding"] = str(header.encoding)
    return canonical.dumps(bound)


def signed_bytes(header: EnvelopeHeader, enc: bytes, ciphertext: bytes) -> bytes:
    """What the gateway signs: canonical JSON of the header and digests of enc and ciphertext."""
    return canonical.dumps(
        {
            "context": f"euregate/envelope/v{header.version}/signature",
            "header": header.as_json(),
            "enc_sha256": hashlib.sha256(enc).hexdigest(),
            "ciphertext_sha256": hashlib.sha256(ciphertext).hexdigest(),
        }
    )


def sign_envelope(
    header: EnvelopeHeader, enc: bytes, ciphertext: bytes, signer: Signer
) -> Envelope:
    if header.signing_key_id != signer.key_id:
        raise ValueError("the header names another signing key than the signer's")
    signature = signer.sign(signed_bytes(header, enc, ciphertext))
    return Envelope(header=header, enc=enc, ciphertext=ciphertext, signature=signature)


def encode_content(plaintext: bytes, encoding: Encoding | None) -> bytes:
    """What HPKE seals: ``plaintext`` compressed, then zero-padded to the next multiple of
    :data:`PADDING_BLOCK`, so the length tells little of how well it compressed."""
    if encoding is None:
        return plaintext
    packed = zlib.compress(plaintext)
    return packed + bytes(-len(packed) % PADDING_BLOCK)


def decode_content(content: bytes, encoding: Encoding | None) -> bytes:
    """The plaintext of :func:`encode_content`'s ``content``: exactly one zlib stream of at
    most :data:`MAX_PLAINTEXT` bytes, followed by nothing but zeros."""
    if encoding is None:
        return content
    inflater = zlib.decompressobj()
    try:
        plaintext = inflater.decompress(content, MAX_PLAINTEXT)
    except zlib.error as exc:
        raise EnvelopeMalformed(reason="the content is not a zlib stream") from exc
    if not inflater.eof or inflater.unconsumed_tail:
        raise EnvelopeMalformed(reason="the content is not one whole zlib stream within bounds")
    if inflater.unused_data.strip(b"\x00"):
        raise EnvelopeMalformed(reason="the content's padding is not all zeros")
    return plaintext


def seal(
    plaintext: bytes,
    *,
    recipient_key: PartnerKey,
    gateway_id: str,
    signal_id: str,
    recipient_id: str,
    signer: Signer,
    now: datetime | None = None,
    encoding: Encoding | None = Encoding.ZLIB,
) -> Envelope:
    """Encrypt ``plaintext`` (encoded as ``encoding`` says; None seals a version 1
    envelope, as the gateway did before) to ``recipient_key`` alone and sign the result."""
    if recipient_key.partner_id != recipient_id:
        raise ValueError(f"key {recipient_key.key_id} is not {recipient_id}'s")
    header = EnvelopeHeader(
        gateway_id=gateway_id,
        signal_id=signal_id,
        recipient_id=recipient_id,
        key_id=recipient_key.key_id,
        suite=recipient_key.suite,
        created_at=timestamp(now or datetime.now(UTC)),
        signing_key_id=signer.key_id,
        encoding=encoding,
    )
    suite = recipient_key.suite
    public_key = _public_key_object(suite, recipient_key.public_key)
    content = encode_content(plaintext, encoding)
    sealed = suite.hpke.encrypt(content, public_key, info=hpke_info(header))
    enc, ciphertext = sealed[: suite.enc_length], sealed[suite.enc_length :]
    return sign_envelope(header, enc, ciphertext, signer)


@lru_cache(maxsize=64)
def _verifier(public: bytes) -> ed25519.Ed25519PublicKey:
    return ed25519.Ed25519PublicKey.from_public_bytes(public)


def verify_signature(envelope: Envelope, gateway_keys: Mapping[str, bytes]) -> None:
    """Check the gateway's signature against its public keys by id (raw Ed25519)."""
    header = envelope.header
    public = gateway_keys.get(header.signing_key_id)
    if public is None:
        raise EnvelopeSignatureInvalid(reason=f"unknown signing key {header.signing_key_id}")
    try:
        verifier = _verifier(public)
        verifier.verify(envelope.signature, signed_bytes(header, envelope.enc, envelope.ciphertext))
    except (InvalidSignature, ValueError) as exc:
        raise EnvelopeSignatureInvalid(reason="the signature does not match") from exc


def open_envelope(
    envelope: Envelope | bytes,
    *,
    private_key: RecipientPrivateKey,
    recipient_id: str,
    signal_id: str | None,
    gateway_public_keys: Mapping[str, bytes],
) -> bytes:
    """The plaintext, once the envelope proves to be for ``recipient_id`` (and ``signal_id``,
    unless None), sealed to ``private_key``, signed by the gateway, and untouched."""
    if isinstance(envelope, bytes):
        envelope = Envelope.from_bytes(envelope)
    header = envelope.header
    if header.recipient_id != recipient_id or signal_id not in (None, header.signal_id):
        raise EnvelopeMisaddressed(recipient=header.recipient_id, signal=header.signal_id)
    if header.key_id != private_key.key_id or header.suite is not private_key.suite:
        raise EnvelopeWrongKey(
            key_id=header.key_id, suite=str(header.suite), given=private_key.key_id
        )
    verify_signature(envelope, gateway_public_keys)
    if len(envelope.enc) != header.suite.enc_length:
        raise EnvelopeMalformed(reason="enc has the wrong length for the suite")
    try:
        content = header.suite.hpke.decrypt(
            envelope.enc + envelope.ciphertext, private_key.key, info=hpke_info(header)
        )
    except (InvalidTag, ValueError) as exc:
        raise EnvelopeUndecryptable() from exc
    return decode_content(content, header.encoding)
