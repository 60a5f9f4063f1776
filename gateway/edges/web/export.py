"""Exports of an audit search: the exchanges as CSV or JSON, with a signed manifest.

The manifest names the file, its size and SHA-256, the search that made it, who exported it
and when, and carries an Ed25519 signature by the gateway's signing key (its ``key_id``) over
the RFC 8785 canonical JSON of every other member. Anyone with the gateway's public keys
(``GET /v1/gateway/keys``, or ``euregate audit export-verify``) can check later that an export
is whole and came from this gateway. An export cut at a checkpoint
(:mod:`gateway.transparency.exported`) also carries the entries file that proves its rows, and
the manifest names it (``audit_entries``: its file, SHA-256, and the checkpoint's size and root).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from gateway.infra import canonical
from gateway.infra.audit import timestamp
from gateway.infra.seal import Signer, b64url, unb64url
from gateway.store import ExchangeQuery, ExchangeSummary
from gateway.transparency.exported import ExportCut

Format = Literal["csv", "json"]
FORMATS: Final[tuple[Format, ...]] = ("csv", "json")
MANIFEST_FORMAT: Final = "euregate.audit-export/1"
ALGORITHM: Final = "Ed25519"
MEDIA_TYPES: Final[Mapping[Format, str]] = {"csv": "text/csv", "json": "application/json"}
COLUMNS: Final = (
    "signal_id",
    "received_at",
    "sender_id",
    "sender_country",
    "recipient_id",
    "recipient_country",
    "category",
    "urgency",
    "verdict",
    "rule_ids",
    "policy_sha256",
)


def _row(exchange: ExchangeSummary) -> dict[str, Any]:
    row = {name: getattr(exchange, name) for name in COLUMNS}
    return row | {"received_at": timestamp(exchange.received_at), "verdict": str(exchange.verdict)}


def render_csv(exchanges: Sequence[ExchangeSummary]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for exchange in exchanges:
        row = _row(exchange)
        row["rule_ids"] = " ".join(exchange.rule_ids)
        writer.writerow([_cell(row[name]) for name in COLUMNS])
    return out.getvalue().encode("utf-8")


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_json(exchanges: Sequence[ExchangeSummary]) -> bytes:
    rows = [_row(e) | {"rule_ids": list(e.rule_ids)} for e in exchanges]
    return json.dumps({"exchanges": rows}, ensure_ascii=False, indent=1).encode("utf-8")


@dataclass(frozen=True)
class Export:
    file_name: str
    data: bytes
    manifest: dict[str, object]
    entries: bytes | None = None

    @property
    def entries_name(self) -> str:
        return self.file_name + ".entries.json"

    @property
    def manifest_name(self) -> str:
        return self.file_name + ".manifest.json"

    @property
    def manifest_bytes(self) -> bytes:
        return json.dumps(self.manifest, indent=1, ensure_ascii=False).encode("utf-8")

    def zip(self) -> bytes:
        """The export and its manifest, in one file to download."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(self.file_name, self.data)
            archive.writestr(self.manifest_name, self.manifest_bytes)
            if self.entries is not None:
                archive.writestr(self.entries_name, self.entries)
        return out.getvalue()


def make_export(
    exchanges: Sequence[ExchangeSummary],
    *,
    format: Format,
    query: ExchangeQuery,
    exported_at: str,
    exported_by: str,
    signer: Signer,
    cut: ExportCut | None = None,
) -> Export:
    """The export of ``exchanges``; with ``cut``, of the exchanges its checkpoint covers, with
    the entries file that proves them."""
    if cut is not None:
        exchanges = cut.exchanges
    data = render_csv(exchanges) if format == "csv" else render_json(exchanges)
    stamp = exported_at.replace(":", "").replace("-", "").split(".")[0]
    name = f"euregate-audit-{stamp}.{format}"
    manifest: dict[str, object] = {
        "format": MANIFEST_FORMAT,
        "file": name,
        "media_type": MEDIA_TYPES[format],
        "bytes": len(data),
        "sha256": _sha256(data),
        "rows": len(exchanges),
        "query": query.as_json(),
        "exported_at": exported_at,
        "exported_by": exported_by,
        "algorithm": ALGORITHM,
        "key_id": signer.key_id,
    }
    if cut is not None:
        entries_name = name + ".entries.json"
        manifest["audit_entries"] = {
            **cut.manifest_member(entries_name),
            "sha256": _sha256(cut.entries),
        }
    manifest["signature"] = b64url(signer.sign(signed_bytes(manifest)))
    return Export(name, data, manifest, None if cut is None else cut.entries)


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
    if manifest.get("bytes") != len(data) or manifest.get("sha256") != _sha256(data):
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


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
