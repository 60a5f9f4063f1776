"""What compliance staff search and count, in PostgreSQL: exchanges are rows of ``decisions``
with their signal; an audit entry is about an exchange by its subject and ``data.recipient``,
or as an inbox fetch that handed the signal out.

A search by event kind finds its exchanges in ``audit_kind_signal`` (the entries about signals
by kind, signal and the recipient an entry names), whose range of one kind is in the signals'
order as ``decisions_pkey`` is, so that its count merges the two rather than looking each
exchange up; a search for inbox fetches looks each exchange up in ``audit_subject_kind`` and
``fetched_signals``, the signals each fetch handed out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any, Final

from gateway.decide.decision import Verdict
from gateway.infra.audit import AuditEntry, EventKind, Verification, refs, timestamp
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
from gateway.store.postgres.database import (
    AUDIT_COLUMNS,
    Connection,
    Database,
    Transaction,
    audit_entry,
)
from gateway.store.search_sql import CATEGORIES, HANDED_OUT, RULE_SETS, counted, fetches_of

VERIFICATION_KEY: Final = "audit_verification"

_FROM = (
    "FROM decisions d JOIN signals s ON s.id = d.signal_id "
    "JOIN partners ps ON ps.id = s.sender_id JOIN partners pr ON pr.id = d.recipient_id"
)
_COLUMNS = (
    "s.id, s.received_at, s.sender_id, ps.country, d.recipient_id, pr.country, "
    "s.category, s.urgency, d.verdict, d.rule_ids, d.policy_sha256"
)
_ABOUT_BY_SUBJECT: Final = (
    f"EXISTS (SELECT 1 FROM audit a WHERE a.subject = '{RefKind.SIGNAL}:' || s.id "
    "AND a.kind = %(event_kind)s AND coalesce(a.recipient, d.recipient_id) = d.recipient_id)"
)
"""Whether an entry of the kind asked for is about exchange ``s``, ``d`` by its subject: the
signal is its subject, and it names no other recipient (``a.recipient``, the entry's
``data.recipient`` kept beside it). Answered from ``audit_subject_kind`` alone: the index holds
subject, kind and recipient, so neither the signal's other entries nor the entry itself are
read."""
_SIGNAL_PREFIX: Final = f"{RefKind.SIGNAL}:"
_ABOUT_BY_KIND: Final = (
    f"EXISTS (SELECT 1 FROM audit a WHERE a.subject LIKE '{_SIGNAL_PREFIX}%%' "
    f"AND substr(a.subject, {len(_SIGNAL_PREFIX) + 1}) = s.id AND a.kind = %(event_kind)s "
    "AND coalesce(a.recipient, d.recipient_id) = d.recipient_id)"
)
"""The same question as :data:`_ABOUT_BY_SUBJECT`, asked of ``audit_kind_signal`` (schema
version 26): its condition and expression are the index's own, so the planner can walk the
kind's range in the signals' order and merge it with the exchanges'."""
_ABOUT_OR_HANDED_OUT: Final = f"({_ABOUT_BY_SUBJECT} OR {HANDED_OUT})"
"""The exchanges an inbox fetch is about: by its subject, as above, or as the recipient's fetch
that handed the signal out (the recipient named as actors are written now, ``partner:<id>``,
or by its bare id as they were before); each looked up by the exchange's own keys."""

# The clause each filter adds, by its field of ExchangeQuery (bound by the same name).
_CLAUSES: Final = {
    "partner": "(s.sender_id = %(partner)s OR d.recipient_id = %(partner)s)",
    "from_country": "ps.country = %(from_country)s",
    "to_country": "pr.country = %(to_country)s",
    "since": "s.received_at >= %(since)s",
    "until": "s.received_at < %(until)s",
    "category": "s.category = %(category)s",
    "rule": "d.rule_ids ? %(rule)s",
    "outcome": "d.verdict = %(outcome)s",
    "event_kind": _ABOUT_BY_KIND,
}


def _where(query: ExchangeQuery) -> tuple[str, dict[str, object]]:
    given = {f.name: getattr(query, f.name) for f in fields(query)}
    params = {name: value for name, value in given.items() if value is not None}
    clauses = [_CLAUSES[name] for name in params]
    if query.event_kind == EventKind.INBOX_FETCHED:
        clauses[list(params).index("event_kind")] = _ABOUT_OR_HANDED_OUT
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


