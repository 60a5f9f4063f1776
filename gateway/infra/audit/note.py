"""Signed notes (``c2sp.org/signed-note``): signing them with the gateway's keys.

The format, reading notes and verifying them against the keys one knows (:func:`open_note`)
are the partner client's (:mod:`euregate_client.note`, which describes the format), named
here too; a witness's timestamped cosignature (type ``0x04``) is
:mod:`gateway.infra.audit.cosignature`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from euregate_client import note as _partner

# Reading and verifying notes, as a partner does it.
CONTROL_CHARACTER = _partner.CONTROL_CHARACTER
ED25519 = _partner.ED25519
KEY_NAME = _partner.KEY_NAME
MAX_SIGNATURES = _partner.MAX_SIGNATURES
NO_SIGNATURES = _partner.NO_SIGNATURES
NOT_UTF8 = _partner.NOT_UTF8
SIGNATURE_LINE = _partner.SIGNATURE_LINE
SIGNATURE_PREFIX = _partner.SIGNATURE_PREFIX
TEXT_END = _partner.TEXT_END
TOO_MANY_SIGNATURES = _partner.TOO_MANY_SIGNATURES
VERIFIER_KEY_FORM = _partner.VERIFIER_KEY_FORM
VERIFIER_KEY_ID = _partner.VERIFIER_KEY_ID
VERIFIER_KEY_LENGTH = _partner.VERIFIER_KEY_LENGTH
VERIFIER_KEY_TYPE = _partner.VERIFIER_KEY_TYPE
Ed25519Key = _partner.Ed25519Key
Ed25519Verifier = _partner.Ed25519Verifier
Note = _partner.Note
NoteVerifier = _partner.NoteVerifier
OpenedNote = _partner.OpenedNote
Signature = _partner.Signature
check_text = _partner.check_text
decode_verifier_key = _partner.decode_verifier_key
ed25519_verifies = _partner.ed25519_verifies
encode_verifier_key = _partner.encode_verifier_key
key_id = _partner.key_id
open_note = _partner.open_note
parse = _partner.parse
strict_b64decode = _partner.strict_b64decode
valid_key_name = _partner.valid_key_name


class RawSigner(Protocol):
    """An Ed25519 private key: :class:`gateway.infra.seal.Signer` is one."""

    @property
    def public_key(self) -> bytes: ...

    def sign(self, data: bytes) -> bytes: ...


class Ed25519Signer:
    """Signs note texts with an Ed25519 key under ``name``."""

    def __init__(self, name: str, key: RawSigner) -> None:
        self.verifier = Ed25519Verifier(name, key.public_key)
        self._key = key

    @property
    def name(self) -> str:
        return self.verifier.name

    @property
    def key_id(self) -> bytes:
        return self.verifier.key_id

    def sign(self, text: bytes) -> bytes:
        return self._key.sign(text)


def sign_text(text: str, signers: Sequence[Ed25519Signer]) -> Note:
    """The note of ``text`` signed by each of ``signers``, in their order."""
    check_text(text)
    body = text.encode()
    return Note(
        text,
        tuple(Signature(s.name, s.key_id, s.sign(body)) for s in signers),
    )
