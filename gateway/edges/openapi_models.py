"""The bodies the JSON APIs take and answer, as pydantic models: the OpenAPI document's schemas.

Each model says exactly the members an answer carries (``extra="forbid"`` becomes
``additionalProperties: false``), so a member added to an answer without its model fails the
contract test (``tests/test_openapi_contract.py``) rather than drifting unseen. A member an
answer leaves out when it does not apply is typed ``X | Omitted``: optional, and never
``null`` on the wire. The Signal v1 body is not here: the document refers to
``schemas/signal-1.schema.json``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from gateway.decide.decision import DataClass, Outcome, Verdict
from gateway.decide.review import RejectionCategory as RejectionCategoryCode
from gateway.decide.review import ReviewReason as ReviewReasonCode
from gateway.flow.tracking import CopyState
from gateway.flow.withdrawal import WithdrawalReason
from gateway.store import ReviewState, SignalState
from gateway.transparency.log import REPORT_KINDS

Omitted = SkipJsonSchema[None]
"""A member that is left out, never sent as ``null``."""
Timestamp = Annotated[
    str,
    Field(
        pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$",
        examples=["2026-03-02T09:00:07.000000Z"],
    ),
]
"""UTC with microseconds and a ``Z``, as every answer writes times."""
Base64 = Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]*={0,2}$")]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Texts = dict[str, str]
"""A text by language (``nl``, ``fr``, ``de``, ``en``)."""


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- signals, receipts and explanations -----------------------------------------------------


class RejectionCategoryShown(ApiModel):
    """Why a liaison desk rejected a copy: a code of a closed list, and its label in the
    caller's language (the officer's own words are never shown to the sender)."""

    code: RejectionCategoryCode = Field(
        description="not_lawful_to_share, purpose_mismatch, insufficient_reliability, "
        "translation_impossible, duplicate or other."
    )
    label: str


class CopyReviewStatus(ApiModel):
    """The copy's stay at a liaison desk: which country's desk, why (reason codes), since
    when, and when that desk released or rejected it (never by whom, nor why in words)."""

    desk: str = Field(description="The country of the liaison desk (NL, BE, DE).")
    reasons: list[ReviewReasonCode] = Field(
        description="language: free text in a language the recipient did not list; "
        "held: free text held by the sharing rules; rule: the rules ask for review."
    )
    state: ReviewState
    since: Timestamp
    decided_at: Timestamp | Omitted = None
    rejection_category: RejectionCategoryShown | Omitted = Field(
        default=None, description="Why the desk rejected the copy, when it did."
    )


class CopyVersion(ApiModel):
    """The copy's latest version sent (a reviewed one follows an ``immediate`` signal's
    unreviewed first version) and how far it got."""

    version: int = Field(ge=1)
    unreviewed: bool = Field(description="Sent before a liaison officer's review.")
    queued_at: Timestamp
    sealed_at: Timestamp | Omitted = None
    fetch_count: int = Field(ge=0)
    last_fetched_at: Timestamp | Omitted = None
    acknowledged_at: Timestamp | Omitted = None
    pushed_at: Timestamp | Omitted = None


class ReceiptRecipient(ApiModel):
    partner: str
    verdict: Verdict
    rules: list[str] = Field(description="The ids of the rules that decided, in order.")
    state: CopyState | Omitted = Field(
        default=None,
        description="How far the recipient's copy got; a denied one: denied; `restricted` "
        "while compliance staff restrict processing for a person the signal mentions and "
        "the copy has not been acknowledged: nothing of it is sealed, served or pushed until "
        "the restriction is lifted.",
    )
    review: CopyReviewStatus | Omitted = None
    copy_: CopyVersion | Omitted = Field(default=None, alias="copy")
    notice: CopyVersion | Omitted = Field(
        default=None,
        description="Once the sender withdrew the signal: the notice sent to this recipient "
        "(it had got the signal) and how far it got.",
    )


class SignalWithdrawn(ApiModel):
    """The sender withdrew the signal: the reason code, and when; if a rectification
    replaced it, the new version's signal id."""

    reason: WithdrawalReason | Literal["replaced"]
    at: Timestamp
    replaced_by: str | Omitted = Field(
        default=None, description="The signal id of the version that replaced this one."
    )


