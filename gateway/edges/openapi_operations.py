"""Every operation of the two JSON APIs: its handler, parameters, body, answers and refusals.

The OpenAPI documents (:mod:`gateway.edges.openapi`) are written from this registry, and the
tests hold it to the code: each route of a listener is here with its handler, and nothing
else; each error a handler raises itself is among the operation's refusals; and the contract
test answers every request the documents allow, failing on a refusal an operation does not
list. An operation's refusals are its own plus what the listener's middlewares raise before
it (identity, the store), plus reading its body when it takes one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from gateway.edges import (
    audit_api,
    etranslation_callbacks,
    holds_api,
    notices_api,
    partner_app,
    restrictions_api,
    staff_app,
)
from gateway.edges.http import Handler
from gateway.edges.openapi_models import (
    Acknowledged,
    ApiModel,
    Checkpoint,
    ConsistencyProof,
    CosignatureKept,
    Cosignatures,
    CosignatureSubmitted,
    Discovery,
    Explanation,
    GatewayKeys,
    Hold,
    HoldRequest,
    Holds,
    Inbox,
    InclusionProof,
    InconsistencyReported,
    MemoryEntries,
    MemoryEntry,
    OverdueNotices,
    Receipt,
    Reject,
    Release,
    ReportKept,
    Requests,
    Restriction,
    RestrictionList,
    RestrictionRequest,
    ReviewCase,
    ReviewItem,
    ReviewQueue,
    SentSignals,
    TranslationDeliveredForm,
    TranslationFailedForm,
    WithdrawalAsked,
    Withdrawn,
)
from gateway.edges.openapi_serving import (
    MESSAGE_SCHEMA_PATH,
    OPENAPI_PATH,
    SIGNAL_SCHEMA_PATH,
    get_document,
)
from gateway.flow.inbox import MAX_LIMIT, MAX_WAIT
from gateway.infra.errors import (
    BeyondTheLog,
    BodyNotUtf8,
    BodyShapeInvalid,
    BodyTimeout,
    BodyTooDeep,
    BodyTooLarge,
    CheckpointNotPublished,
    ClientGone,
    CorrectionInvalid,
    CosignatureInvalid,
    DuplicateMember,
    EuregateError,
    Forbidden,
    HoldInvalid,
    HoldRefused,
    IdempotencyConflict,
    MalformedJson,
    MemoryConfirmationRefused,
    MemoryEntryConfirmed,
    NotAuthenticated,
    NoteMalformed,
    NotFound,
    NotHeld,
    NotRestricted,
    PartnerBusy,
    PartnerRateLimited,
    QueryInvalid,
    QueryUnknown,
    RecipientsInvalid,
    ReleaseChoiceConflict,
    ReleaseRestricted,
    RestrictionInvalid,
    ReviewDecided,
    SealingBehind,
    SignalInvalid,
    StaffNotAuthenticated,
    StorageFailing,
    StorageFull,
    StorageReadOnly,
    StoreUnreachable,
    TooManyLongPolls,
    TooManyRefusals,
    TooManyReports,
    TranslationCallbackInvalid,
    TranslationCallbackRefused,
    TranslationJobAnswered,
    UnsupportedMediaType,
    UntranslatedUnresolved,
    WithdrawalReasonInvalid,
    WitnessKeyUnknown,
)
from gateway.store import SENT_PAGE_MAX, RequestState

Listener = Literal["partner", "staff"]
Refusals = tuple[type[EuregateError], ...]
SIGNAL: Final = "signal"
"""The body of an operation that takes a Signal v1 document (``schemas/signal-1.schema.json``)."""
NOTE: Final = "text/plain"
"""An answer that is a C2SP signed note rather than JSON."""
DOCUMENT: Final = "document"
"""An answer that is a JSON document of its own (the OpenAPI document, the Signal schema)."""
NO_CONTENT: Final = "no content"
"""An answer without a body (``204``)."""
Body = type[ApiModel] | Literal["signal"]
Answer = type[ApiModel] | Literal["text/plain", "document", "no content"]


@dataclass(frozen=True)
class Query:
    """A query parameter: a whole number from ``low`` to ``high``, or one of ``values``."""

    name: str
    description: str
    low: int = 0
    high: int = 0
    values: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class Operation:
    id: str
    method: Literal["GET", "POST", "DELETE"]
    path: str
    handler: Handler
    summary: str
    tag: str
    answers: Mapping[int, Answer]
    refusals: Refusals = ()
    query: tuple[Query, ...] = ()
    body: Body | None = None
    json_too: bool = field(default=False)
    """An answer in ``text/plain`` that is also given as JSON (``Accept: application/json``)."""
    form: type[ApiModel] | None = None
    """A body posted as a form (``application/x-www-form-urlencoded``) rather than JSON."""
    tokenless: bool = False
    """Taken without the listener's credentials: the address holds a credential of its own."""


