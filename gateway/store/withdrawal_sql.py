"""The statements of a withdrawal, shared by both backends (placeholders as ``{p}``; each
backend fills in its own)."""

from __future__ import annotations

from typing import Final

WITHDRAWAL: Final = (
    "SELECT signal_id, reason, withdrawn_by, withdrawn_at, cancelled, review_items, notices, "
    "replaced_by, replaced_version FROM withdrawals WHERE signal_id = {p}"
)
LISTED: Final = (
    "SELECT w.signal_id, w.reason, w.withdrawn_by, w.withdrawn_at, w.cancelled, w.review_items, "
    "w.notices, w.replaced_by, w.replaced_version, "
    "(SELECT count(*) FROM envelopes e JOIN copies c ON c.id = e.copy_id "
    "WHERE e.signal_id = w.signal_id AND c.notice IS NOT NULL AND e.acked_at IS NOT NULL) "
    "FROM withdrawals w ORDER BY w.withdrawn_at DESC, w.signal_id DESC LIMIT {p} OFFSET {p}"
)
"""A page of withdrawals, the newest first, each with how many of its notices were
acknowledged (a notice pushed to a webhook is acknowledged by the push); its first columns
are :data:`WITHDRAWAL`'s."""
SENT_BY: Final = "SELECT 1 FROM signals WHERE id = {p} AND sender_id = {p}"
CANCEL_COPIES: Final = (
    "UPDATE copies SET state = 'withdrawn', last_error = 'withdrawn_by_sender', "
    "claimed_by = NULL, claimed_until = NULL "
    "WHERE signal_id = {p} AND state IN ('pending', 'restricted')"
)
WITHDRAW_REVIEW_ITEMS: Final = (
    "UPDATE review_items SET state = 'withdrawn', correction = NULL "
    "WHERE signal_id = {p} AND state = 'pending'"
)
SEALED_FOR: Final = (
    "SELECT e.recipient_id, max(c.version) FROM envelopes e JOIN copies c ON c.id = e.copy_id "
    "WHERE e.signal_id = {p} GROUP BY e.recipient_id ORDER BY e.recipient_id"
)
"""Each recipient that got an envelope of the signal, with its latest version (a cancelled
later version counts below: :data:`LATEST_VERSION`)."""
LATEST_VERSION: Final = (
    "SELECT coalesce(max(version), 0) FROM copies WHERE signal_id = {p} AND recipient_id = {p}"
)
QUEUE_NOTICE: Final = (
    "INSERT INTO copies (id, signal_id, recipient_id, version, review, state, attempts, "
    "next_attempt_at, created_at, notice) "
    "VALUES ({p}, {p}, {p}, {p}, 'none', 'pending', 0, {p}, {p}, {p})"
)
UNACKNOWLEDGED: Final = (
    "SELECT e.signal_id, e.recipient_id, e.id, w.reason, e.created_at FROM envelopes e "
    "JOIN copies c ON c.id = e.copy_id JOIN withdrawals w ON w.signal_id = e.signal_id "
    "WHERE c.notice IS NOT NULL AND e.acked_at IS NULL AND e.created_at < {p} "
    "ORDER BY e.created_at, e.id LIMIT {p}"
)
RECORD: Final = (
    "INSERT INTO withdrawals (signal_id, reason, withdrawn_by, withdrawn_at, cancelled, "
    "review_items, notices, replaced_by, replaced_version) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})"
)
VERSION_OF: Final = (
    "SELECT coalesce(max(replaced_version), 1) FROM withdrawals WHERE replaced_by = {p}"
)
"""Which version of its chain a signal is: 1, or the version a replacement made it."""
