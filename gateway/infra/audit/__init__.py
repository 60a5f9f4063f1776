"""The audit log: a hash chain of typed events, and the transparency log over it.

- :mod:`~gateway.infra.audit.hashchain`: entries, each naming its predecessor's hash, and their
  verification;
- :mod:`~gateway.infra.audit.events`: one type per :class:`EventKind`, the only way an event is
  built, and :func:`~gateway.infra.audit.events.parse`, which reads an entry back into its type;
- :mod:`~gateway.infra.audit.refs`: actors and subjects (``partner(id)``, ``staff(id)``,
  ``signal(id)``, …); :mod:`~gateway.infra.audit.keys`: the keys of an entry's data;
- :mod:`~gateway.infra.audit.schema`: how an event type declares its entry;
  :mod:`~gateway.infra.audit.reference`: ``docs/audit-events.md``, written from the types;
- the transparency log, pure: :mod:`~gateway.infra.audit.merkle` (the RFC 9162 tree: which
  stored hashes a root or proof needs, how they combine, verification, integrating a
  batch), :mod:`~gateway.infra.audit.tiles` (the hashes stored as C2SP tlog-tiles),
  :mod:`~gateway.infra.audit.note` (C2SP signed notes), :mod:`~gateway.infra.audit.checkpoint`
  (C2SP checkpoints), :mod:`~gateway.infra.audit.cosignature` (witness cosignatures) and
  :mod:`~gateway.infra.audit.witness` (a witness's decision to cosign or refuse).

Nothing here imports the store, HTTP or the pages.
"""

from gateway.infra.audit.hashchain import (
    GENESIS,
    AuditEntry,
    Verification,
    chain,
    timestamp,
    told_reason,
    verify,
)
from gateway.infra.audit.kinds import EventKind
from gateway.infra.audit.schema import AuditEvent

__all__ = [
    "GENESIS",
    "AuditEntry",
    "AuditEvent",
    "EventKind",
    "Verification",
    "chain",
    "timestamp",
    "told_reason",
    "verify",
]
