"""Every audit event, one type per :class:`EventKind`: who acts, what it is about, what it
holds, and what it never holds.

The gateway builds its entries only from these types, and any stored entry reads back into
one (:func:`parse`). ``docs/audit-events.md`` is written from them (``make audit-events``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from gateway.infra.audit.hashchain import AuditEntry
from gateway.infra.audit.keys import Key
from gateway.infra.audit.kinds import EventKind
from gateway.infra.audit.refs import ANONYMOUS, GATEWAY, AuditEntryInvalid, Ref, RefKind
from gateway.infra.audit.schema import ABSENT, Absent, AuditEvent, Record, about, acted_by, datum

PARTNER: Final = RefKind.PARTNER
STAFF: Final = RefKind.STAFF
ADMIN: Final = RefKind.ADMIN
ADMINISTRATORS: Final = (RefKind.ADMIN, RefKind.STAFF)
"""An administrator: at the command line, or signed in to the staff pages."""
CONTENT: Final = "nothing a signal says: no name, number, address or free text of it"

# --- signals --------------------------------------------------------------------------------


class Decided(Record):
    """What the policy decided for one recipient of a signal."""

    recipient: str = datum("the recipient partner's id")
    verdict: str = datum("`deliver`, `review` or `deny`")
    rules: tuple[str, ...] = datum("the ids of the policy rules that decided it")


class SignalAccepted(AuditEvent):
    """A partner's signal was accepted for good, with the policy's decision per recipient."""

    kind = EventKind.SIGNAL_ACCEPTED
    withheld = CONTENT + "; only its digest, its code-list values and ids"
    by: Ref = acted_by(PARTNER, doc="the sender")
    signal_id: str = datum("the signal's id, given by the gateway", subject=RefKind.SIGNAL)
    sender_reference: str = datum("the sender's own reference for the signal")
    body_sha256: str = datum("SHA-256 of the signal's canonical JSON (RFC 8785)")
    recipients: tuple[str, ...] = datum("the partners it is addressed to, by id")
    schema: str = datum("the Signal schema version")
    language: str = datum("the language it is written in")
    category: str = datum("its category code")
    urgency: str = datum("its urgency code")
    purpose: str = datum("its purpose code")
    handling_code: str = datum("its handling code")
    policy_sha256: str = datum("SHA-256 of the sharing policy that decided it")
    decisions: tuple[Decided, ...] = datum("the decision for each recipient")


class SignalRefused(AuditEvent):
    """A partner's post was refused: not valid, not routable, or not acceptable."""

    kind = EventKind.SIGNAL_REFUSED
    withheld = CONTENT + "; not even the refused values, only the codes of the problems"
    by: Ref = acted_by(PARTNER, doc="the sender")
    status: int = datum("the HTTP status answered")
    error_kind: str = datum("the problem type, as in `urn:euregate:problem:KIND`", key=Key.KIND)
    codes: tuple[str, ...] = datum("the codes of the problems found, each once")


class SignalErased(AuditEvent):
    """A signal's time was up under the retention terms: its sealed body (with the only
    wrapped copy of its data key) and every derived copy of its content were erased; its rows,
    and this log's entries about it, stay."""

    kind = EventKind.SIGNAL_ERASED
    withheld = CONTENT + " (it no longer exists anywhere at the gateway)"
    by: Ref = acted_by(
        RefKind.GATEWAY,
        ADMIN,
        doc="the gateway's daily retention run, or `euregate retention run`",
        default=GATEWAY,
    )
    signal_id: str = datum("the erased signal's id", subject=RefKind.SIGNAL)
    rule: str = datum("the id of the retention rule (or default) whose time was up")
    policy_sha256: str = datum("SHA-256 of the sharing policy that holds the rule")
    due: str = datum("the day the terms put the erasure on (YYYY-MM-DD, UTC)")
    envelopes: int = datum("how many sealed envelopes the gateway still held were deleted")
    review_items: int = datum("how many review items had their texts erased")
    subject_keys: int = datum("how many data-subject index entries were removed")
    memory_segments: int | Absent = datum(
        "how many translation memory entries, learnt from this signal alone, were deleted "
        "(absent from entries written before the memory knew its sources)",
        default=ABSENT,
    )
    translation_jobs: int | Absent = datum(
        "how many eTranslation jobs its copies sent were deleted or cancelled (absent from "
        "entries written before jobs knew their signal)",
        default=ABSENT,
    )


class EnvelopesErased(AuditEvent):
    """Envelopes their recipients acknowledged (or took by webhook) were kept for re-delivery
    as long as the retention terms say, and their content was then erased; their rows, and
    the entries of their sealing, fetching and acknowledgement, stay."""

    kind = EventKind.ENVELOPES_ERASED
    withheld = "what the envelopes held"
    by: Ref = acted_by(
        RefKind.GATEWAY,
        ADMIN,
        doc="the gateway's daily retention run, or `euregate retention run`",
        default=GATEWAY,
    )
    envelopes: tuple[str, ...] = datum("the erased envelopes, by id")
    policy_sha256: str = datum("SHA-256 of the sharing policy whose terms applied")


