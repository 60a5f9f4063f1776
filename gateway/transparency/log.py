"""What the gateway answers about its audit log's tree, to partners and to compliance staff.

The latest signed checkpoint with the witnesses' cosignatures appended (as ``tlog-witness``
hands a checkpoint on), RFC 9162 inclusion and consistency proofs read from the stored tiles,
a witness's cosignature verified and kept, the cosignatures of a checkpoint listed so that
witnesses can compare what they were shown, and a witness's report of an inconsistency kept
with its evidence. Every size and index is checked against the published tree: a question
beyond it is refused with a typed error, never answered from a tree nobody signed.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from gateway.contract.partners import Partner
from gateway.infra.audit import events, merkle, refs, timestamp
from gateway.infra.audit.checkpoint import Checkpoint
from gateway.infra.audit.cosignature import cosignatures as verified_cosignatures
from gateway.infra.audit.note import Ed25519Verifier, Note, Signature
from gateway.infra.audit.note import parse as parse_note
from gateway.infra.audit.tiles import TileHashReader
from gateway.infra.errors import (
    BeyondTheLog,
    CheckpointNotPublished,
    CosignatureInvalid,
    NoteRefused,
    NoteSignatureInvalid,
    NotFound,
    QueryInvalid,
    WitnessKeyUnknown,
)
from gateway.store import (
    InconsistencyReport,
    RegisteredWitnessKey,
    Store,
    StoredCheckpoint,
    StoredCosignature,
    StoredSignal,
)
from gateway.transparency.scope import concerns, signal_of

REPORT_KINDS: Final = (
    "checkpoint-rollback",
    "checkpoint-split-view",
    "consistency-unproven",
    "checkpoint-unverified",
    "cosignatures-disagree",
)
"""What a witness may report: its refusals (:class:`~gateway.infra.errors.WitnessRefusal`), and
``cosignatures-disagree``: another witness cosigned another checkpoint of the same size."""
MAX_EVIDENCE_BYTES: Final = 16 * 1024
"""The longest checkpoint a report may carry (a note of a hundred signatures fits)."""
REPORTS_PER_PARTNER: Final = 100
"""Reports of inconsistencies kept per witness partner, so that reports cannot fill the disk."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class Published:
    """A checkpoint as the gateway hands it out: its own signature, then each cosignature."""

    checkpoint: StoredCheckpoint
    cosignatures: tuple[StoredCosignature, ...]

    def note(self) -> bytes:
        signed = parse_note(self.checkpoint.note)
        lines = [Signature.parse(c.line.rstrip("\n")) for c in self.cosignatures]
        return signed.with_signatures(lines).encode()

    def as_json(self, log_key: Ed25519Verifier) -> dict[str, object]:
        return {
            "size": self.checkpoint.size,
            "root": b64(self.checkpoint.root),
            "note": self.note().decode(),
            "published_at": timestamp(self.checkpoint.published_at),
            "log_key": log_key.encode(),
            "cosigners": [
                {
                    "partner": c.partner_id,
                    "key_name": c.key_name,
                    "key_id": c.key_id,
                    "cosigned_at": cosigned_at(c.cosigned_at),
                }
                for c in self.cosignatures
            ],
        }


@dataclass(frozen=True)
class Listed:
    """The cosignatures of one checkpoint, each with the witness key that made it."""

    checkpoint: StoredCheckpoint
    cosignatures: tuple[tuple[StoredCosignature, RegisteredWitnessKey | None], ...]

    def as_json(self) -> dict[str, object]:
        return {
            "size": self.checkpoint.size,
            "root": b64(self.checkpoint.root),
            "checkpoint": self.checkpoint.note.decode(),
            "cosignatures": [
                {
                    "partner": c.partner_id,
                    "key_name": c.key_name,
                    "key_id": c.key_id,
                    "vkey": None if key is None else key.vkey,
                    "cosigned_at": cosigned_at(c.cosigned_at),
                    "received_at": None if c.received_at is None else timestamp(c.received_at),
                    "signature": c.line,
                }
                for c, key in self.cosignatures
            ],
        }


@dataclass(frozen=True)
class Inclusion:
    """Leaf ``index`` of the tree of ``size`` leaves: its hash and its audit path."""

    index: int
    size: int
    leaf_hash: bytes
    proof: tuple[bytes, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "index": self.index,
            "size": self.size,
            "leaf_hash": b64(self.leaf_hash),
            "proof": [b64(node) for node in self.proof],
        }


@dataclass(frozen=True)
class Consistency:
    first: int
    second: int
    proof: tuple[bytes, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "from": self.first,
            "to": self.second,
            "proof": [b64(node) for node in self.proof],
        }


@dataclass(frozen=True)
class LeafProof:
    """A receipt's entry in the latest checkpoint: the checkpoint handed out and the path."""

    published: Published
    proof: tuple[bytes, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "tree_size": self.published.checkpoint.size,
            "checkpoint": self.published.note().decode(),
            "proof": [b64(node) for node in self.proof],
        }


def cosigned_at(seconds: int) -> str:
    """A witness's time (POSIX seconds) as an audit timestamp."""
    return timestamp(datetime.fromtimestamp(seconds, UTC))


