"""Every error Euregate reports, in one tree.

    EuregateError                      anything the gateway refuses or fails at
    ├── ClientError                    the caller can fix it (4xx)
    │   ├── MalformedBody              400  not JSON we can read
    │   │   ├── MalformedJson          400  syntax error, with line and column
    │   │   ├── BodyNotUtf8            400
    │   │   ├── BodyTooDeep            400
    │   │   └── DuplicateMember        400  the same member twice in one object
    │   ├── MalformedRequest           400  not an HTTP request the parser can read
    │   ├── ClientGone                 400  the client hung up before the request was whole
    │   ├── NotAuthenticated           403  unknown, suspended or revoked partner
    │   ├── TooManyRefusals            429  too many refused credentials from one address
    │   ├── NotFound                   404
    │   ├── QueryInvalid               400  a query parameter out of range
    │   │   └── QueryUnknown           400  a query parameter the resource does not take
    │   ├── MethodNotAllowed           405
    │   ├── IdempotencyConflict        409  same sender_reference, different body
    │   ├── UntranslatedUnresolved     422  a release leaves untranslated text without a choice
    │   ├── ReleaseChoiceConflict      422  two choices (or a choice and a text) for one field
    │   ├── MemoryConfirmationRefused  403  a memory entry needs a second officer to confirm
    │   ├── MemoryEntryConfirmed       409  confirmed already, or written anew meanwhile
    │   ├── TranslationCallbackInvalid 400  an eTranslation callback without a field it needs
    │   ├── TranslationCallbackRefused 403  a callback with another token than its job's
    │   ├── TranslationJobAnswered     409  a callback for a job answered already (a replay)
    │   ├── HoldInvalid                422  a legal hold without a reason, or reviewed too soon
    │   ├── HoldRefused                409  no such signal, erased already, or held already
    │   ├── NotHeld                    404  lifting a hold a signal does not have
    │   ├── RestrictionInvalid         422  a restriction without a known reason, a due day or
    │   │                                   a person to name, or with too long a note
    │   ├── NotRestricted              404  lifting a restriction that is not in force
    │   ├── ReleaseRestricted          409  releasing a copy about a person whose processing
    │   │                                   is restricted
    │   ├── BodyTimeout                408  the body did not arrive in time
    │   ├── BodyTooLarge               413
    │   ├── UnsupportedMediaType       415
    │   ├── SignalInvalid              422  schema or rule violations, the first 100 listed
    │   ├── RecipientsInvalid          422  unknown recipients or nothing to route to
    │   ├── WithdrawalReasonInvalid    422  a withdrawal without a reason of the closed list
    │   ├── PartnerRateLimited         429  more signals per second than the partner's rate
    │   ├── PartnerBusy                429  as many of the partner's signals in progress as allowed
    │   └── TooManyLongPolls           429  the partner's long-polls are all taken
    ├── RegistryError                  an administrator's command cannot be done
    ├── SettingInvalid                 a setting the gateway refuses to start with
    ├── SealingBehind                  503  too many copies wait to be sealed, most of them the
    │                                       sender's: not kept, Retry-After
    ├── StorageUnavailable             503  the store cannot keep or read anything now: the
    │   │                                   operator's to fix, not the caller's; Retry-After
    │   ├── StorageFull                507  the data's file system is full
    │   ├── StorageReadOnly            503  the data's file system is read-only
    │   ├── StorageFailing             503  input/output error, or a damaged database file
    │   └── StoreUnreachable           503  the database cannot be opened, locked or reached
    ├── StoreSchemaRefused             the store's schema is not the one this release uses
    │   ├── SchemaOutdated             older: `euregate migrate` brings it forward
    │   └── SchemaTooNew               newer: written by a later release
    ├── StoreToolFailed                pg_dump or pg_restore missing, or failed
    ├── BackupRefused                  a backup or restore the gateway will not do
    │   ├── BackupExists               the archive to write exists already
    │   ├── ArchiveUnreadable          not a backup archive, or its manifest is malformed
    │   ├── ArchiveTampered            a member differs from the manifest's hash, or is extra
    │   ├── RestoreTargetNotEmpty      restoring into a directory that holds files already
    │   ├── RestoreDatabaseNotEmpty    restoring into a database that holds Euregate's tables
    │   ├── RestoreWouldRollBack       a newer log (data directory, checkpoint) than the backup's
    │   ├── RestoreUnchecked           no newer log named to compare with, nor said there is none
    │   ├── NewerLogMissing            the newer log named holds no store to compare with
    │   ├── RestoreForked              a log of the same size with another root hash
    │   ├── MasterKeyMismatch          the master key given is not the one the backup needs
    │   └── RestoreMismatch            the restored store disagrees with the manifest
    ├── EnvelopeRefused                a partner's side refuses an envelope (gateway.infra.seal)
    │   ├── EnvelopeMalformed          not the envelope format of docs/envelope.md
    │   ├── EnvelopeMisaddressed       sealed for another recipient or signal
    │   ├── EnvelopeWrongKey           sealed to another key than the one given
    │   ├── EnvelopeSignatureInvalid   unknown signing key, or anything changed after signing
    │   └── EnvelopeUndecryptable      HPKE refuses: altered, or bound to other ids
    ├── NoteRefused                    a signed note (C2SP signed-note) is not accepted
    │   ├── NoteMalformed              400  not in the signed-note format
    │   ├── NoteUnverified             403  no signature by a key we know
    │   ├── NoteSignatureInvalid       403  a known key's signature does not verify
    │   ├── VerifierKeyMalformed       400  not a verifier key we can use
    │   └── CheckpointMalformed        400  the note's text is not a C2SP checkpoint
    ├── WitnessRefusal                 a witness will not cosign; both checkpoints kept
    │   ├── CheckpointUnverified       403  the new checkpoint's signature or form is wrong
    │   ├── CheckpointRollback         409  smaller than the one cosigned before
    │   ├── CheckpointSplitView        409  the same size with another root hash
    │   ├── ConsistencyUnproven        422  the proof does not show the new log extends the old
    │   └── CosignaturesDisagree       409  another witness cosigned another log of that size
    ├── TransparencyRefusal            the audit log's tree cannot answer or accept this
    │   ├── CheckpointNotPublished     404  no signed checkpoint yet, or none of that size
    │   ├── BeyondTheLog               404  a proof asked for a tree larger than the published one
    │   ├── WitnessKeyUnknown          403  a cosignature by a key not registered for the caller
    │   └── CosignatureInvalid         422  a cosignature that does not verify on our checkpoint
    ├── ProofRefused                   a partner's or auditor's side does not accept a proof
    │   ├── ReceiptMalformed           not a receipt naming its audit entry's leaf
    │   ├── InclusionUnproven          the entry is not shown to be in the signed checkpoint
    │   └── LogDiverged                the log no longer matches checkpoints trusted earlier
    └── InternalError                  500  our fault; details go to the log, not the caller
        ├── AuditTreeIncomplete        a hash the audit log's tree must hold is missing
        ├── AuditTreeMoved             another sequencer extended the tree meanwhile
        └── AuditLogDiverged           the chain does not continue the tree: not integrated

Each error knows its problem ``type`` (a stable URI), HTTP status, and title and
detail as English message ids; :mod:`gateway.edges.problems` turns them into RFC 9457
documents in the caller's language. The root, the 4xx root and what a partner's side
refuses (envelopes, signed notes, receipts' proofs) are the partner client's
(:mod:`euregate_client.errors`), so that its refusals are the gateway's. Errors survive
pickling, so a worker process can hand one back to the gateway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Final

from euregate_client import errors as _partner

from gateway.infra.i18n import N_

# The partner client's errors: the root of the tree, and what a partner's side refuses.
PROBLEM_BASE = _partner.PROBLEM_BASE
CheckpointMalformed = _partner.CheckpointMalformed
ClientError = _partner.ClientError
EnvelopeMalformed = _partner.EnvelopeMalformed
EnvelopeMisaddressed = _partner.EnvelopeMisaddressed
EnvelopeRefused = _partner.EnvelopeRefused
EnvelopeSignatureInvalid = _partner.EnvelopeSignatureInvalid
EnvelopeUndecryptable = _partner.EnvelopeUndecryptable
EnvelopeWrongKey = _partner.EnvelopeWrongKey
EuregateError = _partner.EuregateError
FieldIssue = _partner.FieldIssue
InclusionUnproven = _partner.InclusionUnproven
NoteMalformed = _partner.NoteMalformed
NoteRefused = _partner.NoteRefused
NoteSignatureInvalid = _partner.NoteSignatureInvalid
NoteUnverified = _partner.NoteUnverified
ProofRefused = _partner.ProofRefused
ReceiptMalformed = _partner.ReceiptMalformed
VerifierKeyMalformed = _partner.VerifierKeyMalformed

MAX_LISTED_ISSUES: Final = 100
"""Most field issues a refusal lists; ``error_count`` says how many were found."""


@dataclass(frozen=True)
class Reason:
    """One of several reasons a refusal gives: an English message id, its placeholders'
    values in ``params``; told in the reader's language where the refusal is told."""

    message: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message.format(**self.params) if self.params else self.message


