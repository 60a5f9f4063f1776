"""Each schema version's SQLite step, as it has always been: a function of the database (through
sqlite-utils) run inside the migration's transaction. Listed, beside the PostgreSQL DDL of the
same version, in :data:`gateway.store.migrations.MIGRATIONS`; never edited once released (a
database that ran a step must be able to take the next one)."""

from __future__ import annotations

import sqlite_utils


def create_tables(db: sqlite_utils.Database) -> None:
    db.table("meta").create({"key": str, "value": str}, pk="key")
    db.table("meta").insert({"key": "schema_version", "value": "1"})
    db.table("partners").create(
        {
            "id": str,
            "name": str,
            "country": str,
            "agency_type": str,
            "languages": str,
            "state": str,
            "webhook_url": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"name", "country", "agency_type", "languages", "state", "created_at"},
    )
    db.table("certificates").create(
        {
            "fingerprint": str,
            "partner_id": str,
            "serial": str,
            "not_before": str,
            "not_after": str,
            "state": str,
            "registered_at": str,
            "revoked_at": str,
        },
        pk="fingerprint",
        foreign_keys=[("partner_id", "partners", "id")],
        not_null={"partner_id", "serial", "state", "registered_at"},
    )
    db.table("certificates").create_index(["partner_id"])
    db.table("signals").create(
        {
            "id": str,
            "sender_id": str,
            "sender_reference": str,
            "body_sha256": str,
            "received_at": str,
            "recipients": str,
            "sealed_body": bytes,
            "audit_seq": int,
            "audit_hash": str,
            "state": str,
        },
        pk="id",
        foreign_keys=[("sender_id", "partners", "id")],
        not_null={"sender_id", "sender_reference", "body_sha256", "received_at", "sealed_body"},
    )
    db.table("signals").create_index(["sender_id", "sender_reference"], unique=True)
    db.table("audit").create(
        {
            "seq": int,
            "at": str,
            "kind": str,
            "actor": str,
            "subject": str,
            "entry": bytes,
            "hash": str,
        },
        pk="seq",
        not_null={"at", "kind", "actor", "subject", "entry", "hash"},
    )
    for column in ("kind", "actor", "subject", "at"):
        db.table("audit").create_index([column])


def add_decisions(db: sqlite_utils.Database) -> None:
    """Version 2: the signal's codes in clear (operational data), decisions, policy history."""
    signals = db.table("signals")
    for column in ("handling_code", "category", "purpose", "urgency"):
        signals.add_column(column, str)
    db.table("decisions").create(
        {
            "signal_id": str,
            "recipient_id": str,
            "verdict": str,
            "rule_ids": str,
            "policy_sha256": str,
            "decision": str,
        },
        pk=("signal_id", "recipient_id"),
        foreign_keys=[("signal_id", "signals", "id"), ("recipient_id", "partners", "id")],
        not_null={"verdict", "rule_ids", "policy_sha256", "decision"},
    )
    db.table("decisions").create_index(["recipient_id"])
    db.table("policies").create(
        {"sha256": str, "first_loaded_at": str, "text": str}, pk="sha256", not_null={"text"}
    )


def add_people_and_memory(db: sqlite_utils.Database) -> None:
    """Version 3: staff accounts, their API tokens, and the translation memory.

    Memory segments are signal content, so they are kept sealed (``sealed``) and found by a
    keyed hash of the normalised source (``source_key``), never by their text.
    """
    db.table("staff").create(
        {
            "id": str,
            "name": str,
            "role": str,
            "desk": str,
            "language": str,
            "password_hash": str,
            "totp_sealed": bytes,
            "state": str,
            "created_at": str,
            "updated_at": str,
            "failed_logins": int,
            "locked_until": str,
        },
        pk="id",
        not_null={"name", "role", "desk", "language", "password_hash", "state", "created_at"},
    )
    db.table("api_tokens").create(
        {
            "id": str,
            "staff_id": str,
            "token_hash": str,
            "label": str,
            "created_at": str,
            "revoked_at": str,
        },
        pk="id",
        foreign_keys=[("staff_id", "staff", "id")],
        not_null={"staff_id", "token_hash", "created_at"},
    )
    db.table("api_tokens").create_index(["token_hash"], unique=True)
    db.table("translation_memory").create(
        {
            "source_language": str,
            "target_language": str,
            "source_key": str,
            "sealed": bytes,
            "officer_id": str,
            "created_at": str,
        },
        pk=("source_language", "target_language", "source_key"),
        not_null={"sealed", "created_at"},
    )