class TransparencyLog:
    """The audit log's tree as partners and staff see it."""

    def __init__(self, store: Store, *, log_key: Ed25519Verifier) -> None:
        """``log_key`` is the gateway's note key, under the log's origin."""
        self._store = store
        self.log_key = log_key
        self._reader = TileHashReader(store)

    async def latest(self) -> StoredCheckpoint:
        latest = await self._store.latest_checkpoint()
        if latest is None:
            raise CheckpointNotPublished()
        return latest

    async def published(self) -> Published:
        """The latest checkpoint with the cosignatures kept for it."""
        latest = await self.latest()
        return Published(latest, tuple(await self._store.cosignatures(latest.size)))

    async def _tree(self, size: int | None) -> int:
        """The size asked for (the latest for None), if the published tree is that large."""
        latest = (await self.latest()).size
        if size is None:
            return latest
        if size > latest:
            raise BeyondTheLog(size=latest, asked=size)
        return size

    async def inclusion(
        self, index: int, size: int | None = None, *, partner: Partner | None = None
    ) -> Inclusion:
        """The audit path of leaf ``index`` in the tree of ``size`` leaves (the latest when
        None). A ``partner`` gets it only for an entry about its own exchanges
        (:mod:`gateway.transparency.scope`); for any other, :class:`NotFound`."""
        size = await self._tree(size)
        if not index < size:
            raise QueryInvalid(parameter="index", expected=f"0\u2013{size - 1}" if size else "-")
        if partner is not None and not await self._concerns(index, partner):
            raise NotFound()
        plan = merkle.inclusion_plan(index, size)
        leaf, *path = await self._reader.hashes([merkle.Node(0, index), *plan.nodes])
        return Inclusion(index, size, leaf, tuple(plan.assemble(path)))

    async def _concerns(self, index: int, partner: Partner) -> bool:
        found = await self._store.audit_entries(after=index, limit=1)
        if not found or found[0].seq != index + 1:
            return False
        entry = found[0]
        signal_id = signal_of(entry)
        signal = None if signal_id is None else await self._store.signal(signal_id)
        return concerns(entry, partner.id, signal_sender=signal.sender_id if signal else None)

    async def consistency(self, first: int, second: int | None = None) -> Consistency:
        """The proof that the tree of ``first`` leaves is a prefix of the tree of ``second``
        (the latest when None)."""
        second = await self._tree(second)
        if not 1 <= first <= second:
            raise QueryInvalid(parameter="from", expected=f"1\u2013{second}" if second else "-")
        proof = await merkle.consistency_proof(self._reader, first, second)
        return Consistency(first, second, tuple(proof))

    async def leaf(self, signal: StoredSignal) -> LeafProof | None:
        """The signal's ``signal.accepted`` entry in the latest checkpoint, once it is in (and
        None before the first checkpoint is signed)."""
        if await self._store.latest_checkpoint() is None:
            return None
        published = await self.published()
        index, size = signal.audit_seq - 1, published.checkpoint.size
        if index >= size:
            return None
        proof = await merkle.inclusion_proof(self._reader, index, size)
        return LeafProof(published, tuple(proof))

    async def cosign(self, partner: Partner, size: int, line: str) -> StoredCosignature:
        """Keep a witness's cosignature line on the checkpoint of ``size`` entries, if it is
        by an active witness key of ``partner`` and verifies on the gateway's checkpoint."""
        signature = Signature.parse(line.rstrip("\n"))
        keys = [
            k
            for k in await self._store.witness_keys(partner.id)
            if k.active and (k.name, k.key_id) == (signature.name, signature.key_id.hex())
        ]
        if not keys:
            raise WitnessKeyUnknown(name=signature.name, key_id=signature.key_id.hex())
        stored = await self._store.checkpoint(size)
        if stored is None:
            raise CheckpointNotPublished(size=size)
        text = parse_note(stored.note).text
        try:
            (verified,) = verified_cosignatures(Note(text, (signature,)), [keys[0].key])
        except NoteSignatureInvalid as exc:
            raise CosignatureInvalid(size=size) from exc
        cosignature = StoredCosignature(
            size=size,
            partner_id=partner.id,
            key_name=signature.name,
            key_id=signature.key_id.hex(),
            cosigned_at=verified.timestamp,
            line=signature.line(),
        )
        return await self._store.add_cosignature(
            cosignature,
            events.CheckpointCosigned(
                by=refs.partner(partner.id),
                size=size,
                key_name=signature.name,
                key_id=cosignature.key_id,
                cosigned_at=cosigned_at(verified.timestamp),
            ),
        )

    async def cosignatures(self, size: int | None = None) -> Listed:
        """The cosignatures kept for the checkpoint of ``size`` entries (the latest for None)."""
        size = await self._tree(size)
        stored = await self._store.checkpoint(size)
        if stored is None:
            raise CheckpointNotPublished(size=size)
        keys = {(k.partner_id, k.key_id): k for k in await self._store.witness_keys()}
        kept = await self._store.cosignatures(size)
        return Listed(stored, tuple((c, keys.get((c.partner_id, c.key_id))) for c in kept))

    async def report(
        self, partner: Partner, kind: str, previous: bytes | None, submitted: bytes
    ) -> InconsistencyReport:
        """Keep what a witness found, with both checkpoints (``kind`` one of
        :data:`REPORT_KINDS`, each checkpoint at most :data:`MAX_EVIDENCE_BYTES`; at most
        :data:`REPORTS_PER_PARTNER` kept per partner)."""
        report = InconsistencyReport(
            id=uuid.uuid4().hex,
            partner_id=partner.id,
            kind=kind,
            previous=previous,
            submitted=submitted,
            previous_size=None if previous is None else checkpoint_size(previous),
            submitted_size=checkpoint_size(submitted),
        )
        return await self._store.report_inconsistency(
            report,
            events.InconsistencyReported(
                by=refs.partner(partner.id),
                report=report.id,
                report_kind=kind,
                previous_size=report.previous_size,
                submitted_size=report.submitted_size,
            ),
            most=REPORTS_PER_PARTNER,
        )


def checkpoint_size(note: bytes) -> int | None:
    """The tree size a checkpoint states, whoever signed it; None when it is no checkpoint."""
    try:
        return Checkpoint.parse(parse_note(note).text).size
    except NoteRefused:
        return None
