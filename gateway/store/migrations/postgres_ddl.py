"""The PostgreSQL DDL of each schema version, listed beside the SQLite step of the same version
in :data:`gateway.store.migrations.MIGRATIONS`.

PostgreSQL joined at version 11: a fresh database takes :data:`VERSION_11` at once, the whole
schema as SQLite has it after its eleventh step. The types are PostgreSQL's own:

- a time is ``timestamptz`` (the records' aware datetimes, read back in UTC), but for
  ``audit.at``, kept as the text the entry was chained with (``audit.timestamp``), the form
  the chain's hashes cover;
- what SQLite keeps as JSON text and reads with ``json_each`` is ``jsonb`` (a partner's
  languages, a signal's and a request's recipients, a decision and its rule ids, a review
  item's reasons);
- ``BLOB`` is ``bytea``; ``INTEGER PRIMARY KEY AUTOINCREMENT`` an identity column; counts and
  sequence numbers ``bigint``; the throttle's tokens ``double precision``; a flag ``boolean``;
- where SQLite's queries order by the hidden ``rowid`` (the order rows were inserted in), the
  PostgreSQL table has an identity column ``seq`` in its stead (:data:`ROWID_STANDINS`); rows
  inserted by auditing writes, which hold the chain's lock, are numbered in commit order;
- pushes to send say which instance does the work, until when (:data:`CLAIM_COLUMNS`),
  since several may share the database (copies to seal say so on SQLite too, from version
  13: several workers may share its file);
- an audit entry's data is read as ``jsonb`` by ``audit_data(entry)``, declared immutable (an
  entry's bytes are UTF-8 JSON, as chained, and the database's encoding is UTF8) so that
  indexes may be built on it.
"""

from __future__ import annotations

from typing import Final

ROWID_STANDINS: Final = {"certificates": "seq", "decisions": "seq"}
"""The columns that stand for SQLite's ``rowid``, by table."""

CLAIM_COLUMNS: Final = ("claimed_by", "claimed_until")
"""The columns of a copy to seal and of a push to send that say which instance does it, until
when (:mod:`gateway.store.postgres.claims`); one process alone has no need of them."""

KEPT_BY_TRIGGER: Final = frozenset({"fetched_signals"})
"""Tables a trigger fills as audit entries are chained: a copy into them finds the rows there."""

GENERATED_COLUMNS: Final = {"audit": ("recipient",)}
"""Columns PostgreSQL computes from others in the row: never written, never copied."""

POSTGRES_ONLY_COLUMNS: Final = {
    **{table: (column,) for table, column in ROWID_STANDINS.items()},
    "deliveries": CLAIM_COLUMNS,
    **GENERATED_COLUMNS,
}
"""Every column PostgreSQL has and SQLite has not, by table."""