def add_review_queue(db: sqlite_utils.Database) -> None:
    """Version 4: the copies that wait for a liaison officer (ids and codes only)."""
    db.table("review_items").create(
        {
            "id": str,
            "signal_id": str,
            "recipient_id": str,
            "country": str,
            "urgency": str,
            "reasons": str,
            "release_now": int,
            "state": str,
            "created_at": str,
            "decided_at": str,
            "officer_id": str,
            "correction": bytes,
            "rejection_reason": str,
        },
        pk="id",
        foreign_keys=[("signal_id", "signals", "id"), ("recipient_id", "partners", "id")],
        not_null={"signal_id", "recipient_id", "country", "urgency", "reasons", "state"},
    )
    db.table("review_items").create_index(["state", "country"])
    db.table("review_items").create_index(["signal_id", "recipient_id"], unique=True)


def add_keys(db: sqlite_utils.Database) -> None:
    """Version 5: partners' encryption public keys and the gateway's public signing keys."""
    db.table("partner_keys").create(
        {
            "partner_id": str,
            "key_id": str,
            "suite": str,
            "public_key": bytes,
            "valid_from": str,
            "valid_until": str,
            "added_at": str,
            "retired_at": str,
        },
        pk=("partner_id", "key_id"),
        foreign_keys=[("partner_id", "partners", "id")],
        not_null={"suite", "public_key", "valid_from", "added_at"},
    )
    db.table("gateway_keys").create(
        {
            "key_id": str,
            "algorithm": str,
            "public_key": bytes,
            "created_at": str,
            "retired_at": str,
        },
        pk="key_id",
        not_null={"algorithm", "public_key", "created_at"},
    )


def add_delivery(db: sqlite_utils.Database) -> None:
    """Version 6: copies to seal, envelopes in inboxes, the push outbox, open requests."""
    db.table("copies").create(
        {
            "id": str,
            "signal_id": str,
            "recipient_id": str,
            "version": int,
            "review": str,
            "review_item_id": str,
            "state": str,
            "attempts": int,
            "next_attempt_at": str,
            "last_error": str,
            "created_at": str,
            "sealed_at": str,
        },
        pk="id",
        foreign_keys=[("signal_id", "signals", "id"), ("recipient_id", "partners", "id")],
        not_null={"signal_id", "recipient_id", "version", "state", "created_at"},
    )
    db.table("copies").create_index(["signal_id", "recipient_id", "version"], unique=True)
    db.table("copies").create_index(["state", "next_attempt_at"])
    db.execute(
        "CREATE TABLE envelopes ("
        " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " id TEXT NOT NULL UNIQUE,"
        " copy_id TEXT NOT NULL UNIQUE REFERENCES copies(id),"
        " signal_id TEXT NOT NULL REFERENCES signals(id),"
        " recipient_id TEXT NOT NULL REFERENCES partners(id),"
        " key_id TEXT NOT NULL,"
        " envelope BLOB NOT NULL,"
        " created_at TEXT NOT NULL,"
        " fetch_count INTEGER NOT NULL DEFAULT 0,"
        " last_fetched_at TEXT,"
        " acked_at TEXT)"
    )
    db.execute("CREATE INDEX envelopes_inbox ON envelopes (recipient_id, acked_at, seq)")
    db.execute("CREATE INDEX envelopes_signal ON envelopes (signal_id)")
    db.table("deliveries").create(
        {
            "envelope_id": str,
            "recipient_id": str,
            "url": str,
            "state": str,
            "attempts": int,
            "next_attempt_at": str,
            "last_status": int,
            "last_error": str,
            "delivered_at": str,
            "updated_at": str,
        },
        pk="envelope_id",
        foreign_keys=[("envelope_id", "envelopes", "id")],
        not_null={"recipient_id", "url", "state", "attempts", "updated_at"},
    )
    db.table("deliveries").create_index(["state", "next_attempt_at"])
    db.table("requests").create(
        {
            "signal_id": str,
            "sender_id": str,
            "recipients": str,
            "deadline_kind": str,
            "received_at": str,
            "deadline": str,
            "answered_by": str,
            "answered_at": str,
        },
        pk="signal_id",
        foreign_keys=[("signal_id", "signals", "id")],
        not_null={"sender_id", "recipients", "deadline_kind", "received_at", "deadline"},
    )
    db.table("requests").create_index(["answered_at", "deadline"])