class MalformedBody(ClientError):
    kind = "malformed-body"
    status = 400
    title = N_("Malformed request body")
    detail_message = N_("The request body is not a JSON document.")


class MalformedJson(MalformedBody):
    kind = "malformed-json"
    title = N_("Malformed JSON")
    detail_message = N_("The body is not valid JSON: {reason} at line {line}, column {column}.")

    def __init__(self, *, reason: str, line: int, column: int, **reason_params: object) -> None:
        """``reason`` is a message id (:mod:`gateway.contract.json_reasons`), its placeholders
        filled by ``reason_params``."""
        super().__init__(reason=reason, line=line, column=column, **reason_params)

    def extensions(self) -> dict[str, object]:
        return {"line": self.params["line"], "column": self.params["column"]}


class BodyNotUtf8(MalformedBody):
    kind = "body-not-utf8"
    title = N_("Body is not UTF-8")
    detail_message = N_("The body must be encoded as UTF-8; byte {offset} is not.")

    def __init__(self, *, offset: int) -> None:
        super().__init__(offset=offset)


class BodyTooDeep(MalformedBody):
    kind = "body-too-deep"
    title = N_("Body nested too deeply")
    detail_message = N_("The body nests arrays and objects more than {limit} levels deep.")

    def __init__(self, *, limit: int) -> None:
        super().__init__(limit=limit)


class DuplicateMember(MalformedBody):
    kind = "duplicate-member"
    title = N_("Duplicate member")
    detail_message = N_("The member \u201c{name}\u201d appears more than once in one object.")

    def __init__(self, *, name: str) -> None:
        super().__init__(name=name)


class MalformedRequest(ClientError):
    """The bytes on the connection are not an HTTP/1.1 request (answered by the listener)."""

    kind = "malformed-request"
    status = 400
    title = N_("Malformed request")
    detail_message = N_("The request is not an HTTP request the gateway can read.")


class ClientGone(ClientError):
    """The client closed the connection before its request was complete; nobody reads the
    answer, but the log says what happened instead of reporting an internal error."""

    kind = "client-gone"
    status = 400
    title = N_("Request incomplete")
    detail_message = N_("The connection closed before the request was complete.")


class NotAuthenticated(ClientError):
    kind = "not-authenticated"
    status = 403
    title = N_("Partner not admitted")
    detail_message = N_("The client certificate does not identify an active partner ({reason}).")

    def __init__(self, *, reason: str) -> None:
        super().__init__(reason=reason)


class NotFound(ClientError):
    kind = "not-found"
    status = 404
    title = N_("Not found")
    detail_message = N_("There is nothing here for you.")


class MethodNotAllowed(ClientError):
    """``allowed`` are the methods the resource does accept, for the ``Allow`` header that
    RFC 9110 requires of a 405."""

    kind = "method-not-allowed"
    status = 405
    title = N_("Method not allowed")
    detail_message = N_("This resource does not accept {method}.")

    def __init__(self, *, method: str, allowed: Sequence[str] = ()) -> None:
        super().__init__(method=method, allowed=tuple(allowed))

    @property
    def allowed(self) -> tuple[str, ...]:
        allowed = self.params["allowed"]
        return allowed if isinstance(allowed, tuple) else ()


class IdempotencyConflict(ClientError):
    kind = "idempotency-conflict"
    status = 409
    title = N_("Reference already used")
    detail_message = N_(
        "You already sent a different signal with sender_reference \u201c{reference}\u201d "
        "(gateway id {signal_id}). Use a new reference for a new signal."
    )

    def __init__(self, *, reference: str, signal_id: str) -> None:
        super().__init__(reference=reference, signal_id=signal_id)

    def extensions(self) -> dict[str, object]:
        return {"signal_id": self.params["signal_id"]}