VERSION_11: Final = (
    "CREATE TABLE meta (key text PRIMARY KEY, value text)",
    "CREATE TABLE partners ("
    " id text PRIMARY KEY,"
    " name text NOT NULL,"
    " country text NOT NULL,"
    " agency_type text NOT NULL,"
    " languages jsonb NOT NULL,"
    " state text NOT NULL,"
    " webhook_url text,"
    " created_at timestamptz NOT NULL,"
    " updated_at timestamptz)",
    "CREATE TABLE certificates ("
    " fingerprint text PRIMARY KEY,"
    " seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,"
    " partner_id text NOT NULL REFERENCES partners (id),"
    " serial text NOT NULL,"
    " not_before timestamptz,"
    " not_after timestamptz,"
    " state text NOT NULL,"
    " registered_at timestamptz NOT NULL,"
    " revoked_at timestamptz)",
    "CREATE INDEX certificates_partner ON certificates (partner_id)",
    "CREATE TABLE signals ("
    " id text PRIMARY KEY,"
    " sender_id text NOT NULL REFERENCES partners (id),"
    " sender_reference text NOT NULL,"
    " body_sha256 text NOT NULL,"
    " received_at timestamptz NOT NULL,"
    " recipients jsonb,"
    " sealed_body bytea NOT NULL,"
    " audit_seq bigint,"
    " audit_hash text,"
    " state text,"
    " handling_code text,"
    " category text,"
    " purpose text,"
    " urgency text,"
    " UNIQUE (sender_id, sender_reference))",
    "CREATE TABLE audit ("
    " seq bigint PRIMARY KEY,"
    " at text NOT NULL,"
    " kind text NOT NULL,"
    " actor text NOT NULL,"
    " subject text NOT NULL,"
    " entry bytea NOT NULL,"
    " hash text NOT NULL)",
    "CREATE INDEX audit_kind ON audit (kind, seq)",
    "CREATE INDEX audit_actor ON audit (actor)",
    "CREATE INDEX audit_subject ON audit (subject)",
    "CREATE INDEX audit_at ON audit (at)",
    "CREATE TABLE decisions ("
    " signal_id text NOT NULL REFERENCES signals (id),"
    " seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,"
    " recipient_id text NOT NULL REFERENCES partners (id),"
    " verdict text NOT NULL,"
    " rule_ids jsonb NOT NULL,"
    " policy_sha256 text NOT NULL,"
    " decision jsonb NOT NULL,"
    " PRIMARY KEY (signal_id, recipient_id))",
    "CREATE INDEX decisions_recipient ON decisions (recipient_id)",
    "CREATE TABLE policies ("
    " sha256 text PRIMARY KEY,"
    " first_loaded_at timestamptz,"
    " text text NOT NULL)",
    "CREATE TABLE staff ("
    " id text PRIMARY KEY,"
    " name text NOT NULL,"
    " role text NOT NULL,"
    " desk text NOT NULL,"
    " language text NOT NULL,"
    " password_hash text NOT NULL,"
    " totp_sealed bytea,"
    " state text NOT NULL,"
    " created_at timestamptz NOT NULL,"
    " updated_at timestamptz,"
    " failed_logins integer,"
    " locked_until timestamptz)",
    "CREATE TABLE api_tokens ("
    " id text PRIMARY KEY,"
    " staff_id text NOT NULL REFERENCES staff (id),"
    " token_hash text NOT NULL UNIQUE,"
    " label text,"
    " created_at timestamptz NOT NULL,"
    " revoked_at timestamptz)",
    "CREATE TABLE translation_memory ("
    " id text PRIMARY KEY,"
    " source_language text NOT NULL,"
    " target_language text NOT NULL,"
    " source_key text NOT NULL,"
    " desk text NOT NULL,"
    " sealed bytea NOT NULL,"
    " seal_version integer NOT NULL,"
    " officer_id text,"
    " created_at timestamptz NOT NULL,"
    " confirmed_by text,"
    " confirmed_at timestamptz,"
    " revision bigint NOT NULL,"
    " UNIQUE (source_language, target_language, source_key, desk))",
    "CREATE INDEX translation_memory_pair ON translation_memory (source_language, target_language)",
    "CREATE INDEX translation_memory_desk ON translation_memory (desk)",
    "CREATE TABLE review_items ("
    " id text PRIMARY KEY,"
    " signal_id text NOT NULL REFERENCES signals (id),"
    " recipient_id text NOT NULL REFERENCES partners (id),"
    " country text NOT NULL,"
    " urgency text NOT NULL,"
    " reasons jsonb NOT NULL,"
    " release_now boolean,"
    " state text NOT NULL,"
    " created_at timestamptz,"
    " decided_at timestamptz,"
    " officer_id text,"
    " correction bytea,"
    " rejection_reason text,"
    " rejection_sealed bytea,"
    " UNIQUE (signal_id, recipient_id))",
    "CREATE INDEX review_items_state_country ON review_items (state, country)",
    "CREATE TABLE partner_keys ("
    " partner_id text NOT NULL REFERENCES partners (id),"
    " key_id text NOT NULL,"
    " suite text NOT NULL,"
    " public_key bytea NOT NULL,"
    " valid_from timestamptz NOT NULL,"
    " valid_until timestamptz,"
    " added_at timestamptz NOT NULL,"
    " retired_at timestamptz,"
    " PRIMARY KEY (partner_id, key_id))",
    "CREATE TABLE gateway_keys ("
    " key_id text PRIMARY KEY,"
    " algorithm text NOT NULL,"
    " public_key bytea NOT NULL,"
    " created_at timestamptz NOT NULL,"
    " retired_at timestamptz)",
    "CREATE TABLE copies ("
    " id text PRIMARY KEY,"
    " signal_id text NOT NULL REFERENCES signals (id),"
    " recipient_id text NOT NULL REFERENCES partners (id),"
    " version integer NOT NULL,"
    " review text,"
    " review_item_id text,"
    " state text NOT NULL,"
    " attempts integer,"
    " next_attempt_at timestamptz,"
    " last_error text,"
    " created_at timestamptz NOT NULL,"
    " sealed_at timestamptz,"
    " claimed_by text,"
    " claimed_until timestamptz,"
    " UNIQUE (signal_id, recipient_id, version))",
    "CREATE INDEX copies_due ON copies (state, next_attempt_at)",
    "CREATE TABLE envelopes ("
    " seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " id text NOT NULL UNIQUE,"
    " copy_id text NOT NULL UNIQUE REFERENCES copies (id),"
    " signal_id text NOT NULL REFERENCES signals (id),"
    " recipient_id text NOT NULL REFERENCES partners (id),"
    " key_id text NOT NULL,"
    " envelope bytea NOT NULL,"
    " created_at timestamptz NOT NULL,"
    " fetch_count integer NOT NULL DEFAULT 0,"
    " last_fetched_at timestamptz,"
    " acked_at timestamptz,"
    " position bigint NOT NULL DEFAULT 0)",
    "CREATE INDEX envelopes_signal ON envelopes (signal_id)",
    "CREATE UNIQUE INDEX envelopes_position ON envelopes (recipient_id, position)",
    "CREATE INDEX envelopes_inbox ON envelopes (recipient_id, acked_at, position)",
    "CREATE TABLE deliveries ("
    " envelope_id text PRIMARY KEY REFERENCES envelopes (id),"
    " recipient_id text NOT NULL,"
    " url text NOT NULL,"
    " state text NOT NULL,"
    " attempts integer NOT NULL,"
    " next_attempt_at timestamptz,"
    " last_status integer,"
    " last_error text,"
    " delivered_at timestamptz,"
    " updated_at timestamptz NOT NULL,"
    " claimed_by text,"
    " claimed_until timestamptz)",
    "CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at)",
    "CREATE TABLE requests ("
    " signal_id text PRIMARY KEY REFERENCES signals (id),"
    " sender_id text NOT NULL,"
    " recipients jsonb NOT NULL,"
    " deadline_kind text NOT NULL,"
    " received_at timestamptz NOT NULL,"
    " deadline timestamptz NOT NULL,"
    " answered_by text,"
    " answered_at timestamptz)",
    "CREATE INDEX requests_open ON requests (answered_at, deadline)",
    "CREATE TABLE subject_keys ("
    " key text NOT NULL,"
    " signal_id text NOT NULL REFERENCES signals (id),"
    " PRIMARY KEY (key, signal_id))",
    "CREATE INDEX subject_keys_signal ON subject_keys (signal_id)",
    "CREATE TABLE staff_sessions ("
    " id_hash text PRIMARY KEY,"
    " staff_id text NOT NULL REFERENCES staff (id),"
    " language text NOT NULL,"
    " csrf text NOT NULL,"
    " started_at timestamptz NOT NULL,"
    " seen_at timestamptz NOT NULL,"
    " flash text,"
    " ended_at timestamptz,"
    " ended_reason text)",
    "CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id, ended_at)",
    "CREATE INDEX staff_sessions_started ON staff_sessions (started_at)",
    "CREATE TABLE sign_in_addresses ("
    " address text PRIMARY KEY,"
    " tokens double precision NOT NULL,"
    " updated_at timestamptz NOT NULL)",
    "CREATE INDEX sign_in_addresses_updated ON sign_in_addresses (updated_at)",
    "CREATE TABLE sign_in_failures ("
    " name_key text NOT NULL,"
    " address text NOT NULL,"
    " failures integer NOT NULL,"
    " last_failure_at timestamptz NOT NULL,"
    " blocked_until timestamptz,"
    " PRIMARY KEY (name_key, address))",
    "CREATE INDEX sign_in_failures_last ON sign_in_failures (last_failure_at)",
    "CREATE TABLE staff_proposals ("
    " id text PRIMARY KEY,"
    " kind text NOT NULL,"
    " staff_id text NOT NULL,"
    " name text NOT NULL,"
    " role text NOT NULL,"
    " desk text NOT NULL,"
    " language text NOT NULL,"
    " approver_role text NOT NULL,"
    " proposed_by text NOT NULL,"
    " proposed_at timestamptz NOT NULL,"
    " state text NOT NULL,"
    " decided_by text,"
    " decided_at timestamptz,"
    " proposer_half text,"
    " approver_half text,"
    " code_expires_at timestamptz,"
    " enrolled_at timestamptz)",
    "CREATE UNIQUE INDEX staff_proposals_open ON staff_proposals (staff_id)"
    " WHERE state = 'pending'",
    "CREATE INDEX staff_proposals_state ON staff_proposals (state, staff_id)",
    "CREATE TABLE audit_tiles ("
    " level integer NOT NULL,"
    " idx bigint NOT NULL,"
    " hashes bytea NOT NULL,"
    " PRIMARY KEY (level, idx))",
    "CREATE TABLE audit_checkpoints ("
    " size bigint PRIMARY KEY,"
    " root bytea NOT NULL,"
    " note bytea NOT NULL,"
    " published_at timestamptz NOT NULL)",
    "CREATE TABLE witness_keys ("
    " partner_id text NOT NULL REFERENCES partners (id),"
    " key_id text NOT NULL,"
    " name text NOT NULL,"
    " public_key bytea NOT NULL,"
    " added_at timestamptz NOT NULL,"
    " retired_at timestamptz,"
    " PRIMARY KEY (partner_id, key_id),"
    " UNIQUE (name, key_id))",
    "CREATE TABLE audit_cosignatures ("
    " size bigint NOT NULL,"
    " partner_id text NOT NULL REFERENCES partners (id),"
    " key_id text NOT NULL,"
    " key_name text NOT NULL,"
    " cosigned_at bigint NOT NULL,"
    " line text NOT NULL,"
    " received_at timestamptz NOT NULL,"
    " PRIMARY KEY (size, partner_id, key_id))",
    "CREATE INDEX audit_cosignatures_witness ON audit_cosignatures (partner_id, key_id, size)",
    "CREATE TABLE audit_inconsistencies ("
    " id text PRIMARY KEY,"
    " partner_id text NOT NULL REFERENCES partners (id),"
    " kind text NOT NULL,"
    " previous bytea,"
    " submitted bytea NOT NULL,"
    " previous_size bigint,"
    " submitted_size bigint,"
    " reported_at timestamptz NOT NULL)",
    "CREATE INDEX audit_inconsistencies_at ON audit_inconsistencies (reported_at)",
    # What the compliance officer's search, its charts and the administrators' pages read by.
    "CREATE FUNCTION audit_data(entry bytea) RETURNS jsonb"
    " LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE"
    " RETURN convert_from(entry, 'UTF8')::jsonb -> 'data'",
    "CREATE INDEX audit_fetched_signals ON audit USING gin ((audit_data(entry) -> 'signals'))"
    " WHERE kind = 'inbox.fetched'",
    "CREATE INDEX signals_received ON signals (received_at DESC, id)",
    "CREATE INDEX signals_sender ON signals (sender_id, received_at)",
    "CREATE INDEX signals_category ON signals (category, received_at)",
    "CREATE INDEX decisions_rules ON decisions USING gin (rule_ids)",
    "CREATE INDEX review_items_decided ON review_items (decided_at)",
    "CREATE INDEX deliveries_recipient ON deliveries (recipient_id, updated_at)",
)
"""The whole schema at version 11, for a database that has nothing yet."""