STORE_REFUSALS: Final[Refusals] = (StorageFull, StorageReadOnly, StorageFailing, StoreUnreachable)
"""What any request may be answered when the gateway cannot keep or read anything."""
PARTNER_REFUSALS: Final[Refusals] = (
    NotAuthenticated,
    TooManyRefusals,
    QueryUnknown,
    *STORE_REFUSALS,
)
"""What the partners' listener answers before any handler: a refused certificate, a query
parameter the operation does not take."""
STAFF_REFUSALS: Final[Refusals] = (
    StaffNotAuthenticated,
    TooManyRefusals,
    QueryUnknown,
    *STORE_REFUSALS,
)
"""What the staff listener answers before any handler: a refused API token, a query
parameter the operation does not take."""
BODY_REFUSALS: Final[Refusals] = (
    UnsupportedMediaType,
    BodyTooLarge,
    BodyTimeout,
    MalformedJson,
    BodyNotUtf8,
    BodyTooDeep,
    DuplicateMember,
)
"""Reading a posted JSON body (:func:`gateway.edges.http.read_body` and ``parse_json``)."""
OBJECT_REFUSALS: Final[Refusals] = (*BODY_REFUSALS, BodyShapeInvalid)
"""Reading a posted JSON object with named members (:func:`gateway.edges.staff_app.object_body`)."""
SIGNAL_REFUSALS: Final[Refusals] = (
    PartnerRateLimited,
    PartnerBusy,
    *BODY_REFUSALS,
    SignalInvalid,
    RecipientsInvalid,
)

SIZE: Final = audit_api.MAX_SIZE
TAG_SIGNALS: Final = "signals"
TAG_DELIVERY: Final = "delivery"
TAG_AUDIT: Final = "audit log"
TAG_REVIEW: Final = "review"
TAG_RETENTION: Final = "retention"
TAG_SUBJECTS: Final = "data subjects"
TAG_CONTRACT: Final = "contract"

INCLUSION_QUERY: Final = (
    Query("index", "The leaf (audit entry) to prove, from 0.", 0, SIZE - 1, required=True),
    Query("size", "The tree to prove it in (default: the latest checkpoint's).", 1, SIZE),
)
CONSISTENCY_QUERY: Final = (
    Query("from", "The smaller tree's size.", 1, SIZE, required=True),
    Query("to", "The larger tree's size (default: the latest checkpoint's).", 1, SIZE),
)
COSIGNATURES_QUERY: Final = (
    Query("size", "The checkpoint's size (default: the latest).", 0, SIZE),
)
TREE_REFUSALS: Final[Refusals] = (QueryInvalid, CheckpointNotPublished, BeyondTheLog)
CALLBACK_REFUSALS: Final[Refusals] = (
    NotFound,
    TranslationCallbackRefused,
    TranslationJobAnswered,
    TranslationCallbackInvalid,
    BodyTooLarge,
    BodyTimeout,
)
"""eTranslation's callbacks (:mod:`gateway.edges.etranslation_callbacks`)."""


def _contract(listener: Listener) -> tuple[Operation, ...]:
    return (
        Operation(
            f"{listener}OpenApi",
            "GET",
            OPENAPI_PATH,
            get_document,
            "This document",
            TAG_CONTRACT,
            {200: DOCUMENT},
        ),
    )


