"""A data directory's files on disk: secrets written for their owner alone, public files, the
keys read back, and whether ``euregate init`` made the directory at all.

Where each file lives is :class:`~gateway.infra.config.DataDir`'s, which touches no disk; this
module is what reads and writes them, for the setup, the administration and the gateway at
start alike.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from gateway.infra import pki
from gateway.infra.config import DataDir
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_
from gateway.infra.keyring import open_keyring
from gateway.infra.seal import Signer
from gateway.infra.vault import MasterKey, SealedBlob

SIGNING_KEY_CONTEXT: Final = b"euregate/gateway-signing-key"
"""What the gateway's signing key is sealed under the master key for."""


def require_data_dir(layout: DataDir) -> DataDir:
    """``layout`` if ``euregate init`` made it (its database exists, or, with the store in
    PostgreSQL, its signing key); :class:`RegistryError` saying so otherwise."""
    if not (layout.database.exists() or layout.signing_key.exists()):
        raise RegistryError(
            N_("no Euregate data directory at {path}; run `euregate init` first"), path=layout.root
        )
    return layout


def write_private(path: Path, data: bytes) -> None:
    """Write a secret that only its owner may read; never overwrite one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_public(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def load_master_key(layout: DataDir) -> MasterKey:
    """Every version of the master key still in use (:mod:`gateway.infra.keyring`)."""
    return open_keyring(layout)


def load_authority(layout: DataDir) -> pki.CertificateAuthority:
    return pki.load_authority(layout.ca_certificate.read_bytes(), layout.ca_key.read_bytes())


def load_signer(layout: DataDir, master_key: MasterKey | None = None) -> Signer:
    """The gateway's signing key, unsealed with the master key (read from disk if not given)."""
    master_key = master_key or load_master_key(layout)
    blob = SealedBlob.from_bytes(layout.signing_key.read_bytes())
    return Signer.from_bytes(master_key.open(blob, context=SIGNING_KEY_CONTEXT))
