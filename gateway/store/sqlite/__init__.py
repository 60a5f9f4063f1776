"""The SQLite backend of the store: one file in WAL mode, one writer thread, reads in threads
of their own (:mod:`gateway.store.sqlite.database`), the SQL of each concern in its module."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gateway.store.interface import Store
from gateway.store.interface.inspection import StoreFacts
from gateway.store.sqlite.at_rest import SqliteAtRest
from gateway.store.sqlite.audit_search import SqliteAuditSearch
from gateway.store.sqlite.audit_tree import SqliteAuditTree
from gateway.store.sqlite.database import Database, StoreClosed
from gateway.store.sqlite.delivery import SqliteDelivery
from gateway.store.sqlite.inspect import inspect_database
from gateway.store.sqlite.keys import SqliteKeys
from gateway.store.sqlite.maintenance import SqliteMaintenance
from gateway.store.sqlite.memory import SqliteMemory
from gateway.store.sqlite.operations import SqliteOperations
from gateway.store.sqlite.partner_rate import SqlitePartnerRate
from gateway.store.sqlite.policies import SqlitePolicies
from gateway.store.sqlite.proposals import SqliteProposals
from gateway.store.sqlite.registry import SqliteRegistry
from gateway.store.sqlite.requests import SqliteRequests
from gateway.store.sqlite.restriction import SqliteRestriction
from gateway.store.sqlite.retention import SqliteRetention
from gateway.store.sqlite.review import SqliteReview
from gateway.store.sqlite.sessions import SqliteSessions
from gateway.store.sqlite.signals import SqliteSignals
from gateway.store.sqlite.staff import SqliteStaff
from gateway.store.sqlite.subjects import SqliteSubjects
from gateway.store.sqlite.throttle import SqliteThrottle
from gateway.store.sqlite.tracking import SqliteTracking
from gateway.store.sqlite.translation_jobs import SqliteTranslationJobs
from gateway.store.sqlite.verification_jobs import SqliteVerificationJobs
from gateway.store.sqlite.withdrawal import SqliteWithdrawal
from gateway.store.sqlite.witnesses import SqliteWitnesses

__all__ = ["Database", "SqliteMaintenance", "SqliteStore", "StoreClosed"]


class SqliteStore(
    SqliteRegistry,
    SqliteSignals,
    SqlitePolicies,
    SqliteReview,
    SqliteStaff,
    SqliteSessions,
    SqliteProposals,
    SqliteThrottle,
    SqlitePartnerRate,
    SqliteVerificationJobs,
    SqliteTranslationJobs,
    SqliteMemory,
    SqliteKeys,
    SqliteDelivery,
    SqliteTracking,
    SqliteSubjects,
    SqliteRequests,
    SqliteAuditSearch,
    SqliteAuditTree,
    SqliteWitnesses,
    SqliteOperations,
    SqliteAtRest,
    SqliteRetention,
    SqliteWithdrawal,
    SqliteRestriction,
    Store,
):
    """Everything Euregate keeps, in one SQLite file. ``async with`` it, or start it before
    use and close it after."""

    @staticmethod
    async def inspect(path: Path) -> StoreFacts:
        """What the database at ``path`` holds that a deployment's check looks at, read
        without opening the store (nothing created, migrated or written)."""
        return await asyncio.to_thread(inspect_database, path)
