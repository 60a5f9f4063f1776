"""The master key in an HSM, through PKCS#11: an AES-256 key that never leaves its token.

A version of the master key named by a PKCS#11 URI (RFC 7512), e.g.::

    pkcs11:token=euregate;object=master-2?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/euregate/hsm.pin

wraps and unwraps data keys inside the token with CKM_AES_GCM (the same layout as a file key:
a 12-byte nonce, then the data key's ciphertext and tag, bound to the same associated data).
A data key leaves the token only unwrapped, in memory, for the one body it seals or opens.

The PIN is never in the URI: ``pin-source=file:PATH`` names a file that holds it (mode 0600 or
stricter), or ``EUREGATE_PKCS11_PIN`` holds it. The library is ``module-path`` or
``EUREGATE_PKCS11_MODULE``. ``;`` and ``&`` both separate attributes, and an attribute may
stand on either side of ``?``.
"""

from __future__ import annotations

import os
import secrets
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.exceptions import PKCS11Error, UserAlreadyLoggedIn
from pkcs11.mechanisms import GCMParams

from gateway.infra.vault import KEY_SIZE, VaultError

__all__ = ["TokenKey", "TokenUri", "create_token_key"]

PIN_VARIABLE: Final = "EUREGATE_PKCS11_PIN"
MODULE_VARIABLE: Final = "EUREGATE_PKCS11_MODULE"
_NONCE_SIZE: Final = 12
_TAG_BITS: Final = 128


@dataclass(frozen=True)
class TokenUri:
    """What a ``pkcs11:`` URI names: the token (by label), the key object (by label), the
    library, and where the PIN is."""

    token: str
    object: str
    module_path: str
    pin_source: str | None

    @classmethod
    def parse(cls, uri: str) -> TokenUri:
        if not uri.startswith("pkcs11:"):
            raise VaultError("a PKCS#11 URI starts with pkcs11:")
        attributes: dict[str, str] = {}
        for part in uri.removeprefix("pkcs11:").replace("?", ";").replace("&", ";").split(";"):
            if not part:
                continue
            name, separator, value = part.partition("=")
            if not separator:
                raise VaultError(f"PKCS#11 URI attribute {name!r} has no value")
            attributes[name.strip()] = unquote(value)
        if "pin-value" in attributes:
            raise VaultError(
                f"a PIN is never written into the URI: use pin-source=file:PATH or {PIN_VARIABLE}"
            )
        missing = [name for name in ("token", "object") if name not in attributes]
        if missing:
            raise VaultError(f"the PKCS#11 URI must name {' and '.join(missing)}")
        module = attributes.get("module-path") or os.environ.get(MODULE_VARIABLE)
        if not module:
            raise VaultError(f"the PKCS#11 URI names no module-path, nor is {MODULE_VARIABLE} set")
        return cls(
            token=attributes["token"],
            object=attributes["object"],
            module_path=module,
            pin_source=attributes.get("pin-source"),
        )

    def pin(self) -> str:
        """The user PIN: from ``pin-source`` (a file only its owner may read), else the
        environment."""
        if self.pin_source is None:
            pin = os.environ.get(PIN_VARIABLE)
            if pin is None:
                raise VaultError(f"the PKCS#11 URI names no pin-source, nor is {PIN_VARIABLE} set")
            return pin
        if not self.pin_source.startswith("file:"):
            raise VaultError("pin-source must be file:PATH")
        return _read_pin(Path(self.pin_source.removeprefix("file:")))


