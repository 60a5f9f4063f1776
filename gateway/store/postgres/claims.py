"""Work that one instance does at a time: sealing a copy, pushing an envelope.

Every instance's courier and pusher ask the store for what is due; on PostgreSQL the asking
claims it. Rows that are due and claimed by no one (or by this store, or whose claim ran out)
are locked with ``FOR UPDATE SKIP LOCKED``, so two instances asking at once never take the
same row, and marked with this store's name and a lease (``claimed_by``, ``claimed_until``).
Another instance passes them by until the lease runs out: the work of an instance that died
is taken up :data:`CLAIM_LEASE` after its last claim. The claimant asking again gets its
rows again, the lease renewed (the pushes it has in flight, which it asks the store to skip,
are renewed too: the pusher asks at every poll and whenever a push ends, so its pushes in
flight are renewed well within a lease). A courier sealing a batch renews its claims every
third of a lease while it works (:meth:`Claims.renew_copy_claims`), so a batch slower than a
lease is not taken up by another instance. What settles the work (sealed, postponed, pushed,
failed) lets the claim go.

A claim saves doing the work twice; it is not what keeps it from being kept twice: a copy is
sealed, and a push recorded delivered, only if it is still pending in the settling write.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import timedelta
from functools import cached_property
from typing import Any, Final

from gateway.store.postgres.database import Database, Transaction

CLAIM_LEASE: Final = timedelta(seconds=60)
"""How long a claim holds without being renewed: longer than sealing a batch of copies or a
push takes, short enough that a dead instance's work is soon taken up."""

UNCLAIMED: Final = "claimed_by = NULL, claimed_until = NULL"
"""What settling a piece of work sets (``SET`` clause)."""


def free_for_claimant(alias: str) -> str:
    """An SQL condition on rows of ``alias``: no one else holds a live claim on it (parameters
    ``claimant`` and ``now``)."""
    return (
        f"({alias}.claimed_by IS NULL OR {alias}.claimed_by = %(claimant)s "
        f"OR {alias}.claimed_until <= %(now)s)"
    )


class Claims(Database):
    def __init__(self, url: str, *, claim_lease: timedelta = CLAIM_LEASE, **options: Any) -> None:
        """``claim_lease``: how long a claim holds without renewal (:data:`CLAIM_LEASE`)."""
        super().__init__(url, **options)
        self.lease = claim_lease

    @property
    def claim_lease(self) -> timedelta:
        return self.lease

    async def renew_copy_claims(self, copy_ids: Collection[str]) -> int:
        """As the interface says: the claims this store holds on ``copy_ids`` run a lease from
        now; how many it still held."""

        async def renew(tx: Transaction) -> int:
            cursor = await tx.conn.execute(
                "UPDATE copies SET claimed_until = %s WHERE claimed_by = %s "
                "AND id = ANY(%s::text[]) AND state = 'pending'",
                (tx.now() + self.lease, self.claimant, list(copy_ids)),
            )
            return cursor.rowcount

        return await self.write(renew, audited=False)

    @cached_property
    def claimant(self) -> str:
        """The name this store claims work under: one per store, so one per instance."""
        return uuid.uuid4().hex