class SignalHeld(AuditEvent):
    """Compliance staff put a signal on legal hold: it is not erased until the hold is
    lifted, whatever its retention terms say."""

    kind = EventKind.SIGNAL_HELD
    withheld = "the hold's reason, which is kept with the hold, never in the log"
    by: Ref = acted_by(
        *ADMINISTRATORS, doc="compliance staff, or an administrator at the command line"
    )
    signal_id: str = datum("the signal held", subject=RefKind.SIGNAL)
    review_on: str = datum("the day the hold is to be reviewed (YYYY-MM-DD)")


class SignalWithdrawn(AuditEvent):
    """Its sender withdrew a signal (LED art. 7(3), 16): copies not yet sealed were cancelled,
    review items waiting were withdrawn, and each recipient that got an envelope is sent a
    notice."""

    kind = EventKind.SIGNAL_WITHDRAWN
    withheld = CONTENT
    by: Ref = acted_by(PARTNER, doc="the signal's sender")
    signal_id: str = datum("the withdrawn signal", subject=RefKind.SIGNAL)
    reason: str = datum(
        "`data_incorrect`, `unlawfully_transmitted`, `no_longer_relevant`, `sent_in_error`, "
        "or `replaced` by a new version"
    )
    cancelled: int = datum("how many copies not yet sealed were cancelled")
    review_items: int = datum("how many review items waiting were withdrawn")
    notices: int = datum("how many recipients that got an envelope are sent a notice")
    replaced_by: str | Absent = datum(
        "the new version's signal id, when a rectification replaced it (reason `replaced`)",
        default=ABSENT,
    )


class SignalHoldLifted(AuditEvent):
    """A legal hold was lifted: the signal's retention terms apply again."""

    kind = EventKind.SIGNAL_HOLD_LIFTED
    withheld = "the hold's reason"
    by: Ref = acted_by(
        *ADMINISTRATORS, doc="compliance staff, or an administrator at the command line"
    )
    signal_id: str = datum("the signal no longer held", subject=RefKind.SIGNAL)


class PolicyExplained(AuditEvent):
    """A partner asked what the policy would decide for a signal; nothing was kept."""

    kind = EventKind.POLICY_EXPLAINED
    withheld = CONTENT + "; only its digest"
    by: Ref = acted_by(PARTNER, doc="the partner that asked")
    body_sha256: str = datum("SHA-256 of the signal's canonical JSON")
    policy_sha256: str = datum("SHA-256 of the policy that decided")
    recipients: tuple[str, ...] = datum("the recipients decided, by id")


# --- delivery -------------------------------------------------------------------------------


class CopySealed(AuditEvent):
    """A recipient's copy of a signal was sealed for it (HPKE) and put in its inbox."""

    kind = EventKind.COPY_SEALED
    withheld = CONTENT + "; only the digest of the sealed payload"
    by: Ref = acted_by(RefKind.GATEWAY, doc="the gateway", default=GATEWAY)
    about: Ref = about(RefKind.SIGNAL, doc="the signal copied")
    envelope: str = datum("the envelope's id")
    recipient: str = datum("the recipient partner's id")
    version: int = datum("1 for the first copy, higher for one that follows a review")
    review: str = datum("where review stands for this copy, e.g. `none`, `pending`, `released`")
    key_id: str = datum("the recipient's encryption key it is sealed to")
    suite: str = datum("the HPKE suite")
    language: str = datum("the language it is rendered in")
    payload_sha256: str = datum("SHA-256 of the payload before sealing")


class InboxFetched(AuditEvent):
    """A partner's inbox handed out envelopes (an empty long-poll is not an event)."""

    kind = EventKind.INBOX_FETCHED
    withheld = "what the envelopes hold"
    by: Ref = acted_by(PARTNER, doc="the recipient, fetching its inbox")
    about: Ref = about(PARTNER, doc="the same recipient")
    envelopes: tuple[str, ...] = datum("the envelopes handed out, by id")
    signals: tuple[str, ...] = datum("the signals they carry, by id, each once")
    after: int = datum("the inbox position the recipient asked to read after")


class _Envelope(AuditEvent):
    """What every step of one envelope names."""

    withheld = "what the envelope holds"
    about: Ref = about(RefKind.SIGNAL, doc="the signal the envelope carries")
    envelope: str = datum("the envelope's id")
    recipient: str = datum("the recipient partner's id")


class InboxAcknowledged(_Envelope):
    """A recipient acknowledged an envelope: by the inbox API, or by its webhook's answer."""

    kind = EventKind.INBOX_ACKNOWLEDGED
    by: Ref = acted_by(PARTNER, doc="the recipient")
    via: str | Absent = datum(
        "`webhook` when the webhook's 2xx answer acknowledged it; absent for the inbox API",
        key=Key.BY,
        default=ABSENT,
    )


