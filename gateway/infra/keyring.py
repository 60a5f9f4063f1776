"""The master key's versions on disk: which there are, where each lives, which one seals.

``keys/keyring.json`` lists every version with its key (``file:NAME`` in ``keys/``, or a
PKCS#11 URI, :mod:`gateway.infra.hsm`) and its state:

- ``current``: seals everything new; exactly one version is;
- ``draining``: still opens what ``keys rotate-master`` has not yet re-wrapped;
- ``retired``: nothing is sealed under it any more. Its file (or token object) is kept until
  the operator deletes it, and opens a copy of the data directory made before the rotation.

A data directory made before keys rotated has no keyring file: its one version is
``keys/master.key``. The secrets derived from the master key (pseudonyms, keyed hashes) come
from a root that no rotation changes; it is kept sealed in ``keys/derivation.key``, and where
that file is missing the root is the first file key itself.

Every file here is replaced whole (written beside, synced, renamed), so a crash leaves the old
or the new one, never a part.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, Literal

from gateway.infra import hsm
from gateway.infra.config import DataDir
from gateway.infra.vault import (
    KEY_SIZE,
    MasterKey,
    SealedBlob,
    VaultError,
    WrappingKey,
    fsync_directory,
    read_key_file,
)

__all__ = [
    "DERIVATION_CONTEXT",
    "KeyVersion",
    "Keyring",
    "open_keyring",
    "read_keyring",
    "replace_file",
    "seal_derivation_root",
    "write_keyring",
]

DERIVATION_CONTEXT: Final = b"euregate/master-key/derivation-root"
FIRST_FILE: Final = "file:master.key"

State = Literal["current", "draining", "retired"]


@dataclass(frozen=True)
class KeyVersion:
    """One version of the master key: its number, where its key is, and its state."""

    version: int
    key: str
    state: State

    def as_json(self) -> dict[str, object]:
        return {"version": self.version, "key": self.key, "state": self.state}


@dataclass(frozen=True)
class Keyring:
    """The versions of the master key, oldest first."""

    versions: tuple[KeyVersion, ...]

    @property
    def current(self) -> KeyVersion:
        return next(v for v in self.versions if v.state == "current")

    @property
    def draining(self) -> tuple[KeyVersion, ...]:
        return tuple(v for v in self.versions if v.state == "draining")

    @property
    def next_version(self) -> int:
        return max(v.version for v in self.versions) + 1

    def rotated_to(self, key: str) -> Keyring:
        """A new current version held at ``key``; the current one (and any still draining)
        drain into it."""
        moved = tuple(
            replace(v, state="draining") if v.state != "retired" else v for v in self.versions
        )
        return Keyring((*moved, KeyVersion(self.next_version, key, "current")))

    def finished(self) -> Keyring:
        """Every draining version retired: nothing is sealed under it any more."""
        return Keyring(
            tuple(
                replace(v, state="retired") if v.state == "draining" else v for v in self.versions
            )
        )

    def as_json(self) -> dict[str, object]:
        return {"format": 1, "versions": [v.as_json() for v in self.versions]}

    @classmethod
    def from_json(cls, document: object) -> Keyring:
        try:
            assert isinstance(document, dict)
            entries = document["versions"]
            assert isinstance(entries, list)
            versions = tuple(
                KeyVersion(int(e["version"]), str(e["key"]), e["state"]) for e in entries
            )
        except (AssertionError, KeyError, TypeError, ValueError) as exc:
            raise VaultError(f"the keyring file is not a keyring: {exc!r}") from exc
        if [v.state for v in versions].count("current") != 1 or any(
            v.state not in ("current", "draining", "retired") for v in versions
        ):
            raise VaultError("the keyring file must name exactly one current version")
        return cls(versions)


def _retire(version: KeyVersion) -> KeyVersion:
    return replace(version, state="retired")


def read_keyring(layout: DataDir) -> Keyring:
    """The keyring file's versions; one current ``keys/master.key`` where there is none."""
    try:
        text = layout.keyring.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Keyring((KeyVersion(1, FIRST_FILE, "current"),))
    try:
        return Keyring.from_json(json.loads(text))
    except json.JSONDecodeError as exc:
        raise VaultError(f"the keyring file {layout.keyring} is not JSON: {exc}") from exc


def write_keyring(layout: DataDir, keyring: Keyring) -> None:
    replace_file(layout.keyring, (json.dumps(keyring.as_json(), indent=1) + "\n").encode())


Opener = Callable[[str, int, Path], WrappingKey]


def wrapping_key(spec: str, version: int, keys: Path) -> WrappingKey:
    """The key a version names: ``file:NAME`` in ``keys``, or a ``pkcs11:`` URI."""
    if spec.startswith("file:"):
        name = spec.removeprefix("file:")
        if "/" in name or name in ("", ".", ".."):
            raise VaultError(f"a master key file is named within keys/, not {name!r}")
        return read_key_file(keys / name, version=version)
    if spec.startswith("pkcs11:"):
        return hsm.TokenKey.open(spec, version=version)
    raise VaultError(
        f"a master key is a file: or pkcs11: reference, not {spec.split(':', maxsplit=1)[0]!r}"
    )


def open_keyring(layout: DataDir, *, opener: Opener = wrapping_key) -> MasterKey:
    """The master key with every version that still opens something (current and draining;
    retired ones whose file is still there, for blobs a crash left behind), and its root."""
    keyring = read_keyring(layout)
    keys = layout.master_key.parent
    versions: list[WrappingKey] = []
    for entry in keyring.versions:
        if entry.state == "retired" and not _retired_file_kept(entry, keys):
            continue
        versions.append(opener(entry.key, entry.version, keys))
    return MasterKey.of(versions, root=_root(layout, keyring, versions))


def _retired_file_kept(entry: KeyVersion, keys: Path) -> bool:
    return entry.key.startswith("file:") and (keys / entry.key.removeprefix("file:")).is_file()


def _root(layout: DataDir, keyring: Keyring, versions: Sequence[WrappingKey]) -> bytes:
    try:
        sealed = layout.derivation_key.read_bytes()
    except FileNotFoundError:
        if keyring.versions[0].key != FIRST_FILE or keyring.versions[0].version != 1:
            raise VaultError(
                f"{layout.derivation_key} is missing: the derivation root of this data "
                "directory is lost, and with it every pseudonym and keyed hash"
            ) from None
        return read_key_file(layout.master_key, version=1).material()
    return MasterKey.of(versions, root=bytes(KEY_SIZE)).open(
        SealedBlob.from_bytes(sealed), context=DERIVATION_CONTEXT
    )


def seal_derivation_root(layout: DataDir, master_key: MasterKey) -> None:
    """Keep the root sealed under the current version (replacing the file whole)."""
    sealed = master_key.seal(master_key.root(), context=DERIVATION_CONTEXT)
    replace_file(layout.derivation_key, sealed.to_bytes())


def replace_file(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Put ``data`` at ``path`` (``mode``, 0600 unless given) whole: written beside, synced,
    renamed over."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)
