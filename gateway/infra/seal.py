"""Sealing a recipient's copy: HPKE (RFC 9180) to the partner's key, signed by the gateway.

Pure apart from the cryptography: no store, no files. The envelope format, its opening and
the partner's keys are the partner client's (:mod:`euregate_client.envelope`,
:mod:`euregate_client.keys`), re-exported here, so that what the gateway seals is what a
partner opens, from one definition. The format is in ``docs/envelope.md``.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519
from euregate_client.envelope import (
    ENVELOPE_VERSION,
    MAX_PLAINTEXT,
    PADDING_BLOCK,
    Encoding,
    Envelope,
    EnvelopeHeader,
    b64url,
    decode_content,
    hpke_info,
    open_envelope,
    signed_bytes,
    unb64url,
    verify_signature,
)
from euregate_client.keys import (
    MLKEM768_PUBLIC_SIZE,
    SIGNING_ALGORITHM,
    XWING_SEED_SIZE,
    RecipientPrivateKey,
    Suite,
    generate_key_pair,
    key_id,
    load_private_key,
    read_public_key,
    signing_key_id,
    xwing_key_pair,
)

from gateway.infra.audit import timestamp

__all__ = [
    "ENVELOPE_VERSION",
    "MAX_PLAINTEXT",
    "PADDING_BLOCK",
    "SIGNING_ALGORITHM",
    "XWING_SEED_SIZE",
    "Encoding",
    "Envelope",
    "EnvelopeHeader",
    "GatewayKey",
    "PartnerKey",
    "RecipientPrivateKey",
    "Signer",
    "Suite",
    "b64url",
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
    "signing_key_id",
    "unb64url",
    "verify_signature",
    "xwing_key_pair",
]


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


@lru_cache(maxsize=256)
def _public_key_object(suite: Suite, raw: bytes) -> Any:
    """The key object HPKE encrypts to; cached, as a partner's key is sealed to again and again."""
    if suite is Suite.X25519:
        return x25519.X25519PublicKey.from_public_bytes(raw)
    return hpke.MLKEM768X25519PublicKey(
        mlkem.MLKEM768PublicKey.from_public_bytes(raw[:MLKEM768_PUBLIC_SIZE]),
        x25519.X25519PublicKey.from_public_bytes(raw[MLKEM768_PUBLIC_SIZE:]),
    )


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