class RequestDeadline(ApiModel):
    """A request for information's deadline as it stands now."""

    kind: str
    deadline: Timestamp
    state: Literal["open", "overdue", "answered"]
    answered_at: Timestamp | Omitted = None
    seconds_overdue: int | Omitted = Field(default=None, ge=1)


class AuditPosition(ApiModel):
    """The signal's audit entry: its place in the hash chain and its leaf in the Merkle tree."""

    seq: int = Field(ge=1)
    hash: Sha256Hex
    leaf_index: int = Field(ge=0)
    leaf_hash: Base64


class LeafInclusion(ApiModel):
    """A signed checkpoint that holds the entry, and the entry's audit path in it."""

    tree_size: int = Field(ge=1)
    checkpoint: str = Field(description="The checkpoint as a C2SP signed note.")
    proof: list[Base64]


class Receipt(ApiModel):
    """Proof that the gateway holds the signal, and where it goes."""

    signal_id: str
    status: SignalState
    received_at: Timestamp
    sender: str
    sender_reference: str
    body_sha256: Sha256Hex
    recipients: list[ReceiptRecipient]
    audit: AuditPosition
    inclusion: LeafInclusion | Omitted = Field(
        default=None, description="Once the audit entry is in a signed checkpoint."
    )
    notice: str | Omitted = Field(
        default=None, description="When the policy lets none of the recipients receive it."
    )
    request: RequestDeadline | Omitted = Field(
        default=None, description="When the signal is a request for information."
    )
    withdrawn: SignalWithdrawn | Omitted = Field(
        default=None, description="When its sender withdrew the signal."
    )


class SentSignal(ApiModel):
    """One of the caller's signals and what became of each copy."""

    signal_id: str
    sender_reference: str
    received_at: Timestamp
    recipients: list[ReceiptRecipient]
    request: RequestDeadline | Omitted = None


class SentSignals(ApiModel):
    signals: list[SentSignal] = Field(description="Newest first.")
    cursor: int | None = Field(
        ge=1, description="The ``after`` of the next page; null on the last page."
    )


class FiredRule(ApiModel):
    id: str
    reason: Texts
    legal_basis: Texts


class Decision(ApiModel):
    """What the policy decided for one recipient, and why: codes and ids, never content."""

    recipient: str
    verdict: Verdict
    outcomes: dict[DataClass, Outcome]
    rules: list[FiredRule]
    policy_sha256: Sha256Hex


class Explanation(ApiModel):
    policy_sha256: Sha256Hex
    decisions: list[Decision]


# --- discovery, keys, the inbox, requests ---------------------------------------------------


class DiscoveryLinks(ApiModel):
    openapi: str = Field(description="This API's OpenAPI document.")
    signal_schema: str = Field(description="The Signal v1 JSON Schema.")
    message_schema: str = Field(description="The JSON Schema of an opened envelope's message.")
    gateway_keys: str = Field(description="The gateway's public signing keys.")


class Discovery(ApiModel):
    api_version: Literal["v1"]
    gateway_id: str
    suites: list[Literal["X25519", "MLKEM768_X25519"]] = Field(
        description="The HPKE suites a partner's encryption key may use (docs/envelope.md)."
    )
    envelope_version: int = Field(ge=1, description="The envelope version the gateway seals.")
    links: DiscoveryLinks


class GatewayKey(ApiModel):
    key_id: str
    algorithm: Literal["Ed25519"]
    public_key: str = Field(description="The raw public key, base64url without padding.")
    created_at: Timestamp
    retired_at: Timestamp | None


