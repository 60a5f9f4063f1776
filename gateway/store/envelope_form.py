"""How an envelope is kept in the ``envelopes`` table: binary, not the JSON the inbox hands out.

The wire form (:meth:`gateway.infra.seal.Envelope.to_bytes`) is canonical JSON with ``enc``,
``ciphertext`` and ``signature`` in base64url, a third larger than their bytes. Kept is a tag
byte ``0x00``, the three lengths (header, enc, signature; 16-bit big-endian), the header's
canonical JSON, then enc, signature and ciphertext as bytes. The wire form is rebuilt on the
way out, byte for byte: a value is kept binary only when it rebuilds exactly, so the store
hands back precisely the bytes it was given. Anything else (rows from before, when the JSON
itself was kept; values that are no envelope) is kept as given, behind a tag byte ``0x01``
if it could be mistaken for a tag. Both backends share the form, so a backup or
``euregate migrate-store`` copies the stored bytes as they are.
"""

from __future__ import annotations

import json
import struct
from typing import Final

from euregate_client import canonical

from gateway.infra.errors import EnvelopeRefused
from gateway.infra.seal import Envelope, b64url

_BINARY: Final = b"\x00"
_AS_GIVEN: Final = b"\x01"
_LENGTHS: Final = struct.Struct(">HHH")


def stored(wire: bytes) -> bytes:
    """What the ``envelope`` column keeps for the envelope ``wire``."""
    binary = _binary(wire)
    if binary is not None:
        return _BINARY + binary
    if wire[:1] in (_BINARY, _AS_GIVEN):
        return _AS_GIVEN + wire
    return wire


def wire(kept: bytes) -> bytes:
    """The envelope as it was given to :func:`stored`."""
    tag = kept[:1]
    if tag == _BINARY:
        return _rebuilt(kept[1:])
    if tag == _AS_GIVEN:
        return kept[1:]
    return kept


def _binary(wire: bytes) -> bytes | None:
    try:
        envelope = Envelope.from_bytes(wire)
    except EnvelopeRefused:
        return None
    header = canonical.dumps(envelope.header.as_json())
    parts = (header, envelope.enc, envelope.signature)
    if any(len(part) > 0xFFFF for part in parts):
        return None
    binary = _LENGTHS.pack(*map(len, parts)) + b"".join(parts) + envelope.ciphertext
    return binary if _rebuilt(binary) == wire else None


def _rebuilt(binary: bytes) -> bytes:
    header_length, enc_length, signature_length = _LENGTHS.unpack_from(binary)
    start = _LENGTHS.size
    header = binary[start : start + header_length]
    start += header_length
    enc = binary[start : start + enc_length]
    start += enc_length
    signature = binary[start : start + signature_length]
    ciphertext = binary[start + signature_length :]
    return canonical.dumps(
        {
            "header": json.loads(header),
            "enc": b64url(enc),
            "ciphertext": b64url(ciphertext),
            "signature": b64url(signature),
        }
    )
