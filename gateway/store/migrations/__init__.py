"""The schema's versions, each defined once for both backends: one :class:`Migration` per
version, its SQLite step and its PostgreSQL DDL side by side. Forward only: a database at
version *n* runs the entries after the *n*-th, in order, in one transaction, and records the
last version in its ``meta`` table (key ``schema_version``). A PostgreSQL version may name
statements that cannot run in a transaction (``VACUUM``): a migration runs them once it has
committed (``postgres_afterwards``).

A new version appends one entry with both dialects' DDL (:mod:`.sqlite_steps`,
:mod:`.postgres_ddl`); a released entry is never edited. PostgreSQL joined at version 11:
its entries before that are empty, and version 11's DDL creates the whole schema at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import sqlite_utils

from gateway.store.migrations import postgres_ddl, sqlite_steps


@dataclass(frozen=True)
class Migration:
    """One schema version: what SQLite runs to reach it, and PostgreSQL's statements."""

    version: int
    sqlite: Callable[[sqlite_utils.Database], None]
    postgres: tuple[str, ...] = ()
    postgres_afterwards: tuple[str, ...] = ()


MIGRATIONS: Final = (
    Migration(1, sqlite_steps.create_tables),
    Migration(2, sqlite_steps.add_decisions),
    Migration(3, sqlite_steps.add_people_and_memory),
    Migration(4, sqlite_steps.add_review_queue),
    Migration(5, sqlite_steps.add_keys),
    Migration(6, sqlite_steps.add_delivery),
    Migration(7, sqlite_steps.add_subject_index),
    Migration(8, sqlite_steps.seal_reasons_and_scope_memory),
    Migration(9, sqlite_steps.add_staff_security),
    Migration(10, sqlite_steps.add_inbox_positions),
    Migration(11, sqlite_steps.add_audit_tree, postgres_ddl.VERSION_11),
    Migration(12, sqlite_steps.add_partner_buckets_and_verifications, postgres_ddl.VERSION_12),
    Migration(13, sqlite_steps.add_rule_texts, postgres_ddl.VERSION_13),
    Migration(14, sqlite_steps.add_search_indexes, postgres_ddl.VERSION_14),
    Migration(15, sqlite_steps.add_sender_positions, postgres_ddl.VERSION_15),
    Migration(16, sqlite_steps.add_copy_claims),
    Migration(17, sqlite_steps.add_translation_jobs, postgres_ddl.VERSION_17),
    Migration(18, sqlite_steps.add_retention, postgres_ddl.VERSION_18),
    Migration(19, sqlite_steps.add_rejection_categories, postgres_ddl.VERSION_19),
    Migration(20, sqlite_steps.add_fetched_signals, postgres_ddl.VERSION_20),
    Migration(21, sqlite_steps.add_withdrawals, postgres_ddl.VERSION_21),
    Migration(22, sqlite_steps.add_memory_sources, postgres_ddl.VERSION_22),
    Migration(
        23,
        sqlite_steps.add_signal_keys,
        postgres_ddl.VERSION_23,
        postgres_ddl.VERSION_23_AFTERWARDS,
    ),
    Migration(24, sqlite_steps.add_restrictions, postgres_ddl.VERSION_24),
    Migration(25, sqlite_steps.index_entries_by_recipient, postgres_ddl.VERSION_25),
    Migration(26, sqlite_steps.index_entries_by_kind_and_signal, postgres_ddl.VERSION_26),
)
SCHEMA_VERSION: Final = MIGRATIONS[-1].version


def after(version: int) -> tuple[Migration, ...]:
    """The migrations a database at ``version`` runs, in order."""
    return MIGRATIONS[version:]
