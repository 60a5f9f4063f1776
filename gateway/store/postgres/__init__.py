"""The PostgreSQL backend of the store: a pool of connections that several gateway processes, on
one machine or several, may share (:mod:`gateway.store.postgres.database`), the SQL of each
concern in its module.

It keeps everything the SQLite backend keeps, behind the same interface (:class:`Store`), and
is chosen by ``database_url`` (:mod:`gateway.store.backend`).

How a concern is written here (``postgres/<concern>.py``, beside ``sqlite/<concern>.py``):

- **A mixin per concern**: ``class PostgresKeys(Database, KeyStore)``, the same method names and
  parameters as the SQLite one, among :class:`PostgresStore`'s bases. Helpers shared with
  SQLite belong in neither backend (a record's rules are in :mod:`gateway.store.interface` or
  below).
- **Writes**: ``await self.write(write)`` with ``async def write(tx: Transaction) -> T``; run SQL
  with ``await tx.conn.execute(sql, params)`` (placeholders ``%s``, never ``?``, never a value
  formatted into the SQL), append audit events with ``await tx.append(event)`` in the same
  transaction, take times from ``tx.now()``. What is appended is chained when the transaction
  ends, under the chain's lock: ``append`` gives the event's place, whose ``entry`` is known
  once the write committed (a statement that needs the entry, or one that touches rows every
  appending write shares, goes in ``tx.after_chaining(sql, params)``). A write that appends
  nothing passes ``audited=False`` (see :mod:`~gateway.store.postgres.database` for the
  chain's lock). An auditing
  write runs in a batch with others, in a savepoint of its own, on the group commit's task
  (:mod:`~gateway.store.postgres.group_commit`): it speaks SQL on ``tx.conn`` and nothing else
  (it never awaits another write or read of the store, which would wait behind its batch).
- **Reads**: ``await self.read(read)`` with ``async def read(conn: Connection) -> T``; a
  read-only transaction. ``cursor = await conn.execute(...)``, then
  ``await cursor.fetchone()`` / ``fetchall()``; rows are tuples.
- **Errors**: a statement that fails aborts the whole transaction in PostgreSQL (SQLite lets the
  next statement run). Where the SQLite module catches ``sqlite3.IntegrityError`` to raise a
  typed error, catch ``psycopg.errors.UniqueViolation`` (or ``IntegrityError``) and raise the
  same typed error: the write is then rolled back whole, as it should. To go on after a
  failing statement, run it in ``async with tx.conn.transaction():`` (a savepoint); better,
  say ``ON CONFLICT DO NOTHING`` (SQLite's ``INSERT OR IGNORE``) or ``ON CONFLICT (...) DO
  UPDATE``.
- **Times** are ``timestamptz``: pass aware datetimes, read back aware datetimes in UTC (the
  connections run in UTC); no ``timestamp()``/``moment()`` text round trip, but for
  ``audit.at``, kept as chained. **JSON** is ``jsonb``: pass ``psycopg.types.json.Jsonb(value)``,
  read back Python values; SQLite's ``json_each(col)`` is ``jsonb_array_elements_text(col)``,
  and ``EXISTS (SELECT 1 FROM json_each(col) WHERE value = ?)`` is ``col ? %s``. A literal
  ``%`` in SQL that takes parameters is written ``%%``. **Bytes** are ``bytea`` (``bytes`` in
  and out). A flag is ``boolean`` (pass ``bool``, not ``0``/``1``).
- **Order**: ``ORDER BY x DESC`` puts NULLs first in PostgreSQL, last in SQLite: say ``NULLS
  LAST``. An identity column (``envelopes.seq``) numbers in the order rows were inserted, not
  committed: with several writers at once, do not read "after seq n" as "committed after".
  ``MAX(x) + 1`` computed in a write races with other processes unless the write holds a lock
  (an auditing write holds the chain's).
- **Schema**: the tables already exist (``postgres_ddl.VERSION_11`` in
  :mod:`gateway.store.migrations`); a new column or table is a new schema version there, with
  both dialects' DDL in one entry.
- **Tests**: the contract tests ``tests/test_store_contract_<concern>.py`` and every other test
  that takes ``empty_store`` run against both backends (``tests/store_backends.py``);
  ``tests/test_store_postgres*.py`` hold what is PostgreSQL's own.
"""

from __future__ import annotations

from gateway.store.interface import Store
from gateway.store.postgres.at_rest import PostgresAtRest
from gateway.store.postgres.audit_search import PostgresAuditSearch
from gateway.store.postgres.audit_tree import PostgresAuditTree
from gateway.store.postgres.database import Database, StoreClosed
from gateway.store.postgres.delivery import PostgresDelivery
from gateway.store.postgres.inspect import inspect_database
from gateway.store.postgres.keys import PostgresKeys
from gateway.store.postgres.maintenance import PostgresMaintenance
from gateway.store.postgres.memory import PostgresMemory
from gateway.store.postgres.notices import PostgresNotices
from gateway.store.postgres.operations import PostgresOperations
from gateway.store.postgres.outbox import PostgresOutbox
from gateway.store.postgres.partner_rate import PostgresPartnerRate
from gateway.store.postgres.policies import PostgresPolicies
from gateway.store.postgres.proposals import PostgresProposals
from gateway.store.postgres.registry import PostgresRegistry
from gateway.store.postgres.requests import PostgresRequests
from gateway.store.postgres.restriction import PostgresRestriction
from gateway.store.postgres.retention import PostgresRetention
from gateway.store.postgres.review import PostgresReview
from gateway.store.postgres.sessions import PostgresSessions
from gateway.store.postgres.signals import PostgresSignals
from gateway.store.postgres.staff import PostgresStaff
from gateway.store.postgres.subjects import PostgresSubjects
from gateway.store.postgres.throttle import PostgresThrottle
from gateway.store.postgres.tracking import PostgresTracking
from gateway.store.postgres.transfer import transfer
from gateway.store.postgres.translation_jobs import PostgresTranslationJobs
from gateway.store.postgres.verification_jobs import PostgresVerificationJobs
from gateway.store.postgres.withdrawal import PostgresWithdrawal
from gateway.store.postgres.witnesses import PostgresWitnesses

__all__ = [
    "Database",
    "PostgresMaintenance",
    "PostgresStore",
    "StoreClosed",
    "inspect_database",
    "transfer",
]


class PostgresStore(
    PostgresRegistry,
    PostgresKeys,
    PostgresPolicies,
    PostgresSignals,
    PostgresRequests,
    PostgresSubjects,
    PostgresReview,
    PostgresDelivery,
    PostgresTracking,
    PostgresOutbox,
    PostgresStaff,
    PostgresSessions,
    PostgresProposals,
    PostgresThrottle,
    PostgresPartnerRate,
    PostgresVerificationJobs,
    PostgresTranslationJobs,
    PostgresAuditSearch,
    PostgresAuditTree,
    PostgresWitnesses,
    PostgresMemory,
    PostgresOperations,
    PostgresAtRest,
    PostgresRetention,
    PostgresWithdrawal,
    PostgresRestriction,
    PostgresNotices,
    Store,
):
    """Everything Euregate keeps, in one PostgreSQL database that several gateway processes may
    share. ``async with`` it, or start it before use and close it after."""
