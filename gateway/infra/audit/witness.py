"""A witness's decision (``c2sp.org/tlog-witness``): cosign the gateway's new checkpoint only
if it extends the one cosigned before.

:func:`witness` is pure: it gets what the witness stored (the signed checkpoint it last
cosigned, or nothing on its first run), the checkpoint the gateway shows now, the
gateway's verifier key and a consistency proof between the two sizes, and the time. It
returns the cosignature, or refuses with a :class:`~gateway.infra.errors.WitnessRefusal` that
says what is wrong and keeps both checkpoints as evidence:

- the new checkpoint is not signed by the gateway's key, or not a checkpoint of its log
  (:class:`~gateway.infra.errors.CheckpointUnverified`);
- it is smaller than the one cosigned (:class:`~gateway.infra.errors.CheckpointRollback`);
- it is of the same size with another root (:class:`~gateway.infra.errors.CheckpointSplitView`);
- the proof does not lead from the old root to the new one
  (:class:`~gateway.infra.errors.ConsistencyUnproven`).

On its first run a witness trusts what it is shown, as every witness must once; from then
on it cosigns only extensions of that.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from gateway.infra.audit.checkpoint import SignedCheckpoint, open_checkpoint
from gateway.infra.audit.cosignature import Cosigner
from gateway.infra.audit.merkle import verify_consistency
from gateway.infra.audit.note import NoteVerifier, Signature
from gateway.infra.errors import (
    CheckpointMalformed,
    CheckpointRollback,
    CheckpointSplitView,
    CheckpointUnverified,
    ConsistencyUnproven,
    NoteRefused,
    NoteSignatureInvalid,
    NoteUnverified,
)
from gateway.infra.i18n import N_

NOT_A_NOTE: Final = N_("It is not a signed note.")
UNSIGNED: Final = N_("It carries no signature by the gateway's key.")
BAD_SIGNATURE: Final = N_(
    "The gateway's signature on it does not verify: it was changed after signing, or forged."
)
NOT_A_CHECKPOINT: Final = N_("Its text is not a checkpoint of the gateway's audit log.")


@dataclass(frozen=True)
class Cosigned:
    """The witness's cosignature on the gateway's checkpoint."""

    checkpoint: SignedCheckpoint
    cosignature: Signature

    def encode(self) -> bytes:
        """The checkpoint with the cosignature: what the witness keeps as its new state."""
        return self.checkpoint.note.with_signatures([self.cosignature]).encode()

    def line(self) -> str:
        """The cosignature's note signature line, as a witness answers ``add-checkpoint``."""
        return self.cosignature.line()


def witness(
    *,
    previous: SignedCheckpoint | None,
    submitted: bytes,
    log_key: NoteVerifier,
    origin: str,
    proof: Sequence[bytes],
    cosigner: Cosigner,
    now: datetime,
) -> Cosigned:
    """Cosign ``submitted`` if it is the gateway's and extends ``previous``, else refuse."""
    evidence = None if previous is None else previous.encode()
    current = _opened(submitted, log_key=log_key, origin=origin, previous=evidence)
    if previous is not None:
        _check_extends(previous, current, proof, submitted=submitted)
    timestamp = int(now.timestamp())
    return Cosigned(current, cosigner.cosign(current.checkpoint.body(), timestamp))


def _opened(
    submitted: bytes, *, log_key: NoteVerifier, origin: str, previous: bytes | None
) -> SignedCheckpoint:
    try:
        return open_checkpoint(submitted, log_key, origin=origin)
    except NoteRefused as error:
        raise CheckpointUnverified(
            previous=previous, submitted=submitted, reason=_reason(error)
        ) from error


def _reason(error: NoteRefused) -> str:
    if isinstance(error, NoteUnverified):
        return UNSIGNED
    if isinstance(error, NoteSignatureInvalid):
        return BAD_SIGNATURE
    if isinstance(error, CheckpointMalformed):
        return NOT_A_CHECKPOINT
    return NOT_A_NOTE


def _check_extends(
    previous: SignedCheckpoint,
    current: SignedCheckpoint,
    proof: Sequence[bytes],
    *,
    submitted: bytes,
) -> None:
    old, new = previous.checkpoint, current.checkpoint
    evidence = previous.encode()
    if new.size < old.size:
        raise CheckpointRollback(
            previous=evidence, submitted=submitted, old_size=old.size, new_size=new.size
        )
    if new.size == old.size:
        if new.root != old.root:
            raise CheckpointSplitView(
                previous=evidence,
                submitted=submitted,
                size=new.size,
                old_root=base64.b64encode(old.root).decode(),
                new_root=base64.b64encode(new.root).decode(),
            )
        return
    if old.size and not verify_consistency(old.size, new.size, proof, old.root, new.root):
        raise ConsistencyUnproven(
            previous=evidence, submitted=submitted, old_size=old.size, new_size=new.size
        )
