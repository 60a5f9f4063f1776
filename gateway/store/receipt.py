"""Who has received a signal: the one test every partner-facing read of a signal uses, in SQL
that SQLite and PostgreSQL both speak.

A partner received a signal when a copy of it was queued for that partner (at once when it
needed no review, or an ``immediate`` one before review, or when an officer released it) and
no officer rejected that copy. A partner the policy denied never gets a copy; one whose copy
waits for an officer has none yet; one whose copy was rejected has none that counts. None of
them learns of the signal through requests, replies or co-recipients: for them it does not
exist.
"""

from __future__ import annotations


def received(signal: str, recipient: str) -> str:
    """An SQL condition: true when ``recipient`` received ``signal`` (both SQL expressions:
    columns or parameters)."""
    return (
        f"(EXISTS (SELECT 1 FROM copies rc WHERE rc.signal_id = {signal} "
        f"AND rc.recipient_id = {recipient}) "
        f"AND NOT EXISTS (SELECT 1 FROM review_items rr WHERE rr.signal_id = {signal} "
        f"AND rr.recipient_id = {recipient} AND rr.state = 'rejected'))"
    )
