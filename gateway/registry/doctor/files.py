"""The data directory's files: who may read them, whether the keys load, and how long the
gateway's own certificates have left."""

from __future__ import annotations

import os
import pwd
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gateway.infra.config import DataDir
from gateway.infra.datafiles import SIGNING_KEY_CONTEXT
from gateway.infra.i18n import N_
from gateway.infra.seal import Signer
from gateway.infra.vault import KEY_SIZE, MasterKey, SealedBlob, VaultError
from gateway.registry.doctor.findings import Finding, error, ok, warning

EXPIRY_WARNING: Final = timedelta(days=30)
PRIVATE: Final = 0o077
"""Permission bits that let anyone but the owner at a file."""

DATA_DIR_MISSING: Final = N_("There is no Euregate data directory at {path}.")
DATA_DIR_FIX: Final = N_(
    "Run `euregate init --production --data-dir {path}`, or name the right one with --data-dir."
)
MODES_OK: Final = N_("Files and directories are readable by their owner only.")
OPEN_KEY: Final = N_("{path} has mode {mode}: a private key must be readable by its owner only.")
OPEN_KEY_FIX: Final = N_("Run `chmod 600 {path}`.")
OPEN_ROOT: Final = N_("The data directory {path} has mode {mode}: others may look into it.")
OPEN_ROOT_FIX: Final = N_("Run `chmod 700 {path}`.")
OPEN_FILES: Final = N_(
    "{count} file(s) or folder(s) in the data directory can be read by others, such as {path} "
    "({mode})."
)
OPEN_FILES_FIX: Final = N_("Run `chmod -R go-rwx {root}`.")
FOREIGN_OWNER: Final = N_(
    "{count} file(s) or folder(s) in the data directory belong to another account than the "
    "directory itself ({owner}), such as {path}."
)
FOREIGN_OWNER_FIX: Final = N_("Run `chown -R {owner}: {root}`.")

KEYS_OK: Final = N_("The key files are present and can be loaded.")
KEY_MISSING: Final = N_("The key file {path} is missing.")
KEY_UNLOADABLE: Final = N_("The key file {path} cannot be loaded: {reason}")
KEY_MISMATCH: Final = N_("The key file {path} is not the key of the certificate {certificate}.")
KEY_FIX: Final = N_(
    "Restore it from the backup of the data directory; what it protects cannot be opened "
    "without it."
)

CERTIFICATE_OK: Final = N_("The certificate {path} is valid until {date} ({days} days).")
CERTIFICATE_MISSING: Final = N_("The certificate {path} is missing.")
CERTIFICATE_UNREADABLE: Final = N_("The certificate {path} cannot be read: {reason}")
CERTIFICATE_EXPIRED: Final = N_("The certificate {path} expired on {date}.")
CERTIFICATE_EXPIRING: Final = N_("The certificate {path} expires on {date}, in {days} days.")
CERTIFICATE_FIX: Final = N_(
    "Issue a new certificate from the gateway's CA (or restore it from the backup), then "
    "restart the gateway."
)


def data_directory(layout: DataDir, *, database_elsewhere: bool = False) -> Finding | None:
    """An error when ``layout`` is not a data directory ``euregate init`` made (with its
    database, unless that is ``elsewhere``: PostgreSQL)."""
    if layout.database.is_file() or (database_elsewhere and layout.master_key.is_file()):
        return None
    return error("data-directory", DATA_DIR_MISSING, DATA_DIR_FIX, path=layout.root)


def modes(layout: DataDir) -> list[Finding]:
    """Private keys and the directory itself for their owner alone (errors), every other file
    too and all of one owner (warnings)."""
    root = layout.root
    found: list[Finding] = []
    root_info = root.stat()
    if stat.S_IMODE(root_info.st_mode) & PRIVATE:
        found.append(
            error("file-modes", OPEN_ROOT, OPEN_ROOT_FIX, path=root, mode=_mode(root_info))
        )
    open_files: list[tuple[Path, os.stat_result]] = []
    foreign: list[Path] = []
    for path in _files(root):
        info = path.lstat()
        if info.st_uid != root_info.st_uid:
            foreign.append(path)
        if not stat.S_IMODE(info.st_mode) & PRIVATE:
            continue
        if _is_private_key(layout, path):
            found.append(error("file-modes", OPEN_KEY, OPEN_KEY_FIX, path=path, mode=_mode(info)))
        else:
            open_files.append((path, info))
    if open_files:
        path, info = open_files[0]
        found.append(
            warning(
                "file-modes",
                OPEN_FILES,
                OPEN_FILES_FIX,
                count=len(open_files),
                path=path,
                mode=_mode(info),
                root=root,
            )
        )
    if foreign:
        owner = _account(root_info.st_uid)
        found.append(
            warning(
                "file-owners",
                FOREIGN_OWNER,
                FOREIGN_OWNER_FIX,
                count=len(foreign),
                owner=owner,
                path=foreign[0],
                root=root,
            )
        )
    return found or [ok("file-modes", MODES_OK)]


