"""Euregate's partner client: post signals, read the inbox, check receipts in the audit log.

Depends on ``aiohttp`` and ``cryptography`` alone. See ``README.md`` beside this package.
"""

from euregate_client.checkpoint import Checkpoint, SignedCheckpoint
from euregate_client.client import (
    AuditLogReader,
    EuregateClient,
    JsonClient,
    Message,
    Submitted,
    open_message,
)
from euregate_client.errors import (
    ClientFailure,
    EnvelopeMalformed,
    EnvelopeMisaddressed,
    EnvelopeRefused,
    EnvelopeSignatureInvalid,
    EnvelopeUndecryptable,
    EnvelopeWrongKey,
    EuregateError,
    InclusionUnproven,
    NoteRefused,
    Problem,
    ProofRefused,
    ReceiptMalformed,
    Unreachable,
)
from euregate_client.keys import RecipientPrivateKey, Suite, generate_key_pair, load_private_key
from euregate_client.sync import SyncClient, connect_sync

__version__ = "0.1.0"

__all__ = [
    "AuditLogReader",
    "Checkpoint",
    "ClientFailure",
    "EnvelopeMalformed",
    "EnvelopeMisaddressed",
    "EnvelopeRefused",
    "EnvelopeSignatureInvalid",
    "EnvelopeUndecryptable",
    "EnvelopeWrongKey",
    "EuregateClient",
    "EuregateError",
    "InclusionUnproven",
    "JsonClient",
    "Message",
    "NoteRefused",
    "Problem",
    "ProofRefused",
    "ReceiptMalformed",
    "RecipientPrivateKey",
    "SignedCheckpoint",
    "Submitted",
    "Suite",
    "SyncClient",
    "Unreachable",
    "connect_sync",
    "generate_key_pair",
    "load_private_key",
    "open_message",
]