VERSION_12: Final = (
    "CREATE TABLE partner_buckets ("
    " partner_id text PRIMARY KEY,"
    " tokens double precision NOT NULL,"
    " updated_at timestamptz NOT NULL)",
    "CREATE TABLE verification_jobs ("
    " id text PRIMARY KEY,"
    " started_by text NOT NULL,"
    " started_at timestamptz NOT NULL,"
    " instance text NOT NULL,"
    " total bigint NOT NULL,"
    " checked bigint NOT NULL,"
    " heartbeat_at timestamptz NOT NULL,"
    " state text NOT NULL,"
    " finished_at timestamptz,"
    " result text)",
    "CREATE UNIQUE INDEX verification_jobs_running ON verification_jobs ((true))"
    " WHERE state = 'running'",
    "CREATE INDEX verification_jobs_started ON verification_jobs (started_at)",
)
"""Version 12: each partner's rate and the audit chain's verification jobs, shared by every
instance (:func:`gateway.store.migrations.sqlite_steps.add_partner_buckets_and_verifications`)."""

VERSION_13: Final = (
    "CREATE TABLE rule_texts ("
    " policy_sha256 text NOT NULL,"
    " rule_id text NOT NULL,"
    " reason jsonb NOT NULL,"
    " legal_basis jsonb NOT NULL,"
    " PRIMARY KEY (policy_sha256, rule_id))",
)
"""Version 13: the fired rules' texts, kept once per policy and rule
(:func:`gateway.store.migrations.sqlite_steps.add_rule_texts`)."""