class TokenKey:
    """One version of the master key: an AES key inside a PKCS#11 token.

    One logged-in session per key, used by one thread at a time."""

    def __init__(self, session: Any, key: Any, *, version: int) -> None:
        self._session = session
        self._key = key
        self._lock = threading.Lock()
        self.version = version

    @classmethod
    def open(cls, uri: str, *, version: int) -> TokenKey:
        """The key ``uri`` names as master key ``version``: opened once per process (a gateway
        that reads its keyring again on SIGHUP keeps its session)."""
        with _OPENING:
            opened = _OPENED.get((uri, version))
            if opened is None:
                opened = _OPENED[(uri, version)] = cls._open(uri, version=version)
            return opened

    @classmethod
    def _open(cls, uri: str, *, version: int) -> TokenKey:
        named = TokenUri.parse(uri)
        session = _session(named)
        try:
            key = session.get_key(
                object_class=ObjectClass.SECRET_KEY, key_type=KeyType.AES, label=named.object
            )
        except PKCS11Error as exc:
            session.close()
            raise VaultError(
                f"token {named.token!r} holds no AES key {named.object!r}: {type(exc).__name__}"
            ) from exc
        return cls(session, key, version=version)

    def __repr__(self) -> str:
        return f"TokenKey(version={self.version})"

    def wrap(self, data_key: bytes, aad: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE_SIZE)
        with self._lock:
            try:
                sealed = self._key.encrypt(
                    data_key,
                    mechanism=Mechanism.AES_GCM,
                    mechanism_param=GCMParams(nonce, aad, _TAG_BITS),
                )
            except PKCS11Error as exc:
                raise VaultError(f"the token refused to wrap: {type(exc).__name__}") from exc
        return nonce + bytes(sealed)

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes:
        with self._lock:
            try:
                data_key = self._key.decrypt(
                    wrapped[_NONCE_SIZE:],
                    mechanism=Mechanism.AES_GCM,
                    mechanism_param=GCMParams(wrapped[:_NONCE_SIZE], aad, _TAG_BITS),
                )
            except PKCS11Error as exc:
                raise VaultError(
                    "blob does not open: tampered, wrong master key or wrong context"
                ) from exc
        return bytes(data_key)


_OPENED: dict[tuple[str, int], TokenKey] = {}
_OPENING = threading.Lock()


def create_token_key(uri: str) -> None:
    """Generate the AES-256 key a URI names inside its token: sensitive, never extractable,
    for encrypting and decrypting only. Refuses if the token already holds one by that name."""
    named = TokenUri.parse(uri)
    session = _session(named, writable=True)
    try:
        existing = list(
            session.get_objects(
                {Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.LABEL: named.object}
            )
        )
        if existing:
            raise VaultError(f"token {named.token!r} already holds a key {named.object!r}")
        session.generate_key(
            KeyType.AES,
            KEY_SIZE * 8,
            label=named.object,
            store=True,
            template={
                Attribute.SENSITIVE: True,
                Attribute.EXTRACTABLE: False,
                Attribute.ENCRYPT: True,
                Attribute.DECRYPT: True,
                Attribute.WRAP: False,
                Attribute.UNWRAP: False,
                Attribute.SIGN: False,
                Attribute.VERIFY: False,
                Attribute.DERIVE: False,
            },
        )
    except PKCS11Error as exc:
        raise VaultError(f"the token refused to make the key: {type(exc).__name__}") from exc
    finally:
        session.close()


def _session(named: TokenUri, *, writable: bool = False) -> Any:
    """A session logged in as the user. A login holds for every session of the process, so
    once one is logged in, the next opens without logging in again."""
    try:
        library = pkcs11.lib(named.module_path)
        token = library.get_token(token_label=named.token)
        try:
            return token.open(user_pin=named.pin(), rw=writable)
        except UserAlreadyLoggedIn:
            return token.open(rw=writable)
    except (PKCS11Error, RuntimeError, OSError) as exc:
        raise VaultError(
            f"PKCS#11 token {named.token!r} through {named.module_path} cannot be opened: "
            f"{type(exc).__name__}"
        ) from exc


def _read_pin(path: Path) -> str:
    try:
        info = path.stat()
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise VaultError(f"PIN file {path} must be readable by its owner only (chmod 600)")
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise VaultError(f"PIN file {path} cannot be read: {exc.strerror}") from exc