class BodyTimeout(ClientError):
    kind = "body-timeout"
    status = 408
    title = N_("Body too slow")
    detail_message = N_("The request body did not arrive within {seconds} seconds of its head.")

    def __init__(self, *, seconds: float) -> None:
        super().__init__(seconds=seconds)


class BodyTooLarge(ClientError):
    kind = "body-too-large"
    status = 413
    title = N_("Body too large")
    detail_message = N_("The body may be at most {limit} bytes.")

    def __init__(self, *, limit: int) -> None:
        super().__init__(limit=limit)


class UnsupportedMediaType(ClientError):
    kind = "unsupported-media-type"
    status = 415
    title = N_("Unsupported media type")
    detail_message = N_("Send the signal as application/json in UTF-8, not \u201c{received}\u201d.")

    def __init__(self, *, received: str) -> None:
        super().__init__(received=received)


class _WithIssues(ClientError):
    """A refusal with field issues: at most :data:`MAX_LISTED_ISSUES` of them are kept.

    ``count`` is how many were found (the listed ones first); ``exact`` is False when checking
    stopped early (a list too long to look into), so that there may be more than ``count``.
    """

    status = 422
    truncated_message: ClassVar[str] = N_(
        "{count} errors were found; the first {listed} are listed, each with its JSON pointer."
    )
    lower_bound_message: ClassVar[str] = N_(
        "At least {count} error(s) were found: checking stopped early where a list was too "
        "long. {listed} are listed, each with its JSON pointer."
    )

    def __init__(
        self, issues: Sequence[FieldIssue], *, count: int | None = None, exact: bool = True
    ) -> None:
        self._issues = tuple(issues[:MAX_LISTED_ISSUES])
        self.count = max(len(issues) if count is None else count, len(self._issues))
        self.exact = exact
        super().__init__(count=self.count, listed=len(self._issues))

    @property
    def issues(self) -> Sequence[FieldIssue]:
        return self._issues

    @property
    def truncated(self) -> bool:
        return len(self._issues) < self.count

    @property
    def detail_id(self) -> str:
        if not self.exact:
            return self.lower_bound_message
        return self.truncated_message if self.truncated else self.detail_message

    def extensions(self) -> dict[str, object]:
        return {
            "error_count": self.count,
            "error_count_exact": self.exact,
            "errors_truncated": self.truncated,
        }


class SignalInvalid(_WithIssues):
    kind = "signal-invalid"
    title = N_("Signal does not conform to Signal v1")
    detail_message = N_("The signal has {count} error(s); each is listed with its JSON pointer.")


class RecipientsInvalid(_WithIssues):
    kind = "recipients-invalid"
    title = N_("Recipients cannot be resolved")
    detail_message = N_(
        "The recipients have {count} error(s); each is listed with its JSON pointer."
    )


class WithdrawalReasonInvalid(ClientError):
    """A withdrawal's body is not ``{"reason": CODE}`` with a code of the closed list."""

    kind = "withdrawal-reason-invalid"
    status = 422
    title = N_("Withdrawal reason not accepted")
    detail_message = N_("The body must give a reason, one of {choices}.")

    def __init__(self, *, choices: str) -> None:
        super().__init__(choices=choices)


class _TooManyRequests(ClientError):
    """A partner asks more of the gateway than its share; refused before the body is read."""

    status = 429

    def __init__(self, *, retry_after: int, **params: object) -> None:
        super().__init__(retry_after=retry_after, **params)

    def extensions(self) -> dict[str, object]:
        return {"retry_after": self.params["retry_after"]}


class PartnerRateLimited(_TooManyRequests):
    kind = "partner-rate-limited"
    title = N_("Too many signals")
    detail_message = N_(
        "You may send {rate} signals or explanations per second (bursts of up to {burst}), a "
        "body counting once for every {unit} KiB. Send this one again in {retry_after} s."
    )

    def __init__(self, *, rate: float, burst: int, retry_after: int, unit: int = 4) -> None:
        super().__init__(retry_after=retry_after, rate=f"{rate:g}", burst=burst, unit=unit)


class PartnerBusy(_TooManyRequests):
    kind = "partner-busy"
    title = N_("Too many signals in progress")
    detail_message = N_(
        "The gateway is already working on {limit} of your signals or explanations. Wait for "
        "an answer, then send this one again."
    )

    def __init__(self, *, limit: int, retry_after: int = 1) -> None:
        super().__init__(retry_after=retry_after, limit=limit)


class RegistryError(EuregateError):
    kind = "registry"
    status = 400
    title = N_("Registry change refused")
    detail_message = N_("{reason}")

    def __init__(self, reason: str | Sequence[Reason], **params: object) -> None:
        """``reason`` is a message id (marked ``N_``) with ``params`` for its placeholders, or
        a sentence already made; ``reason_id`` keeps the id, translated when the refusal is
        told. Several :class:`Reason` are told one after the other, each translated."""
        if not isinstance(reason, str):
            reasons = tuple(reason)
            joined = "; ".join(str(each) for each in reasons)
            super().__init__(**params, reason=joined, reasons=reasons)
            return
        made = reason.format(**params) if params else reason
        super().__init__(**params, reason=made, reason_id=reason)


class SettingInvalid(EuregateError):
    """A deployment's setting that the gateway refuses to start with."""

    kind = "setting-invalid"
    title = N_("Setting refused")
    detail_message = N_("{setting}: {reason}")

    def __init__(self, *, setting: str, reason: str) -> None:
        super().__init__(setting=setting, reason=reason)


STORAGE_RETRY_AFTER: Final = 30
"""Seconds a caller is asked to wait when the store cannot keep anything."""


class SealingBehind(EuregateError):
    """More copies wait to be sealed than the gateway lets pile up, and the sender's signals
    made at least its share of them: the signal was not kept (nor its refusal audited, which
    would be a write); the sender sends it again after ``retry_after`` seconds."""

    kind = "sealing-behind"
    status = 503
    title = N_("Service temporarily unavailable")
    detail_message = N_(
        "The gateway has more copies of signals to seal and deliver than it lets wait, most of "
        "them of your signals; nothing of this signal was kept. Send it again in {retry_after} "
        "seconds."
    )

    def __init__(self, *, retry_after: int) -> None:
        super().__init__(retry_after=retry_after)

    def extensions(self) -> dict[str, object]:
        return {"retry_after": self.params["retry_after"]}


