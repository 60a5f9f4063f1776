"""Signed exports of the audit: the manifest's format, what its signature covers, and checking
an export against it.

A manifest names the file, its size and SHA-256, the search that made it, who exported it and
when, and carries an Ed25519 signature by the gateway's signing key (its ``key_id``) over the
RFC 8785 canonical JSON of every other member. Anyone with the gateway's public keys
(``GET /v1/gateway/keys``, or ``euregate audit export-verify``) can check later that an export
is whole and came from this gateway.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519
from euregate_client import canonical

from gateway.infra.seal import unb64url

MANIFEST_FORMAT: Final = "euregate.audit-export/1"
ALGORITHM: Final = "Ed25519"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def signed_bytes(manifest: Mapping[str, object]) -> bytes:
    """What the signature covers: the canonical JSON of every member but the signature."""
    return canonical.dumps({k: v for k, v in manifest.items() if k != "signature"})


def check_export(data: bytes, manifest: object, public_keys: Mapping[str, bytes]) -> list[str]:
    """What is wrong with an export and its manifest, given the gateway's public keys by key
    id (raw Ed25519); nothing when the export is whole and signed by one of them."""
    if not isinstance(manifest, dict):
        return ["the manifest is not a JSON object"]
    problems = []
    if manifest.get("format") != MANIFEST_FORMAT or manifest.get("algorithm") != ALGORITHM:
        problems.append(f"the manifest is not {MANIFEST_FORMAT} signed with {ALGORITHM}")
    if manifest.get("bytes") != len(data) or manifest.get("sha256") != sha256(data):
        problems.append("the file is not the one the manifest describes (size or SHA-256)")
    key = public_keys.get(str(manifest.get("key_id")))
    if key is None:
        problems.append(f"no gateway key with id {manifest.get('key_id')}")
        return problems
    try:
        signature = unb64url(str(manifest.get("signature", "")))
        ed25519.Ed25519PublicKey.from_public_bytes(key).verify(signature, signed_bytes(manifest))
    except (InvalidSignature, ValueError):
        problems.append("the manifest's signature does not verify with the gateway's key")
    return problems


def public_keys_from_json(document: object) -> dict[str, bytes]:
    """The gateway's public keys by id, from the answer of ``GET /v1/gateway/keys``."""
    keys = document.get("keys", []) if isinstance(document, dict) else []
    return {
        str(key["key_id"]): unb64url(str(key["public_key"]))
        for key in keys
        if isinstance(key, dict) and "key_id" in key and "public_key" in key
    }
