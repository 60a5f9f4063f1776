"""Who sequences the audit log: exactly one instance of the gateway at a time.

The :class:`~gateway.transparency.sequencer.Sequencer` leads only while it holds its
:class:`Leadership`, which the store decides
(:meth:`~gateway.store.interface.audit_tree.AuditTreeStore.sequencer_leadership`): gateways
sharing one SQLite file run on one host, so an exclusive lock on a file beside the database
decides (:class:`LockFile`); gateways sharing a PostgreSQL database, on one host or several,
hold a session-level advisory lock in it. Whatever decides, the store extends the tree only
from the size a sequencer read, so even two leaders could not both extend it.
"""

from __future__ import annotations

from gateway.infra.lock_file import LockFile
from gateway.store.interface.audit_tree import Leadership

__all__ = ["Leadership", "LockFile"]
