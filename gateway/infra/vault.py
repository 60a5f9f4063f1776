"""Encryption at rest: envelope encryption of signal bodies under one master key.

Each body is encrypted with a fresh AES-256-GCM data key; the data key is
encrypted ("wrapped") with the master key and stored beside the body. Destroying
the wrapped key erases the signal for good (crypto-shredding), while the master
key itself never touches the database: it lives in a 32-byte file with mode 0600.

The caller's ``context`` (the signal id, say) is authenticated with both the
wrapped key and the body, so a blob moved to another signal's row will not open.

A body may be compressed (zlib) before it is sealed: format 2 of the blob says so, and its
ciphertext is authenticated under a label of its own, so a blob's format cannot be changed
without it failing to open. Compression leaks nothing a reader of the ciphertext could use:
what is sealed together comes from one writer (a sender's whole signal, an officer's texts),
never secrets beside text an attacker chooses.

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
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "KEY_PART_SIZE",
    "KEY_SIZE",
    "WRAPPED_KEY_SIZE",
    "FileKey",
    "MasterKey",
    "SealedBlob",
    "VaultError",
    "WrappingKey",
    "create_key_file",
    "create_master_key_file",
    "fsync_directory",
    "load_master_key_file",
    "read_key_file",
]

KEY_SIZE: Final = 32
_NONCE_SIZE: Final = 12
_TAG_SIZE: Final = 16
WRAPPED_KEY_SIZE: Final = _NONCE_SIZE + KEY_SIZE + _TAG_SIZE

_MAGIC: Final = b"EGV"
_PLAIN: Final = 1
_COMPRESSED: Final = 2
_HEADER: Final = struct.Struct(">3sBI")  # magic, format, key_version
_MAX_KEY_VERSION: Final = 2**32 - 1
_COMPRESSION_LEVEL: Final = 6
KEY_PART_SIZE: Final = _HEADER.size + WRAPPED_KEY_SIZE
"""A blob's first bytes, its header and wrapped data key: all that unwrapping the data key
needs, the body's nonce and ciphertext following (a store may keep the two apart)."""

_WRAP_LABEL: Final = b"euregate/vault/v1/data-key\x00"
_BODY_LABEL: Final = b"euregate/vault/v1/body\x00"
_COMPRESSED_BODY_LABEL: Final = b"euregate/vault/v2/zlib-body\x00"


class VaultError(Exception):
    """A blob or key file cannot be used: tampered, wrong key, wrong context, unsafe file."""


@dataclass(frozen=True)
class SealedBlob:
    """One sealed body: the wrapped data key, the body's nonce and ciphertext.

    ``wrapped_key`` is the wrap nonce followed by the AES-GCM encryption of the
    data key under the master key numbered ``key_version``. ``compressed``: the body was
    compressed (zlib) before it was sealed (format 2).
    """

    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes
    key_version: int = 1
    compressed: bool = False

    def __post_init__(self) -> None:
        if len(self.wrapped_key) != WRAPPED_KEY_SIZE:
            raise ValueError(f"wrapped_key must be {WRAPPED_KEY_SIZE} bytes")
        if len(self.nonce) != _NONCE_SIZE:
            raise ValueError(f"nonce must be {_NONCE_SIZE} bytes")
        if len(self.ciphertext) < _TAG_SIZE:
            raise ValueError(f"ciphertext must be at least {_TAG_SIZE} bytes")
        if not 1 <= self.key_version <= _MAX_KEY_VERSION:
            raise ValueError(f"key_version must be between 1 and {_MAX_KEY_VERSION}")

    def to_bytes(self) -> bytes:
        """``EGV``, format 1 (or 2: compressed), key version (uint32 BE), wrapped key, nonce,
        ciphertext."""
        header = _HEADER.pack(_MAGIC, self.format, self.key_version)
        return header + self.wrapped_key + self.nonce + self.ciphertext

    @classmethod
    def from_bytes(cls, raw: bytes) -> SealedBlob:
        if len(raw) < _HEADER.size + WRAPPED_KEY_SIZE + _NONCE_SIZE + _TAG_SIZE:
            raise VaultError("sealed blob is truncated")
        magic, version, key_version = _HEADER.unpack_from(raw)
        if magic != _MAGIC or version not in (_PLAIN, _COMPRESSED):
            raise VaultError("not a sealed blob of a known format")
        nonce_at = _HEADER.size + WRAPPED_KEY_SIZE
        body_at = nonce_at + _NONCE_SIZE
        try:
            return cls(
                wrapped_key=raw[_HEADER.size : nonce_at],
                nonce=raw[nonce_at:body_at],
                ciphertext=raw[body_at:],
                key_version=key_version,
                compressed=version == _COMPRESSED,
            )
        except ValueError as exc:
            raise VaultError(f"malformed sealed blob: {exc}") from exc

    @property
    def format(self) -> int:
        return _COMPRESSED if self.compressed else _PLAIN

    @property
    def body_label(self) -> bytes:
        """What the body's ciphertext is authenticated with, before the caller's context."""
        return _COMPRESSED_BODY_LABEL if self.compressed else _BODY_LABEL


