"""Opening an envelope: a recipient's copy, HPKE-sealed (RFC 9180) and signed by the gateway.

HPKE is the ``cryptography`` package's single-shot ``hpke`` API, whose output is the
encapsulated key followed by the AEAD ciphertext. Its ``info`` binds gateway, signal,
recipient, key id and suite, so an envelope opened under any other binding fails to
decrypt. The gateway signs the canonical header and the SHA-256 digests of ``enc`` and
``ciphertext`` with Ed25519, so a recipient can tell the gateway sealed it, offline. Since
version 2 the plaintext is compressed (zlib) and padded with zeros to a multiple of 1 KiB
before it is sealed, the encoding named in the header; version 1 envelopes (no encoding)
still open. The format is in ``docs/envelope.md``; the gateway seals (``gateway.infra.seal``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Final

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric import ed25519

from euregate_client import canonical
from euregate_client.errors import (
    EnvelopeMalformed,
    EnvelopeMisaddressed,
    EnvelopeSignatureInvalid,
    EnvelopeUndecryptable,
    EnvelopeWrongKey,
)
from euregate_client.keys import RecipientPrivateKey, Suite

ENVELOPE_VERSION: Final = 2
PADDING_BLOCK: Final = 1024
"""The compressed plaintext is padded with zeros to a multiple of this many bytes."""
MAX_PLAINTEXT: Final = 64 * 2**20
"""The most an envelope's content may inflate to; more is refused as malformed."""


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
