"""What compliance staff search and count: exchanges, the events of one exchange, the chain's
last verification, and the figures behind the charts and the administrators' pages.

An exchange is one signal to one recipient: a row of ``decisions`` with its signal. Every
filter is optional; an event-kind filter keeps the exchanges with at least one audit entry
of that kind about that signal and that recipient (an entry that names no recipient is
about all of them). Reads only, apart from :meth:`AuditSearchStore.record_verification`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

from gateway.audit import AuditEntry, EventKind, Verification, refs
from gateway.audit.keys import Key
from gateway.audit.refs import RefKind
from gateway.store.database import Database, Transaction

PAGE_MAX: Final = 200
EXPORT_MAX: Final = 100_000
VERIFICATION_KEY: Final = "audit_verification"


@dataclass(frozen=True)
class ExchangeQuery:
    """A search: each field narrows it, ``None`` leaves it open. Times are audit timestamps
    (UTC, :func:`gateway.audit.timestamp`); ``since`` is inclusive, ``until`` exclusive."""

    partner: str | None = None
    from_country: str | None = None
    to_country: str | None = None
    since: str | None = None
    until: str | None = None
    category: str | None = None
    rule: str | None = None
    outcome: str | None = None
    event_kind: str | None = None

    def as_json(self) -> dict[str, str]:
        return {name: value for name, value in asdict(self).items() if value is not None}


@dataclass(frozen=True)
class Exchange:
    """One signal to one recipient: who, when, what kind, and what the rules decided."""

    signal_id: str
    received_at: str
    sender_id: str
    sender_country: str
    recipient_id: str
    recipient_country: str
    category: str
    urgency: str
    verdict: str
    rule_ids: tuple[str, ...]
    policy_sha256: str


@dataclass(frozen=True)
class ExchangePage:
    exchanges: tuple[Exchange, ...]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class LastVerification:
    """The last walk of the chain: how far it was intact, when, and by whom."""

    at: str
    by: str
    checked: int
    last_seq: int
    last_hash: str
    first_bad_seq: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str
    at: str


@dataclass(frozen=True)
class ReviewSpan:
    """A decided review: when it began waiting and when an officer decided it."""

    state: str
    country: str
    created_at: str
    decided_at: str


@dataclass(frozen=True)
class WebhookHealth:
    """A partner's push deliveries by state, and the last error seen."""

    partner_id: str
    by_state: dict[str, int]
    last_error: str | None
    last_status: int | None


@dataclass(frozen=True)
class PolicyVersion:
    sha256: str
    first_loaded_at: str


_FROM = (
    "FROM decisions d JOIN signals s ON s.id = d.signal_id "
    "JOIN partners ps ON ps.id = s.sender_id JOIN partners pr ON pr.id = d.recipient_id"
)
_COLUMNS = (
    "s.id, s.received_at, s.sender_id, ps.country, d.recipient_id, pr.country, "
    "s.category, s.urgency, d.verdict, d.rule_ids, d.policy_sha256"
)
_FETCHED: Final = f"a.kind = '{EventKind.INBOX_FETCHED}'"
_SIGNALS_FETCHED: Final = f"json_each(CAST(a.entry AS TEXT), '$.data.{Key.SIGNALS}') f"
_ABOUT_EXCHANGE: Final = (
    f"((a.subject = '{RefKind.SIGNAL}:' || s.id AND coalesce(json_extract(CAST(a.entry AS TEXT),"
    f" '$.data.{Key.RECIPIENT}'), d.recipient_id) = d.recipient_id) OR ({_FETCHED} "
    f"AND a.actor IN ('{RefKind.PARTNER}:' || d.recipient_id, d.recipient_id) "
    f"AND EXISTS (SELECT 1 FROM {_SIGNALS_FETCHED} WHERE f.value = s.id)))"
)
"""Whether audit entry ``a`` is about exchange ``s``, ``d``: its subject is the signal (and it
names no other recipient), or it is the recipient's fetch of its inbox that handed the signal
out (the recipient named as actors are written now, or by its bare id as they were before)."""


# The clause each filter adds, by its field of ExchangeQuery (bound by the same name).
_CLAUSES: Final = {
    "partner": "(s.sender_id = :partner OR d.recipient_id = :partner)",
    "from_country": "ps.country = :from_country",
    "to_country": "pr.country = :to_country",
    "since": "s.received_at >= :since",
    "until": "s.received_at < :until",
    "category": "s.category = :category",
    "rule": "EXISTS (SELECT 1 FROM json_each(d.rule_ids) r WHERE r.value = :rule)",
    "outcome": "d.verdict = :outcome",
    "event_kind": (
        f"EXISTS (SELECT 1 FROM audit a WHERE a.kind = :event_kind AND {_ABOUT_EXCHANGE})"
    ),
}


