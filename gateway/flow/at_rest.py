"""Start-up work on what older versions kept less well protected at rest.

A schema migration has no master key, so what must be sealed under it is sealed here, each
time the gateway starts (``serve``) or ``init`` runs, and is a no-op once done:

- rejection reasons an older version kept in the clear are sealed (:mod:`gateway.flow.rejection`)
  and their clear column emptied;
- translation-memory entries sealed before they belonged to a desk are sealed again, bound to
  their desk and author (:meth:`gateway.translate.memory.MemoryBackend.reseal_legacy`).

Afterwards the write-ahead log is cut to nothing, so that no page image from before lingers
in it; ``secure_delete`` (always on) has zeroed the old bytes in the database file.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.flow.rejection import seal_reason
from gateway.infra.audit import events, refs
from gateway.infra.audit.refs import Ref
from gateway.infra.vault import MasterKey
from gateway.store import Store
from gateway.translate.memory import MemorySealer


@dataclass(frozen=True)
class Upgraded:
    reasons_sealed: int
    memory_resealed: int

    def __bool__(self) -> bool:
        return bool(self.reasons_sealed or self.memory_resealed)


async def upgrade(store: Store, master_key: MasterKey, *, actor: Ref = refs.GATEWAY) -> Upgraded:
    """Seal what is still clear or sealed the old way; audited when there was anything."""
    clear = await store.clear_rejection_reasons()
    reasons = await store.seal_rejection_reasons(
        {found.item_id: seal_reason(master_key, found.item_id, found.reason) for found in clear}
    )
    memory = await MemorySealer(master_key).reseal_legacy(store)
    done = Upgraded(reasons_sealed=reasons, memory_resealed=memory)
    if done:
        await store.record(
            events.AtRestUpgraded(
                by=actor, rejection_reasons_sealed=reasons, memory_entries_resealed=memory
            )
        )
        await store.purge_old_versions()
    return done
