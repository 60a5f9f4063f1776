"""Checkpoints (``c2sp.org/tlog-checkpoint``): the log's size and root hash, signed.

A checkpoint is a signed note whose text is the log's origin, its size in decimal (no
leading zeros) and its root hash in base64, one per line, then optional extension lines.
The gateway signs it with its Ed25519 key under a key name equal to the origin, so a
partner who knows the gateway's verifier key can check any checkpoint offline. Reading and
opening checkpoints is the partner client's (:mod:`euregate_client.checkpoint`),
re-exported here; signing them is the gateway's.
"""

from __future__ import annotations

from euregate_client import checkpoint as _partner

from gateway.infra.audit.note import Ed25519Signer, sign_text

# Reading and opening checkpoints, as a partner does it.
DEFAULT_ORIGIN = _partner.DEFAULT_ORIGIN
EMPTY_TREE_ROOT = _partner.EMPTY_TREE_ROOT
EXTENSION = _partner.EXTENSION
ORIGIN = _partner.ORIGIN
OTHER_LOG = _partner.OTHER_LOG
ROOT = _partner.ROOT
SIZE = _partner.SIZE
TOO_FEW_LINES = _partner.TOO_FEW_LINES
Checkpoint = _partner.Checkpoint
SignedCheckpoint = _partner.SignedCheckpoint
open_checkpoint = _partner.open_checkpoint


def sign_checkpoint(checkpoint: Checkpoint, signer: Ed25519Signer) -> SignedCheckpoint:
    """The checkpoint signed by the log's key."""
    return SignedCheckpoint(checkpoint, sign_text(checkpoint.body(), [signer]))