def _where(query: ExchangeQuery) -> tuple[str, dict[str, str]]:
    params = query.as_json()
    clauses = [_CLAUSES[name] for name in params]
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def _exchange(row: Sequence[Any]) -> Exchange:
    return Exchange(
        signal_id=row[0],
        received_at=row[1],
        sender_id=row[2],
        sender_country=row[3],
        recipient_id=row[4],
        recipient_country=row[5],
        category=row[6] or "",
        urgency=row[7] or "",
        verdict=row[8],
        rule_ids=tuple(json.loads(row[9])),
        policy_sha256=row[10],
    )


def _search(
    conn: sqlite3.Connection, query: ExchangeQuery, offset: int, limit: int
) -> ExchangePage:
    where, params = _where(query)
    total = conn.execute(f"SELECT count(*) {_FROM} {where}", params).fetchone()[0]
    rows = conn.execute(
        f"SELECT {_COLUMNS} {_FROM} {where} "
        "ORDER BY s.received_at DESC, s.id, d.recipient_id LIMIT :limit OFFSET :offset",
        {**params, "limit": limit, "offset": offset},
    ).fetchall()
    return ExchangePage(tuple(_exchange(r) for r in rows), int(total), offset, limit)


def _entry(row: Sequence[Any]) -> AuditEntry:
    raw = row[5]
    return AuditEntry(
        seq=row[0],
        at=row[1],
        kind=row[2],
        actor=row[3],
        subject=row[4],
        canonical=bytes(raw) if isinstance(raw, bytes) else str(raw).encode(),
        hash=row[6],
    )


_ENTRY_COLUMNS = "a.seq, a.at, a.kind, a.actor, a.subject, a.entry, a.hash"