def keys(layout: DataDir) -> list[Finding]:
    """The master key, the signing key sealed under it, and each private key beside its
    certificate: present, loadable, and the key of that certificate."""
    found: list[Finding] = []
    master = _master_key(layout.master_key, found)
    if master is not None:
        _signing_key(layout.signing_key, master, found)
    for key, certificate in (
        (layout.ca_key, layout.ca_certificate),
        (layout.server_key, layout.server_certificate),
        (layout.gateway_client_key, layout.gateway_client_certificate),
    ):
        _key_of(key, certificate, found)
    return found or [ok("keys", KEYS_OK)]


def certificates(layout: DataDir, now: datetime) -> list[Finding]:
    """The gateway's own certificates: present, readable, and how long they have left."""
    return [
        certificate_file(path, now)
        for path in (
            layout.ca_certificate,
            layout.server_certificate,
            layout.gateway_client_certificate,
        )
    ]


def certificate_file(path: Path, now: datetime) -> Finding:
    try:
        certificate = x509.load_pem_x509_certificate(path.read_bytes())
    except FileNotFoundError:
        return error("certificates", CERTIFICATE_MISSING, CERTIFICATE_FIX, path=path)
    except (OSError, ValueError) as exc:
        return error(
            "certificates", CERTIFICATE_UNREADABLE, CERTIFICATE_FIX, path=path, reason=_why(exc)
        )
    return expiry("certificates", certificate.not_valid_after_utc, now, path=path)


def expiry(check: str, not_after: datetime, now: datetime, **params: object) -> Finding:
    """Error once past ``not_after``, warning within :data:`EXPIRY_WARNING` of it."""
    days = (not_after - now).days
    date = not_after.date().isoformat()
    if not_after <= now:
        return error(check, CERTIFICATE_EXPIRED, CERTIFICATE_FIX, date=date, **params)
    if not_after - now <= EXPIRY_WARNING:
        return warning(check, CERTIFICATE_EXPIRING, CERTIFICATE_FIX, date=date, days=days, **params)
    return ok(check, CERTIFICATE_OK, date=date, days=days, **params)


def _master_key(path: Path, found: list[Finding]) -> MasterKey | None:
    """The master key's bytes (whatever its mode: :func:`modes` speaks of that)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        found.append(error("keys", KEY_MISSING, KEY_FIX, path=path))
        return None
    except OSError as exc:
        found.append(error("keys", KEY_UNLOADABLE, KEY_FIX, path=path, reason=_why(exc)))
        return None
    if len(raw) != KEY_SIZE:
        reason = f"{len(raw)} bytes, not {KEY_SIZE}"
        found.append(error("keys", KEY_UNLOADABLE, KEY_FIX, path=path, reason=reason))
        return None
    return MasterKey(raw)


def _signing_key(path: Path, master: MasterKey, found: list[Finding]) -> None:
    try:
        blob = SealedBlob.from_bytes(path.read_bytes())
        Signer.from_bytes(master.open(blob, context=SIGNING_KEY_CONTEXT))
    except FileNotFoundError:
        found.append(error("keys", KEY_MISSING, KEY_FIX, path=path))
    except (OSError, ValueError, VaultError) as exc:
        found.append(error("keys", KEY_UNLOADABLE, KEY_FIX, path=path, reason=_why(exc)))


def _key_of(path: Path, certificate_path: Path, found: list[Finding]) -> None:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        found.append(error("keys", KEY_MISSING, KEY_FIX, path=path))
        return
    except (OSError, ValueError, TypeError) as exc:
        found.append(error("keys", KEY_UNLOADABLE, KEY_FIX, path=path, reason=_why(exc)))
        return
    try:
        certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
    except (OSError, ValueError):
        return  # :func:`certificates` speaks of it
    if certificate.public_key() != key.public_key():
        found.append(error("keys", KEY_MISMATCH, KEY_FIX, path=path, certificate=certificate_path))


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if not path.is_symlink():
            yield path


def _is_private_key(layout: DataDir, path: Path) -> bool:
    return path.suffix == ".key" or path.parent == layout.master_key.parent


def _mode(info: os.stat_result) -> str:
    return f"{stat.S_IMODE(info.st_mode):04o}"


def _account(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _why(exc: BaseException) -> str:
    """What went wrong, without the file's contents."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__ if not str(exc) else str(exc).splitlines()[0][:200]