VERSION_14: Final = (
    "CREATE INDEX decisions_rule_sets ON decisions (rule_ids)",
    "CREATE TABLE decision_hours ("
    " hour timestamptz NOT NULL,"
    " sender_country text NOT NULL,"
    " recipient_country text NOT NULL,"
    " verdict text NOT NULL,"
    " rule_ids jsonb NOT NULL,"
    " decisions bigint NOT NULL,"
    " PRIMARY KEY (hour, sender_country, recipient_country, verdict, rule_ids))",
    "INSERT INTO decision_hours SELECT date_trunc('hour', s.received_at, 'UTC'), ps.country, "
    "pr.country, d.verdict, d.rule_ids, count(*) FROM signals s "
    "JOIN decisions d ON d.signal_id = s.id JOIN partners ps ON ps.id = s.sender_id "
    "JOIN partners pr ON pr.id = d.recipient_id GROUP BY 1, 2, 3, 4, 5",
)
"""Version 14: the sets of rules in use, read by skipping through this index (the categories
skip through ``signals_category``); the decisions counted per hour of receipt for the charts,
counted here for the signals kept before and kept from now on as signals are accepted."""

VERSION_15: Final = ("CREATE INDEX signals_sender_position ON signals (sender_id, audit_seq)",)
"""Version 15: a sender's own signals by position, a page at a time
(:func:`gateway.store.migrations.sqlite_steps.add_sender_positions`)."""