class GatewayKeys(ApiModel):
    keys: list[GatewayKey]


class InboxEntry(ApiModel):
    id: str
    position: int = Field(ge=1)
    signal_id: str
    version: int = Field(ge=1)
    created_at: Timestamp
    envelope: dict[str, Any] = Field(
        description=(
            "The sealed envelope (docs/envelope.md); what it opens to is a message of "
            "schemas/message-1.schema.json."
        )
    )


class Inbox(ApiModel):
    envelopes: list[InboxEntry]
    cursor: int = Field(ge=0, description="The position to ask after next time.")


class Acknowledged(ApiModel):
    id: str
    acknowledged_at: Timestamp | None


class WithdrawalAsked(ApiModel):
    """Withdraw a signal, giving the reason from the closed list."""

    reason: WithdrawalReason


class Withdrawn(ApiModel):
    """A withdrawal: the copies not yet sealed that were cancelled, the review items waiting
    that were withdrawn, and how many recipients that got an envelope are sent a notice."""

    signal_id: str
    reason: WithdrawalReason | Literal["replaced"]
    withdrawn_at: Timestamp
    cancelled: int
    review_items: int
    notices: int


class OverdueNotice(ApiModel):
    """A withdrawal notice its recipient has not acknowledged in time."""

    signal_id: str
    recipient: str
    envelope: str
    reason: WithdrawalReason | Literal["replaced"]
    sealed_at: Timestamp


class OverdueNotices(ApiModel):
    """Withdrawal notices not acknowledged within their days, the oldest first."""

    overdue_after_days: int
    more: bool = Field(description="More are overdue than the 1,000 listed, the oldest first.")
    notices: list[OverdueNotice]


class Answer(ApiModel):
    signal_id: str
    partner: str | None
    at: Timestamp | None


class TrackedRequest(ApiModel):
    signal_id: str
    sender: str
    recipients: list[str]
    kind: str
    received_at: Timestamp
    deadline: Timestamp
    state: Literal["open", "overdue", "answered"]
    seconds_left: int | None
    seconds_overdue: int | None
    answered_by: Answer | None
    answered_late: bool | None


class Requests(ApiModel):
    state: Literal["open", "overdue", "answered"]
    now: Timestamp
    requests: list[TrackedRequest]


# --- the audit log's tree -------------------------------------------------------------------


class Cosigner(ApiModel):
    partner: str
    key_name: str
    key_id: str
    cosigned_at: Timestamp


class Checkpoint(ApiModel):
    size: int = Field(ge=0)
    root: Base64
    note: str = Field(description="The checkpoint as a C2SP signed note, with cosignatures.")
    published_at: Timestamp
    log_key: str = Field(description="The log's verifier key (C2SP signed-note vkey).")
    cosigners: list[Cosigner]


class InclusionProof(ApiModel):
    index: int = Field(ge=0)
    size: int = Field(ge=1)
    leaf_hash: Base64
    proof: list[Base64]


class ConsistencyProof(ApiModel):
    from_: int = Field(alias="from", ge=1)
    to: int = Field(ge=1)
    proof: list[Base64]


class KeptCosignature(ApiModel):
    partner: str
    key_name: str
    key_id: str
    vkey: str | None
    cosigned_at: Timestamp
    received_at: Timestamp | None
    signature: str


class Cosignatures(ApiModel):
    size: int = Field(ge=0)
    root: Base64
    checkpoint: str
    cosignatures: list[KeptCosignature]


class CosignatureSubmitted(ApiModel):
    size: int = Field(ge=0, le=(1 << 63) - 1)
    cosignature: str = Field(
        max_length=1000,
        pattern="^\u2014 [^\\s+]+ [A-Za-z0-9+/]+={0,2}\n?$",
        description="One signature line of a C2SP signed note: an em dash, a space, the "
        "witness key's name, a space, and its key ID and cosignature in base64.",
    )