class DeliveryAttempted(_Envelope):
    """The gateway pushed an envelope to the recipient's webhook, successfully or not."""

    kind = EventKind.DELIVERY_ATTEMPTED
    withheld = "what the envelope holds; the webhook's answer beyond its status"
    by: Ref = acted_by(RefKind.GATEWAY, doc="the gateway", default=GATEWAY)
    attempt: int = datum("which attempt this was, from 1")
    status: int | None = datum("the HTTP status answered; null when none came")
    error: str | None = datum("`timeout`, `tls`, `connection` or `status`; null when delivered")
    state: str = datum("`delivered`, `pending` (tried again later) or `dead` (given up)")
    next_attempt_at: str | Absent | None = datum(
        "when it is tried again; null when given up; absent when delivered", default=ABSENT
    )


class DeliveryRetried(_Envelope):
    """An administrator put a dead or waiting push back in the outbox, due now."""

    kind = EventKind.DELIVERY_RETRIED
    by: Ref = acted_by(*ADMINISTRATORS, doc="the administrator")


# --- review ---------------------------------------------------------------------------------


class _Review(AuditEvent):
    """What every step of a review names."""

    withheld = CONTENT
    by: Ref = acted_by(STAFF, doc="the liaison officer")
    about: Ref = about(RefKind.SIGNAL, doc="the signal reviewed")
    item: str = datum("the review item's id")
    recipient: str = datum("the recipient partner's id")


class ReviewOpened(_Review):
    """A liaison officer opened a copy held for review."""

    kind = EventKind.REVIEW_OPENED


class ReviewReleased(_Review):
    """A liaison officer released a copy, with or without corrections."""

    kind = EventKind.REVIEW_RELEASED
    withheld = CONTENT + "; not the corrections, only where they were made"
    corrected: tuple[str, ...] = datum("the JSON pointers of the corrected texts")
    learned_segments: int = datum("how many segments the translation memory learned")
    as_written: tuple[str, ...] | Absent = datum(
        "the JSON pointers of the texts the officer chose to send as written, in a language "
        "the recipient does not read; absent in entries from before such a choice was asked",
        default=ABSENT,
    )
    withheld_texts: tuple[str, ...] | Absent = datum(
        "the JSON pointers of the texts the officer withheld from the recipient; absent in "
        "entries from before",
        default=ABSENT,
    )


class ReviewRejected(_Review):
    """A liaison officer rejected a copy: the recipient does not receive it."""

    kind = EventKind.REVIEW_REJECTED
    withheld = CONTENT + "; not the reason given, which is kept sealed with the item"
    category: str | Absent = datum(
        "the rejection's category, from the closed list its sender is shown; absent in "
        "entries written before there was one",
        default=ABSENT,
    )


class MemoryListed(AuditEvent):
    """A liaison officer listed what the officers of a desk taught the translation memory."""

    kind = EventKind.MEMORY_LISTED
    withheld = "the texts of the memory"
    by: Ref = acted_by(STAFF, doc="the officer")
    desk: str = datum("the desk listed", subject=RefKind.DESK)
    entries: int = datum("how many entries were shown")


class MemoryConfirmed(AuditEvent):
    """A second officer confirmed another's entry of the translation memory for wider use."""

    kind = EventKind.MEMORY_CONFIRMED
    withheld = "the texts of the entry"
    by: Ref = acted_by(STAFF, doc="the confirming officer")
    entry: str = datum("the memory entry's id", subject=RefKind.MEMORY)
    desk: str = datum("the desk it belongs to")
    author: str | None = datum("the staff id of the officer who wrote it; null for none")
    source_language: str = datum("the language translated from")
    target_language: str = datum("the language translated into")


# --- compliance -----------------------------------------------------------------------------


class SubjectLookedUp(AuditEvent):
    """Compliance staff looked up the signals about a person (a data-subject request)."""

    kind = EventKind.SUBJECT_LOOKED_UP
    withheld = "the name, date of birth or number looked up, in any form"
    by: Ref = acted_by(STAFF, doc="the compliance officer")
    looked_up_by: str = datum("`identifier` or `name`: what was looked up by", key=Key.BY)
    found: tuple[str, ...] = datum("the signals found, by id")


RESTRICTION_WITHHELD: Final = (
    "the person restricted, in any form (name, date of birth, number, or their keys in the "
    "data-subject index), and the restriction's note"
)


