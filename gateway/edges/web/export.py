"""Exports of an audit search: the exchanges as CSV or JSON, with a signed manifest
(:mod:`gateway.infra.exports` says what it holds, and checks it). An export cut at a checkpoint
(:mod:`gateway.transparency.exported`) also carries the entries file that proves its rows, and
the manifest names it (``audit_entries``: its file, SHA-256, and the checkpoint's size and root).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from gateway.infra.audit import timestamp
from gateway.infra.exports import ALGORITHM, MANIFEST_FORMAT, sha256, signed_bytes
from gateway.infra.seal import Signer, b64url
from gateway.store import ExchangeQuery, ExchangeSummary
from gateway.transparency.exported import ExportCut

Format = Literal["csv", "json"]
FORMATS: Final[tuple[Format, ...]] = ("csv", "json")
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
        "sha256": sha256(data),
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
            "sha256": sha256(cut.entries),
        }
    manifest["signature"] = b64url(signer.sign(signed_bytes(manifest)))
    return Export(name, data, manifest, None if cut is None else cut.entries)