class StorageUnavailable(EuregateError):
    """The store cannot keep (or read) anything at the moment, through no fault of the caller:
    the request was not carried out and nothing of it was kept. Recovers by itself once the
    operator has made room or repaired the storage."""

    kind = "storage-unavailable"
    status = 503
    title = N_("Service temporarily unavailable")
    detail_message = N_(
        "The gateway cannot store anything at the moment; nothing of this request was kept. "
        "Send it again in {retry_after} seconds."
    )

    def __init__(self, *, retry_after: int = STORAGE_RETRY_AFTER) -> None:
        super().__init__(retry_after=retry_after)

    def extensions(self) -> dict[str, object]:
        return {"retry_after": self.params["retry_after"]}


class StorageFull(StorageUnavailable):
    kind = "storage-full"
    status = 507
    title = N_("Insufficient storage")
    detail_message = N_(
        "The gateway's storage is full; nothing of this request was kept. "
        "Send it again in {retry_after} seconds."
    )


class StorageReadOnly(StorageUnavailable):
    kind = "storage-read-only"
    title = N_("Storage read-only")
    detail_message = N_(
        "The gateway's storage cannot be written at the moment; nothing of this request was "
        "kept. Send it again in {retry_after} seconds."
    )


class StorageFailing(StorageUnavailable):
    kind = "storage-failing"
    title = N_("Storage failing")
    detail_message = N_(
        "The gateway's storage reports an error; nothing of this request was kept. "
        "Send it again in {retry_after} seconds."
    )


class StoreUnreachable(StorageUnavailable):
    kind = "store-unreachable"
    title = N_("Database unreachable")
    detail_message = N_(
        "The gateway cannot reach its database at the moment; nothing of this request was "
        "kept. Send it again in {retry_after} seconds."
    )


class StoreSchemaRefused(EuregateError):
    """The store's schema is not the version this release of Euregate works with."""

    kind = "store-schema"
    title = N_("Store schema refused")

    def __init__(self, *, found: int, known: int) -> None:
        super().__init__(found=found, known=known)


class SchemaOutdated(StoreSchemaRefused):
    kind = "store-schema-outdated"
    title = N_("Store schema out of date")
    detail_message = N_(
        "The store has schema version {found}; this release of Euregate works with version "
        "{known}. Back it up (`euregate backup`), then run `euregate migrate` (or start it "
        "with `euregate serve --migrate`)."
    )


class SchemaTooNew(StoreSchemaRefused):
    kind = "store-schema-too-new"
    title = N_("Store schema too new")
    detail_message = N_(
        "The store has schema version {found}, newer than version {known}, the newest this "
        "release of Euregate knows: a later release wrote it. Run that release, or restore "
        "a backup made before the upgrade."
    )


class StoreToolFailed(EuregateError):
    """A tool of the store's backend that a backup or restore runs (``pg_dump``,
    ``pg_restore``) is missing or failed."""

    kind = "store-tool-failed"
    title = N_("Database tool failed")
    detail_message = N_(
        "{tool} failed: {reason}. Install the PostgreSQL client tools of the server's version "
        "(or name their folder with the setting pg_bin_dir) and check that the database is "
        "reachable."
    )

    def __init__(self, *, tool: str, reason: str) -> None:
        super().__init__(tool=tool, reason=reason)


class BackupRefused(EuregateError):
    """A backup or a restore that Euregate will not do; nothing was written."""

    kind = "backup-refused"
    title = N_("Backup or restore refused")


class BackupExists(BackupRefused):
    kind = "backup-exists"
    detail_message = N_("{path} exists already; a backup never overwrites a file.")

    def __init__(self, *, path: str) -> None:
        super().__init__(path=path)


class ArchiveUnreadable(BackupRefused):
    kind = "backup-unreadable"
    detail_message = N_("{archive} is not a Euregate backup archive: {reason}.")

    def __init__(self, *, archive: str, reason: str) -> None:
        super().__init__(archive=archive, reason=reason)


class ArchiveTampered(BackupRefused):
    kind = "backup-tampered"
    detail_message = N_(
        "The backup archive does not match its manifest ({member}): it was changed or damaged "
        "after it was made. Nothing was restored."
    )

    def __init__(self, *, member: str) -> None:
        super().__init__(member=member)


class RestoreTargetNotEmpty(BackupRefused):
    kind = "restore-target-not-empty"
    detail_message = N_(
        "{path} is not empty; a backup is restored only into an empty or new directory."
    )

    def __init__(self, *, path: str) -> None:
        super().__init__(path=path)


class RestoreDatabaseNotEmpty(BackupRefused):
    kind = "restore-database-not-empty"
    detail_message = N_(
        "The database {database} holds tables already; a backup is restored only into an "
        "empty database (createdb a new one)."
    )

    def __init__(self, *, database: str) -> None:
        super().__init__(database=database)


class RestoreWouldRollBack(BackupRefused):
    kind = "restore-rollback"
    detail_message = N_(
        "Refused: {newer} holds an audit log of {newer_size} entries, the backup only "
        "{size}. Restoring it would roll the log back and drop what was recorded since; "
        "partners' witnesses would refuse its checkpoints."
    )

    def __init__(self, *, newer: str, newer_size: int, size: int) -> None:
        super().__init__(newer=newer, newer_size=newer_size, size=size)


class NewerLogMissing(BackupRefused):
    kind = "restore-newer-log-missing"
    detail_message = N_(
        "{source} holds no Euregate store to compare the backup with; if its store is in "
        "PostgreSQL, name the database with --against-database."
    )

    def __init__(self, *, source: str) -> None:
        super().__init__(source=source)


class RestoreForked(BackupRefused):
    kind = "restore-forked"
    detail_message = N_(
        "Refused: {newer} holds an audit log of {size} entries with another root hash than "
        "the backup's: they are not the same log."
    )

    def __init__(self, *, newer: str, size: int) -> None:
        super().__init__(newer=newer, size=size)


class RestoreUnchecked(BackupRefused):
    kind = "restore-unchecked"
    detail_message = N_(
        "Name what the restored log must not be older than: the data directory it replaces "
        "(--against DIR) or the latest checkpoint a witness cosigned (--checkpoint FILE); or "
        "say that there is none with --no-newer-log."
    )


class MasterKeyMismatch(BackupRefused):
    kind = "restore-wrong-master-key"
    detail_message = N_(
        "The master key in {path} is not the one the backup needs (key id {needed}, this one "
        "is {given})."
    )

    def __init__(self, *, path: str, needed: str, given: str) -> None:
        super().__init__(path=path, needed=needed, given=given)


