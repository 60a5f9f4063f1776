"""The PostgreSQL backend of the store: a pool of connections that several gateway processes, on
one machine or several, may share (:mod:`gateway.store.postgres.database`), the SQL of each
concern in its module.

It is being ported concern by concern. :data:`PORTED` names the concerns it keeps (the modules
of :mod:`gateway.store.interface`); every other method of :class:`Store` is a placeholder that
raises :class:`NotPorted`, and :meth:`PostgresStore.start`, once it has created or migrated the
schema, refuses to go on with placeholders (:class:`~gateway.infra.errors.SettingInvalid` on
``database_url``) unless the store is built with ``partial=True``, which only the tests do. So
``euregate init --database postgresql://...`` creates the schema and stops there, and no
command and no ``serve`` runs on PostgreSQL until every concern is here.

How to port a concern (``gateway/store/sqlite/<concern>.py`` to ``postgres/<concern>.py``):

- **A mixin per concern**: ``class PostgresKeys(Database, KeyStore)``, the same method names and
  parameters as the SQLite one; add it to :class:`PostgresStore`'s bases and its module name to
  :data:`PORTED`. Helpers shared with SQLite belong in neither backend (a record's rules are
  in :mod:`gateway.store.interface` or below).
- **Writes**: ``await self.write(write)`` with ``async def write(tx: Transaction) -> T``; run SQL
  with ``await tx.conn.execute(sql, params)`` (placeholders ``%s``, never ``?``, never a value
  formatted into the SQL), append audit events with ``await tx.append(event)`` in the same
  transaction, take times from ``tx.now()``. A write that appends nothing passes
  ``audited=False`` and does not wait for the chain's lock (see
  :mod:`~gateway.store.postgres.database` for why every auditing write holds it).
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
- **Tests**: the contract tests ``tests/test_store_contract_<concern>.py`` run against every
  backend that keeps the concern: add the concern to :data:`PORTED` and they run on
  PostgreSQL too (``tests/store_backends.py``); a contract module that needs other concerns
  as well (partners for keys) names them all in ``STORE_CONCERNS``. The other tests that use
  a store run on PostgreSQL once nothing is left in :data:`UNPORTED`.
  ``tests/test_store_postgres.py`` holds what is PostgreSQL's own.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, Final, Self

from gateway.infra.clock import Clock
from gateway.infra.errors import SettingInvalid
from gateway.infra.i18n import N_
from gateway.store.interface import Store
from gateway.store.postgres.at_rest import PostgresAtRest
from gateway.store.postgres.audit_search import PostgresAuditSearch
from gateway.store.postgres.audit_tree import PostgresAuditTree
from gateway.store.postgres.database import Database, StoreClosed
from gateway.store.postgres.delivery import PostgresDelivery
from gateway.store.postgres.keys import PostgresKeys
from gateway.store.postgres.memory import PostgresMemory
from gateway.store.postgres.operations import PostgresOperations
from gateway.store.postgres.outbox import PostgresOutbox
from gateway.store.postgres.policies import PostgresPolicies
from gateway.store.postgres.proposals import PostgresProposals
from gateway.store.postgres.registry import PostgresRegistry
from gateway.store.postgres.requests import PostgresRequests
from gateway.store.postgres.review import PostgresReview
from gateway.store.postgres.sessions import PostgresSessions
from gateway.store.postgres.signals import PostgresSignals
from gateway.store.postgres.staff import PostgresStaff
from gateway.store.postgres.subjects import PostgresSubjects
from gateway.store.postgres.throttle import PostgresThrottle
from gateway.store.postgres.witnesses import PostgresWitnesses

__all__ = ["PORTED", "Database", "NotPorted", "PostgresStore", "StoreClosed", "unported_methods"]

PORTED: Final = (
    "audit_log",
    "delivery",
    "keys",
    "policies",
    "registry",
    "requests",
    "review",
    "signals",
    "subjects",
    "staff",
    "sessions",
    "proposals",
    "throttle",
    "audit_search",
    "audit_tree",
    "memory",
    "witnesses",
    "operations",
    "at_rest",
)
"""The concerns (modules of :mod:`gateway.store.interface`) the PostgreSQL store keeps."""

NOT_EVERYTHING_PORTED: Final = N_(
    "the PostgreSQL store does not yet keep everything Euregate keeps; leave the setting out "
    "to use the SQLite database in the data directory"
)
DATABASE_URL_SETTING: Final = "database_url"


class NotPorted(NotImplementedError):
    """A method of the store that the PostgreSQL backend does not have yet."""

    def __init__(self, name: str) -> None:
        super().__init__(f"the PostgreSQL store does not implement {name} yet")


def _placeholder(name: str) -> Callable[..., Coroutine[Any, Any, Any]]:
    async def not_ported(self: object, *args: object, **kwargs: object) -> Any:
        raise NotPorted(name)

    not_ported.__name__ = not_ported.__qualname__ = name
    return not_ported


def unported_methods(cls: type) -> tuple[str, ...]:
    """The methods of :class:`Store` that ``cls`` takes from the interface's protocols, that is,
    does not implement."""
    names = []
    for name, _ in inspect.getmembers(Store, inspect.isfunction):
        if name.startswith("_") and name not in ("__aenter__", "__aexit__"):
            continue
        owner = next(c for c in cls.__mro__ if name in vars(c))
        if getattr(owner, "_is_protocol", False):
            names.append(name)
    return tuple(sorted(names))


class PostgresStore(
    PostgresRegistry,
    PostgresKeys,
    PostgresPolicies,
    PostgresSignals,
    PostgresRequests,
    PostgresSubjects,
    PostgresReview,
    PostgresDelivery,
    PostgresOutbox,
    PostgresStaff,
    PostgresSessions,
    PostgresProposals,
    PostgresThrottle,
    PostgresAuditSearch,
    PostgresAuditTree,
    PostgresWitnesses,
    PostgresMemory,
    PostgresOperations,
    PostgresAtRest,
    Store,
):
    """Everything Euregate keeps, in one PostgreSQL database that several gateway processes may
    share. ``async with`` it, or start it before use and close it after. Until every concern
    is ported (:data:`PORTED`) it starts only with ``partial=True``."""

    def __init__(
        self,
        url: str,
        *,
        clock: Clock,
        pool_size: int = 8,
        pool_timeout: timedelta = timedelta(seconds=30),
        statement_timeout: timedelta = timedelta(seconds=30),
        partial: bool = False,
    ) -> None:
        super().__init__(
            url,
            clock=clock,
            pool_size=pool_size,
            pool_timeout=pool_timeout,
            statement_timeout=statement_timeout,
        )
        self._partial = partial

    async def start(self) -> Self:
        """As :meth:`Database.start` (the schema created or brought up to date), then refuse to
        go on while methods are missing, but with ``partial``."""
        await super().start()
        if UNPORTED and not self._partial:
            await self.close()
            raise SettingInvalid(setting=DATABASE_URL_SETTING, reason=NOT_EVERYTHING_PORTED)
        return self


UNPORTED: Final = unported_methods(PostgresStore)
"""What :class:`PostgresStore` does not keep yet: each a placeholder raising :class:`NotPorted`."""
for _name in UNPORTED:
    setattr(PostgresStore, _name, _placeholder(_name))
