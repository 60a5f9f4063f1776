"""An export of the audit search, cut at a checkpoint and proven by it.

The export holds the exchanges whose signals' ``signal.accepted`` entries the latest
checkpoint covers. Beside the file and its manifest it carries ``….entries.json``: that
checkpoint as the gateway signed it, and each of those entries with its inclusion proof.
``euregate audit export-verify`` then checks, with the gateway's public key alone, that every
entry is in the signed log and that every row of the file says what its entry says: sender,
recipient, verdict, rules, policy, category and urgency.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from gateway.infra.audit import AuditEntry, merkle
from gateway.infra.audit.keys import Key
from gateway.infra.audit.note import Ed25519Verifier
from gateway.infra.audit.refs import AuditEntryInvalid, Ref
from gateway.infra.audit.tiles import BatchTileHashReader
from gateway.infra.errors import NoteRefused
from gateway.store import AuditTreeStore, ExchangeSummary
from gateway.transparency.log import b64
from gateway.transparency.verify import decode_proof, open_log_checkpoint

ENTRIES_FORMAT: Final = "euregate.audit-entries/1"


@dataclass(frozen=True)
class ExportCut:
    """The exchanges a checkpoint covers, and the entries file that proves them."""

    exchanges: tuple[ExchangeSummary, ...]
    size: int
    root: bytes
    entries: bytes

    def manifest_member(self, file_name: str) -> dict[str, object]:
        """What the signed manifest says of the entries file (``audit_entries``)."""
        return {"file": file_name, "size": self.size, "root": b64(self.root)}


async def cut_at_checkpoint(
    store: AuditTreeStore, exchanges: Sequence[ExchangeSummary]
) -> ExportCut | None:
    """The exchanges of signals the latest checkpoint covers, with their entries and proofs;
    None when no checkpoint was published yet."""
    latest = await store.latest_checkpoint()
    if latest is None:
        return None
    accepted = await store.signal_entries({e.signal_id for e in exchanges})
    covered = {sid: entry for sid, entry in accepted.items() if entry.seq <= latest.size}
    indices = sorted({entry.seq - 1 for entry in covered.values()})
    proofs = await merkle.inclusion_proofs(BatchTileHashReader(store), indices, latest.size)
    document = {
        "format": ENTRIES_FORMAT,
        "checkpoint": latest.note.decode(),
        "entries": [
            {
                "leaf_index": entry.seq - 1,
                "entry": entry.canonical.decode(),
                "proof": [b64(node) for node in proofs[entry.seq - 1]],
            }
            for entry in sorted(covered.values(), key=lambda e: e.seq)
        ],
    }
    return ExportCut(
        exchanges=tuple(e for e in exchanges if e.signal_id in covered),
        size=latest.size,
        root=latest.root,
        entries=json.dumps(document, indent=1, ensure_ascii=False).encode(),
    )


def check_entries(
    data: bytes,
    media_type: str,
    entries: bytes,
    stated: Mapping[str, object],
    verifiers: Sequence[Ed25519Verifier],
    *,
    origin: str,
) -> list[str]:
    """What is wrong with an export's entries file (``stated``: the manifest's
    ``audit_entries``) and with the rows of ``data`` against it; nothing when every entry is in
    the gateway's signed checkpoint and every row says what its entry says."""
    try:
        document = json.loads(entries)
        note = str(document["checkpoint"]).encode()
        listed = list(document["entries"])
    except (ValueError, KeyError, TypeError):
        return [f"the entries file is not {ENTRIES_FORMAT}"]
    try:
        checkpoint = open_log_checkpoint(note, verifiers, origin=origin).checkpoint
    except NoteRefused as refusal:
        return [f"the entries file's checkpoint is not the gateway's: {refusal}"]
    if (checkpoint.size, b64(checkpoint.root)) != (stated.get("size"), stated.get("root")):
        return ["the entries file's checkpoint is not the one the manifest names"]
    problems, by_signal = [], {}
    for item in listed:
        entry, problem = _proven(item, checkpoint.size, checkpoint.root)
        if problem is not None:
            problems.append(problem)
        elif entry is not None:
            by_signal[str(entry.data.get(Key.SIGNAL_ID))] = entry
    for number, row in enumerate(exported_rows(data, media_type), start=1):
        problems.extend(f"row {number}: {p}" for p in _disagreements(row, by_signal))
    return problems


def _proven(item: object, size: int, root: bytes) -> tuple[AuditEntry | None, str | None]:
    """The entry an item of the entries file holds, if its proof leads to ``root``."""
    if not isinstance(item, dict) or not isinstance(item.get("entry"), str):
        return None, "an item of the entries file holds no entry"
    raw, index = item["entry"].encode(), item.get("leaf_index")
    proof = decode_proof(item.get("proof"))
    if type(index) is not int or not merkle.verify_inclusion(
        merkle.leaf_hash(raw), index, size, proof, root
    ):
        return None, f"the entry at leaf {index} is not in the checkpoint of {size} entries"
    try:
        body = json.loads(raw)
        return AuditEntry(
            body["seq"], body["at"], body["kind"], body["actor"], body["subject"], raw, ""
        ), None
    except (ValueError, KeyError, TypeError):
        return None, f"the entry at leaf {index} is not an audit entry"


def _disagreements(row: Mapping[str, Any], by_signal: Mapping[str, AuditEntry]) -> list[str]:
    entry = by_signal.get(str(row.get("signal_id")))
    if entry is None or entry.kind != "signal.accepted":
        return [f"no entry of the checkpoint accepts signal {row.get('signal_id')}"]
    data = entry.data
    decisions = data.get(Key.DECISIONS)
    decided = {
        d.get("recipient"): d
        for d in (decisions if isinstance(decisions, list) else [])
        if isinstance(d, dict)
    }.get(row.get("recipient_id"))
    try:
        sender = Ref.actor(entry.actor).id
    except AuditEntryInvalid:
        sender = None
    found = {
        "sender_id": sender,
        "category": data.get(Key.CATEGORY),
        "urgency": data.get(Key.URGENCY),
        "policy_sha256": data.get(Key.POLICY_SHA256),
        "verdict": None if decided is None else decided.get("verdict"),
        "rule_ids": None if decided is None else list(decided.get("rules", [])),
    }
    return [
        f"its {name} is not what the entry of signal {row.get('signal_id')} says"
        for name, value in found.items()
        if _cell(row.get(name), name) != value
    ]


def _cell(value: object, name: str) -> object:
    """A cell as the entry writes it (a CSV holds rules space-separated)."""
    if name == "rule_ids" and isinstance(value, str):
        return value.split()
    return value


def exported_rows(data: bytes, media_type: str) -> list[dict[str, Any]]:
    """The rows of an exported file, CSV or JSON, by column."""
    if media_type == "application/json":
        rows = json.loads(data).get("exchanges", [])
        return [row for row in rows if isinstance(row, dict)]
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