PARTNER_OPERATIONS: Final = (
    *_contract("partner"),
    Operation(
        "getDiscovery",
        "GET",
        "/v1",
        partner_app.get_discovery,
        "The API version, this gateway's id, the suites keys may use, and where to begin",
        TAG_CONTRACT,
        {200: Discovery},
    ),
    Operation(
        "getSignalSchema",
        "GET",
        SIGNAL_SCHEMA_PATH,
        get_document,
        "The Signal v1 JSON Schema, which the document refers to",
        TAG_CONTRACT,
        {200: DOCUMENT},
    ),
    Operation(
        "getMessageSchema",
        "GET",
        MESSAGE_SCHEMA_PATH,
        get_document,
        "The JSON Schema of the message an envelope opens to (euregate.message/1)",
        TAG_CONTRACT,
        {200: DOCUMENT},
    ),
    Operation(
        "postSignal",
        "POST",
        "/v1/signals",
        partner_app.post_signal,
        "Post a signal",
        TAG_SIGNALS,
        {202: Receipt, 200: Receipt},
        (*SIGNAL_REFUSALS, IdempotencyConflict, SealingBehind),
        body=SIGNAL,
    ),
    Operation(
        "listSignals",
        "GET",
        "/v1/signals",
        partner_app.get_signals,
        "The caller's own signals, newest first, with what became of each copy",
        TAG_SIGNALS,
        {200: SentSignals},
        (QueryInvalid,),
        query=(
            Query("after", "The cursor of the page before (none: from the newest).", 0, 2**62),
            Query("limit", "The most signals on this page.", 1, SENT_PAGE_MAX),
        ),
    ),
    Operation(
        "getSignal",
        "GET",
        "/v1/signals/{signal_id}",
        partner_app.get_signal,
        "A signal's receipt with what became of each copy, for its sender only (a copy "
        "held by a restriction of processing for a person it mentions: `restricted`)",
        TAG_SIGNALS,
        {200: Receipt},
        (NotFound,),
    ),
    Operation(
        "withdrawSignal",
        "POST",
        "/v1/signals/{signal_id}/withdraw",
        partner_app.post_withdraw,
        "Withdraw one's own signal; each recipient that got it is sent a notice (again answers "
        "the first withdrawal)",
        TAG_SIGNALS,
        {200: Withdrawn},
        (*BODY_REFUSALS, WithdrawalReasonInvalid, NotFound),
        body=WithdrawalAsked,
    ),
    Operation(
        "postSignalVersion",
        "POST",
        "/v1/signals/{signal_id}/versions",
        partner_app.post_version,
        "Rectify one's own signal: post its new version, validated and decided like any "
        "signal; each recipient that got the old one is sent a notice naming the new",
        TAG_SIGNALS,
        {202: Receipt, 200: Receipt},
        (NotFound, *SIGNAL_REFUSALS, IdempotencyConflict, SealingBehind),
        body=SIGNAL,
    ),
    Operation(
        "explainPolicy",
        "POST",
        "/v1/policy/explain",
        partner_app.post_explain,
        "What the policy would decide for each recipient, and why; nothing is kept",
        TAG_SIGNALS,
        {200: Explanation},
        SIGNAL_REFUSALS,
        body=SIGNAL,
    ),
    Operation(
        "getGatewayKeys",
        "GET",
        "/v1/gateway/keys",
        partner_app.get_gateway_keys,
        "The gateway's public signing keys, retired ones too",
        TAG_DELIVERY,
        {200: GatewayKeys},
    ),
    Operation(
        "getInbox",
        "GET",
        "/v1/inbox",
        partner_app.get_inbox,
        "The caller's unacknowledged envelopes after a position, oldest first",
        TAG_DELIVERY,
        {200: Inbox},
        (QueryInvalid, TooManyLongPolls, ClientGone),
        query=(
            Query("after", "The position to continue after (the last cursor).", 0, 2**62),
            Query("limit", "The most envelopes to hand out.", 1, MAX_LIMIT),
            Query("wait", "Seconds to wait for one when there are none.", 0, MAX_WAIT),
        ),
    ),
    Operation(
        "acknowledgeEnvelope",
        "POST",
        "/v1/inbox/{envelope_id}/ack",
        partner_app.post_ack,
        "Acknowledge an envelope (again is harmless)",
        TAG_DELIVERY,
        {200: Acknowledged},
        (NotFound,),
    ),
    Operation(
        "getRequests",
        "GET",
        "/v1/requests",
        partner_app.get_requests,
        "Requests for information the caller sent or was sent, earliest deadline first",
        TAG_DELIVERY,
        {200: Requests},
        (QueryInvalid,),
        query=(Query("state", "Which requests (default: open).", values=tuple(RequestState)),),
    ),
    Operation(
        "getCheckpoint",
        "GET",
        "/v1/audit/checkpoint",
        audit_api.partner_checkpoint,
        "The audit log's latest signed checkpoint with its cosignatures",
        TAG_AUDIT,
        {200: Checkpoint},
        (CheckpointNotPublished,),
        json_too=True,
    ),
    Operation(
        "getInclusionProof",
        "GET",
        "/v1/audit/proof/inclusion",
        audit_api.partner_inclusion,
        "The audit path of an entry about the caller's own exchanges",
        TAG_AUDIT,
        {200: InclusionProof},
        (*TREE_REFUSALS, NotFound),
        query=INCLUSION_QUERY,
    ),
    Operation(
        "getConsistencyProof",
        "GET",
        "/v1/audit/proof/consistency",
        audit_api.partner_consistency,
        "Proof that a smaller tree is a prefix of a larger one",
        TAG_AUDIT,
        {200: ConsistencyProof},
        TREE_REFUSALS,
        query=CONSISTENCY_QUERY,
    ),
    Operation(
        "getCosignatures",
        "GET",
        "/v1/audit/cosignatures",
        audit_api.partner_cosignatures,
        "The cosignatures kept for a checkpoint",
        TAG_AUDIT,
        {200: Cosignatures},
        TREE_REFUSALS,
        query=COSIGNATURES_QUERY,
    ),
    Operation(
        "postCosignature",
        "POST",
        "/v1/audit/cosignatures",
        audit_api.post_cosignature,
        "A witness's cosignature on a checkpoint",
        TAG_AUDIT,
        {201: CosignatureKept},
        (
            *OBJECT_REFUSALS,
            NoteMalformed,
            WitnessKeyUnknown,
            CheckpointNotPublished,
            CosignatureInvalid,
        ),
        body=CosignatureSubmitted,
    ),
    Operation(
        "postInconsistency",
        "POST",
        "/v1/audit/inconsistencies",
        audit_api.post_inconsistency,
        "A witness's refusal of a checkpoint, with both checkpoints as evidence",
        TAG_AUDIT,
        {201: ReportKept},
        (*OBJECT_REFUSALS, TooManyReports),
        body=InconsistencyReported,
    ),
)

