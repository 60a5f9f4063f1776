"""Signed notes (``c2sp.org/signed-note``): a text, a blank line, and signature lines.

::

    euregate.euregio.eu/audit
    4711
    CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

    — euregate.euregio.eu/audit Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5...

A signature line is an em dash (U+2014), a space, the key's name, a space, and the base64
of the 4-byte key ID followed by the signature. The key ID is the first four bytes of
``SHA-256(name || 0x0A || type || public key)``, ``type`` being ``0x01`` for Ed25519 over
the text (:class:`Ed25519Verifier`) and ``0x04`` for a witness's timestamped cosignature
(the gateway's witnesses'). A verifier key, the public form a key is handed out
in, is ``name+hex(key ID)+base64(type || public key)``.

:func:`open_note` verifies a note against the keys one knows: signatures by unknown keys
are kept but ignored, a known key's signature must verify, and at least one must be there.
What is refused is refused with a typed error of :mod:`euregate_client.errors`. Signing
notes is the gateway's (``gateway.infra.audit.note``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, Final, Protocol, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from euregate_client.errors import (
    N_,
    NoteMalformed,
    NoteSignatureInvalid,
    NoteUnverified,
    VerifierKeyMalformed,
)

ED25519: Final = 0x01
SIGNATURE_PREFIX: Final = "\u2014 "
MAX_SIGNATURES: Final = 100
"""Most signature lines a note may have (the specification asks for at least 16)."""

NOT_UTF8 = N_("it is not UTF-8.")
CONTROL_CHARACTER = N_("it holds a control character other than a line break.")
NO_SIGNATURES = N_("it does not end in a blank line followed by signature lines.")
SIGNATURE_LINE = N_(
    "a signature line is not an em dash, a space, a key name, a space and the key ID with "
    "the signature in base64."
)
TOO_MANY_SIGNATURES = N_("it has more signature lines than a note may have.")
KEY_NAME = N_("a key name is empty or holds a space or a plus sign.")
TEXT_END = N_("its text does not end in a line break.")
VERIFIER_KEY_FORM = N_("it is not a name, a key ID and a key, joined by plus signs.")
VERIFIER_KEY_ID = N_("its key ID does not belong to its name and key.")
VERIFIER_KEY_TYPE = N_("it is not a key of the expected type.")
VERIFIER_KEY_LENGTH = N_("its Ed25519 public key is not 32 bytes long.")


class NoteVerifier(Protocol):
    """A public key that can check signatures on notes."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> bytes: ...

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (without the key ID) signs the note text ``text``."""
        ...


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    """The 4-byte key ID: ``SHA-256(name || 0x0A || type || public key)[:4]``."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()[:4]


def valid_key_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(char.isspace() for char in name)


def strict_b64decode(text: str) -> bytes | None:
    """The bytes of standard, padded base64 in its one canonical spelling, else None."""
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded if base64.b64encode(decoded).decode() == text else None


def encode_verifier_key(name: str, signature_type: int, public_key: bytes) -> str:
    """``name+hex(key ID)+base64(type || public key)``."""
    material = base64.b64encode(bytes([signature_type]) + public_key).decode()
    return f"{name}+{key_id(name, signature_type, public_key).hex()}+{material}"


def decode_verifier_key(vkey: str, signature_type: int) -> tuple[str, bytes]:
    """The name and the 32-byte Ed25519 public key of a verifier key of ``signature_type``."""
    name, _, rest = vkey.partition("+")
    id_hex, _, material_b64 = rest.partition("+")
    material = strict_b64decode(material_b64)
    if len(id_hex) != 8 or not valid_key_name(name) or not material:
        raise VerifierKeyMalformed(reason=VERIFIER_KEY_FORM)
    try:
        stated = bytes.fromhex(id_hex)
    except ValueError:
        raise VerifierKeyMalformed(reason=VERIFIER_KEY_FORM) from None
    if id_hex != stated.hex() or stated != key_id(name, material[0], material[1:]):
        raise VerifierKeyMalformed(reason=VERIFIER_KEY_ID)
    if material[0] != signature_type:
        raise VerifierKeyMalformed(reason=VERIFIER_KEY_TYPE)
    if len(material) != 33:
        raise VerifierKeyMalformed(reason=VERIFIER_KEY_LENGTH)
    return name, material[1:]


def ed25519_verifies(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Ed25519Key:
    """A named Ed25519 public key of one signature type; each type verifies its own way."""

    signature_type: ClassVar[int] = ED25519
    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        if not valid_key_name(self.name):
            raise VerifierKeyMalformed(reason=KEY_NAME)
        if len(self.public_key) != 32:
            raise VerifierKeyMalformed(reason=VERIFIER_KEY_LENGTH)

    @classmethod
    def parse(cls, vkey: str) -> Self:
        """The key of a verifier key string, which must be of this signature type."""
        return cls(*decode_verifier_key(vkey, cls.signature_type))

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.signature_type, self.public_key)

    def encode(self) -> str:
        return encode_verifier_key(self.name, self.signature_type, self.public_key)


