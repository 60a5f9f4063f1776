"""What both backends' retention SQL shares (:mod:`gateway.store.interface.retention`)."""

from __future__ import annotations

from typing import Final

NOT_HELD: Final = (
    "NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.signal_id = {s}.id) "
    "AND NOT EXISTS (SELECT 1 FROM restricted_signals r WHERE r.signal_id = {s}.id)"
)
"""Neither on legal hold nor held by a restriction of processing, which is there instead of
erasure (LED art. 16(3)): the signal's row named ``{s}``."""
KEPT: Final = "s.erased_at IS NULL AND " + NOT_HELD.format(s="s")
"""A signal whose content is kept and held by nothing (``s`` the signal's row)."""

CLAIM_DAY: Final = (
    "INSERT INTO meta (key, value) VALUES ('retention_day', {day}) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE meta.value < excluded.value"
)
"""Claims a day's retention run (``{day}``: the backend's placeholder for ``YYYY-MM-DD``)."""

SETTLED: Final = (
    "SELECT e.seq, e.id, coalesce(s.category, ''), coalesce(s.purpose, ''), "
    "coalesce(s.handling_code, ''), e.acked_at FROM envelopes e "
    "JOIN signals s ON s.id = e.signal_id "
    "WHERE e.seq > {after} AND e.acked_at IS NOT NULL AND e.erased_at IS NULL "
    f"AND {KEPT} ORDER BY e.seq LIMIT {{limit}}"
)
"""Acknowledged envelopes still kept, of signals not on hold (the backend's placeholders for
``{after}`` and ``{limit}``)."""

SIGNAL_RETENTION: Final = (
    "SELECT s.id, coalesce(s.category, ''), coalesce(s.purpose, ''), "
    "coalesce(s.handling_code, ''), s.received_at, "
    "(SELECT max(e.created_at) FROM envelopes e WHERE e.signal_id = s.id), "
    "s.erased_at, s.erased_rule, h.reason, h.review_on, h.placed_by, h.placed_at "
    "FROM signals s LEFT JOIN legal_holds h ON h.signal_id = s.id WHERE s.id = {id}"
)
"""One signal's retention and hold (``{id}``: the backend's placeholder)."""

ERASED_BY_MONTH: Final = (
    "SELECT substr(at, 1, 7), count(*) FROM audit "
    "WHERE kind = 'signal.erased' AND at >= {since} AND at < {until} GROUP BY 1 ORDER BY 1"
)
"""The audit log's erasures per month, read through its index on the kind (or the time), within
the charts' bounded span (the backend's placeholders for ``{since}`` and ``{until}``: the
entries' UTC timestamps as text)."""

MEMORY_LEARNT_ONLY_FROM: Final = (
    "DELETE FROM translation_memory WHERE id IN "
    "(SELECT entry_id FROM memory_sources WHERE signal_id = {signal}) "
    "AND NOT EXISTS (SELECT 1 FROM memory_sources o "
    "WHERE o.entry_id = translation_memory.id AND o.signal_id <> {other})"
)
"""Deletes the translation memory's entries learnt from one signal and no other, and so their
sources (``{signal}`` and ``{other}``: the backend's placeholders, both for the signal's id)."""

MEMORY_SOURCE_GONE: Final = "DELETE FROM memory_sources WHERE signal_id = {signal}"
"""Takes an erased signal off the entries that were also learnt from others."""

JOBS_CANCELLED: Final = (
    "UPDATE translation_jobs SET state = 'cancelled', lookup_key = 'cancelled:' || id, "
    "sealed = NULL WHERE signal_id = {signal} AND state = 'pending'"
)
"""Cancels the eTranslation jobs a signal's copies sent that still wait for the service: the
row stays, found by no text, so that the service's callback finds the job answered and nothing
to keep it in (``{signal}``: the backend's placeholder)."""

JOBS_DROPPED: Final = (
    "DELETE FROM translation_jobs WHERE signal_id = {signal} AND state <> 'cancelled'"
)
"""Deletes the answered eTranslation jobs a signal's copies sent, with the translations kept."""