class CosignatureKept(ApiModel):
    size: int
    partner: str
    key_id: str


class InconsistencyReported(ApiModel):
    kind: str = Field(json_schema_extra={"enum": list(REPORT_KINDS)})
    previous: str | None = Field(
        default=None, description="The checkpoint the witness cosigned before, if any."
    )
    submitted: str = Field(description="The checkpoint the witness was shown and refused.")


class ReportKept(ApiModel):
    id: str
    kind: str


# --- the liaison desk -----------------------------------------------------------------------


class ReviewReason(ApiModel):
    code: str
    label: str


class ReviewItem(ApiModel):
    id: str
    signal_id: str
    recipient: str
    country: str
    urgency: str
    reasons: list[ReviewReason]
    release_now: bool
    state: ReviewState
    created_at: Timestamp
    decided_at: Timestamp | Omitted = None
    officer: str | Omitted = None
    rejection_category: RejectionCategoryShown | Omitted = None


class ReviewQueue(ApiModel):
    items: list[ReviewItem]


class Provenance(ApiModel):
    kind: str
    engine: str | Omitted = None
    version: str | Omitted = None
    officer: str | Omitted = None
    at: str | Omitted = None
    desk: str | Omitted = None
    confirmed_by: str | Omitted = None


class Translated(ApiModel):
    text: str
    language: str
    provenance: Provenance


class Original(ApiModel):
    language: str
    fields: dict[str, str]


class Translation(ApiModel):
    language: str
    fields: dict[str, Translated]


class Removed(ApiModel):
    withheld: list[DataClass]
    generalised: list[DataClass]
    pseudonymised: list[DataClass]


class Rejection(ApiModel):
    reason: str


class ReviewCase(ReviewItem):
    """A waiting copy as an officer sees it: the sender's words beside the recipient's."""

    sender: str
    recipient_languages: list[str]
    original: Original
    translation: Translation
    held: list[str]
    untranslated: list[UntranslatedField] = Field(
        description="Free text still in a language the recipient does not read: releasing "
        "needs a choice for each (a correction, as_written or withheld)."
    )
    removed: Removed
    decision: Decision
    rendering: dict[str, Any] = Field(description="The recipient's view, rendered.")
    rendering_text: str
    rejection: Rejection | Omitted = None


class Release(ApiModel):
    corrections: dict[str, str] = Field(
        default_factory=dict, description="Corrected translations by JSON pointer."
    )
    as_written: list[str] = Field(
        default_factory=list,
        description="JSON pointers of free text to send as the sender wrote it, in a language "
        "the recipient may not read (marked so in its rendering).",
    )
    withheld: list[str] = Field(
        default_factory=list,
        description="JSON pointers of free text to leave out of the recipient's copy.",
    )


class UntranslatedField(ApiModel):
    pointer: str
    language: str = Field(description="The language the text is still written in.")


class Reject(ApiModel):
    reason: str = Field(description="Why, in words that only the liaison desks read.")
    category: RejectionCategoryCode = Field(
        description="The reason's category, shown to the sender."
    )


class MemoryEntry(ApiModel):
    id: str
    source_language: str
    target_language: str
    source: str
    target: str
    desk: str | None
    officer: str
    created_at: Timestamp
    confirmed_by: str | None
    confirmed_at: Timestamp | None


class MemoryEntries(ApiModel):
    entries: list[MemoryEntry]


class Hold(ApiModel):
    """A legal hold: the signal is not erased until the hold is lifted."""

    signal_id: str
    reason: str
    review_on: str = Field(pattern=r"^\d{4}-\d\d-\d\d$")
    review_due: bool = Field(description="Whether the review date has come.")
    placed_by: str
    placed_at: Timestamp


class Holds(ApiModel):
    holds: list[Hold] = Field(description="The holds in force, the earliest review first.")
    more: bool = Field(description="More holds are in force than the 1,000 listed.")