async def _count(conn: Connection, where: str, params: dict[str, object], *, merged: bool) -> int:
    """How many exchanges ``where`` finds, up to one more than :data:`COUNT_MAX`. A count by
    event kind (``merged``) goes without sorts and parallel workers: stopping at 10,001, it
    is cheapest merging ranges already in order, which the planner, costing the whole join,
    would otherwise trade for sorting every signal of the store (168 ms at 100,000 signals,
    against 75 ms merged) or for workers that each sort the kind's every entry."""
    if merged:
        await conn.execute("SET LOCAL enable_sort = off")
        await conn.execute("SET LOCAL max_parallel_workers_per_gather = 0")
    cursor = await conn.execute(counted(f"{_FROM} {where}"), params)
    found = await cursor.fetchone()
    assert found is not None
    if merged:
        await conn.execute("RESET enable_sort")
        await conn.execute("RESET max_parallel_workers_per_gather")
    return int(found[0])


def _exchange(row: Sequence[Any]) -> ExchangeSummary:
    return ExchangeSummary(
        signal_id=row[0],
        received_at=row[1],
        sender_id=row[2],
        sender_country=row[3],
        recipient_id=row[4],
        recipient_country=row[5],
        category=row[6] or "",
        urgency=row[7] or "",
        verdict=Verdict(row[8]),
        rule_ids=tuple(row[9]),
        policy_sha256=row[10],
    )


async def _search(conn: Connection, query: ExchangeQuery, offset: int, limit: int) -> ExchangePage:
    """One page and the total. Without just-in-time compilation: the planner overestimates
    the signals a fetch handed out a hundredfold, and compiling for that costs more than the
    query itself. A search for inbox fetches also goes without hash joins: its count would
    otherwise hash every signal of the store before the first exchange is looked up (910 ms
    at 720,000 signals, against 90 ms walking the exchanges by their keys until 10,001 are
    found). Other kinds keep them: a kind seldom written is found fastest by hashing its few
    entries; their count goes without sorts and parallel workers (:func:`_count`)."""
    where, params = _where(query)
    await conn.execute("SET LOCAL jit = off")
    fetches = query.event_kind == EventKind.INBOX_FETCHED
    if fetches:
        await conn.execute("SET LOCAL enable_hashjoin = off")
    total = await _count(conn, where, params, merged=query.event_kind is not None and not fetches)
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} {_FROM} {where} "
        "ORDER BY s.received_at DESC, s.id, d.recipient_id LIMIT %(limit)s OFFSET %(offset)s",
        {**params, "limit": limit, "offset": offset},
    )
    rows = await cursor.fetchall()
    more = total > COUNT_MAX
    return ExchangePage(
        tuple(_exchange(r) for r in rows), min(total, COUNT_MAX), offset, limit, more
    )


async def _column(conn: Connection, sql: str) -> tuple[str, ...]:
    cursor = await conn.execute(sql)
    return tuple(str(r[0]) for r in await cursor.fetchall() if r[0])


def _chained_at(text: str) -> datetime:
    """An entry's time as chained (``audit.at``), as an aware datetime in UTC."""
    return datetime.fromisoformat(text).astimezone(UTC)