class SubjectRestricted(AuditEvent):
    """Compliance staff restricted processing for a data subject (LED art. 16(3)): nothing
    about the person leaves the gateway until the restriction is lifted."""

    kind = EventKind.SUBJECT_RESTRICTED
    withheld = RESTRICTION_WITHHELD
    by: Ref = acted_by(
        *ADMINISTRATORS, doc="compliance staff, or an administrator at the command line"
    )
    restriction: str = datum("the restriction's id")
    reason: str = datum(
        "`accuracy_contested`, `kept_as_evidence` or `unlawful_processing_objected`"
    )
    due_on: str = datum("the day the decision on it is due (YYYY-MM-DD)")
    signals: int = datum("how many signals it held when placed")


class SubjectRestrictionLifted(AuditEvent):
    """A restriction of processing was lifted: what it held goes on to its recipients."""

    kind = EventKind.SUBJECT_RESTRICTION_LIFTED
    withheld = RESTRICTION_WITHHELD
    by: Ref = acted_by(
        *ADMINISTRATORS, doc="compliance staff, or an administrator at the command line"
    )
    restriction: str = datum("the restriction's id")
    reason: str = datum("the reason code it was placed for")
    decision: str = datum("`lifted`: delivery resumes")
    signals: int = datum("how many signals it released (those no other restriction holds)")


class AuditExported(AuditEvent):
    """Compliance staff exported exchanges from the audit search, or a data subject's report
    of the exchanges about them, signed by the gateway."""

    kind = EventKind.AUDIT_EXPORTED
    withheld = "the exported rows themselves"
    by: Ref = acted_by(STAFF, doc="the compliance officer")
    about: Ref = about(RefKind.EXPORT, doc="the export's file name")
    format: str = datum("`csv` or `json`; `txt` for a data subject's report")
    rows: int = datum("how many exchanges it holds (signals, for a data subject's report)")
    query: dict[str, str] = datum(
        "the search it was made from, by filter; for a data subject's report only the kind of "
        "lookup (`data_subject_lookup`: `number` or `name`), never what was looked up"
    )
    sha256: str = datum("SHA-256 of the exported file")
    key_id: str = datum("the gateway's signing key that signed its manifest")


# --- partners, certificates and keys ------------------------------------------------------


class PartnerAdded(AuditEvent):
    """An administrator added a partner to the registry."""

    kind = EventKind.PARTNER_ADDED
    withheld = "the partner's name and contacts"
    by: Ref = acted_by(*ADMINISTRATORS, doc="the administrator")
    about: Ref = about(PARTNER, doc="the partner added")
    country: str = datum("its country code")
    agency_type: str = datum("its agency type code")
    languages: tuple[str, ...] = datum("the languages it reads")


class PartnerStateChanged(AuditEvent):
    """An administrator suspended, revoked or reinstated a partner."""

    kind = EventKind.PARTNER_STATE_CHANGED
    withheld = "anything beyond the two states"
    by: Ref = acted_by(*ADMINISTRATORS, doc="the administrator")
    about: Ref = about(PARTNER, doc="the partner")
    was: str = datum("the state before", key=Key.FROM)
    now: str = datum("the state after", key=Key.TO)


class PartnerWebhookChanged(AuditEvent):
    """An administrator set, changed or removed a partner's webhook."""

    kind = EventKind.PARTNER_WEBHOOK_CHANGED
    withheld = "any credential: a webhook URL never carries a user name or password"
    by: Ref = acted_by(*ADMINISTRATORS, doc="the administrator")
    about: Ref = about(PARTNER, doc="the partner")
    was: str | None = datum("the URL before; null for none", key=Key.FROM)
    now: str | None = datum("the URL after; null for none", key=Key.TO)
    outbox_changed: int = datum("how many waiting pushes followed the change")


class CertificateIssued(AuditEvent):
    """The gateway's CA issued a certificate to a partner: a client certificate, or a server
    certificate for its webhook."""

    kind = EventKind.CERTIFICATE_ISSUED
    withheld = "any private key"
    by: Ref = acted_by(*ADMINISTRATORS, doc="the administrator")
    about: Ref = about(PARTNER, doc="the partner")
    fingerprint: str = datum("SHA-256 fingerprint of the certificate")
    serial: str = datum("its serial number, in hexadecimal")
    key: str = datum("`request` (the partner's key, from its request) or `generated` (demo)")
    purpose: str | Absent = datum("`webhook` for a webhook's certificate", default=ABSENT)
    names: tuple[str, ...] | Absent = datum(
        "the host names of a webhook's certificate", default=ABSENT
    )


class CertificateRevoked(AuditEvent):
    """An administrator revoked a partner's client certificate."""

    kind = EventKind.CERTIFICATE_REVOKED
    withheld = "anything beyond the fingerprint"
    by: Ref = acted_by(*ADMINISTRATORS, doc="the administrator")
    fingerprint: str = datum("SHA-256 fingerprint of the certificate", subject=RefKind.CERTIFICATE)