def add_subject_index(db: sqlite_utils.Database) -> None:
    """Version 7: keyed hashes of the persons a signal mentions, for data-subject lookups."""
    db.table("subject_keys").create(
        {"key": str, "signal_id": str},
        pk=("key", "signal_id"),
        foreign_keys=[("signal_id", "signals", "id")],
    )
    db.table("subject_keys").create_index(["signal_id"])


def seal_reasons_and_scope_memory(db: sqlite_utils.Database) -> None:
    """Version 8: rejection reasons sealed; the translation memory kept per desk.

    ``review_items.rejection_sealed`` holds a rejection's reason sealed under the master key;
    the clear ``rejection_reason`` of older rows is sealed and emptied when the gateway next
    starts (:mod:`gateway.flow.at_rest`: sealing needs the master key, which a migration has not).

    A memory entry now belongs to the desk whose officer wrote it (one entry per sentence and
    desk; another desk never overwrites it), may be confirmed by a second officer, and carries
    a ``revision`` that every change raises (how a running gateway learns of another
    process's change). Older entries take their author's current desk, or none (then they
    serve nobody); ``seal_version`` 1 marks them sealed the old way until start-up reseals them
    bound to their desk and author.
    """
    db.table("review_items").add_column("rejection_sealed", bytes)
    db.execute(
        "CREATE TABLE translation_memory_v8 ("
        " id TEXT PRIMARY KEY,"
        " source_language TEXT NOT NULL,"
        " target_language TEXT NOT NULL,"
        " source_key TEXT NOT NULL,"
        " desk TEXT NOT NULL,"
        " sealed BLOB NOT NULL,"
        " seal_version INTEGER NOT NULL,"
        " officer_id TEXT,"
        " created_at TEXT NOT NULL,"
        " confirmed_by TEXT,"
        " confirmed_at TEXT,"
        " revision INTEGER NOT NULL,"
        " UNIQUE (source_language, target_language, source_key, desk))"
    )
    db.execute(
        "INSERT INTO translation_memory_v8 (id, source_language, target_language, source_key, "
        "desk, sealed, seal_version, officer_id, created_at, revision) "
        "SELECT lower(hex(randomblob(16))), m.source_language, m.target_language, m.source_key, "
        "COALESCE((SELECT s.desk FROM staff s WHERE s.id = m.officer_id), ''), m.sealed, 1, "
        "m.officer_id, m.created_at, m.rowid FROM translation_memory m"
    )
    db.execute("DROP TABLE translation_memory")
    db.execute("ALTER TABLE translation_memory_v8 RENAME TO translation_memory")
    db.execute(
        "CREATE INDEX translation_memory_pair ON translation_memory "
        "(source_language, target_language)"
    )
    db.execute("CREATE INDEX translation_memory_desk ON translation_memory (desk)")


