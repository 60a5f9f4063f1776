"""Checkpoints (``c2sp.org/tlog-checkpoint``): the log's size and root hash, signed.

A checkpoint is a signed note whose text is the log's origin, its size in decimal (no
leading zeros) and its root hash in base64, one per line, then optional extension lines.
The gateway signs it with its Ed25519 key under a key name equal to the origin, so a
partner who knows the gateway's verifier key can check any checkpoint offline. Signing one
is the gateway's (``gateway.infra.audit.checkpoint``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Final

from euregate_client.errors import N_, CheckpointMalformed
from euregate_client.merkle import EMPTY_ROOT, HASH_SIZE
from euregate_client.note import Note, NoteVerifier, check_text, open_note, strict_b64decode

DEFAULT_ORIGIN: Final = "euregate.euregio.eu/audit"
"""The origin line of Euregate's audit log, unless a deployment names its own."""

TOO_FEW_LINES = N_("it has fewer than three lines.")
ORIGIN = N_("its origin line is empty.")
SIZE = N_("its second line is not a tree size in decimal without leading zeros.")
ROOT = N_("its third line is not a 32-byte root hash in base64.")
EMPTY_TREE_ROOT = N_("a tree of size 0 must have the root hash of the empty tree.")
EXTENSION = N_("an extension line is empty.")
OTHER_LOG = N_("it is a checkpoint of another log.")


@dataclass(frozen=True)
class Checkpoint:
    """A log's origin, tree size and root hash (and extension lines, which we never write)."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """The note text: one line each, every one ending in a line break."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """A checkpoint from a note text, exactly as the format has it."""
        check_text(text)
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointMalformed(reason=TOO_FEW_LINES)
        origin, size_line, root_line, *extensions = lines
        if not origin:
            raise CheckpointMalformed(reason=ORIGIN)
        if not _is_tree_size(size_line):
            raise CheckpointMalformed(reason=SIZE)
        root = strict_b64decode(root_line)
        if root is None or len(root) != HASH_SIZE:
            raise CheckpointMalformed(reason=ROOT)
        if size_line == "0" and root != EMPTY_ROOT:
            raise CheckpointMalformed(reason=EMPTY_TREE_ROOT)
        if any(not line for line in extensions):
            raise CheckpointMalformed(reason=EXTENSION)
        return cls(origin, int(size_line), root, tuple(extensions))


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint with the note that carries it: the log's signature, and cosignatures."""

    checkpoint: Checkpoint
    note: Note

    def encode(self) -> bytes:
        return self.note.encode()


def _is_tree_size(line: str) -> bool:
    """Decimal, no leading zeros, below 2^63 (as the C2SP specifications count sizes)."""
    return (
        0 < len(line) <= 19
        and line.isascii()
        and line.isdigit()
        and str(int(line)) == line
        and int(line) < 1 << 63
    )


def open_checkpoint(message: bytes, log_key: NoteVerifier, *, origin: str) -> SignedCheckpoint:
    """The checkpoint in ``message``, if ``log_key`` signed it and it is of ``origin``."""
    opened = open_note(message, [log_key])
    checkpoint = Checkpoint.parse(opened.text)
    if checkpoint.origin != origin:
        raise CheckpointMalformed(reason=OTHER_LOG)
    return SignedCheckpoint(checkpoint, opened.note)