class PartnerKeyAdded(AuditEvent):
    """An administrator registered a partner's public encryption key."""

    kind = EventKind.PARTNER_KEY_ADDED
    withheld = "the key itself"
    by: Ref = acted_by(*ADMINISTRATORS, doc="the administrator")
    about: Ref = about(PARTNER, doc="the partner")
    key_id: str = datum("the key's id")
    suite: str = datum("the HPKE suite it is for")
    valid_from: str = datum("when copies start being sealed to it")
    valid_until: str | None = datum("when it stops being used; null for open-ended")


class PartnerKeyRetired(AuditEvent):
    """An administrator retired a partner's encryption key."""

    kind = EventKind.PARTNER_KEY_RETIRED
    withheld = "the key itself"
    by: Ref = acted_by(*ADMINISTRATORS, doc="the administrator")
    about: Ref = about(PARTNER, doc="the partner")
    key_id: str = datum("the key's id")
    suite: str = datum("the HPKE suite it was for")


class GatewayKeyCreated(AuditEvent):
    """The gateway's Ed25519 signing key was created."""

    kind = EventKind.GATEWAY_KEY_CREATED
    withheld = "the private key"
    by: Ref = acted_by(ADMIN, doc="the administrator who ran `euregate init`")
    key_id: str = datum("the key's id", subject=RefKind.GATEWAY_KEY)
    algorithm: str = datum("`Ed25519`")


class GatewayInitialised(AuditEvent):
    """``euregate init`` created the gateway's files."""

    kind = EventKind.GATEWAY_INITIALISED
    withheld = "what the files hold"
    by: Ref = acted_by(ADMIN, doc="the administrator who ran `euregate init`")
    created: tuple[str, ...] = datum("the names of the files created")


class AtRestUpgraded(AuditEvent):
    """What was still stored clear or sealed the old way was sealed anew."""

    kind = EventKind.AT_REST_UPGRADED
    withheld = "what was sealed"
    by: Ref = acted_by(ADMIN, RefKind.GATEWAY, doc="the gateway at start, or `euregate init`")
    rejection_reasons_sealed: int = datum("how many rejection reasons were sealed")
    memory_entries_resealed: int = datum("how many translation memory entries were resealed")


class StoreMigrated(AuditEvent):
    """The store's schema was brought forward to the one a new release works with."""

    kind = EventKind.STORE_MIGRATED
    withheld = "nothing"
    by: Ref = acted_by(
        ADMIN, RefKind.GATEWAY, doc="`euregate migrate`, or the gateway at `serve --migrate`"
    )
    from_version: int = datum("the schema version before", key=Key.FROM)
    to_version: int = datum("the schema version after", key=Key.TO)


class StoreRestored(AuditEvent):
    """A backup was restored into a new data directory: the log goes on from the backup's last
    entry, and this entry says so to whoever checks it, witnesses included. (A backup of an
    older schema is restored without it: its store cannot record until it is migrated.)"""

    kind = EventKind.STORE_RESTORED
    withheld = "the archive's name and where it was kept"
    by: Ref = acted_by(ADMIN, doc="the administrator who ran `euregate restore`")
    backup_made_at: str = datum("when the backup was made (RFC 3339, UTC)")
    entries: int = datum("how many audit entries the backup held, all restored")
    size: int = datum("the size of the backup's latest signed checkpoint")
    compared_with: tuple[str, ...] = datum(
        "the data directories and checkpoint files the restored log was found not older than; "
        "empty when the administrator said there was none (`--no-newer-log`)"
    )


class MasterKeyRotationStarted(AuditEvent):
    """An administrator began rotating the master key: a new version seals from now on, and
    what older versions sealed is being re-wrapped under it."""

    kind = EventKind.MASTER_KEY_ROTATION_STARTED
    withheld = "the keys themselves, and what they seal"
    by: Ref = acted_by(ADMIN, doc="the administrator who ran `euregate keys rotate-master`")
    version: int = datum("the new version")
    holder: str = datum("where the new version is kept: `file` or `pkcs11` (an HSM)")
    draining: tuple[int, ...] = datum("the versions whose values are re-wrapped under it")


class MasterKeyRotated(AuditEvent):
    """Every value sealed under the master key is under its current version; the versions it
    replaced are retired."""

    kind = EventKind.MASTER_KEY_ROTATED
    withheld = "the keys themselves, and what they seal"
    by: Ref = acted_by(ADMIN, doc="the administrator who ran `euregate keys rotate-master`")
    version: int = datum("the current version")
    retired: tuple[int, ...] = datum("the versions retired")
    rewrapped: dict[str, int] = datum(
        "how many values of each kind the last run re-wrapped (signal bodies, released texts, "
        "rejection reasons, staff TOTP secrets, translation memory entries); a run cut short "
        "re-wrapped the rest"
    )