class PostgresAuditSearch(Database, AuditSearchStore):
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
        async def read(conn: Connection) -> list[ExchangeSummary]:
            cursor = await conn.execute(
                f"SELECT {_COLUMNS} {_FROM} WHERE s.id = %s ORDER BY d.seq", (signal_id,)
            )
            return [_exchange(r) for r in await cursor.fetchall()]

        return await self.read(read)

    async def signal_events(self, signal_id: str) -> list[AuditEntry]:
        async def read(conn: Connection) -> list[AuditEntry]:
            cursor = await conn.execute(
                f"SELECT {AUDIT_COLUMNS} FROM audit a WHERE a.subject = %(subject)s "
                f"UNION SELECT {AUDIT_COLUMNS} FROM audit a "
                f"WHERE {fetches_of('%(id)s')} ORDER BY 1",
                {"subject": str(refs.signal(signal_id)), "id": signal_id},
            )
            return [audit_entry(r) for r in await cursor.fetchall()]

        return await self.read(read)

    async def entries_of_kind(self, kind: EventKind, *, limit: int = 100) -> list[AuditEntry]:
        async def read(conn: Connection) -> list[AuditEntry]:
            cursor = await conn.execute(
                f"SELECT {AUDIT_COLUMNS} FROM audit a WHERE a.kind = %s "
                "ORDER BY a.seq DESC LIMIT %s",
                (str(kind), limit),
            )
            return [audit_entry(r) for r in await cursor.fetchall()]

        return await self.read(read)

    async def search_values(self) -> SearchValues:
        async def read(conn: Connection) -> SearchValues:
            return SearchValues(
                partners=await _column(conn, "SELECT id FROM partners ORDER BY id"),
                countries=await _column(
                    conn, "SELECT DISTINCT country FROM partners ORDER BY country"
                ),
                categories=await _column(conn, CATEGORIES),
                rules=await _column(
                    conn,
                    f"SELECT DISTINCT r.value FROM ({RULE_SETS}) d, "
                    "jsonb_array_elements_text(d.x) r(value) ORDER BY r.value",
                ),
            )

        return await self.read(read)

    # --- the chain -------------------------------------------------------------------------

    async def chain_head(self) -> ChainHead | None:
        async def read(conn: Connection) -> ChainHead | None:
            cursor = await conn.execute("SELECT seq, hash, at FROM audit ORDER BY seq DESC LIMIT 1")
            row = await cursor.fetchone()
            return None if row is None else ChainHead(row[0], row[1], _chained_at(row[2]))

        return await self.read(read)

    async def record_verification(self, result: Verification, *, by: str) -> LastVerification:
        async def write(tx: Transaction) -> LastVerification:
            kept = LastVerification(
                at=tx.now(),
                by=by,
                checked=result.checked,
                last_seq=result.last_seq,
                last_hash=result.last_hash,
                first_bad_seq=result.first_bad_seq,
                reason=result.reason,
            )
            await tx.conn.execute(
                "INSERT INTO meta (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (VERIFICATION_KEY, json.dumps({**asdict(kept), "at": timestamp(kept.at)})),
            )
            return kept

        return await self.write(write, audited=False)

    async def last_verification(self) -> LastVerification | None:
        async def read(conn: Connection) -> LastVerification | None:
            cursor = await conn.execute(
                "SELECT value FROM meta WHERE key = %s", (VERIFICATION_KEY,)
            )
            row = await cursor.fetchone()
            if row is None:
                return None
            kept = json.loads(row[0])
            return LastVerification(**{**kept, "at": _chained_at(kept["at"])})

        return await self.read(read)

    # --- figures for the charts ------------------------------------------------------------

    async def exchanges_by_hour(self, *, since: datetime, until: datetime) -> list[ExchangeCount]:
        async def read(conn: Connection) -> list[ExchangeCount]:
            cursor = await conn.execute(
                "SELECT hour, sender_country, recipient_country, sum(decisions) "
                "FROM decision_hours WHERE hour >= %s AND hour < %s AND verdict != 'deny' "
                "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
                (since, until),
            )
            return [
                ExchangeCount(r[0].astimezone(UTC), r[1], r[2], int(r[3]))
                for r in await cursor.fetchall()
            ]

        return await self.read(read)

    async def decisions_by_rule(self, *, since: datetime, until: datetime) -> list[RuleCount]:
        async def read(conn: Connection) -> list[RuleCount]:
            cursor = await conn.execute(
                "SELECT coalesce(r.value, ''), h.verdict, sum(h.decisions) FROM decision_hours h "
                "LEFT JOIN LATERAL jsonb_array_elements_text(h.rule_ids) r(value) ON true "
                "WHERE h.hour >= %s AND h.hour < %s "
                "GROUP BY 1, 2 ORDER BY 1, 2",
                (since, until),
            )
            return [RuleCount(str(r[0]), Verdict(r[1]), int(r[2])) for r in await cursor.fetchall()]

        return await self.read(read)

    async def review_spans(self, *, since: datetime, until: datetime) -> list[ReviewSpan]:
        async def read(conn: Connection) -> list[ReviewSpan]:
            cursor = await conn.execute(
                "SELECT state, country, created_at, decided_at FROM review_items "
                "WHERE decided_at >= %s AND decided_at < %s ORDER BY decided_at",
                (since, until),
            )
            return [
                ReviewSpan(ReviewState(r[0]), r[1], r[2], r[3]) for r in await cursor.fetchall()
            ]

        return await self.read(read)

    # --- for the administrators ------------------------------------------------------------

    async def webhook_health(self) -> dict[str, WebhookHealth]:
        async def read(conn: Connection) -> dict[str, WebhookHealth]:
            counts: dict[str, dict[DeliveryState, int]] = {}
            cursor = await conn.execute(
                "SELECT recipient_id, state, count(*) FROM deliveries GROUP BY 1, 2"
            )
            for partner, state, n in await cursor.fetchall():
                counts.setdefault(partner, {})[DeliveryState(state)] = n
            cursor = await conn.execute(
                "SELECT DISTINCT ON (recipient_id) recipient_id, last_error, last_status "
                "FROM deliveries WHERE attempts > 0 ORDER BY recipient_id, updated_at DESC"
            )
            last = {row[0]: (row[1], row[2]) for row in await cursor.fetchall()}
            return {
                partner: WebhookHealth(partner, by_state, *last.get(partner, (None, None)))
                for partner, by_state in counts.items()
            }

        return await self.read(read)
