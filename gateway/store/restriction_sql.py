"""The statements of restriction (:mod:`gateway.store.interface.restriction`), shared by both
backends (placeholders as ``{p}``; each backend fills in its own)."""

from __future__ import annotations

from typing import Final

ONE: Final = (
    "SELECT id, reason, note, due_on, placed_by, placed_at, signals, lifted_by, lifted_at, "
    "decision FROM restrictions WHERE id = {p}"
)
ACTIVE: Final = (
    "SELECT id, reason, note, due_on, placed_by, placed_at, signals, lifted_by, lifted_at, "
    "decision FROM restrictions WHERE lifted_at IS NULL ORDER BY due_on, placed_at, id LIMIT {p}"
)
RECORD: Final = (
    "INSERT INTO restrictions (id, reason, note, due_on, placed_by, placed_at, signals) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, 0)"
)
KEY: Final = "INSERT INTO restriction_keys (key, restriction_id) VALUES ({p}, {p})"
HOLD_SIGNALS: Final = (
    "INSERT INTO restricted_signals (signal_id, restriction_id) "
    "SELECT DISTINCT k.signal_id, rk.restriction_id FROM restriction_keys rk "
    "JOIN subject_keys k ON k.key = rk.key WHERE rk.restriction_id = {p}"
)
"""Every signal indexed under the restriction's keys."""
COUNTED: Final = "UPDATE restrictions SET signals = {p} WHERE id = {p}"
HOLD_COPIES: Final = (
    "UPDATE copies SET state = 'restricted', claimed_by = NULL, claimed_until = NULL "
    "WHERE state = 'pending' AND notice IS NULL AND signal_id IN "
    "(SELECT signal_id FROM restricted_signals WHERE restriction_id = {p})"
)
"""A notice of withdrawal is not held: it says the recipient is to forget a signal, and
nothing of the person."""
HOLD_ENVELOPES: Final = (
    "UPDATE envelopes SET held_at = {p} WHERE held_at IS NULL AND acked_at IS NULL "
    "AND signal_id IN (SELECT signal_id FROM restricted_signals WHERE restriction_id = {p}) "
    "AND NOT EXISTS (SELECT 1 FROM copies c WHERE c.id = envelopes.copy_id "
    "AND c.notice IS NOT NULL)"
)
LIFT: Final = (
    "UPDATE restrictions SET lifted_by = {p}, lifted_at = {p}, decision = {p} "
    "WHERE id = {p} AND lifted_at IS NULL"
)
RELEASED: Final = (
    "SELECT rs.signal_id FROM restricted_signals rs WHERE rs.restriction_id = {p} "
    "AND NOT EXISTS (SELECT 1 FROM restricted_signals o WHERE o.signal_id = rs.signal_id "
    "AND o.restriction_id <> rs.restriction_id) ORDER BY rs.signal_id"
)
"""The signals the restriction holds that no other holds (only active restrictions hold any:
lifting one lets go of its rows)."""
COPIES_HELD: Final = (
    "SELECT DISTINCT recipient_id FROM copies WHERE signal_id = {p} AND state = 'restricted'"
)
RELEASE_COPIES: Final = (
    "UPDATE copies SET state = 'pending', next_attempt_at = {p} "
    "WHERE signal_id = {p} AND state = 'restricted'"
)
ENVELOPES_HELD: Final = (
    "SELECT id, recipient_id FROM envelopes WHERE signal_id = {p} AND held_at IS NOT NULL "
    "ORDER BY seq"
)
RELEASE_ENVELOPE: Final = (
    "UPDATE envelopes SET held_at = NULL, position = (SELECT coalesce(max(position), 0) + 1 "
    "FROM envelopes WHERE recipient_id = {p}) WHERE id = {p}"
)
"""Back in the inbox after everything its recipient has been handed: a recipient whose cursor
passed the envelope's old position while it was held still gets it."""
PUSH_NOW: Final = (
    "UPDATE deliveries SET next_attempt_at = {p} WHERE envelope_id = {p} AND state = 'pending'"
)
LET_GO: Final = (
    "DELETE FROM restricted_signals WHERE restriction_id = {p}",
    "DELETE FROM restriction_keys WHERE restriction_id = {p}",
)
"""A lifted restriction holds nothing, and keeps no key of the person it named."""
RESTRICTED: Final = "SELECT 1 FROM restricted_signals WHERE signal_id = {p} LIMIT 1"
