"""Encryption at rest: envelope encryption of signal bodies under one master key.

Each body is encrypted with a fresh AES-256-GCM data key; the data key is
encrypted ("wrapped") with the master key and stored beside the body. Destroying
the wrapped key erases the signal for good (crypto-shredding), while the master
key itself never touches the database: it lives in a 32-byte file with mode 0600.

The caller's ``context`` (the signal id, say) is authenticated with both the
wrapped key and the body, so a blob moved to another signal's row will not open.

Nonces are random 96-bit values. Under one master key that is safe for well over
a billion seals (NIST SP 800-38D caps random nonces at 2**32 per key); rotate the
master key (``key_version``) long before that.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "KEY_SIZE",
    "MasterKey",
    "SealedBlob",
    "VaultError",
    "create_master_key_file",
    "load_master_key_file",
]

KEY_SIZE: Final = 32
_NONCE_SIZE: Final = 12
_TAG_SIZE: Final = 16
_WRAPPED_KEY_SIZE: Final = _NONCE_SIZE + KEY_SIZE + _TAG_SIZE

_MAGIC: Final = b"EGV"
_FORMAT: Final = 1
_HEADER: Final = struct.Struct(">3sBI")  # magic, format, key_version
_MAX_KEY_VERSION: Final = 2**32 - 1

_WRAP_LABEL: Final = b"euregate/vault/v1/data-key\x00"
_BODY_LABEL: Final = b"euregate/vault/v1/body\x00"


class VaultError(Exception):
    """A blob or key file cannot be used: tampered, wrong key, wrong context, unsafe file."""


@dataclass(frozen=True)
class SealedBlob:
    """One sealed body: the wrapped data key, the body's nonce and ciphertext.

    ``wrapped_key`` is the wrap nonce followed by the AES-GCM encryption of the
    data key under the master key numbered ``key_version``.
    """

    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes
    key_version: int = 1

    def __post_init__(self) -> None:
        if len(self.wrapped_key) != _WRAPPED_KEY_SIZE:
            raise ValueError(f"wrapped_key must be {_WRAPPED_KEY_SIZE} bytes")
        if len(self.nonce) != _NONCE_SIZE:
            raise ValueError(f"nonce must be {_NONCE_SIZE} bytes")
        if len(self.ciphertext) < _TAG_SIZE:
            raise ValueError(f"ciphertext must be at least {_TAG_SIZE} bytes")
        if not 1 <= self.key_version <= _MAX_KEY_VERSION:
            raise ValueError(f"key_version must be between 1 and {_MAX_KEY_VERSION}")

    def to_bytes(self) -> bytes:
        """``EGV``, format 1, key version (uint32 BE), wrapped key, nonce, ciphertext."""
        header = _HEADER.pack(_MAGIC, _FORMAT, self.key_version)
        return header + self.wrapped_key + self.nonce + self.ciphertext

    @classmethod
    def from_bytes(cls, raw: bytes) -> SealedBlob:
        if len(raw) < _HEADER.size + _WRAPPED_KEY_SIZE + _NONCE_SIZE + _TAG_SIZE:
            raise VaultError("sealed blob is truncated")
        magic, version, key_version = _HEADER.unpack_from(raw)
        if magic != _MAGIC or version != _FORMAT:
            raise VaultError("not a sealed blob of a known format")
        nonce_at = _HEADER.size + _WRAPPED_KEY_SIZE
        body_at = nonce_at + _NONCE_SIZE
        try:
            return cls(
                wrapped_key=raw[_HEADER.size : nonce_at],
                nonce=raw[nonce_at:body_at],
                ciphertext=raw[body_at:],
                key_version=key_version,
            )
        except ValueError as exc:
            raise VaultError(f"malformed sealed blob: {exc}") from exc


class MasterKey:
    """The 32-byte key that wraps every data key. Its bytes never appear in repr or str."""

    __slots__ = ("_key", "version")

    def __init__(self, key: bytes, *, version: int = 1) -> None:
        if len(key) != KEY_SIZE:
            raise ValueError(f"a master key is {KEY_SIZE} bytes, not {len(key)}")
        if not 1 <= version <= _MAX_KEY_VERSION:
            raise ValueError(f"version must be between 1 and {_MAX_KEY_VERSION}")
        self._key = bytes(key)
        self.version = version

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(AESGCM.generate_key(bit_length=KEY_SIZE * 8))

    def __repr__(self) -> str:
        return f"MasterKey(version={self.version}, key=<redacted>)"

    def seal(self, plaintext: bytes, *, context: bytes) -> SealedBlob:
        data_key = AESGCM.generate_key(bit_length=KEY_SIZE * 8)
        wrap_nonce = secrets.token_bytes(_NONCE_SIZE)
        wrapped = AESGCM(self._key).encrypt(wrap_nonce, data_key, self._wrap_aad(context))
        nonce = secrets.token_bytes(_NONCE_SIZE)
        ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, _BODY_LABEL + context)
        return SealedBlob(
            wrapped_key=wrap_nonce + wrapped,
            nonce=nonce,
            ciphertext=ciphertext,
            key_version=self.version,
        )

    def open(self, blob: SealedBlob, *, context: bytes) -> bytes:
        if blob.key_version != self.version:
            raise VaultError(
                f"blob is sealed under master key version {blob.key_version}, "
                f"this is version {self.version}"
            )
        wrap_nonce, wrapped = blob.wrapped_key[:_NONCE_SIZE], blob.wrapped_key[_NONCE_SIZE:]
        try:
            data_key = AESGCM(self._key).decrypt(wrap_nonce, wrapped, self._wrap_aad(context))
            return AESGCM(data_key).decrypt(blob.nonce, blob.ciphertext, _BODY_LABEL + context)
        except InvalidTag as exc:
            raise VaultError(
                "blob does not open: tampered, wrong master key or wrong context"
            ) from exc

    def derive(self, purpose: bytes) -> bytes:
        """A 32-byte secret for ``purpose`` (HKDF-SHA256), so the master key itself never leaves."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=None, info=purpose)
        return hkdf.derive(self._key)

    def _wrap_aad(self, context: bytes) -> bytes:
        return _WRAP_LABEL + self.version.to_bytes(4, "big") + context


def create_master_key_file(path: Path) -> MasterKey:
    """Generate a master key and write it to ``path``, which must not exist yet.

    The key is written to a 0600 temporary file beside ``path``, synced, then
    hard-linked into place: the link either creates ``path`` with the complete
    key or fails with :class:`FileExistsError`, so neither a crash nor a
    concurrent writer leaves a partial or overwritten key behind.
    """
    key = MasterKey.generate()
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(key._key)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise FileExistsError(
                errno.EEXIST, "refusing to overwrite a key file", str(path)
            ) from None
    finally:
        temporary.unlink()
    _fsync_directory(path.parent)
    return key


def load_master_key_file(path: Path) -> MasterKey:
    """Read the master key, refusing a file that others may read or of the wrong size."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise VaultError(f"master key file {path} cannot be opened: {exc.strerror}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise VaultError(f"master key file {path} is not a regular file")
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise VaultError(
                f"master key file {path} has mode {mode:04o}; it must be readable by its "
                f"owner only (chmod 600 {path})"
            )
        key = os.read(fd, KEY_SIZE + 1)
    finally:
        os.close(fd)
    if len(key) != KEY_SIZE:
        raise VaultError(f"master key file {path} must hold exactly {KEY_SIZE} bytes")
    return MasterKey(key)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