class GatewayKeyRotated(AuditEvent):
    """An administrator replaced the gateway's signing key: the new one signs from now on, the
    old one is listed until it retires after the grace period."""

    kind = EventKind.GATEWAY_KEY_ROTATED
    withheld = "the private keys"
    by: Ref = acted_by(ADMIN, doc="the administrator who ran `euregate keys rotate-signing`")
    key_id: str = datum("the new key's id", subject=RefKind.GATEWAY_KEY)
    replaces: str = datum("the old key's id")
    retires_at: str = datum("when the old key retires (the end of the grace period)")


class GatewayCertificateRenewed(AuditEvent):
    """An administrator renewed one of the gateway's own certificates: its key certified anew
    by the gateway's CA."""

    kind = EventKind.GATEWAY_CERTIFICATE_RENEWED
    withheld = "the private key"
    by: Ref = acted_by(ADMIN, doc="the administrator who ran `euregate cert renew`")
    use: str = datum("`server` (the listeners') or `client` (presented to webhooks)")
    fingerprint: str = datum("SHA-256 fingerprint of the new certificate")
    serial: str = datum("its serial number, in hexadecimal")
    not_after: str = datum("when it runs out")


# --- the transparency log: witnesses ---------------------------------------------------------


class WitnessKeyAdded(AuditEvent):
    """An administrator registered a partner's witness key, with which the partner's witness
    cosigns the gateway's checkpoints of the audit log."""

    kind = EventKind.WITNESS_KEY_ADDED
    withheld = "nothing secret: a witness key is public; the partner keeps its private half"
    by: Ref = acted_by(*ADMINISTRATORS, doc="the administrator")
    about: Ref = about(PARTNER, doc="the partner")
    key_name: str = datum("the key's name in its cosignatures")
    key_id: str = datum("the key's 4-byte note key ID, in hexadecimal")


class WitnessKeyRetired(AuditEvent):
    """An administrator retired a partner's witness key: its cosignatures are refused now."""

    kind = EventKind.WITNESS_KEY_RETIRED
    withheld = "nothing secret: a witness key is public"
    by: Ref = acted_by(*ADMINISTRATORS, doc="the administrator")
    about: Ref = about(PARTNER, doc="the partner")
    key_name: str = datum("the key's name in its cosignatures")
    key_id: str = datum("the key's 4-byte note key ID, in hexadecimal")


class CheckpointCosigned(AuditEvent):
    """A partner's witness cosigned a checkpoint of the audit log: it checked that the log it
    saw extends the one it cosigned before. The gateway verified and kept the cosignature."""

    kind = EventKind.CHECKPOINT_COSIGNED
    withheld = "the signature itself, which is kept with the cosignature"
    by: Ref = acted_by(PARTNER, doc="the partner whose witness cosigned")
    size: int = datum("the size of the tree the checkpoint signs")
    key_name: str = datum("the witness key's name")
    key_id: str = datum("the witness key's 4-byte note key ID, in hexadecimal")
    cosigned_at: str = datum("when the witness cosigned, by its own clock")


class InconsistencyReported(AuditEvent):
    """A partner's witness refused to cosign a checkpoint and reported why, with the
    checkpoint it had cosigned before and the one it was shown as evidence."""

    kind = EventKind.INCONSISTENCY_REPORTED
    withheld = "the two checkpoints, which are kept with the report"
    by: Ref = acted_by(PARTNER, doc="the partner whose witness refused")
    report: str = datum("the report's id")
    report_kind: str = datum(
        "what the witness found: `checkpoint-rollback`, `checkpoint-split-view`, "
        "`consistency-unproven`, `checkpoint-unverified` or `cosignatures-disagree`",
        key=Key.KIND,
    )
    previous_size: int | None = datum("the size it had cosigned before; null for none")
    submitted_size: int | None = datum("the size it was shown; null when it could not be read")


# --- policy ---------------------------------------------------------------------------------


class PolicyAdopted(AuditEvent):
    """A sharing policy came into force."""

    kind = EventKind.POLICY_ADOPTED
    withheld = "the policy's text, which is kept by its digest in the store"
    by: Ref = acted_by(RefKind.GATEWAY, doc="the gateway, at start or on a reload", default=GATEWAY)
    sha256: str = datum("SHA-256 of the policy file", subject=RefKind.POLICY)
    previous_sha256: str | None = datum("SHA-256 of the policy before; null for the first")
    rules: int = datum("how many rules it has")


class PolicyRefused(AuditEvent):
    """A policy file did not pass the check; the policy in force stays."""

    kind = EventKind.POLICY_REFUSED
    withheld = "the refused file and its problems, which the operator's log shows"
    by: Ref = acted_by(RefKind.GATEWAY, doc="the gateway, on a reload", default=GATEWAY)
    kept_sha256: str = datum("SHA-256 of the policy kept in force")
    problems: int = datum("how many problems the check found")


# --- authentication -------------------------------------------------------------------------