class RestoreMismatch(BackupRefused):
    kind = "restore-mismatch"
    detail_message = N_(
        "The restored store does not match the backup's manifest: {what}. The restored "
        "directory {path} was removed."
    )

    def __init__(self, *, what: str, path: str) -> None:
        super().__init__(what=what, path=path)


class CommandMistake(EuregateError):
    """What a person gave a command that cannot work (a name, a file, a port): said in one line
    of their language, never as a traceback."""

    kind = "command-mistake"
    status = 400
    exit_code: ClassVar[int] = 2


class UnknownPartnerName(CommandMistake):
    """``--as`` names no partner whose credentials the data directory holds."""

    kind = "unknown-partner-name"
    title = N_("Unknown partner")
    detail_message = N_(
        "The data directory {data_dir} holds no partner {partner}. Known partners: {known}."
    )
    suggesting_message: ClassVar[str] = N_(
        "The data directory {data_dir} holds no partner {partner}. Did you mean {suggestion}? "
        "Known partners: {known}."
    )

    def __init__(self, *, partner: str, data_dir: str, known: str, suggestion: str = "") -> None:
        super().__init__(partner=partner, data_dir=data_dir, known=known, suggestion=suggestion)

    @property
    def detail_id(self) -> str:
        return self.suggesting_message if self.params["suggestion"] else self.detail_message


class OptionsMissing(CommandMistake):
    """A command lacks what only its options can give (credentials, a token); ``reason``, a
    message id, says which and how to give them."""

    kind = "options-missing"
    title = N_("Options missing")
    detail_message = N_("{reason}")

    def __init__(self, reason: str) -> None:
        super().__init__(reason=reason)


class FileUnreadable(CommandMistake):
    """A file a command was given (or expects in the data directory) cannot be read."""

    kind = "file-unreadable"
    title = N_("File cannot be read")
    detail_message = N_("{path} cannot be read: {reason}.")
    missing_message: ClassVar[str] = N_("{path} does not exist.")
    forbidden_message: ClassVar[str] = N_("{path} may not be read by this user.")
    folder_message: ClassVar[str] = N_("{path} is a folder, not a file.")
    _BY_CAUSE: ClassVar[dict[str, str]] = {
        "missing": missing_message,
        "forbidden": forbidden_message,
        "folder": folder_message,
    }

    def __init__(self, *, path: str, cause: str, reason: str = "") -> None:
        super().__init__(path=path, cause=cause, reason=reason)

    @property
    def detail_id(self) -> str:
        return self._BY_CAUSE.get(str(self.params["cause"]), self.detail_message)


class PortInUse(EuregateError):
    """A listener's port is taken, most likely by a gateway that is already running."""

    kind = "port-in-use"
    title = N_("Port in use")
    detail_message = N_(
        "Port {port} on {host} is already in use: another gateway is probably running. Stop "
        "it, or choose another port with {option}."
    )

    def __init__(self, *, host: str, port: int, option: str) -> None:
        super().__init__(host=host, port=port, option=option)


class GatewayUnreachable(EuregateError):
    """A command cannot reach the gateway it talks to."""

    kind = "gateway-unreachable"
    title = N_("Gateway not reachable")
    detail_message = N_(
        "The gateway at {url} cannot be reached ({reason}). Is `euregate serve` running there?"
    )

    def __init__(self, *, url: str, reason: str) -> None:
        super().__init__(url=url, reason=reason)


class CommandFailed(EuregateError):
    """A command stopped on something nobody foresaw: said in a sentence, the traceback kept
    for ``--debug``."""

    kind = "command-failed"
    title = N_("Command failed")
    detail_message = N_(
        "The command stopped on an unexpected error ({error}). Run it again with --debug to see "
        "where, and report it."
    )

    def __init__(self, *, error: str) -> None:
        super().__init__(error=error)


class InternalError(EuregateError):
    """Our fault. Whatever caused it is logged; the caller gets only the request id."""


class StaffNotAuthenticated(ClientError):
    """A person's sign-in or API token is refused; the same answer whatever the reason
    (``reason`` is for the audit log only)."""

    kind = "staff-not-authenticated"
    status = 401
    title = N_("Not signed in")
    detail_message = N_(
        "The login name, password, code or token is not accepted, or the account cannot sign "
        "in now. Try again, or ask an administrator."
    )

    def __init__(self, *, reason: str = "refused") -> None:
        super().__init__(reason=reason)


class Forbidden(ClientError):
    """A signed-in person asks for something their role or desk does not allow."""

    kind = "forbidden"
    status = 403
    title = N_("Not allowed")
    detail_message = N_("Your role or desk does not allow this.")

    def __init__(self, *, permission: str | None = None) -> None:
        super().__init__(permission=permission)

    def extensions(self) -> dict[str, object]:
        permission = self.params["permission"]
        return {} if permission is None else {"permission": permission}


class TooManyAttempts(ClientError):
    """Too many sign-in attempts from one address (``scope`` ``address``), or failures with
    one login name from it (``name``); ``retry_after`` seconds until the next."""

    kind = "too-many-attempts"
    status = 429
    title = N_("Too many attempts")
    detail_message = N_("Too many sign-in attempts from your address. Wait, then try again.")

    def __init__(self, *, retry_after: int | None = None, scope: str = "address") -> None:
        super().__init__(retry_after=retry_after, scope=scope)

    def extensions(self) -> dict[str, object]:
        retry_after = self.params["retry_after"]
        return {} if retry_after is None else {"retry_after": retry_after}


class TooManyRefusals(ClientError):
    """An address had too many requests refused for want of a valid credential in the last
    minute; ``retry_after`` seconds until the next minute begins. Nothing was looked up."""

    kind = "too-many-refusals"
    status = 429
    title = N_("Too many refused requests")
    detail_message = N_(
        "Too many requests from your address were refused for want of a valid credential. "
        "Wait {retry_after} seconds, then try again with a valid one."
    )

    def __init__(self, *, retry_after: int) -> None:
        super().__init__(retry_after=retry_after)

    def extensions(self) -> dict[str, object]:
        return {"retry_after": self.params["retry_after"]}


class ReviewDecided(ClientError):
    """The copy no longer waits: an officer released or rejected it already."""

    kind = "review-decided"
    status = 409
    title = N_("Already decided")
    detail_message = N_("This message has already been released or rejected.")

    def __init__(self, *, item_id: str) -> None:
        super().__init__(item_id=item_id)

    def extensions(self) -> dict[str, object]:
        return {"item": self.params["item_id"]}