VERSION_17: Final = (
    "CREATE TABLE translation_jobs ("
    " id text PRIMARY KEY,"
    " lookup_key text NOT NULL UNIQUE,"
    " source_language text NOT NULL,"
    " target_language text NOT NULL,"
    " token_digest text NOT NULL,"
    " created_at timestamptz NOT NULL,"
    " state text NOT NULL,"
    " request_id bigint,"
    " sealed bytea,"
    " error_code text,"
    " answered_at timestamptz)",
    "CREATE INDEX translation_jobs_created ON translation_jobs (created_at)",
)
"""Version 17: the texts sent to eTranslation and waiting for, or holding, its answer
(:func:`gateway.store.migrations.sqlite_steps.add_translation_jobs`)."""

VERSION_18: Final = (
    "ALTER TABLE signals ADD COLUMN erased_at timestamptz",
    "ALTER TABLE signals ADD COLUMN erased_rule text",
    "ALTER TABLE envelopes ADD COLUMN erased_at timestamptz",
    "CREATE TABLE legal_holds ("
    " signal_id text PRIMARY KEY REFERENCES signals (id),"
    " reason text NOT NULL,"
    " review_on date NOT NULL,"
    " placed_by text NOT NULL,"
    " placed_at timestamptz NOT NULL)",
)
"""Version 18: retention (:func:`gateway.store.migrations.sqlite_steps.add_retention`)."""

