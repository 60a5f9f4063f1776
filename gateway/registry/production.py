"""The production layout: where an installed gateway's files live, and who may read them.

    /etc/euregate/euregate.toml   the settings (root:euregate, 0640): ``--config``
    /var/lib/euregate/            the data directory (euregate:euregate, 0700, every file 0600)
    the journal                   the logs: JSON lines on standard output, kept by journald

``euregate init --production`` creates the data directory without demo partners and then
:func:`restrict` gives it to the service account; ``deploy/systemd/euregate.service`` runs
the gateway as that account with ``UMask=0077``, so what it creates later is private too.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_

CONFIG_FILE: Final = Path("/etc/euregate/euregate.toml")
DATA_DIR: Final = Path("/var/lib/euregate")
SERVICE_ACCOUNT: Final = "euregate"
DIRECTORY_MODE: Final = 0o700
FILE_MODE: Final = 0o600


@dataclass(frozen=True)
class Owner:
    """An operating-system account that is to own the data directory."""

    name: str
    uid: int
    gid: int

    @classmethod
    def named(cls, name: str) -> Owner:
        """The account ``name`` with its primary group."""
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            raise RegistryError(N_("no user account {name} on this machine"), name=name) from None
        return cls(name=name, uid=entry.pw_uid, gid=entry.pw_gid)


def restrict(root: Path, owner: Owner | None = None) -> int:
    """Make ``root`` and everything under it readable by its owner alone: directories
    ``0700``, files ``0600``, and with ``owner``, owned by that account and its group. Symbolic
    links are left as they are and not followed. Returns how many paths it went through."""
    paths = [root, *sorted(root.rglob("*"))]
    for path in paths:
        if path.is_symlink():
            continue
        path.chmod(DIRECTORY_MODE if path.is_dir() else FILE_MODE)
        if owner is not None:
            _give(path, owner)
    return len(paths)


def _give(path: Path, owner: Owner) -> None:
    try:
        os.chown(path, owner.uid, owner.gid, follow_symlinks=False)
    except PermissionError:
        raise RegistryError(
            N_("only root can give {path} to {owner}; run the command as root"),
            path=path,
            owner=owner.name,
        ) from None
