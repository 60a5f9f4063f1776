"""The audit log: a hash chain of typed events.

- :mod:`~gateway.audit.hashchain`: entries, each naming its predecessor's hash, and their
  verification;
- :mod:`~gateway.audit.events`: one type per :class:`EventKind`, the only way an event is
  built, and :func:`~gateway.audit.events.parse`, which reads an entry back into its type;
- :mod:`~gateway.audit.refs`: actors and subjects (``partner(id)``, ``staff(id)``,
  ``signal(id)``, …); :mod:`~gateway.audit.keys`: the keys of an entry's data;
- :mod:`~gateway.audit.schema`: how an event type declares its entry;
  :mod:`~gateway.audit.reference`: ``docs/audit-events.md``, written from the types.

Nothing here imports the store, HTTP or the pages.
"""

from gateway.audit.hashchain import GENESIS, AuditEntry, Verification, chain, timestamp, verify
from gateway.audit.kinds import EventKind
from gateway.audit.schema import AuditEvent

__all__ = [
    "GENESIS",
    "AuditEntry",
    "AuditEvent",
    "EventKind",
    "Verification",
    "chain",
    "timestamp",
    "verify",
]