class AuthenticationRefused(AuditEvent):
    """Requests that proved no identity, from one address in one minute, summed up."""

    kind = EventKind.AUTHENTICATION_REFUSED
    withheld = "any token or password; a refused token is not named"
    by: Ref = acted_by(RefKind.ANONYMOUS, doc="no one proven", default=ANONYMOUS)
    listener: str = datum("`partners` or `staff`: the listener refusing")
    address: str = datum("the client's network address (or `*` for the rest, when many)")
    since: str = datum("the start of the minute", key=Key.FROM)
    until: str = datum("its end")
    count: int = datum("how many requests were refused, throttled ones included")
    throttled: int = datum("how many of them were answered 429 before any look-up")
    reasons: dict[str, int] = datum("how many were refused for each reason")
    credentials: tuple[str, ...] | Absent = datum(
        "the fingerprints of the first few refused client certificates; absent when none",
        default=ABSENT,
    )


# --- staff accounts -------------------------------------------------------------------------


class Change(Record):
    """One attribute of an account, before and after."""

    was: str = datum("before", key=Key.FROM)
    now: str = datum("after", key=Key.TO)


class StaffAdded(AuditEvent):
    """An administrator enrolled a person."""

    kind = EventKind.STAFF_ADDED
    withheld = "the person's name, password or second factor"
    by: Ref = acted_by(*ADMINISTRATORS, doc="the administrator")
    about: Ref = about(STAFF, doc="the account added")
    role: str = datum("its role")
    desk: str = datum("its desk")
    language: str = datum("its language")


class StaffChanged(AuditEvent):
    """An administrator changed an account's name, role, desk or language."""

    kind = EventKind.STAFF_CHANGED
    withheld = "the names, old or new; only that the name changed"
    by: Ref = acted_by(*ADMINISTRATORS, doc="the administrator")
    about: Ref = about(STAFF, doc="the account")
    role: Change | Absent = datum("the role, when it changed", default=ABSENT)
    desk: Change | Absent = datum("the desk, when it changed", default=ABSENT)
    language: Change | Absent = datum("the language, when it changed", default=ABSENT)
    name_changed: bool | Absent = datum("`true` when the name changed", default=ABSENT)


class StaffStateChanged(AuditEvent):
    """An administrator disabled or enabled an account."""

    kind = EventKind.STAFF_STATE_CHANGED
    withheld = "anything beyond the two states"
    by: Ref = acted_by(*ADMINISTRATORS, doc="the administrator")
    about: Ref = about(STAFF, doc="the account")
    was: str = datum("the state before", key=Key.FROM)
    now: str = datum("the state after", key=Key.TO)


class StaffCredentialsReset(AuditEvent):
    """An administrator gave an account a new password and second factor."""

    kind = EventKind.STAFF_CREDENTIALS_RESET
    withheld = "the password, the second factor or any token"
    by: Ref = acted_by(*ADMINISTRATORS, doc="the administrator")
    about: Ref = about(STAFF, doc="the account")
    tokens_revoked: int = datum("how many of its API tokens were revoked with it")


class StaffLoginSucceeded(AuditEvent):
    """A person signed in."""

    kind = EventKind.STAFF_LOGIN_SUCCEEDED
    withheld = "the password or the code"
    by: Ref = acted_by(STAFF, doc="the person")
    about: Ref = about(STAFF, doc="the same account")
    address: str = datum("the client's network address")
    rehashed: bool | Absent = datum(
        "`true` when the password's hash was renewed to today's parameters", default=ABSENT
    )


class StaffLoginRefused(AuditEvent):
    """A sign-in (or an enrolment) was refused."""

    kind = EventKind.STAFF_LOGIN_REFUSED
    withheld = (
        "the password or the code; the name tried, when it names no account (it may be a "
        "password typed into the wrong field)"
    )
    by: Ref = acted_by(STAFF, RefKind.ANONYMOUS, doc="the account tried, or anonymous")
    about: Ref | None = about(STAFF, doc="the account tried; none when there is no such account")
    reason: str = datum("why it was refused")
    address: str = datum("the client's network address")
    failures: int = datum("the failures counted for this name and address")
    blocked_until: str | Absent = datum(
        "until when sign-in is blocked, when these failures block it", default=ABSENT
    )


class StaffSignedOut(AuditEvent):
    """A person signed out, ending their sessions."""

    kind = EventKind.STAFF_SIGNED_OUT
    withheld = "the session ids"
    by: Ref = acted_by(STAFF, doc="the person")
    about: Ref = about(STAFF, doc="the same account")
    sessions_ended: int = datum("how many sessions ended")


class StaffSignInUnblocked(AuditEvent):
    """An administrator lifted the sign-in blocks of an account."""

    kind = EventKind.STAFF_SIGN_IN_UNBLOCKED
    withheld = "the addresses"
    by: Ref = acted_by(*ADMINISTRATORS, doc="the administrator")
    about: Ref = about(STAFF, doc="the account")
    addresses: int = datum("how many blocked addresses were lifted")


