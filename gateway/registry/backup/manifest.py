"""A backup's manifest: what the archive holds (each member's SHA-256, size and mode), which
master key its store needs (by key id, never the key), what the store held (counts) and how far
its audit log had come (last entry, latest signed checkpoint) when the copy was taken.

The manifest is authenticated with an HMAC under a key derived from the master key, so that
whoever holds the master key can tell the manifest (and through its hashes every member) is the
one the gateway wrote; someone who changes a member and its hash alike cannot forge the MAC.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac
from euregate_client import canonical

from gateway.infra.vault import MasterKey
from gateway.store.interface.maintenance import COUNTED, StoreFacts

FORMAT: Final = "euregate-backup/1"
MANIFEST_NAME: Final = "manifest.json"
MANIFEST_MAX_BYTES: Final = 16 * 1024 * 1024
STORE_FOLDER: Final = "store/"
STORE_MEMBERS: Final = {"sqlite": "store/euregate.db", "postgresql": "store/euregate.pgdump"}
"""The member that holds the store's copy, by backend: SQLite's database file, or PostgreSQL's
``pg_dump --format=custom`` archive."""
MEMBER_NAME: Final = re.compile(r"^(data|config|store)(/[A-Za-z0-9_][A-Za-z0-9_.@+-]*)+$")
"""Names an archive may hold: relative, under one of three folders, no ``..`` nor hidden part."""

_KEY_ID_PURPOSE: Final = b"euregate/backup/v1/master-key-id"
_MAC_PURPOSE: Final = b"euregate/backup/v1/manifest-mac"


def master_key_id(master_key: MasterKey) -> str:
    """Names a master key without revealing it: a hash of a value derived from it for this
    purpose alone."""
    return hashlib.sha256(master_key.derive(_KEY_ID_PURPOSE)).hexdigest()[:32]


@dataclass(frozen=True)
class Member:
    sha256: str
    size: int
    mode: int


@dataclass(frozen=True)
class LogPoint:
    """How far an audit log had come: its last entry, and its latest signed checkpoint."""

    entries: int
    last_hash: str | None
    tree_size: int
    tree_root: bytes | None

    @classmethod
    def of(cls, facts: StoreFacts) -> LogPoint:
        return cls(facts.audit_seq, facts.audit_hash, facts.tree_size, facts.tree_root)


@dataclass(frozen=True)
class Manifest:
    made_at: str
    backend: str
    schema_version: int
    master_key_id: str
    counts: Mapping[str, int]
    log: LogPoint
    checkpoint_note: str | None
    members: Mapping[str, Member]
    settings_file: str | None = None
    mac: str = field(default="", compare=False)

    def body(self) -> dict[str, Any]:
        """The manifest as JSON, without its MAC."""
        return {
            "format": FORMAT,
            "made_at": self.made_at,
            "store": {"backend": self.backend, "schema_version": self.schema_version},
            "master_key_id": self.master_key_id,
            "counts": dict(self.counts),
            "audit": {
                "entries": self.log.entries,
                "last_hash": self.log.last_hash,
                "tree_size": self.log.tree_size,
                "tree_root": _b64(self.log.tree_root),
                "checkpoint": self.checkpoint_note,
            },
            "members": {name: asdict(member) for name, member in sorted(self.members.items())},
            "settings_file": self.settings_file,
        }

    def signed(self, master_key: MasterKey) -> Manifest:
        return replace(self, mac=_mac(master_key).hexdigest(self.body()))

    def authentic(self, master_key: MasterKey) -> bool:
        return _mac(master_key).verify(self.body(), self.mac)

    def to_bytes(self) -> bytes:
        return json.dumps({**self.body(), "mac": self.mac}, indent=2).encode() + b"\n"

    @classmethod
    def from_bytes(cls, raw: bytes) -> Manifest:
        """The manifest in ``raw``; :class:`ValueError` (saying what is wrong) if it is none."""
        try:
            document = json.loads(raw)
            if document.get("format") != FORMAT:
                raise ValueError(f"not of format {FORMAT}")
            audit = document["audit"]
            members = {
                str(name): Member(str(m["sha256"]), int(m["size"]), int(m["mode"]))
                for name, m in document["members"].items()
            }
            manifest = cls(
                made_at=str(document["made_at"]),
                backend=str(document["store"]["backend"]),
                schema_version=int(document["store"]["schema_version"]),
                master_key_id=str(document["master_key_id"]),
                counts={name: int(document["counts"][name]) for name in COUNTED},
                log=LogPoint(
                    entries=int(audit["entries"]),
                    last_hash=audit["last_hash"],
                    tree_size=int(audit["tree_size"]),
                    tree_root=_unb64(audit["tree_root"]),
                ),
                checkpoint_note=audit["checkpoint"],
                members=members,
                settings_file=document.get("settings_file"),
                mac=str(document["mac"]),
            )
        except (KeyError, TypeError, AttributeError, binascii.Error, json.JSONDecodeError) as exc:
            raise ValueError(f"malformed manifest ({type(exc).__name__}: {exc})") from exc
        for name in manifest.members:
            if not MEMBER_NAME.fullmatch(name) or name == MANIFEST_NAME:
                raise ValueError(f"a member may not be named {name!r}")
        if not any(name.startswith(STORE_FOLDER) for name in manifest.members):
            raise ValueError("no store in the archive")
        return manifest


class _Mac:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def hexdigest(self, body: Mapping[str, Any]) -> str:
        mac = hmac.HMAC(self._key, hashes.SHA256())
        mac.update(canonical.dumps(body))
        return mac.finalize().hex()

    def verify(self, body: Mapping[str, Any], expected: str) -> bool:
        mac = hmac.HMAC(self._key, hashes.SHA256())
        mac.update(canonical.dumps(body))
        try:
            mac.verify(bytes.fromhex(expected))
        except (InvalidSignature, ValueError):
            return False
        return True


def _mac(master_key: MasterKey) -> _Mac:
    return _Mac(master_key.derive(_MAC_PURPOSE))


def _b64(value: bytes | None) -> str | None:
    return None if value is None else base64.b64encode(value).decode()


def _unb64(value: object) -> bytes | None:
    if value is None:
        return None
    return base64.b64decode(str(value), validate=True)