def add_staff_security(db: sqlite_utils.Database) -> None:
    """Version 9: staff sessions, the sign-in throttle, and proposals that need a second person.

    A session is kept by the SHA-256 of its id (the cookie holds the id, the database never
    does). The throttle keeps attempts per client address and failures per login name (a keyed
    hash of the name typed, known or not) and address. A proposal keeps only the SHA-256 of
    each half of an enrolment code.
    """
    db.execute(
        "CREATE TABLE staff_sessions ("
        " id_hash TEXT PRIMARY KEY,"
        " staff_id TEXT NOT NULL REFERENCES staff(id),"
        " language TEXT NOT NULL,"
        " csrf TEXT NOT NULL,"
        " started_at TEXT NOT NULL,"
        " seen_at TEXT NOT NULL,"
        " flash TEXT,"
        " ended_at TEXT,"
        " ended_reason TEXT)"
    )
    db.execute("CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id, ended_at)")
    db.execute("CREATE INDEX staff_sessions_started ON staff_sessions (started_at)")
    db.execute(
        "CREATE TABLE sign_in_addresses ("
        " address TEXT PRIMARY KEY,"
        " tokens REAL NOT NULL,"
        " updated_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX sign_in_addresses_updated ON sign_in_addresses (updated_at)")
    db.execute(
        "CREATE TABLE sign_in_failures ("
        " name_key TEXT NOT NULL,"
        " address TEXT NOT NULL,"
        " failures INTEGER NOT NULL,"
        " last_failure_at TEXT NOT NULL,"
        " blocked_until TEXT,"
        " PRIMARY KEY (name_key, address))"
    )
    db.execute("CREATE INDEX sign_in_failures_last ON sign_in_failures (last_failure_at)")
    db.execute(
        "CREATE TABLE staff_proposals ("
        " id TEXT PRIMARY KEY,"
        " kind TEXT NOT NULL,"
        " staff_id TEXT NOT NULL,"
        " name TEXT NOT NULL,"
        " role TEXT NOT NULL,"
        " desk TEXT NOT NULL,"
        " language TEXT NOT NULL,"
        " approver_role TEXT NOT NULL,"
        " proposed_by TEXT NOT NULL,"
        " proposed_at TEXT NOT NULL,"
        " state TEXT NOT NULL,"
        " decided_by TEXT,"
        " decided_at TEXT,"
        " proposer_half TEXT,"
        " approver_half TEXT,"
        " code_expires_at TEXT,"
        " enrolled_at TEXT)"
    )
    db.execute(
        "CREATE UNIQUE INDEX staff_proposals_open ON staff_proposals (staff_id) "
        "WHERE state = 'pending'"
    )
    db.execute("CREATE INDEX staff_proposals_state ON staff_proposals (state, staff_id)")