class WrappingKey(Protocol):
    """One version of the master key: what wraps and unwraps data keys.

    A file key does it in memory (:class:`FileKey`); a key in an HSM does it inside the token
    (:mod:`gateway.infra.hsm`). ``wrap`` returns the wrap nonce followed by the ciphertext of
    the data key with its tag (:data:`WRAPPED_KEY_SIZE` bytes); ``unwrap`` raises
    :class:`VaultError` for anything that does not open.
    """

    version: int

    def wrap(self, data_key: bytes, aad: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes: ...


class FileKey:
    """A master key version held in memory (read from its 0600 file). Never in repr or str."""

    __slots__ = ("_key", "version")

    def __init__(self, key: bytes, *, version: int = 1) -> None:
        if len(key) != KEY_SIZE:
            raise ValueError(f"a master key is {KEY_SIZE} bytes, not {len(key)}")
        _check_version(version)
        self._key = bytes(key)
        self.version = version

    def __repr__(self) -> str:
        return f"FileKey(version={self.version}, key=<redacted>)"

    def material(self) -> bytes:
        """The key's bytes: the derivation root of a data directory made before keys rotated."""
        return self._key

    def wrap(self, data_key: bytes, aad: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE_SIZE)
        return nonce + AESGCM(self._key).encrypt(nonce, data_key, aad)

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes:
        try:
            return AESGCM(self._key).decrypt(wrapped[:_NONCE_SIZE], wrapped[_NONCE_SIZE:], aad)
        except InvalidTag as exc:
            raise VaultError(
                "blob does not open: tampered, wrong master key or wrong context"
            ) from exc


class MasterKey:
    """The master key: every version of it the gateway holds (a keyring), the newest sealing.

    Each blob names the version its data key is wrapped under, so while a rotation re-wraps
    (:mod:`gateway.registry.admin.master_key`) blobs of either version open. ``derive`` draws
    on the derivation root, which rotation never changes: pseudonyms and keyed hashes made
    before a rotation must still match those made after it. Built from a single file key
    (``MasterKey(key)``) the root is that key itself, as it was before keys rotated.
    """

    __slots__ = ("_current", "_root", "_versions")

    def __init__(self, key: bytes, *, version: int = 1) -> None:
        self._adopt((FileKey(key, version=version),), root=key)

    @classmethod
    def of(cls, versions: Sequence[WrappingKey], *, root: bytes) -> MasterKey:
        """A keyring of ``versions`` (the highest seals) deriving from ``root``."""
        keyring = cls.__new__(cls)
        keyring._adopt(versions, root=root)
        return keyring

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(AESGCM.generate_key(bit_length=KEY_SIZE * 8))

    def adopt(self, other: MasterKey) -> None:
        """Take ``other``'s versions in place, so that every holder of this keyring sees them
        (a running gateway told of a rotation). The root must be the same."""
        if other._root != self._root:
            raise VaultError("a keyring of another derivation root cannot be adopted")
        self._adopt(tuple(other._versions.values()), root=other._root)

    def _adopt(self, versions: Sequence[WrappingKey], *, root: bytes) -> None:
        if not versions:
            raise ValueError("a keyring holds at least one version")
        if len(root) != KEY_SIZE:
            raise ValueError(f"a derivation root is {KEY_SIZE} bytes")
        by_version = {key.version: key for key in versions}
        self._current = by_version[max(by_version)]
        self._versions = by_version
        self._root = bytes(root)

    def __repr__(self) -> str:
        return f"MasterKey(versions={sorted(self._versions)}, key=<redacted>)"

    @property
    def version(self) -> int:
        """The version new blobs are sealed under."""
        return self._current.version

    @property
    def versions(self) -> tuple[int, ...]:
        return tuple(sorted(self._versions))

    def seal(self, plaintext: bytes, *, context: bytes, compress: bool = False) -> SealedBlob:
        """``plaintext`` sealed for ``context``; with ``compress``, zlib-compressed first
        (for documents such as JSON, which shrink to a third or so)."""
        data_key = AESGCM.generate_key(bit_length=KEY_SIZE * 8)
        current = self._current
        nonce = secrets.token_bytes(_NONCE_SIZE)
        wrapped = current.wrap(data_key, _wrap_aad(current.version, context))
        body = zlib.compress(plaintext, _COMPRESSION_LEVEL) if compress else plaintext
        label = _COMPRESSED_BODY_LABEL if compress else _BODY_LABEL
        return SealedBlob(
            wrapped_key=wrapped,
            nonce=nonce,
            ciphertext=AESGCM(data_key).encrypt(nonce, body, label + context),
            key_version=current.version,
            compressed=compress,
        )

    def open(self, blob: SealedBlob, *, context: bytes) -> bytes:
        """The plaintext ``blob`` was sealed from (decompressed if it was compressed)."""
        body = self._opened(blob, context)
        if not blob.compressed:
            return body
        try:
            return zlib.decompress(body)
        except zlib.error as exc:
            raise VaultError("a compressed blob's body is not zlib data") from exc

    def _opened(self, blob: SealedBlob, context: bytes) -> bytes:
        data_key = self._data_key(blob, context)
        try:
            return AESGCM(data_key).decrypt(blob.nonce, blob.ciphertext, blob.body_label + context)
        except InvalidTag as exc:
            raise VaultError(
                "blob does not open: tampered, wrong master key or wrong context"
            ) from exc

    def rewrap(self, blob: SealedBlob, *, context: bytes) -> SealedBlob:
        """``blob`` with its data key wrapped under the current version; the body untouched,
        compressed or not as it was.

        The data key is checked against the body first, so a blob that would not open is
        refused (:class:`VaultError`) rather than carried over."""
        self._opened(blob, context)
        data_key = self._data_key(blob, context)
        current = self._current
        return replace(
            blob,
            wrapped_key=current.wrap(data_key, _wrap_aad(current.version, context)),
            key_version=current.version,
        )

    def derive(self, purpose: bytes) -> bytes:
        """A 32-byte secret for ``purpose`` (HKDF-SHA256 of the derivation root)."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=None, info=purpose)
        return hkdf.derive(self._root)

    def root(self) -> bytes:
        """The derivation root, to be kept sealed beside the keyring (``keys/derivation.key``)."""
        return self._root

    def _data_key(self, blob: SealedBlob, context: bytes) -> bytes:
        wrapping = self._versions.get(blob.key_version)
        if wrapping is None:
            raise VaultError(
                f"blob is sealed under master key version {blob.key_version}, "
                f"which this keyring does not hold (it holds {sorted(self._versions)})"
            )
        return wrapping.unwrap(blob.wrapped_key, _wrap_aad(blob.key_version, context))


def _wrap_aad(version: int, context: bytes) -> bytes:
    return _WRAP_LABEL + version.to_bytes(4, "big") + context


def _check_version(version: int) -> None:
    if not 1 <= version <= _MAX_KEY_VERSION:
        raise ValueError(f"version must be between 1 and {_MAX_KEY_VERSION}")


def create_master_key_file(path: Path) -> MasterKey:
    """Generate the first master key and write it to ``path``, which must not exist yet."""
    return MasterKey(_write_new_key(path))


def create_key_file(path: Path, *, version: int) -> FileKey:
    """Generate master key ``version`` and write it to ``path``, which must not exist yet."""
    return FileKey(_write_new_key(path), version=version)


def load_master_key_file(path: Path) -> MasterKey:
    """The first master key, alone: its own derivation root, as before keys rotated."""
    return MasterKey(_read_key(path))


def read_key_file(path: Path, *, version: int) -> FileKey:
    """Master key ``version`` from its file, refusing one others may read or of the wrong size."""
    return FileKey(_read_key(path), version=version)


def _write_new_key(path: Path) -> bytes:
    """Write a fresh key to ``path``, which must not exist yet; the key.

    The key is written to a 0600 temporary file beside ``path``, synced, then
    hard-linked into place: the link either creates ``path`` with the complete
    key or fails with :class:`FileExistsError`, so neither a crash nor a
    concurrent writer leaves a partial or overwritten key behind.
    """
    key = AESGCM.generate_key(bit_length=KEY_SIZE * 8)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(key)
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
    fsync_directory(path.parent)
    return key


def _read_key(path: Path) -> bytes:
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
    return key


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
