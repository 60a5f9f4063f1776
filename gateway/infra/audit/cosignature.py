"""Witness cosignatures (``c2sp.org/tlog-cosignature``, Ed25519, ``cosignature/v1``).

A witness that has checked a checkpoint adds a note signature of its own. Its key ID is
computed with the signature type ``0x04``, and what it signs is not the note text alone but

::

    cosignature/v1
    time <POSIX seconds>
    <the checkpoint's note text>

The signature bytes after the key ID are the timestamp as a big-endian 64-bit integer
followed by the 64-byte Ed25519 signature. A cosignature says: at that time, this is the
largest tree of the log the witness has seen and checked to be consistent.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, Final

from gateway.infra.audit.note import Ed25519Key, Note, RawSigner, Signature, ed25519_verifies
from gateway.infra.errors import NoteSignatureInvalid

COSIGNATURE_V1: Final = 0x04
MAX_TIMESTAMP: Final = (1 << 63) - 1
_TIMESTAMP = struct.Struct(">Q")


def signed_message(text: str, timestamp: int) -> bytes:
    """What a ``cosignature/v1`` signs: the header, the time line and the checkpoint text."""
    return _header(timestamp) + text.encode()


def _header(timestamp: int) -> bytes:
    return b"cosignature/v1\ntime %d\n" % timestamp


@dataclass(frozen=True)
class WitnessKey(Ed25519Key):
    """A witness's public key (type ``0x04``): verifies its cosignatures."""

    signature_type: ClassVar[int] = COSIGNATURE_V1

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (timestamp and Ed25519 signature) cosigns the text."""
        if len(signature) != _TIMESTAMP.size + 64:
            return False
        (timestamp,) = _TIMESTAMP.unpack_from(signature)
        if timestamp > MAX_TIMESTAMP:
            return False
        message = _header(timestamp) + text
        return ed25519_verifies(self.public_key, message, signature[_TIMESTAMP.size :])


class Cosigner:
    """A witness's private key under its name."""

    def __init__(self, name: str, key: RawSigner) -> None:
        self.key = WitnessKey(name, key.public_key)
        self._key = key

    def cosign(self, text: str, timestamp: int) -> Signature:
        """The cosignature line's content for the checkpoint text ``text`` at ``timestamp``."""
        if not 0 <= timestamp <= MAX_TIMESTAMP:
            raise ValueError("a cosignature's time is between 0 and 2^63 - 1 seconds")
        signature = self._key.sign(signed_message(text, timestamp))
        return Signature(self.key.name, self.key.key_id, _TIMESTAMP.pack(timestamp) + signature)


@dataclass(frozen=True)
class Cosignature:
    """A verified cosignature: which witness, and when it cosigned."""

    witness: str
    key_id: bytes
    timestamp: int
    signature: Signature


def cosignatures(note: Note, witnesses: Iterable[WitnessKey]) -> list[Cosignature]:
    """The cosignatures on ``note`` by ``witnesses``, each checked; signatures by other keys
    are ignored, and a known witness's that does not verify refuses the note."""
    known = {(witness.name, witness.key_id): witness for witness in witnesses}
    found: dict[tuple[str, bytes], Cosignature] = {}
    body = note.text.encode()
    for signature in note.signatures:
        identity = (signature.name, signature.key_id)
        witness = known.get(identity)
        if witness is None or identity in found:
            continue
        if not witness.verify(body, signature.signature):
            raise NoteSignatureInvalid(name=signature.name, key_id=signature.key_id.hex())
        (timestamp,) = _TIMESTAMP.unpack_from(signature.signature)
        found[identity] = Cosignature(signature.name, signature.key_id, timestamp, signature)
    return list(found.values())