class CorrectionInvalid(ClientError):
    """A correction names a field the message has no free text in, or is empty or too long."""

    kind = "correction-invalid"
    status = 422
    title = N_("Correction not accepted")
    detail_message = N_(
        "The text for {pointer} must name a free-text field of this message and hold "
        "between 1 and {limit} characters."
    )

    def __init__(self, *, pointer: str, limit: int) -> None:
        super().__init__(pointer=pointer, limit=limit)

    def extensions(self) -> dict[str, object]:
        return {"pointer": self.params["pointer"]}


class UntranslatedUnresolved(ClientError):
    """A release leaves free text in a language the recipient does not read without the
    officer's choice for it: send as written, withhold, or translate."""

    kind = "untranslated-unresolved"
    status = 422
    title = N_("Untranslated text needs a choice")
    detail_message = N_(
        "These fields are still in a language the recipient does not read: {pointers}. For "
        "each, send it as written, withhold it, or give a translation."
    )

    def __init__(self, *, untranslated: Sequence[tuple[str, str]]) -> None:
        """``untranslated``: each field's pointer and the language it is written in."""
        pairs = tuple((str(pointer), str(language)) for pointer, language in untranslated)
        super().__init__(untranslated=pairs, pointers=", ".join(p for p, _ in pairs))

    def extensions(self) -> dict[str, object]:
        pairs: Sequence[tuple[str, str]] = self.params["untranslated"]  # type: ignore[assignment]
        return {"untranslated": [{"pointer": p, "language": lang} for p, lang in pairs]}


class ReleaseChoiceConflict(ClientError):
    """A release gives one field two fates: a translation and "as written", say."""

    kind = "release-choice-conflict"
    status = 422
    title = N_("Two choices for one field")
    detail_message = N_(
        "{pointer} can be sent as written, withheld or translated, only one of them."
    )

    def __init__(self, *, pointer: str) -> None:
        super().__init__(pointer=pointer)

    def extensions(self) -> dict[str, object]:
        return {"pointer": self.params["pointer"]}


class MemoryConfirmationRefused(ClientError):
    """An officer asks to confirm a translation-memory entry they wrote themselves."""

    kind = "memory-confirmation-refused"
    status = 403
    title = N_("A second officer must confirm")
    detail_message = N_(
        "You wrote this translation-memory entry yourself; another officer of your desk must "
        "confirm it."
    )

    def __init__(self, *, entry_id: str) -> None:
        super().__init__(entry_id=entry_id)

    def extensions(self) -> dict[str, object]:
        return {"entry": self.params["entry_id"]}


class MemoryEntryConfirmed(ClientError):
    """The entry is confirmed already, or changed (was written anew) while being confirmed."""

    kind = "memory-entry-confirmed"
    status = 409
    title = N_("Already confirmed or changed")
    detail_message = N_(
        "This translation-memory entry was confirmed already, or was written anew in the "
        "meantime; list your desk's entries again."
    )

    def __init__(self, *, entry_id: str) -> None:
        super().__init__(entry_id=entry_id)

    def extensions(self) -> dict[str, object]:
        return {"entry": self.params["entry_id"]}


class TranslationCallbackInvalid(ClientError):
    """A callback of the eTranslation service lacks a form field, or names another request or
    language than the job it is posted for."""

    kind = "translation-callback-invalid"
    status = 400
    title = N_("Translation callback not understood")
    detail_message = N_(
        "The form must hold the field \u201c{field}\u201d as the translation service sends it "
        "for this job."
    )

    def __init__(self, *, field: str) -> None:
        super().__init__(field=field)

    def extensions(self) -> dict[str, object]:
        return {"field": self.params["field"]}


class TranslationCallbackRefused(ClientError):
    """A callback's token is not the one its translation job was given."""

    kind = "translation-callback-refused"
    status = 403
    title = N_("Translation callback refused")
    detail_message = N_("This address does not accept the translation of that job.")


class TranslationJobAnswered(ClientError):
    """A callback for a translation job that has had its answer already (a replay)."""

    kind = "translation-job-answered"
    status = 409
    title = N_("Translation already received")
    detail_message = N_("The translation service has already answered this job.")

    def __init__(self, *, job_id: str) -> None:
        super().__init__(job_id=job_id)

    def extensions(self) -> dict[str, object]:
        return {"job": self.params["job_id"]}


class _InvalidAt(ClientError):
    """A request the gateway refuses for one reason, at one member (``pointer``)."""

    status = 422
    detail_message = N_("{reason}")

    def __init__(self, *, reason: str, pointer: str, **params: object) -> None:
        """``reason``: a message id (marked ``N_``) with ``params`` for its placeholders."""
        made = reason.format(**params)
        super().__init__(**params, pointer=pointer, reason=made, reason_id=reason)

    def extensions(self) -> dict[str, object]:
        return {"pointer": self.params["pointer"]}


class HoldInvalid(_InvalidAt):
    """A legal hold without a reason (or with too long a one), or to be reviewed today or
    earlier, or on a day that is no date."""

    kind = "hold-invalid"
    title = N_("Hold not accepted")


class HoldRefused(ClientError):
    """The signal cannot be held: unknown, its content erased already, or on hold already."""

    kind = "hold-refused"
    status = 409
    title = N_("Hold refused")
    detail_message = N_(
        "signal {id} cannot be put on hold: there is no such signal, its content was erased, "
        "or it is on hold already"
    )

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)

    def extensions(self) -> dict[str, object]:
        return {"signal": self.params["id"]}


class NotHeld(ClientError):
    """Lifting a hold the signal does not have."""

    kind = "not-held"
    status = 404
    title = N_("Not on hold")
    detail_message = N_("signal {id} is not on hold")

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)

    def extensions(self) -> dict[str, object]:
        return {"signal": self.params["id"]}


class RestrictionInvalid(_InvalidAt):
    """A restriction of processing the gateway cannot place: a reason outside the list, a
    note too long, a due day that is no date or not after today, no person named, or a
    decision outside the list when lifting."""

    kind = "restriction-invalid"
    title = N_("Restriction not accepted")


class NotRestricted(ClientError):
    """Lifting a restriction that is unknown or lifted already."""

    kind = "not-restricted"
    status = 404
    title = N_("No such restriction in force")
    detail_message = N_("restriction {id} is not in force: unknown, or lifted already")

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)

    def extensions(self) -> dict[str, object]:
        return {"restriction": self.params["id"]}