def add_inbox_positions(db: sqlite_utils.Database) -> None:
    """Version 10: each recipient's own inbox positions (1, 2, 3, ...), so that a position tells
    a partner nothing about what others receive. Envelopes already kept are numbered per
    recipient in the order they were sealed."""
    db.execute("ALTER TABLE envelopes ADD COLUMN position INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "UPDATE envelopes SET position = numbered.position FROM ("
        " SELECT seq, row_number() OVER (PARTITION BY recipient_id ORDER BY seq) AS position"
        " FROM envelopes) AS numbered WHERE numbered.seq = envelopes.seq"
    )
    db.execute("DROP INDEX envelopes_inbox")
    db.execute("CREATE UNIQUE INDEX envelopes_position ON envelopes (recipient_id, position)")
    db.execute("CREATE INDEX envelopes_inbox ON envelopes (recipient_id, acked_at, position)")


def add_audit_tree(db: sqlite_utils.Database) -> None:
    """Version 11: the audit log as a Merkle tree, its checkpoints and its witnesses.

    ``audit_tiles`` holds the tree's hashes as C2SP tlog-tiles, one row per tile, a partial
    tile rewritten as it fills (:mod:`gateway.audit.tiles`); ``audit_checkpoints`` each signed
    checkpoint by its size. The entries already kept are not touched: the sequencer makes
    them the tree's first leaves, in their order, when the gateway next starts.
    ``witness_keys`` are the partners' registered cosigning keys, ``audit_cosignatures`` the
    cosignatures they posted, ``audit_inconsistencies`` the evidence witnesses reported.
    """
    db.execute(
        "CREATE TABLE audit_tiles ("
        " level INTEGER NOT NULL,"
        " idx INTEGER NOT NULL,"
        " hashes BLOB NOT NULL,"
        " PRIMARY KEY (level, idx)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE audit_checkpoints ("
        " size INTEGER PRIMARY KEY,"
        " root BLOB NOT NULL,"
        " note BLOB NOT NULL,"
        " published_at TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE witness_keys ("
        " partner_id TEXT NOT NULL REFERENCES partners(id),"
        " key_id TEXT NOT NULL,"
        " name TEXT NOT NULL,"
        " public_key BLOB NOT NULL,"
        " added_at TEXT NOT NULL,"
        " retired_at TEXT,"
        " PRIMARY KEY (partner_id, key_id),"
        " UNIQUE (name, key_id))"
    )
    db.execute(
        "CREATE TABLE audit_cosignatures ("
        " size INTEGER NOT NULL,"
        " partner_id TEXT NOT NULL REFERENCES partners(id),"
        " key_id TEXT NOT NULL,"
        " key_name TEXT NOT NULL,"
        " cosigned_at INTEGER NOT NULL,"
        " line TEXT NOT NULL,"
        " received_at TEXT NOT NULL,"
        " PRIMARY KEY (size, partner_id, key_id))"
    )
    db.execute(
        "CREATE INDEX audit_cosignatures_witness ON audit_cosignatures (partner_id, key_id, size)"
    )
    db.execute(
        "CREATE TABLE audit_inconsistencies ("
        " id TEXT PRIMARY KEY,"
        " partner_id TEXT NOT NULL REFERENCES partners(id),"
        " kind TEXT NOT NULL,"
        " previous BLOB,"
        " submitted BLOB NOT NULL,"
        " previous_size INTEGER,"
        " submitted_size INTEGER,"
        " reported_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX audit_inconsistencies_at ON audit_inconsistencies (reported_at)")


def add_partner_buckets_and_verifications(db: sqlite_utils.Database) -> None:
    """Version 12: what every process on the store shares rather than keeps in its memory.

    ``partner_buckets`` is each partner's rate, one token bucket for the whole gateway, taken
    a slice at a time (:mod:`gateway.infra.rate_slices`). ``verification_jobs`` are the audit
    chain's verifications staff start from the pages: who started one, how far it got, which
    instance runs it and when that instance last said so, and its outcome (``result``, the
    verification kept, as JSON). At most one runs at a time (a partial unique index).
    """
    db.execute(
        "CREATE TABLE partner_buckets ("
        " partner_id TEXT PRIMARY KEY,"
        " tokens REAL NOT NULL,"
        " updated_at TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE verification_jobs ("
        " id TEXT PRIMARY KEY,"
        " started_by TEXT NOT NULL,"
        " started_at TEXT NOT NULL,"
        " instance TEXT NOT NULL,"
        " total INTEGER NOT NULL,"
        " checked INTEGER NOT NULL,"
        " heartbeat_at TEXT NOT NULL,"
        " state TEXT NOT NULL,"
        " finished_at TEXT,"
        " result TEXT)"
    )
    db.execute(
        "CREATE UNIQUE INDEX verification_jobs_running ON verification_jobs (state) "
        "WHERE state = 'running'"
    )
    db.execute("CREATE INDEX verification_jobs_started ON verification_jobs (started_at)")


def add_rule_texts(db: sqlite_utils.Database) -> None:
    """Version 13: the fired rules' reason and legal basis, kept once per policy and rule.

    A decision's row keeps each rule by its id; its texts, the same in every decision under
    that policy, are kept here (:mod:`gateway.store.decision_form`). Rows written before
    keep their texts in the row and read as they did.
    """
    db.execute(
        "CREATE TABLE rule_texts ("
        " policy_sha256 TEXT NOT NULL,"
        " rule_id TEXT NOT NULL,"
        " reason TEXT NOT NULL,"
        " legal_basis TEXT NOT NULL,"
        " PRIMARY KEY (policy_sha256, rule_id))"
    )


def add_search_indexes(db: sqlite_utils.Database) -> None:
    """Version 14: what the compliance search reads by at a million signals. Signals newest
    first (a page of a search walks them in its order instead of sorting every exchange); the
    categories and the sets of rules in use, each read by skipping through its index; reviews
    by when they were decided, for the charts (PostgreSQL has had all but the rule sets since
    version 11). ``decision_hours``: the decisions counted per hour of receipt (UTC), country
    pair, verdict and set of rules, kept from now on as signals are accepted, and counted here
    for the signals kept before."""
    db.execute("CREATE INDEX signals_received ON signals (received_at DESC, id)")
    db.execute("CREATE INDEX signals_category ON signals (category, received_at)")
    db.execute("CREATE INDEX decisions_rule_sets ON decisions (rule_ids)")
    db.execute("CREATE INDEX review_items_decided ON review_items (decided_at)")
    db.execute(
        "CREATE TABLE decision_hours ("
        " hour TEXT NOT NULL,"
        " sender_country TEXT NOT NULL,"
        " recipient_country TEXT NOT NULL,"
        " verdict TEXT NOT NULL,"
        " rule_ids TEXT NOT NULL,"
        " decisions INTEGER NOT NULL,"
        " PRIMARY KEY (hour, sender_country, recipient_country, verdict, rule_ids)) WITHOUT ROWID"
    )
    db.execute(
        "INSERT INTO decision_hours SELECT substr(s.received_at, 1, 13) || ':00:00.000000Z', "
        "ps.country, pr.country, d.verdict, d.rule_ids, count(*) FROM signals s "
        "JOIN decisions d ON d.signal_id = s.id JOIN partners ps ON ps.id = s.sender_id "
        "JOIN partners pr ON pr.id = d.recipient_id GROUP BY 1, 2, 3, 4, 5"
    )


def add_sender_positions(db: sqlite_utils.Database) -> None:
    """Version 15: a sender's own signals by position, newest first, a page at a time
    (``GET /v1/signals``)."""
    db.execute("CREATE INDEX signals_sender_position ON signals (sender_id, audit_seq)")


def add_copy_claims(db: sqlite_utils.Database) -> None:
    """Version 16: which process seals a copy, until when (``claimed_by``, ``claimed_until``),
    as on PostgreSQL: ``serve --workers N`` runs N couriers on one file, and a copy one of them
    claimed is passed by by the others until its claim runs out
    (:mod:`gateway.store.sqlite.delivery`). Added only where missing."""
    present = set(db["copies"].columns_dict)
    for column in ("claimed_by", "claimed_until"):
        if column not in present:
            db.execute(f"ALTER TABLE copies ADD COLUMN {column} TEXT")


def add_translation_jobs(db: sqlite_utils.Database) -> None:
    """Version 17: the texts sent to eTranslation and waiting for, or holding, its answer
    (:mod:`gateway.translate.etranslation_jobs`), kept so that any instance takes the
    service's callback, after a restart too."""
    db.execute(
        "CREATE TABLE translation_jobs ("
        " id TEXT PRIMARY KEY,"
        " lookup_key TEXT NOT NULL UNIQUE,"
        " source_language TEXT NOT NULL,"
        " target_language TEXT NOT NULL,"
        " token_digest TEXT NOT NULL,"
        " created_at TEXT NOT NULL,"
        " state TEXT NOT NULL,"
        " request_id INTEGER,"
        " sealed BLOB,"
        " error_code TEXT,"
        " answered_at TEXT)"
    )
    db.execute("CREATE INDEX translation_jobs_created ON translation_jobs (created_at)")


def add_retention(db: sqlite_utils.Database) -> None:
    """Version 18: retention. When a signal's content was erased and under which rule
    (``signals.erased_at``, ``erased_rule``; its sealed body is then empty), when an envelope's
    was (``envelopes.erased_at``), and the signals on legal hold, which are not erased."""
    db.execute("ALTER TABLE signals ADD COLUMN erased_at TEXT")
    db.execute("ALTER TABLE signals ADD COLUMN erased_rule TEXT")
    db.execute("ALTER TABLE envelopes ADD COLUMN erased_at TEXT")
    db.execute(
        "CREATE TABLE legal_holds ("
        " signal_id TEXT PRIMARY KEY REFERENCES signals(id),"
        " reason TEXT NOT NULL,"
        " review_on TEXT NOT NULL,"
        " placed_by TEXT NOT NULL,"
        " placed_at TEXT NOT NULL)"
    )


def add_rejection_categories(db: sqlite_utils.Database) -> None:
    """Version 19: why an officer rejected a copy, from a closed list its sender is shown
    (``review_items.rejection_category``, :class:`~gateway.decide.review.RejectionCategory`).
    A copy rejected before the list existed is ``other``."""
    db.execute("ALTER TABLE review_items ADD COLUMN rejection_category TEXT")
    db.execute("UPDATE review_items SET rejection_category = 'other' WHERE state = 'rejected'")


def _handed_out(row: str, source: str = "") -> str:
    """The signals the inbox fetch ``row`` (an audit row's name) handed out, with its position
    and the recipient its actor names (``partner:<id>`` as written now, the bare id before)."""
    actor = f"{row}.actor"
    return (
        f"SELECT f.value, {row}.seq, CASE WHEN substr({actor}, 1, 8) = 'partner:' "
        f"THEN substr({actor}, 9) ELSE {actor} END "
        f"FROM {source}json_each(CAST({row}.entry AS TEXT), '$.data.signals') f"
    )


def add_fetched_signals(db: sqlite_utils.Database) -> None:
    """Version 20: the signals each inbox fetch handed out, one row per signal and fetch, kept
    by a trigger as ``inbox.fetched`` entries are chained and filled here from those before. A
    search by inbox fetches, and a signal's history, look a signal up here instead of reading
    the list inside every fetch."""
    db.execute(
        "CREATE TABLE fetched_signals ("
        " signal_id TEXT NOT NULL,"
        " audit_seq INTEGER NOT NULL,"
        " recipient_id TEXT NOT NULL,"
        " PRIMARY KEY (signal_id, audit_seq)) WITHOUT ROWID"
    )
    keep = "INSERT OR IGNORE INTO fetched_signals (signal_id, audit_seq, recipient_id) "
    db.execute(
        "CREATE TRIGGER audit_keeps_fetched_signals AFTER INSERT ON audit "
        f"WHEN NEW.kind = 'inbox.fetched' BEGIN {keep}{_handed_out('NEW')}; END"
    )
    db.execute(f"{keep}{_handed_out('a', 'audit a, ')} WHERE a.kind = 'inbox.fetched'")


def add_withdrawals(db: sqlite_utils.Database) -> None:
    """Version 21: withdrawal by the sender. The signals their senders withdrew, why and
    when (or which new version replaced them), and which copies are notices of it
    (``copies.notice``, the reason code; such a copy is sealed as a notice, not as the
    signal)."""
    db.execute("ALTER TABLE copies ADD COLUMN notice TEXT")
    db.execute(
        "CREATE TABLE withdrawals ("
        " signal_id TEXT PRIMARY KEY REFERENCES signals(id),"
        " reason TEXT NOT NULL,"
        " withdrawn_by TEXT NOT NULL,"
        " withdrawn_at TEXT NOT NULL,"
        " cancelled INTEGER NOT NULL,"
        " review_items INTEGER NOT NULL,"
        " notices INTEGER NOT NULL,"
        " replaced_by TEXT,"
        " replaced_version INTEGER)"
    )


def add_memory_sources(db: sqlite_utils.Database) -> None:
    """Version 22: where the translation memory learnt each entry, so that erasing a signal
    reaches it (:mod:`gateway.translate.memory_store`): one row per entry and signal whose
    review taught it. Entries kept before have none: no one can tell which signal they came
    from. And which signal's copy sent each eTranslation job (``translation_jobs.signal_id``;
    none for a job sent before), so that the job's text goes with the signal."""
    db.execute(
        "CREATE TABLE memory_sources ("
        " entry_id TEXT NOT NULL REFERENCES translation_memory(id) ON DELETE CASCADE,"
        " signal_id TEXT NOT NULL,"
        " PRIMARY KEY (entry_id, signal_id)) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX memory_sources_signal ON memory_sources (signal_id)")
    db.execute("ALTER TABLE translation_jobs ADD COLUMN signal_id TEXT")
    db.execute("CREATE INDEX translation_jobs_signal ON translation_jobs (signal_id)")


def add_signal_keys(db: sqlite_utils.Database) -> None:
    """Version 23: each signal's wrapped data key in a row of its own
    (``signal_keys.sealed_key``: the first 68 bytes of its sealed body, the blob's header and
    wrapped key), so that erasing a signal deletes one small row; ``signals.sealed_body`` keeps
    the rest, the body's nonce and ciphertext. The keys of the signals kept so far move out of
    their bodies here (``secure_delete`` zeroes the bytes they leave)."""
    db.execute(
        "CREATE TABLE signal_keys ("
        " signal_id TEXT PRIMARY KEY REFERENCES signals(id),"
        " sealed_key BLOB NOT NULL)"
    )
    db.execute(
        "INSERT INTO signal_keys (signal_id, sealed_key) "
        "SELECT id, substr(sealed_body, 1, 68) FROM signals WHERE erased_at IS NULL"
    )
    db.execute("UPDATE signals SET sealed_body = substr(sealed_body, 69) WHERE erased_at IS NULL")


def add_restrictions(db: sqlite_utils.Database) -> None:
    """Version 24: restriction of processing for a data subject (LED art. 16(3)). Each
    restriction with its reason code, note, due day and who placed and lifted it; the subject
    keys it holds (``restriction_keys``, keyed hashes only); the signals it holds
    (``restricted_signals``, filled on placing and at intake); copies it holds wait as
    ``restricted`` instead of ``pending``, and envelopes it holds have ``held_at`` set."""
    db.execute(
        "CREATE TABLE restrictions ("
        " id TEXT PRIMARY KEY,"
        " reason TEXT NOT NULL,"
        " note TEXT NOT NULL,"
        " due_on TEXT NOT NULL,"
        " placed_by TEXT NOT NULL,"
        " placed_at TEXT NOT NULL,"
        " signals INTEGER NOT NULL,"
        " lifted_by TEXT,"
        " lifted_at TEXT,"
        " decision TEXT)"
    )
    db.execute(
        "CREATE INDEX restrictions_active ON restrictions (due_on, placed_at) "
        "WHERE lifted_at IS NULL"
    )
    db.execute(
        "CREATE TABLE restriction_keys ("
        " key TEXT NOT NULL,"
        " restriction_id TEXT NOT NULL REFERENCES restrictions(id),"
        " PRIMARY KEY (key, restriction_id)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE restricted_signals ("
        " signal_id TEXT NOT NULL REFERENCES signals(id),"
        " restriction_id TEXT NOT NULL REFERENCES restrictions(id),"
        " PRIMARY KEY (signal_id, restriction_id)) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX restricted_signals_restriction ON restricted_signals (restriction_id)")
    db.execute("ALTER TABLE envelopes ADD COLUMN held_at TEXT")


def index_entries_by_recipient(db: sqlite_utils.Database) -> None:
    """Version 25: nothing to change in SQLite. PostgreSQL keeps the recipient an entry names
    in a column and indexes entries by subject, kind and recipient, so that the search by
    event kind finds an exchange's entries from its index alone. SQLite reads a signal's few
    entries by ``idx_audit_subject`` from the same file, in the same process, and its search
    by kind stays under 100 ms at a million signals (``bench/README.md``)."""


def index_entries_by_kind_and_signal(db: sqlite_utils.Database) -> None:
    """Version 26: nothing to change in SQLite, for the reason of version 25
    (:func:`index_entries_by_recipient`): PostgreSQL indexes the entries about signals by kind
    and signal, so that its search by event kind merges ranges instead of probing per
    exchange."""