VERSION_19: Final = (
    "ALTER TABLE review_items ADD COLUMN rejection_category text",
    "UPDATE review_items SET rejection_category = 'other' WHERE state = 'rejected'",
)
"""Version 19: a rejection's category, which its sender is shown
(:func:`gateway.store.migrations.sqlite_steps.add_rejection_categories`)."""

VERSION_20: Final = (
    "CREATE TABLE fetched_signals ("
    " signal_id text NOT NULL,"
    " audit_seq bigint NOT NULL,"
    " recipient_id text NOT NULL,"
    " PRIMARY KEY (signal_id, audit_seq))",
    "CREATE FUNCTION keep_fetched_signals() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO fetched_signals (signal_id, audit_seq, recipient_id) "
    "SELECT f.value, NEW.seq, CASE WHEN starts_with(NEW.actor, 'partner:') "
    "THEN substr(NEW.actor, 9) ELSE NEW.actor END "
    "FROM jsonb_array_elements_text(audit_data(NEW.entry) -> 'signals') f(value) "
    "ON CONFLICT DO NOTHING; RETURN NULL; END $$",
    "CREATE TRIGGER audit_keeps_fetched_signals AFTER INSERT ON audit FOR EACH ROW "
    "WHEN (NEW.kind = 'inbox.fetched') EXECUTE FUNCTION keep_fetched_signals()",
    "INSERT INTO fetched_signals (signal_id, audit_seq, recipient_id) "
    "SELECT f.value, a.seq, CASE WHEN starts_with(a.actor, 'partner:') "
    "THEN substr(a.actor, 9) ELSE a.actor END FROM audit a "
    "CROSS JOIN jsonb_array_elements_text(audit_data(a.entry) -> 'signals') f(value) "
    "WHERE a.kind = 'inbox.fetched' ON CONFLICT DO NOTHING",
    "DROP INDEX audit_fetched_signals",
)
"""Version 20: the signals each inbox fetch handed out, kept by a trigger as the fetches are
chained (:func:`gateway.store.migrations.sqlite_steps.add_fetched_signals`); they replace the
index into every fetch's list of signals."""

VERSION_21: Final = (
    "ALTER TABLE copies ADD COLUMN notice text",
    "CREATE TABLE withdrawals ("
    " signal_id text PRIMARY KEY REFERENCES signals (id),"
    " reason text NOT NULL,"
    " withdrawn_by text NOT NULL,"
    " withdrawn_at timestamptz NOT NULL,"
    " cancelled integer NOT NULL,"
    " review_items integer NOT NULL,"
    " notices integer NOT NULL,"
    " replaced_by text,"
    " replaced_version integer)",
)
"""Version 21: withdrawal by the sender
(:func:`gateway.store.migrations.sqlite_steps.add_withdrawals`)."""