@dataclass(frozen=True)
class Ed25519Verifier(Ed25519Key):
    """A log's (or anyone's) note key: type ``0x01``, an Ed25519 signature of the text."""

    def verify(self, text: bytes, signature: bytes) -> bool:
        return ed25519_verifies(self.public_key, text, signature)


@dataclass(frozen=True)
class Signature:
    """One signature line: who (name and key ID) and the signature's bytes."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        encoded = base64.b64encode(self.key_id + self.signature).decode()
        return f"{SIGNATURE_PREFIX}{self.name} {encoded}\n"

    @classmethod
    def parse(cls, line: str) -> Signature:
        """A signature line without its line break."""
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteMalformed(reason=SIGNATURE_LINE)
        name, _, encoded = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
        raw = strict_b64decode(encoded)
        if raw is None or len(raw) < 5:
            raise NoteMalformed(reason=SIGNATURE_LINE)
        if not valid_key_name(name):
            raise NoteMalformed(reason=KEY_NAME)
        return cls(name=name, key_id=raw[:4], signature=raw[4:])


@dataclass(frozen=True)
class Note:
    """A note's text (ending in a line break) and its signatures, verified or not."""

    text: str
    signatures: tuple[Signature, ...]

    def encode(self) -> bytes:
        return (self.text + "\n" + "".join(s.line() for s in self.signatures)).encode()

    def with_signatures(self, added: Iterable[Signature]) -> Note:
        """The note with ``added`` after its signatures, a key's earlier one replaced."""
        added = tuple(added)
        keys = {(s.name, s.key_id) for s in added}
        kept = tuple(s for s in self.signatures if (s.name, s.key_id) not in keys)
        return Note(self.text, kept + added)


@dataclass(frozen=True)
class OpenedNote:
    """A note whose text at least one known key signed: ``verified`` are those signatures,
    ``unverified`` the ones by keys not known (kept, for instance to pass on)."""

    note: Note
    verified: tuple[Signature, ...]
    unverified: tuple[Signature, ...]

    @property
    def text(self) -> str:
        return self.note.text


def check_text(text: str) -> None:
    """Refuse a note text that a note could not carry."""
    if any(char < " " and char != "\n" for char in text):
        raise NoteMalformed(reason=CONTROL_CHARACTER)
    if not text.endswith("\n"):
        raise NoteMalformed(reason=TEXT_END)


def parse(message: bytes) -> Note:
    """The text and signature lines of a signed note, checked for form only."""
    try:
        decoded = message.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteMalformed(reason=NOT_UTF8) from None
    if any(char < " " and char != "\n" for char in decoded):
        raise NoteMalformed(reason=CONTROL_CHARACTER)
    split = decoded.rfind("\n\n")
    if split < 0:
        raise NoteMalformed(reason=NO_SIGNATURES)
    text, block = decoded[: split + 1], decoded[split + 2 :]
    if not block.endswith("\n"):
        raise NoteMalformed(reason=NO_SIGNATURES)
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteMalformed(reason=TOO_MANY_SIGNATURES)
    return Note(text=text, signatures=tuple(Signature.parse(line) for line in lines))


def open_note(message: bytes, known: Iterable[NoteVerifier]) -> OpenedNote:
    """Parse ``message`` and verify it against the ``known`` keys (by name and key ID).

    Signatures by unknown keys are ignored; a known key's signature that does not verify
    refuses the whole note (:class:`NoteSignatureInvalid`), as does a note without any
    signature by a known key (:class:`NoteUnverified`). A key's repeated signatures count
    once.
    """
    note = parse(message)
    by_id = {(key.name, key.key_id): key for key in known}
    body = note.text.encode()
    verified: list[Signature] = []
    unverified: list[Signature] = []
    for signature in note.signatures:
        key = by_id.get((signature.name, signature.key_id))
        if key is None:
            if signature not in unverified:
                unverified.append(signature)
            continue
        if any(s.name == key.name and s.key_id == key.key_id for s in verified):
            continue
        if not key.verify(body, signature.signature):
            raise NoteSignatureInvalid(name=signature.name, key_id=signature.key_id.hex())
        verified.append(signature)
    if not verified:
        names = ", ".join(sorted({name for name, _ in by_id})) or "-"
        raise NoteUnverified(names=names)
    return OpenedNote(note=note, verified=tuple(verified), unverified=tuple(unverified))
