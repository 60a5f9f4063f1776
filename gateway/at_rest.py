"""Start-up work on what older versions kept less well protected at rest.

A schema migration has no master key, so what must be sealed under it is sealed here, each
time the gateway starts (``serve``) or ``init`` runs, and is a no-op once done:

- rejection reasons an older version kept in the clear are sealed (:mod:`gateway.rejection`)
  and their clear column emptied;
- translation-memory entries sealed before they belonged to a desk are sealed again, bound to
  their desk and author (:meth:`gateway.translate.memory.MemoryBackend.reseal_legacy`).

Afterwards the write-ahead log is cut to nothing, so that no page image from before lingers
in it; ``secure_delete`` (always on) has zeroed the old bytes in the database file.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.audit import events, refs
from gateway.audit.refs import Ref
from gateway.rejection import seal_reason
from gateway.store import Store
from gateway.translate.memory import MemorySealer
from gateway.vault import MasterKey


@dataclass(frozen=True)
class Upgraded:
    reasons_sealed: int
    memory_resealed: int

    def __bool__(self) -> bool:
        return bool(self.reasons_sealed or self.memory_resealed)


def upgrade(store: Store, master_key: MasterKey, *, actor: Ref = refs.GATEWAY) -> Upgraded:
    """Seal what is still clear or sealed the old way; audited when there was anything."""
    clear = store.clear_rejection_reasons_sync()
    reasons = store.seal_rejection_reasons_sync(
        {item_id: seal_reason(master_key, item_id, reason) for item_id, reason in clear}
    )
    memory = MemorySealer(master_key).reseal_legacy(store)
    done = Upgraded(reasons_sealed=reasons, memory_resealed=memory)
    if done:
        store.record_sync(
            events.AtRestUpgraded(
                by=actor, rejection_reasons_sealed=reasons, memory_entries_resealed=memory
            )
        )
        store.truncate_log_sync()
    return done