class HoldRequest(ApiModel):
    reason: str = Field(description="Why the signal is kept; never in the audit log.")
    review_on: str = Field(description="The day to review the hold, after today (YYYY-MM-DD).")


class Restriction(ApiModel):
    """A restriction of processing for a data subject (LED art. 16(3)): nothing about the
    person leaves the gateway until it is lifted. The person is not shown, in any form."""

    id: str
    reason: Literal["accuracy_contested", "kept_as_evidence", "unlawful_processing_objected"]
    note: str = Field(description="Compliance staff's note; never in the audit log.")
    due_on: str = Field(pattern=r"^\d{4}-\d\d-\d\d$")
    decision_due: bool = Field(description="Whether the day the decision is due has come.")
    placed_by: str
    placed_at: Timestamp
    signals: int = Field(ge=0, description="How many signals it held when placed.")
    active: bool
    lifted_by: str | Omitted = None
    lifted_at: Timestamp | Omitted = None
    decision: Literal["lifted"] | Omitted = None
    released: int | Omitted = Field(
        default=None, ge=0, description="On lifting: how many signals it released."
    )


class RestrictionList(ApiModel):
    restrictions: list[Restriction] = Field(
        description="The restrictions in force, the earliest due first."
    )
    more: bool = Field(description="More restrictions are in force than the 1,000 listed.")


class RestrictionRequest(ApiModel):
    """The person, as a data-subject lookup names them: a national or document number, or a
    family name with a date of birth (DD/MM/YYYY, YYYY-MM-DD or YYYY)."""

    identifier: str | Omitted = None
    family_name: str | Omitted = None
    date_of_birth: str | Omitted = None
    reason: Literal["accuracy_contested", "kept_as_evidence", "unlawful_processing_objected"]
    note: str | Omitted = Field(
        default=None, description="Why, in words (at most 1,000 characters); never in the log."
    )
    due_on: str = Field(description="The day the decision is due, after today (YYYY-MM-DD).")


# --- refusals -------------------------------------------------------------------------------


class Issue(ApiModel):
    pointer: str = Field(description="An RFC 6901 JSON pointer into the posted document.")
    code: str
    detail: str


class Problem(ApiModel):
    """An RFC 9457 problem document in the caller's language, with the members a caller can
    act on."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str
    errors: list[Issue] | Omitted = None
    error_count: int | Omitted = None
    error_count_exact: bool | Omitted = None
    errors_truncated: bool | Omitted = None
    line: int | Omitted = None
    column: int | Omitted = None
    signal_id: str | Omitted = None
    retry_after: int | Omitted = None
    permission: str | Omitted = None
    item: str | Omitted = None
    entry: str | Omitted = None
    pointer: str | Omitted = None
    parameter: str | Omitted = None
    size: int | Omitted = None
    old_size: int | Omitted = None
    new_size: int | Omitted = None
    agrees_up_to: int | Omitted = None
    differs_at: int | Omitted = None


# --- eTranslation's callbacks ---------------------------------------------------------------


class TranslationDeliveredForm(ApiModel):
    """A translation, as eTranslation posts it (a form) to a job's ``done`` address."""

    request_id: str = Field(alias="request-id", pattern=r"^[1-9][0-9]{0,18}$")
    target_language: str = Field(alias="target-language", examples=["FR"])
    translated_text: str = Field(alias="translated-text")
    external_reference: str = Field(alias="external-reference")


class TranslationFailedForm(ApiModel):
    """A failure, as eTranslation posts it (a form) to a job's ``error`` address."""

    request_id: str = Field(alias="request-id", pattern=r"^[1-9][0-9]{0,18}$")
    target_languages: str | Omitted = Field(default=None, alias="target-languages")
    error_code: str = Field(alias="error-code", examples=["-20001"])
    error_message: str | Omitted = Field(default=None, alias="error-message")
    external_reference: str = Field(alias="external-reference")
