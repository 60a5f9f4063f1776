"""The charts' figures kept as signals are accepted: decisions counted per hour of receipt
(UTC), country pair, verdict and set of rules, in the transaction that keeps the decisions, so
that a month's chart adds up a few thousand counts instead of reading every exchange."""

from __future__ import annotations

from typing import Final

from gateway.store.postgres.database import Transaction

COUNT_INTO_HOURS: Final = (
    "INSERT INTO decision_hours (hour, sender_country, recipient_country, verdict, rule_ids, "
    "decisions) SELECT date_trunc('hour', s.received_at, 'UTC'), ps.country, pr.country, "
    "d.verdict, d.rule_ids, count(*) FROM signals s "
    "JOIN decisions d ON d.signal_id = s.id JOIN partners ps ON ps.id = s.sender_id "
    "JOIN partners pr ON pr.id = d.recipient_id WHERE s.id = %s GROUP BY 1, 2, 3, 4, 5 "
    "ON CONFLICT (hour, sender_country, recipient_country, verdict, rule_ids) "
    "DO UPDATE SET decisions = decision_hours.decisions + excluded.decisions"
)


async def count_decisions(tx: Transaction, signal_id: str) -> None:
    """Count one signal's decisions into its hour."""
    await tx.conn.execute(COUNT_INTO_HOURS, (signal_id,))