AUDIT_READ: Final[Refusals] = (Forbidden,)

STAFF_OPERATIONS: Final = (
    *_contract("staff"),
    Operation(
        "getReviewQueue",
        "GET",
        "/v1/review",
        staff_app.get_queue,
        "The copies waiting at the officer's desk",
        TAG_REVIEW,
        {200: ReviewQueue},
        (Forbidden,),
    ),
    Operation(
        "getReviewItem",
        "GET",
        "/v1/review/{item_id}",
        staff_app.get_item,
        "A waiting copy: the original beside the translation, what the rules removed",
        TAG_REVIEW,
        {200: ReviewCase},
        (Forbidden, NotFound),
    ),
    Operation(
        "releaseReviewItem",
        "POST",
        "/v1/review/{item_id}/release",
        staff_app.post_release,
        "Release a copy, with corrected translations",
        TAG_REVIEW,
        {200: ReviewItem},
        (
            *OBJECT_REFUSALS,
            Forbidden,
            NotFound,
            ReviewDecided,
            CorrectionInvalid,
            UntranslatedUnresolved,
            ReleaseChoiceConflict,
            ReleaseRestricted,
        ),
        body=Release,
    ),
    Operation(
        "rejectReviewItem",
        "POST",
        "/v1/review/{item_id}/reject",
        staff_app.post_reject,
        "Reject a copy, with the reason",
        TAG_REVIEW,
        {200: ReviewItem},
        (*OBJECT_REFUSALS, Forbidden, NotFound, ReviewDecided, CorrectionInvalid),
        body=Reject,
    ),
    Operation(
        "getMemory",
        "GET",
        "/v1/memory",
        staff_app.get_memory,
        "What the officer's desk taught the translation memory",
        TAG_REVIEW,
        {200: MemoryEntries},
        (Forbidden,),
    ),
    Operation(
        "confirmMemoryEntry",
        "POST",
        "/v1/memory/{entry_id}/confirm",
        staff_app.post_memory_confirm,
        "Confirm another officer's entry of the translation memory",
        TAG_REVIEW,
        {200: MemoryEntry},
        (Forbidden, NotFound, MemoryConfirmationRefused, MemoryEntryConfirmed),
    ),
    Operation(
        "getHolds",
        "GET",
        "/v1/holds",
        holds_api.get_holds,
        "The signals on legal hold, the earliest review first",
        TAG_RETENTION,
        {200: Holds},
        (Forbidden,),
    ),
    Operation(
        "placeHold",
        "POST",
        "/v1/holds/{signal_id}",
        holds_api.post_hold,
        "Put a signal on legal hold, with a reason and a review date",
        TAG_RETENTION,
        {201: Hold},
        (*OBJECT_REFUSALS, Forbidden, HoldInvalid, HoldRefused),
        body=HoldRequest,
    ),
    Operation(
        "liftHold",
        "DELETE",
        "/v1/holds/{signal_id}",
        holds_api.delete_hold,
        "Lift a signal's legal hold: its retention terms apply again",
        TAG_RETENTION,
        {204: NO_CONTENT},
        (Forbidden, NotHeld),
    ),
    Operation(
        "getRestrictions",
        "GET",
        "/v1/restrictions",
        restrictions_api.get_restrictions,
        "The restrictions of processing in force, the earliest decision due first",
        TAG_SUBJECTS,
        {200: RestrictionList},
        (Forbidden,),
    ),
    Operation(
        "placeRestriction",
        "POST",
        "/v1/restrictions",
        restrictions_api.post_restriction,
        "Restrict processing for a data subject: nothing about them is delivered until lifted",
        TAG_SUBJECTS,
        {201: Restriction},
        (*OBJECT_REFUSALS, Forbidden, RestrictionInvalid),
        body=RestrictionRequest,
    ),
    Operation(
        "liftRestriction",
        "DELETE",
        "/v1/restrictions/{restriction_id}",
        restrictions_api.delete_restriction,
        "Lift a restriction with its decision: what it held is delivered",
        TAG_SUBJECTS,
        {200: Restriction},
        (Forbidden, QueryInvalid, RestrictionInvalid, NotRestricted),
        query=(
            Query(
                "decision",
                "The decision: lifted (delivery resumes).",
                values=("lifted",),
                required=True,
            ),
        ),
    ),
    Operation(
        "getOverdueNotices",
        "GET",
        "/v1/withdrawals/overdue",
        notices_api.get_overdue_notices,
        "Withdrawal notices their recipients have not acknowledged within their days",
        TAG_AUDIT,
        {200: OverdueNotices},
        AUDIT_READ,
    ),
    Operation(
        "getStaffCheckpoint",
        "GET",
        "/v1/audit/checkpoint",
        audit_api.staff_checkpoint,
        "The audit log's latest signed checkpoint with its cosignatures",
        TAG_AUDIT,
        {200: Checkpoint},
        (*AUDIT_READ, CheckpointNotPublished),
        json_too=True,
    ),
    Operation(
        "getStaffInclusionProof",
        "GET",
        "/v1/audit/proof/inclusion",
        audit_api.staff_inclusion,
        "The audit path of any entry",
        TAG_AUDIT,
        {200: InclusionProof},
        (*AUDIT_READ, *TREE_REFUSALS),
        query=INCLUSION_QUERY,
    ),
    Operation(
        "getStaffConsistencyProof",
        "GET",
        "/v1/audit/proof/consistency",
        audit_api.staff_consistency,
        "Proof that a smaller tree is a prefix of a larger one",
        TAG_AUDIT,
        {200: ConsistencyProof},
        (*AUDIT_READ, *TREE_REFUSALS),
        query=CONSISTENCY_QUERY,
    ),
    Operation(
        "getStaffCosignatures",
        "GET",
        "/v1/audit/cosignatures",
        audit_api.staff_cosignatures,
        "The cosignatures kept for a checkpoint",
        TAG_AUDIT,
        {200: Cosignatures},
        (*AUDIT_READ, *TREE_REFUSALS),
        query=COSIGNATURES_QUERY,
    ),
    Operation(
        "postTranslationDone",
        "POST",
        "/v1/etranslation/{job_id}/{token}/done",
        etranslation_callbacks.post_translation_done,
        "eTranslation's translation of a job (its callback; the token in the address, no API "
        "token)",
        TAG_REVIEW,
        {204: NO_CONTENT},
        CALLBACK_REFUSALS,
        form=TranslationDeliveredForm,
        tokenless=True,
    ),
    Operation(
        "postTranslationError",
        "POST",
        "/v1/etranslation/{job_id}/{token}/error",
        etranslation_callbacks.post_translation_error,
        "eTranslation's failure to translate a job (its callback; the token in the address, "
        "no API token)",
        TAG_REVIEW,
        {204: NO_CONTENT},
        CALLBACK_REFUSALS,
        form=TranslationFailedForm,
        tokenless=True,
    ),
)

OPERATIONS: Final[Mapping[Listener, tuple[Operation, ...]]] = {
    "partner": PARTNER_OPERATIONS,
    "staff": STAFF_OPERATIONS,
}
LISTENER_REFUSALS: Final[Mapping[Listener, Refusals]] = {
    "partner": PARTNER_REFUSALS,
    "staff": STAFF_REFUSALS,
}


def refusals(listener: Listener, operation: Operation) -> Refusals:
    """Everything ``operation`` may be refused with: the listener's, then its own, once each."""
    found = (*LISTENER_REFUSALS[listener], *operation.refusals)
    return tuple(dict.fromkeys(found))