class ReleaseRestricted(ClientError):
    """A release at the desk of a copy whose signal a restriction of processing holds."""

    kind = "release-restricted"
    status = 409
    title = N_("Processing restricted")
    detail_message = N_(
        "This message cannot be released: processing is restricted for a person it mentions, "
        "pending a decision by compliance staff. It is released when the restriction is lifted."
    )

    def __init__(self, *, item_id: str) -> None:
        super().__init__(item_id=item_id)

    def extensions(self) -> dict[str, object]:
        return {"item": self.params["item_id"]}


class BodyShapeInvalid(MalformedBody):
    """The body is JSON, but not the object this request takes."""

    kind = "body-shape-invalid"
    title = N_("Unexpected request body")
    detail_message = N_(
        "The body must be a JSON object with only these members: {members}; {pointer} is not "
        "as expected."
    )

    def __init__(self, *, members: str, pointer: str) -> None:
        super().__init__(members=members, pointer=pointer)

    def extensions(self) -> dict[str, object]:
        return {"pointer": self.params["pointer"]}


class QueryInvalid(ClientError):
    """A query parameter is missing its form or out of range."""

    kind = "query-invalid"
    status = 400
    title = N_("Invalid query parameter")
    detail_message = N_("The query parameter {parameter} must be {expected}.")

    def __init__(self, *, parameter: str, expected: str) -> None:
        super().__init__(parameter=parameter, expected=expected)

    def extensions(self) -> dict[str, object]:
        return {"parameter": self.params["parameter"]}


class QueryUnknown(QueryInvalid):
    """A query parameter the resource does not take: a misspelt one would otherwise be ignored
    without a word. ``known`` lists those it takes; the name is cut at 100 characters."""

    kind = "query-unknown"
    title = N_("Unknown query parameter")
    detail_message = N_(
        "This resource takes no query parameter \u201c{parameter}\u201d; it takes: {known}."
    )
    none_message = N_("This resource takes no query parameters; remove \u201c{parameter}\u201d.")

    def __init__(self, *, parameter: str, known: Sequence[str] = ()) -> None:
        ClientError.__init__(self, parameter=parameter[:100], known=", ".join(known))

    @property
    def detail_id(self) -> str:
        return self.detail_message if self.params["known"] else self.none_message


class LookupInvalid(ClientError):
    """A data-subject lookup needs a number, or a family name with a date of birth."""

    kind = "lookup-invalid"
    status = 422
    title = N_("Lookup not possible")
    detail_message = N_(
        "Give a national or document number, or a family name with a date of birth "
        "(DD/MM/YYYY, YYYY-MM-DD or YYYY)."
    )


class TooManyLongPolls(ClientError):
    """A partner already has its most long-polls waiting; ``retry_after`` seconds until the
    first of them ends at the latest."""

    kind = "too-many-long-polls"
    status = 429
    title = N_("Too many long-polls")
    detail_message = N_(
        "At most {limit} of your requests may wait on the inbox at once. Wait until one "
        "of them ends, then ask again."
    )

    def __init__(self, *, limit: int, retry_after: int) -> None:
        super().__init__(limit=limit, retry_after=retry_after)

    def extensions(self) -> dict[str, object]:
        return {"retry_after": self.params["retry_after"]}


class TooManyReports(ClientError):
    """A witness partner already has its most reports of inconsistencies kept: what it finds
    after that stays in its own evidence files, and the reports kept already raise the alarm."""

    kind = "too-many-reports"
    status = 409
    title = N_("Too many reports")
    detail_message = N_(
        "The gateway already keeps {limit} of your witness's reports of inconsistencies; "
        "compliance staff see them. Keep this evidence yourself."
    )

    def __init__(self, *, limit: int) -> None:
        super().__init__(limit=limit)


class WitnessRefusal(ClientError):
    """A witness will not cosign a checkpoint. ``previous`` (the signed checkpoint it
    cosigned last, if any) and ``submitted`` (the one it was shown) are kept as evidence."""

    kind = "witness-refusal"
    status = 409
    title = N_("Checkpoint not cosigned")
    detail_message = N_("The checkpoint was not cosigned.")

    def __init__(self, *, previous: bytes | None, submitted: bytes, **params: object) -> None:
        self.previous = previous
        self.submitted = submitted
        super().__init__(**params)

    def extensions(self) -> dict[str, object]:
        return {
            name: value
            for name, value in self.params.items()
            if name in ("old_size", "new_size", "size")
        }


class CheckpointUnverified(WitnessRefusal):
    """The submitted checkpoint is not signed by the log's key, or not a checkpoint of it;
    ``reason`` is a message id."""

    kind = "checkpoint-unverified"
    status = 403
    title = N_("Checkpoint not verified")
    detail_message = N_(
        "The checkpoint is not accepted: {reason} Nothing was cosigned; both checkpoints are "
        "kept as evidence."
    )

    def __init__(self, *, previous: bytes | None, submitted: bytes, reason: str) -> None:
        super().__init__(previous=previous, submitted=submitted, reason=reason)


class CheckpointRollback(WitnessRefusal):
    """The log is smaller than the checkpoint cosigned before: truncated, or rolled back."""

    kind = "checkpoint-rollback"
    title = N_("The log went back")
    detail_message = N_(
        "The gateway now shows {new_size} entries, fewer than the {old_size} already "
        "cosigned: entries were removed, or an older copy of the log was restored. Nothing "
        "was cosigned; both checkpoints are kept as evidence."
    )

    def __init__(self, *, previous: bytes, submitted: bytes, old_size: int, new_size: int) -> None:
        super().__init__(
            previous=previous, submitted=submitted, old_size=old_size, new_size=new_size
        )


class CheckpointSplitView(WitnessRefusal):
    """The same size as the checkpoint cosigned before, with another root hash."""

    kind = "checkpoint-split-view"
    title = N_("Two logs of the same size")
    detail_message = N_(
        "The gateway shows {size} entries with root hash {new_root}, but {size} entries with "
        "root hash {old_root} were cosigned: the log was rewritten, or others are shown "
        "another log. Nothing was cosigned; both checkpoints are kept as evidence."
    )

    def __init__(
        self, *, previous: bytes, submitted: bytes, size: int, old_root: str, new_root: str
    ) -> None:
        super().__init__(
            previous=previous,
            submitted=submitted,
            size=size,
            old_root=old_root,
            new_root=new_root,
        )


