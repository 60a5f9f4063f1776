"""What a write sees of the PostgreSQL store: its connection, in a transaction, and the audit
events it appends, chained when its transaction is about to commit.

A write's statements run without the audit chain's lock; what it appends waits in the
transaction. :meth:`Transaction.chain`, run once after the transaction's writes, takes the
chain's lock, reads the tail, numbers and hashes the waiting events in the order they were
appended and inserts them, then runs the statements the writes left for that moment
(:meth:`Transaction.after_chaining`: those that need an entry's number, and those that touch
rows every write shares). The lock is held from there to the ``COMMIT``: entries still become
visible in the order of their numbers, one chain across every process that shares the
database, while the writes themselves run alongside those of other processes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import astuple, dataclass, field
from datetime import datetime
from typing import Any, Final, TypeVar

from psycopg import AsyncConnection

from gateway.infra import audit
from gateway.infra.audit import AuditEntry, AuditEvent
from gateway.infra.clock import Clock
from gateway.store.postgres.locks import advisory_key, lock_for_transaction

T = TypeVar("T")

Connection = AsyncConnection[tuple[Any, ...]]
"""A pooled connection, as a read sees it; rows are tuples."""

CHAIN_LOCK: Final = advisory_key("euregate audit chain")
"""The advisory lock a transaction holds from chaining its audit entries to its end."""

_INSERT_ENTRY: Final = (
    "INSERT INTO audit (seq, at, kind, actor, subject, entry, hash) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
"""An entry's columns in the order of :class:`AuditEntry`'s fields (``astuple``)."""

Params = Sequence[Any]


class ChainNotLocked(RuntimeError):
    """A write that said it appends nothing (``audited=False``) tried to append."""

    def __init__(self) -> None:
        super().__init__("this write appends nothing; write it with audited=True")


class NotChainedYet(RuntimeError):
    """An entry was asked for before its transaction chained it."""

    def __init__(self) -> None:
        super().__init__("the audit entry is chained when its transaction commits; ask after")


@dataclass(eq=False)
class Appended:
    """An appended event's place in the chain, known once its transaction chained it."""

    event: AuditEvent
    _entry: AuditEntry | None = None

    @property
    def entry(self) -> AuditEntry:
        if self._entry is None:
            raise NotChainedYet()
        return self._entry


@dataclass(frozen=True)
class _Later:
    query: str
    params: Params | Callable[[], Params]

    def bound(self) -> Params:
        return self.params() if callable(self.params) else self.params


@dataclass
class _Waiting:
    appended: list[Appended] = field(default_factory=list)
    later: list[_Later] = field(default_factory=list)


@dataclass(frozen=True)
class Mark:
    """How much was waiting at a savepoint: what :meth:`Transaction.forget_since` keeps."""

    appended: int
    later: int


class Transaction:
    """What a write sees: its connection, in a transaction, and what waits to be chained."""

    def __init__(self, conn: Connection, clock: Clock, *, audited: bool = True) -> None:
        self.conn = conn
        self._clock = clock
        self._audited = audited
        self._waiting = _Waiting()

    def now(self) -> datetime:
        """The clock's time, for a ``timestamptz`` column."""
        return self._clock.now()

    async def append(self, event: AuditEvent) -> Appended:
        """Append ``event`` to the chain when this transaction chains (:meth:`chain`); its
        place, whose entry is known from then on."""
        if not self._audited:
            raise ChainNotLocked()
        appended = Appended(event)
        self._waiting.appended.append(appended)
        return appended

    def after_chaining(self, query: str, params: Params | Callable[[], Params]) -> None:
        """Run ``query`` once the entries are chained, under the chain's lock: ``params`` may
        be a function, called then (to read an :attr:`Appended.entry`). The statements left
        by a batch's writes run grouped by query, each group in one ``executemany``, in the
        order each query was first left."""
        if not self._audited:
            raise ChainNotLocked()
        self._waiting.later.append(_Later(query, params))

    async def lock_chain(self) -> None:
        """Take the chain's lock now, for a write whose statements must not run alongside
        those of another process's appending transaction (it is held to the end)."""
        if not self._audited:
            raise ChainNotLocked()
        await lock_for_transaction(self.conn, CHAIN_LOCK)

    def mark(self) -> Mark:
        return Mark(len(self._waiting.appended), len(self._waiting.later))

    def appended_since(self, mark: Mark) -> list[AuditEvent]:
        return [appended.event for appended in self._waiting.appended[mark.appended :]]

    def forget_since(self, mark: Mark) -> None:
        """Drop what was appended or left after ``mark`` (its savepoint was rolled back)."""
        del self._waiting.appended[mark.appended :]
        del self._waiting.later[mark.later :]

    async def chain(self) -> list[AuditEntry]:
        """Take the chain's lock, read its tail, chain and insert what was appended, then run
        what was left for after; the entries, in order. Nothing waiting, nothing locked."""
        waiting, self._waiting = self._waiting, _Waiting()
        if not waiting.appended and not waiting.later:
            return []
        await lock_for_transaction(self.conn, CHAIN_LOCK)
        cursor = await self.conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        row = await cursor.fetchone()
        seq, prev_hash = (row[0], row[1]) if row else (0, audit.GENESIS)
        at = self._clock.now()
        for appended in waiting.appended:
            seq += 1
            appended._entry = audit.chain(appended.event, seq=seq, prev_hash=prev_hash, at=at)
            prev_hash = appended._entry.hash
        entries = [appended.entry for appended in waiting.appended]
        async with self.conn.cursor() as many:
            if entries:
                await many.executemany(_INSERT_ENTRY, [astuple(entry) for entry in entries])
            for query, rows in _grouped(waiting.later).items():
                await many.executemany(query, rows)
        return entries


def _grouped(later: list[_Later]) -> dict[str, list[Params]]:
    grouped: dict[str, list[Params]] = {}
    for statement in later:
        grouped.setdefault(statement.query, []).append(statement.bound())
    return grouped


Write = Callable[[Transaction], Awaitable[T]]
Read = Callable[[Connection], Awaitable[T]]