class StaffEnrolled(AuditEvent):
    """A person enrolled with both halves of an enrolment code."""

    kind = EventKind.STAFF_ENROLLED
    withheld = "the code's halves, the password or the second factor"
    by: Ref = acted_by(STAFF, doc="the person")
    about: Ref = about(STAFF, doc="the same account")
    proposal: str = datum("the approved proposal the code came from")
    address: str = datum("the client's network address")


class StaffTokenIssued(AuditEvent):
    """An administrator issued an API token to a person."""

    kind = EventKind.STAFF_TOKEN_ISSUED
    withheld = "the token's secret"
    by: Ref = acted_by(*ADMINISTRATORS, doc="the administrator")
    about: Ref = about(STAFF, doc="the token's holder")
    token_id: str = datum("the token's id")
    label: str = datum("the label the administrator gave it (1 to 100 printable characters)")


class StaffTokenRevoked(AuditEvent):
    """An administrator revoked an API token."""

    kind = EventKind.STAFF_TOKEN_REVOKED
    withheld = "the token's secret"
    by: Ref = acted_by(*ADMINISTRATORS, doc="the administrator")
    about: Ref = about(STAFF, doc="the token's holder")
    token_id: str = datum("the token's id")


class _Proposal(AuditEvent):
    """What every step of a four-eyes proposal names."""

    withheld = "the person's name, or any half of an enrolment code"
    by: Ref = acted_by(STAFF, doc="the administrator")
    about: Ref = about(STAFF, doc="the account proposed")
    proposal: str = datum("the proposal's id")
    proposal_kind: str = datum("`add`, `reset` or `change`", key=Key.KIND)
    role: str = datum("the account's role as proposed")
    desk: str = datum("the account's desk as proposed")
    language: str = datum("the account's language")


class StaffProposed(_Proposal):
    """An administrator proposed adding, resetting or changing an account."""

    kind = EventKind.STAFF_PROPOSED
    approver: str = datum("the role that must approve it")


class StaffProposalApproved(_Proposal):
    """A second administrator approved a proposal."""

    kind = EventKind.STAFF_PROPOSAL_APPROVED
    sessions_ended: int | Absent = datum(
        "how many of the account's sessions ended (a reset or a change)", default=ABSENT
    )
    tokens_revoked: int | Absent = datum(
        "how many of its API tokens were revoked (a reset)", default=ABSENT
    )
    code_expires_at: str | Absent = datum(
        "until when the enrolment code works (an addition or a reset)", default=ABSENT
    )


class StaffProposalRefused(_Proposal):
    """A second administrator refused a proposal."""

    kind = EventKind.STAFF_PROPOSAL_REFUSED


EVENTS: Final[Mapping[EventKind, type[AuditEvent]]] = {
    cls.kind: cls
    for cls in (
        SignalAccepted,
        SignalRefused,
        SignalErased,
        EnvelopesErased,
        SignalHeld,
        SignalWithdrawn,
        SignalHoldLifted,
        AuthenticationRefused,
        PartnerAdded,
        PartnerStateChanged,
        PartnerWebhookChanged,
        CertificateIssued,
        CertificateRevoked,
        PartnerKeyAdded,
        PartnerKeyRetired,
        GatewayKeyCreated,
        GatewayInitialised,
        PolicyAdopted,
        PolicyRefused,
        PolicyExplained,
        CopySealed,
        InboxFetched,
        InboxAcknowledged,
        DeliveryAttempted,
        DeliveryRetried,
        SubjectLookedUp,
        SubjectRestricted,
        SubjectRestrictionLifted,
        AuditExported,
        ReviewOpened,
        ReviewReleased,
        ReviewRejected,
        StaffAdded,
        StaffChanged,
        StaffStateChanged,
        StaffCredentialsReset,
        StaffLoginSucceeded,
        StaffLoginRefused,
        StaffSignedOut,
        StaffSignInUnblocked,
        StaffProposed,
        StaffProposalApproved,
        StaffProposalRefused,
        StaffEnrolled,
        StaffTokenIssued,
        StaffTokenRevoked,
        MemoryListed,
        MemoryConfirmed,
        AtRestUpgraded,
        StoreMigrated,
        StoreRestored,
        MasterKeyRotationStarted,
        MasterKeyRotated,
        GatewayKeyRotated,
        GatewayCertificateRenewed,
        WitnessKeyAdded,
        WitnessKeyRetired,
        CheckpointCosigned,
        InconsistencyReported,
    )
}
"""The one type of each kind."""


def parse(entry: AuditEntry) -> AuditEvent:
    """The event a stored entry records, or :class:`~gateway.infra.audit.refs.AuditEntryInvalid`."""
    try:
        cls = EVENTS[EventKind(entry.kind)]
    except ValueError:
        raise AuditEntryInvalid(
            f"entry {entry.seq}: no event has the kind {entry.kind!r}"
        ) from None
    return cls.parsed(entry.actor, entry.subject, entry.data)