class ConsistencyUnproven(WitnessRefusal):
    """The consistency proof does not lead from the cosigned checkpoint to the new one."""

    kind = "consistency-unproven"
    status = 422
    title = N_("The log is not an extension of the one cosigned")
    detail_message = N_(
        "The proof does not show that the log of {new_size} entries extends the log of "
        "{old_size} entries already cosigned: some of the first {old_size} entries were "
        "changed, removed or reordered, or the proof is wrong. Nothing was cosigned; both "
        "checkpoints are kept as evidence."
    )

    def __init__(self, *, previous: bytes, submitted: bytes, old_size: int, new_size: int) -> None:
        super().__init__(
            previous=previous, submitted=submitted, old_size=old_size, new_size=new_size
        )


class CosignaturesDisagree(WitnessRefusal):
    """Another witness (``partner``, its key ``name``) cosigned a checkpoint of the same ``size``
    with another root: the gateway shows witnesses different logs (a split view)."""

    kind = "cosignatures-disagree"
    title = N_("Witnesses were shown different logs")
    detail_message = N_(
        "The witness of {partner} ({name}) cosigned another checkpoint of {size} entries than "
        "the one the gateway shows you: the gateway shows different witnesses different logs. "
        "Nothing was cosigned; both checkpoints are kept as evidence."
    )

    def __init__(
        self, *, previous: bytes | None, submitted: bytes, size: int, partner: str, name: str
    ) -> None:
        super().__init__(
            previous=previous, submitted=submitted, size=size, partner=partner, name=name
        )


class AuditTreeIncomplete(InternalError):
    """The store lacks a hash of the audit log's tree that its size says it holds: the
    node ``(level, index)``."""

    kind = "audit-tree-incomplete"

    def __init__(self, *, level: int, index: int) -> None:
        super().__init__(level=level, index=index)


class AuditTreeMoved(InternalError):
    """The tree was extended from another size than the one a sequencer read: another
    sequencer got there first. Nothing was written; the next step starts from the new size."""

    kind = "audit-tree-moved"

    def __init__(self, *, expected: int, found: int) -> None:
        super().__init__(expected=expected, found=found)


class AuditLogDiverged(InternalError):
    """The audit chain does not continue the tree at entry ``seq``: an entry the tree holds was
    changed or removed, or a new one does not name its predecessor. The sequencer integrates
    nothing from there on."""

    kind = "audit-log-diverged"

    def __init__(self, *, seq: int, reason: str) -> None:
        super().__init__(seq=seq, reason=reason)


class TransparencyRefusal(ClientError):
    """The audit log's tree cannot answer this question or accept this cosignature."""

    kind = "transparency-refusal"
    status = 400
    title = N_("Not possible in the audit log")
    detail_message = N_("The audit log cannot answer this request.")


class CheckpointNotPublished(TransparencyRefusal):
    """No signed checkpoint yet (``size`` None), or none of that size."""

    kind = "checkpoint-not-published"
    status = 404
    title = N_("No such checkpoint")
    detail_message = N_("The gateway has published no checkpoint of the audit log of that size.")

    def __init__(self, *, size: int | None = None) -> None:
        super().__init__(size=size)

    def extensions(self) -> dict[str, object]:
        size = self.params["size"]
        return {} if size is None else {"size": size}


class BeyondTheLog(TransparencyRefusal):
    """A proof was asked for a tree of ``asked`` entries; the latest checkpoint has ``size``."""

    kind = "beyond-the-log"
    status = 404
    title = N_("Beyond the published log")
    detail_message = N_(
        "The latest checkpoint of the audit log has {size} entries; there is no tree of {asked} "
        "entries to prove anything in yet."
    )

    def __init__(self, *, size: int, asked: int) -> None:
        super().__init__(size=size, asked=asked)

    def extensions(self) -> dict[str, object]:
        return {"size": self.params["size"]}


class WitnessKeyUnknown(TransparencyRefusal):
    """A cosignature by a key (``name``, ``key_id``) that is not an active witness key of the
    partner posting it."""

    kind = "witness-key-unknown"
    status = 403
    title = N_("Not your witness key")
    detail_message = N_(
        "The cosignature is by the key {name} ({key_id}), which is not a witness key registered "
        "for you. Ask the gateway's administrator to register your witness key."
    )

    def __init__(self, *, name: str, key_id: str) -> None:
        super().__init__(name=name, key_id=key_id)


class CosignatureInvalid(TransparencyRefusal):
    """A cosignature that does not verify on the gateway's own checkpoint of ``size``."""

    kind = "cosignature-invalid"
    status = 422
    title = N_("Cosignature does not verify")
    detail_message = N_(
        "The cosignature does not verify on the gateway's checkpoint of {size} entries: it "
        "cosigns another checkpoint of that size, or it was changed."
    )

    def __init__(self, *, size: int) -> None:
        super().__init__(size=size)

    def extensions(self) -> dict[str, object]:
        return {"size": self.params["size"]}


class LogDiverged(ProofRefused):
    """The log of ``size`` entries no longer has the tree a trusted checkpoint of ``differs_at``
    entries signed; it still has the tree of the first ``agrees_up_to``."""

    kind = "log-diverged"
    title = N_("The log was changed")
    detail_message = N_(
        "The audit log of {size} entries no longer has the tree of the first {differs_at} "
        "entries that the gateway signed; it still has the tree of the first {agrees_up_to}. An "
        "entry from {first_suspect} to {differs_at} was changed, removed or moved, or the log "
        "was cut before {differs_at} entries."
    )
    one_entry_message: ClassVar[str] = N_(
        "The audit log of {size} entries no longer has the tree of the first {differs_at} "
        "entries that the gateway signed; it still has the tree of the first {agrees_up_to}. "
        "Entry {differs_at} was changed, removed or moved, or the log was cut before it."
    )
    no_agreement_message: ClassVar[str] = N_(
        "The audit log of {size} entries no longer has the tree of the first {differs_at} "
        "entries that the gateway signed, nor of any smaller checkpoint it can be compared "
        "with. An entry from 1 to {differs_at} was changed, removed or moved, or the log was "
        "cut before {differs_at} entries."
    )

    def __init__(self, *, size: int, agrees_up_to: int, differs_at: int) -> None:
        super().__init__(
            size=size,
            agrees_up_to=agrees_up_to,
            differs_at=differs_at,
            first_suspect=agrees_up_to + 1,
        )

    @property
    def detail_id(self) -> str:
        if self.params["first_suspect"] == self.params["differs_at"]:
            return self.one_entry_message
        if self.params["agrees_up_to"] == 0:
            return self.no_agreement_message
        return self.detail_message

    def __str__(self) -> str:
        return self.detail_id.format(**self.params)

    def extensions(self) -> dict[str, object]:
        return {name: self.params[name] for name in ("size", "agrees_up_to", "differs_at")}
