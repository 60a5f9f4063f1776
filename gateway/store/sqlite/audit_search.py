"""What compliance staff search and count, in SQLite: exchanges are rows of ``decisions`` with
their signal; an audit entry is about an exchange by its subject and ``data.recipient``, or as
an inbox fetch that handed the signal out."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, Final

from gateway.decide.decision import Verdict
from gateway.infra.audit import AuditEntry, EventKind, Verification, refs, timestamp
from gateway.infra.audit.keys import Key
from gateway.infra.audit.refs import RefKind
from gateway.store.interface.audit_search import (
    COUNT_MAX,
    EXPORT_MAX,
    PAGE_MAX,
    AuditSearchStore,
    ChainHead,
    ExchangeCount,
    ExchangePage,
    ExchangeQuery,
    ExchangeSummary,
    LastVerification,
    ReviewSpan,
    RuleCount,
    SearchValues,
    WebhookHealth,
)
from gateway.store.interface.delivery import DeliveryState
from gateway.store.interface.review import ReviewState
from gateway.store.search_sql import CATEGORIES, HANDED_OUT, RULE_SETS, counted, fetches_of
from gateway.store.sqlite.database import AUDIT_COLUMNS, Database, Transaction, audit_entry
from gateway.store.sqlite.times import moment

VERIFICATION_KEY: Final = "audit_verification"


_FROM = (
    "FROM signals s CROSS JOIN decisions d ON d.signal_id = s.id "
    "JOIN partners ps ON ps.id = s.sender_id JOIN partners pr ON pr.id = d.recipient_id"
)
"""Signals first (``CROSS JOIN`` keeps SQLite's planner to that order), so that a page walks
them newest first by ``signals_received`` and stops when it is full, instead of sorting every
exchange."""
_COLUMNS = (
    "s.id, s.received_at, s.sender_id, ps.country, d.recipient_id, pr.country, "
    "s.category, s.urgency, d.verdict, d.rule_ids, d.policy_sha256"
)
_ABOUT_BY_SUBJECT: Final = (
    "EXISTS (SELECT 1 FROM audit a WHERE a.kind = :event_kind "
    f"AND a.subject = '{RefKind.SIGNAL}:' || s.id AND coalesce(json_extract(CAST(a.entry AS TEXT),"
    f" '$.data.{Key.RECIPIENT}'), d.recipient_id) = d.recipient_id)"
)
"""Whether an entry of the kind asked for is about exchange ``s``, ``d`` by its subject: the
signal is its subject, and it names no other recipient (found by the subject's index)."""
_ABOUT_OR_HANDED_OUT: Final = f"({_ABOUT_BY_SUBJECT} OR {HANDED_OUT})"
"""The exchanges an inbox fetch is about: by its subject, as above, or as the recipient's fetch
that handed the signal out (the recipient named as actors are written now, ``partner:<id>``,
or by its bare id as they were before); each looked up by the exchange's own keys."""


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
    "event_kind": _ABOUT_BY_SUBJECT,
}


def _where(query: ExchangeQuery) -> tuple[str, dict[str, str]]:
    params = query.as_json()
    clauses = [_CLAUSES[name] for name in params]
    if query.event_kind == EventKind.INBOX_FETCHED:
        clauses[list(params).index("event_kind")] = _ABOUT_OR_HANDED_OUT
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def _exchange(row: Sequence[Any]) -> ExchangeSummary:
    return ExchangeSummary(
        signal_id=row[0],
        received_at=moment(row[1]),
        sender_id=row[2],
        sender_country=row[3],
        recipient_id=row[4],
        recipient_country=row[5],
        category=row[6] or "",
        urgency=row[7] or "",
        verdict=Verdict(row[8]),
        rule_ids=tuple(json.loads(row[9])),
        policy_sha256=row[10],
    )


def _search(
    conn: sqlite3.Connection, query: ExchangeQuery, offset: int, limit: int
) -> ExchangePage:
    where, params = _where(query)
    total = int(conn.execute(counted(f"{_FROM} {where}"), params).fetchone()[0])
    rows = conn.execute(
        f"SELECT {_COLUMNS} {_FROM} {where} "
        "ORDER BY s.received_at DESC, s.id, d.recipient_id LIMIT :limit OFFSET :offset",
        {**params, "limit": limit, "offset": offset},
    ).fetchall()
    more = total > COUNT_MAX
    return ExchangePage(
        tuple(_exchange(r) for r in rows), min(total, COUNT_MAX), offset, limit, more
    )


class SqliteAuditSearch(Database, AuditSearchStore):
    async def search_exchanges(
        self, query: ExchangeQuery, *, offset: int = 0, limit: int = 50
    ) -> ExchangePage:
        limit = max(1, min(limit, PAGE_MAX))
        offset = max(0, offset)
        return await self.read(lambda conn: _search(conn, query, offset, limit))

    async def export_exchanges(self, query: ExchangeQuery) -> list[ExchangeSummary]:
        page = await self.read(lambda conn: _search(conn, query, 0, EXPORT_MAX))
        return list(page.exchanges)

    async def exchanges_of_signal(self, signal_id: str) -> list[ExchangeSummary]:
        def read(conn: sqlite3.Connection) -> list[ExchangeSummary]:
            rows = conn.execute(
                f"SELECT {_COLUMNS} {_FROM} WHERE s.id = ? ORDER BY d.rowid", (signal_id,)
            ).fetchall()
            return [_exchange(r) for r in rows]

        return await self.read(read)

    async def signal_events(self, signal_id: str) -> list[AuditEntry]:
        def read(conn: sqlite3.Connection) -> list[AuditEntry]:
            rows = conn.execute(
                f"SELECT {AUDIT_COLUMNS} FROM audit a WHERE a.subject = :subject "
                "UNION SELECT "
                f"{AUDIT_COLUMNS} FROM audit a WHERE {fetches_of(':id')} ORDER BY 1",
                {"subject": str(refs.signal(signal_id)), "id": signal_id},
            ).fetchall()
            return [audit_entry(r) for r in rows]

        return await self.read(read)

    async def entries_of_kind(self, kind: EventKind, *, limit: int = 100) -> list[AuditEntry]:
        def read(conn: sqlite3.Connection) -> list[AuditEntry]:
            rows = conn.execute(
                f"SELECT {AUDIT_COLUMNS} FROM audit a WHERE a.kind = ? ORDER BY a.seq DESC LIMIT ?",
                (str(kind), limit),
            ).fetchall()
            return [audit_entry(r) for r in rows]

        return await self.read(read)

    async def search_values(self) -> SearchValues:
        def read(conn: sqlite3.Connection) -> SearchValues:
            def column(sql: str) -> tuple[str, ...]:
                return tuple(str(r[0]) for r in conn.execute(sql).fetchall() if r[0])

            return SearchValues(
                partners=column("SELECT id FROM partners ORDER BY id"),
                countries=column("SELECT DISTINCT country FROM partners ORDER BY country"),
                categories=column(CATEGORIES),
                rules=column(
                    f"SELECT DISTINCT r.value FROM ({RULE_SETS}) d, json_each(d.x) r "
                    "ORDER BY r.value"
                ),
            )

        return await self.read(read)

    # --- the chain -------------------------------------------------------------------------

    async def chain_head(self) -> ChainHead | None:
        def read(conn: sqlite3.Connection) -> ChainHead | None:
            row = conn.execute(
                "SELECT seq, hash, at FROM audit ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            return None if row is None else ChainHead(row[0], row[1], moment(row[2]))

        return await self.read(read)

    async def record_verification(self, result: Verification, *, by: str) -> LastVerification:
        def write(tx: Transaction) -> LastVerification:
            kept = LastVerification(
                at=moment(tx.now()),
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
                (VERIFICATION_KEY, json.dumps({**asdict(kept), "at": timestamp(kept.at)})),
            )
            return kept

        return await self.write(write)

    async def last_verification(self) -> LastVerification | None:
        def read(conn: sqlite3.Connection) -> LastVerification | None:
            row = conn.execute(
                "SELECT value FROM meta WHERE key = ?", (VERIFICATION_KEY,)
            ).fetchone()
            if row is None:
                return None
            kept = json.loads(row[0])
            return LastVerification(**{**kept, "at": moment(kept["at"])})

        return await self.read(read)

    # --- figures for the charts ------------------------------------------------------------

    async def exchanges_by_hour(self, *, since: datetime, until: datetime) -> list[ExchangeCount]:
        def read(conn: sqlite3.Connection) -> list[ExchangeCount]:
            rows = conn.execute(
                "SELECT hour, sender_country, recipient_country, sum(decisions) "
                "FROM decision_hours WHERE hour >= ? AND hour < ? AND verdict != 'deny' "
                "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
                (timestamp(since), timestamp(until)),
            ).fetchall()
            return [ExchangeCount(moment(r[0]), r[1], r[2], int(r[3])) for r in rows]

        return await self.read(read)

    async def decisions_by_rule(self, *, since: datetime, until: datetime) -> list[RuleCount]:
        def read(conn: sqlite3.Connection) -> list[RuleCount]:
            rows = conn.execute(
                "SELECT coalesce(r.value, ''), h.verdict, sum(h.decisions) FROM decision_hours h "
                "LEFT JOIN json_each(h.rule_ids) r "
                "WHERE h.hour >= ? AND h.hour < ? "
                "GROUP BY 1, 2 ORDER BY 1, 2",
                (timestamp(since), timestamp(until)),
            ).fetchall()
            return [RuleCount(str(r[0]), Verdict(r[1]), int(r[2])) for r in rows]

        return await self.read(read)

    async def review_spans(self, *, since: datetime, until: datetime) -> list[ReviewSpan]:
        def read(conn: sqlite3.Connection) -> list[ReviewSpan]:
            rows = conn.execute(
                "SELECT state, country, created_at, decided_at FROM review_items "
                "WHERE decided_at IS NOT NULL AND decided_at >= ? AND decided_at < ? "
                "ORDER BY decided_at",
                (timestamp(since), timestamp(until)),
            ).fetchall()
            return [
                ReviewSpan(
                    ReviewState(r[0]),
                    r[1],
                    moment(r[2]),
                    moment(r[3]),
                )
                for r in rows
            ]

        return await self.read(read)

    # --- for the administrators ------------------------------------------------------------

    async def webhook_health(self) -> dict[str, WebhookHealth]:
        def read(conn: sqlite3.Connection) -> dict[str, WebhookHealth]:
            counts: dict[str, dict[DeliveryState, int]] = {}
            for partner, state, n in conn.execute(
                "SELECT recipient_id, state, count(*) FROM deliveries GROUP BY 1, 2"
            ):
                counts.setdefault(partner, {})[DeliveryState(state)] = n
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