VERSION_22: Final = (
    "CREATE TABLE memory_sources ("
    " entry_id text NOT NULL REFERENCES translation_memory (id) ON DELETE CASCADE,"
    " signal_id text NOT NULL,"
    " PRIMARY KEY (entry_id, signal_id))",
    "CREATE INDEX memory_sources_signal ON memory_sources (signal_id)",
    "ALTER TABLE translation_jobs ADD COLUMN signal_id text",
    "CREATE INDEX translation_jobs_signal ON translation_jobs (signal_id)",
)
"""Version 22: the signals each memory entry was learnt from, and the signal each eTranslation
job was sent for (:func:`gateway.store.migrations.sqlite_steps.add_memory_sources`)."""

VERSION_23: Final = (
    "CREATE TABLE signal_keys ("
    " signal_id text PRIMARY KEY REFERENCES signals (id),"
    " sealed_key bytea NOT NULL)",
    "INSERT INTO signal_keys (signal_id, sealed_key) "
    "SELECT id, substring(sealed_body from 1 for 68) FROM signals WHERE erased_at IS NULL",
    "UPDATE signals SET sealed_body = substring(sealed_body from 69) WHERE erased_at IS NULL",
)
"""Version 23: each signal's wrapped data key in a row of its own
(:func:`gateway.store.migrations.sqlite_steps.add_signal_keys`)."""

VERSION_23_AFTERWARDS: Final = ("VACUUM FULL signals",)
"""Once version 23 is committed: the signals table rewritten, so that no dead version of a row
from before still holds its signal's wrapped data key."""

VERSION_24: Final = (
    "CREATE TABLE restrictions ("
    " id text PRIMARY KEY,"
    " reason text NOT NULL,"
    " note text NOT NULL,"
    " due_on date NOT NULL,"
    " placed_by text NOT NULL,"
    " placed_at timestamptz NOT NULL,"
    " signals integer NOT NULL,"
    " lifted_by text,"
    " lifted_at timestamptz,"
    " decision text)",
    "CREATE INDEX restrictions_active ON restrictions (due_on, placed_at) WHERE lifted_at IS NULL",
    "CREATE TABLE restriction_keys ("
    " key text NOT NULL,"
    " restriction_id text NOT NULL REFERENCES restrictions (id),"
    " PRIMARY KEY (key, restriction_id))",
    "CREATE TABLE restricted_signals ("
    " signal_id text NOT NULL REFERENCES signals (id),"
    " restriction_id text NOT NULL REFERENCES restrictions (id),"
    " PRIMARY KEY (signal_id, restriction_id))",
    "CREATE INDEX restricted_signals_restriction ON restricted_signals (restriction_id)",
    "ALTER TABLE envelopes ADD COLUMN held_at timestamptz",
)
"""Version 24: restriction of processing for a data subject
(:func:`gateway.store.migrations.sqlite_steps.add_restrictions`)."""

VERSION_25: Final = (
    "ALTER TABLE audit ADD COLUMN recipient text"
    " GENERATED ALWAYS AS (audit_data(entry) ->> 'recipient') STORED",
    "CREATE INDEX audit_subject_kind ON audit (subject, kind, recipient)",
    "DROP INDEX audit_subject",
)
"""Version 25: the recipient an entry names (``data.recipient``), kept beside it as it is
chained, and the entries indexed by subject, kind and recipient (in place of the subject
alone): whether an exchange has an entry of a kind is answered from the index alone, without
reading and parsing the entries of its signal
(:func:`gateway.store.migrations.sqlite_steps.index_entries_by_recipient`)."""

VERSION_26: Final = (
    "CREATE INDEX audit_kind_signal ON audit (kind, (substr(subject, 8)), recipient)"
    " INCLUDE (subject) WHERE subject LIKE 'signal:%'",
)
"""Version 26: the entries about a signal indexed by kind, then the signal's id (the subject
after ``signal:``) and the recipient they name. The search by event kind counts its
exchanges by merging this index's range of the kind with ``decisions_pkey``, both in the
signals' order, instead of looking each exchange up (one probe each; 263 ms p95 at a million
signals). ``subject`` is included so the range is read from the index alone
(:func:`gateway.store.migrations.sqlite_steps.index_entries_by_kind_and_signal`)."""
