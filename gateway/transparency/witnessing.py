"""A partner's witness, run on the partner's side (``euregate witness run``).

Each run fetches the gateway's latest checkpoint, asks for the consistency proof from the
checkpoint the witness cosigned last (its *state*, a file the partner keeps), decides with
:func:`gateway.infra.audit.witness.witness`, compares the other witnesses' cosignatures of the same
size with what it was shown, and only then posts its own cosignature and keeps the new
checkpoint as its state. On its first run it trusts what it is shown and pins the gateway's
key, as every witness must once.

A refusal (:class:`~gateway.infra.errors.WitnessRefusal`) leaves the state as it was; the caller
keeps both checkpoints as evidence (:func:`keep_evidence`) and reports them to the gateway,
whose compliance staff see it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Protocol

from gateway.infra.audit.checkpoint import SignedCheckpoint, open_checkpoint
from gateway.infra.audit.cosignature import Cosigner, WitnessKey, cosignatures
from gateway.infra.audit.note import Ed25519Verifier, Note, Signature
from gateway.infra.audit.witness import UNSIGNED, Cosigned, witness
from gateway.infra.clock import Clock
from gateway.infra.errors import (
    CheckpointUnverified,
    CosignaturesDisagree,
    NoteRefused,
    WitnessRefusal,
)
from gateway.transparency.log import checkpoint_size
from gateway.transparency.verify import decode_proof, log_verifiers

STATE_FORMAT: Final = "euregate.witness-state/1"


class GatewayView(Protocol):
    """What a witness asks of the gateway: a partner's
    :class:`~euregate_client.EuregateClient`."""

    async def checkpoint(self) -> bytes: ...

    async def gateway_keys(self) -> dict[str, bytes]: ...

    async def consistency_proof(self, first: int, second: int | None = None) -> dict[str, Any]: ...

    async def cosignatures(self, size: int | None = None) -> dict[str, Any]: ...

    async def post_cosignature(self, size: int, line: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class WitnessState:
    """What a witness keeps between runs: the log it watches (its origin and the gateway's
    key, pinned on the first run) and the checkpoint it cosigned last, with its cosignature."""

    origin: str
    log_key: str | None = None
    checkpoint: bytes | None = None

    @classmethod
    def read(cls, path: Path, *, origin: str) -> WitnessState:
        """The state kept in ``path``; a new witness's when there is none yet."""
        if not path.exists():
            return cls(origin)
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
            raise ValueError(f"{path} is not a witness state ({STATE_FORMAT})")
        if document.get("origin") != origin:
            raise ValueError(f"{path} is the state of a witness of {document.get('origin')}")
        note = document.get("checkpoint")
        return cls(origin, document.get("log_key"), None if note is None else note.encode())

    def write(self, path: Path) -> None:
        """Replace the state in ``path`` whole or not at all."""
        document = {
            "format": STATE_FORMAT,
            "origin": self.origin,
            "log_key": self.log_key,
            "checkpoint": None if self.checkpoint is None else self.checkpoint.decode(),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        partial.replace(path)


@dataclass(frozen=True)
class Witnessed:
    """One run that cosigned: the size cosigned before (None on the first run), the size now,
    the cosignature line posted, and how many other witnesses' cosignatures agreed."""

    previous_size: int | None
    size: int
    line: str
    agreeing: int


class Witness:
    """A partner's witness of the gateway's log."""

    def __init__(
        self, gateway: GatewayView, cosigner: Cosigner, *, partner_id: str, clock: Clock
    ) -> None:
        self._gateway = gateway
        self._cosigner = cosigner
        self._partner_id = partner_id
        self._clock = clock

    async def run_once(self, state: WitnessState) -> tuple[WitnessState, Witnessed]:
        """Cosign the gateway's latest checkpoint if it extends the state's; the new state.
        :class:`~gateway.infra.errors.WitnessRefusal` otherwise, the state unchanged."""
        submitted = await self._gateway.checkpoint()
        log_key = await self._log_key(state, submitted)
        previous = (
            None
            if state.checkpoint is None
            else open_checkpoint(state.checkpoint, log_key, origin=state.origin)
        )
        cosigned = witness(
            previous=previous,
            submitted=submitted,
            log_key=log_key,
            origin=state.origin,
            proof=await self._proof(previous, submitted),
            cosigner=self._cosigner,
            now=self._clock.now(),
        )
        size = cosigned.checkpoint.checkpoint.size
        agreeing = await self._compare(cosigned, previous=state.checkpoint, submitted=submitted)
        await self._gateway.post_cosignature(size, cosigned.line())
        kept = replace(state, log_key=log_key.encode(), checkpoint=cosigned.encode())
        before = None if previous is None else previous.checkpoint.size
        return kept, Witnessed(before, size, cosigned.line(), agreeing)

    async def _log_key(self, state: WitnessState, submitted: bytes) -> Ed25519Verifier:
        """The pinned key; on the first run, the gateway's key that signed ``submitted``."""
        if state.log_key is not None:
            return Ed25519Verifier.parse(state.log_key)
        keys = await self._gateway.gateway_keys()
        for verifier in log_verifiers(state.origin, keys.values()):
            try:
                open_checkpoint(submitted, verifier, origin=state.origin)
            except NoteRefused:
                continue
            return verifier
        raise CheckpointUnverified(previous=None, submitted=submitted, reason=UNSIGNED)

    async def _proof(self, previous: SignedCheckpoint | None, submitted: bytes) -> list[bytes]:
        size = checkpoint_size(submitted)
        if previous is None or size is None or size <= previous.checkpoint.size:
            return []
        answer = await self._gateway.consistency_proof(previous.checkpoint.size, size)
        return decode_proof(answer.get("proof"))

    async def _compare(
        self, cosigned: Cosigned, *, previous: bytes | None, submitted: bytes
    ) -> int:
        """How many cosignatures of the same size by other witnesses verify on the checkpoint
        this witness was shown; :class:`CosignaturesDisagree` for the first that does not."""
        size = cosigned.checkpoint.checkpoint.size
        text = cosigned.checkpoint.note.text
        listed = (await self._gateway.cosignatures(size)).get("cosignatures", [])
        agreeing = 0
        for entry in listed if isinstance(listed, list) else []:
            if not isinstance(entry, dict) or entry.get("partner") == self._partner_id:
                continue
            if not _cosigns(entry, text):
                raise CosignaturesDisagree(
                    previous=previous,
                    submitted=submitted,
                    size=size,
                    partner=str(entry.get("partner")),
                    name=str(entry.get("key_name")),
                )
            agreeing += 1
        return agreeing


def _cosigns(entry: dict[str, Any], text: str) -> bool:
    """Whether a listed cosignature, by the witness key listed with it, cosigns ``text``."""
    try:
        key = WitnessKey.parse(str(entry.get("vkey")))
        signature = Signature.parse(str(entry.get("signature")).rstrip("\n"))
        return bool(cosignatures(Note(text, (signature,)), [key]))
    except NoteRefused:
        return False


def keep_evidence(directory: Path, refusal: WitnessRefusal, at: datetime) -> Path:
    """Both checkpoints of a refusal, and what was found, in a new folder under ``directory``."""
    folder = directory / f"{at.strftime('%Y%m%dT%H%M%S.%fZ')}-{refusal.kind}"
    folder.mkdir(parents=True, exist_ok=False)
    if refusal.previous is not None:
        (folder / "previous.checkpoint").write_bytes(refusal.previous)
    (folder / "submitted.checkpoint").write_bytes(refusal.submitted)
    found = {"kind": refusal.kind, "detail": str(refusal), **refusal.extensions()}
    (folder / "refusal.json").write_text(json.dumps(found, indent=1) + "\n", encoding="utf-8")
    return folder