class AuditSearchStore(Database):
    async def search_exchanges(
        self, query: ExchangeQuery, *, offset: int = 0, limit: int = 50
    ) -> ExchangePage:
        """One page of the exchanges ``query`` finds, newest first, with their total."""
        limit = max(1, min(limit, PAGE_MAX))
        offset = max(0, offset)
        return await self.read(lambda conn: _search(conn, query, offset, limit))

    async def export_exchanges(self, query: ExchangeQuery) -> list[Exchange]:
        """Every exchange ``query`` finds (at most :data:`EXPORT_MAX`), newest first."""
        page = await self.read(lambda conn: _search(conn, query, 0, EXPORT_MAX))
        return list(page.exchanges)

    async def exchanges_of_signal(self, signal_id: str) -> list[Exchange]:
        def read(conn: sqlite3.Connection) -> list[Exchange]:
            rows = conn.execute(
                f"SELECT {_COLUMNS} {_FROM} WHERE s.id = ? ORDER BY d.rowid", (signal_id,)
            ).fetchall()
            return [_exchange(r) for r in rows]

        return await self.read(read)

    async def signal_events(self, signal_id: str) -> list[AuditEntry]:
        """Every audit entry about one signal, in chain order: those whose subject it is, and
        the fetches of inboxes that handed it out."""

        def read(conn: sqlite3.Connection) -> list[AuditEntry]:
            rows = conn.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM audit a WHERE a.subject = :subject "
                "UNION SELECT "
                f"{_ENTRY_COLUMNS} FROM audit a WHERE {_FETCHED} AND EXISTS "
                f"(SELECT 1 FROM {_SIGNALS_FETCHED} WHERE f.value = :id) ORDER BY 1",
                {"subject": str(refs.signal(signal_id)), "id": signal_id},
            ).fetchall()
            return [_entry(r) for r in rows]

        return await self.read(read)

    async def entries_of_kind(self, kind: EventKind, *, limit: int = 100) -> list[AuditEntry]:
        """The latest entries of ``kind``, newest first."""

        def read(conn: sqlite3.Connection) -> list[AuditEntry]:
            rows = conn.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM audit a WHERE a.kind = ? ORDER BY a.seq DESC "
                "LIMIT ?",
                (str(kind), limit),
            ).fetchall()
            return [_entry(r) for r in rows]

        return await self.read(read)

    async def search_values(self) -> dict[str, list[str]]:
        """The values the search form offers: categories, rules and countries in use."""

        def read(conn: sqlite3.Connection) -> dict[str, list[str]]:
            def column(sql: str) -> list[str]:
                return [str(r[0]) for r in conn.execute(sql).fetchall() if r[0]]

            return {
                "partners": column("SELECT id FROM partners ORDER BY id"),
                "countries": column("SELECT DISTINCT country FROM partners ORDER BY country"),
                "categories": column("SELECT DISTINCT category FROM signals ORDER BY category"),
                "rules": column(
                    "SELECT DISTINCT r.value FROM decisions d, json_each(d.rule_ids) r "
                    "ORDER BY r.value"
                ),
            }

        return await self.read(read)

    # --- the chain -------------------------------------------------------------------------

    async def chain_head(self) -> ChainHead | None:
        def read(conn: sqlite3.Connection) -> ChainHead | None:
            row = conn.execute(
                "SELECT seq, hash, at FROM audit ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            return None if row is None else ChainHead(row[0], row[1], row[2])

        return await self.read(read)

    async def record_verification(self, result: Verification, *, by: str) -> LastVerification:
        """Keep the outcome of a walk of the chain, so its state survives a restart."""

        def write(tx: Transaction) -> LastVerification:
            kept = LastVerification(
                at=tx.now(),
                by=by,
                checked=result.checked,
                last_seq=result.last_seq,
                last_hash=result.last_hash,
                first_bad_seq=result.first_bad_seq,
                reason=result.reason,
            )
            tx.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (VERIFICATION_KEY, json.dumps(asdict(kept))),
            )
            return kept

        return await self.write(write)

    async def last_verification(self) -> LastVerification | None:
        def read(conn: sqlite3.Connection) -> LastVerification | None:
            row = conn.execute(
                "SELECT value FROM meta WHERE key = ?", (VERIFICATION_KEY,)
            ).fetchone()
            return None if row is None else LastVerification(**json.loads(row[0]))

        return await self.read(read)

    # --- figures for the charts ------------------------------------------------------------

    async def exchange_times(self, *, since: str, until: str) -> list[tuple[str, str, str]]:
        """``(received_at, sender country, recipient country)`` of each exchange delivered or
        reviewed (not denied) in the period."""

        def read(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
            rows = conn.execute(
                f"SELECT s.received_at, ps.country, pr.country {_FROM} "
                "WHERE s.received_at >= ? AND s.received_at < ? AND d.verdict != 'deny' "
                "ORDER BY s.received_at",
                (since, until),
            ).fetchall()
            return [(r[0], r[1], r[2]) for r in rows]

        return await self.read(read)

    async def decisions_by_rule(self, *, since: str, until: str) -> list[tuple[str, str, int]]:
        """``(rule id, verdict, how many decisions)``; a decision no rule fired counts under
        the rule id ``""``."""

        def read(conn: sqlite3.Connection) -> list[tuple[str, str, int]]:
            rows = conn.execute(
                "SELECT coalesce(r.value, ''), d.verdict, count(*) FROM decisions d "
                "JOIN signals s ON s.id = d.signal_id "
                "LEFT JOIN json_each(d.rule_ids) r "
                "WHERE s.received_at >= ? AND s.received_at < ? "
                "GROUP BY 1, 2 ORDER BY 1, 2",
                (since, until),
            ).fetchall()
            return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

        return await self.read(read)

    async def review_spans(self, *, since: str, until: str) -> list[ReviewSpan]:
        """Reviews decided in the period, oldest first."""

        def read(conn: sqlite3.Connection) -> list[ReviewSpan]:
            rows = conn.execute(
                "SELECT state, country, created_at, decided_at FROM review_items "
                "WHERE decided_at IS NOT NULL AND decided_at >= ? AND decided_at < ? "
                "ORDER BY decided_at",
                (since, until),
            ).fetchall()
            return [ReviewSpan(r[0], r[1], r[2], r[3]) for r in rows]

        return await self.read(read)

    # --- for the administrators ------------------------------------------------------------

    async def webhook_health(self) -> dict[str, WebhookHealth]:
        """Push deliveries per partner, by state, with the latest error."""

        def read(conn: sqlite3.Connection) -> dict[str, WebhookHealth]:
            counts: dict[str, dict[str, int]] = {}
            for partner, state, n in conn.execute(
                "SELECT recipient_id, state, count(*) FROM deliveries GROUP BY 1, 2"
            ):
                counts.setdefault(partner, {})[state] = n
            health = {}
            for partner, by_state in counts.items():
                last = conn.execute(
                    "SELECT last_error, last_status FROM deliveries WHERE recipient_id = ? "
                    "AND attempts > 0 ORDER BY updated_at DESC LIMIT 1",
                    (partner,),
                ).fetchone()
                health[partner] = WebhookHealth(
                    partner, by_state, last[0] if last else None, last[1] if last else None
                )
            return health

        return await self.read(read)

    async def policy_versions(self) -> list[PolicyVersion]:
        """Every policy ever adopted, by digest, newest first."""

        def read(conn: sqlite3.Connection) -> list[PolicyVersion]:
            rows = conn.execute(
                "SELECT sha256, first_loaded_at FROM policies ORDER BY first_loaded_at DESC"
            ).fetchall()
            return [PolicyVersion(r[0], r[1] or "") for r in rows]

        return await self.read(read)
