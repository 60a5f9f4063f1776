"""The store: everything Euregate keeps, behind one interface (:class:`Store`) of awaited methods
that take and return records. The interface and the records are here (but for the translation
memory's, which translating owns, :mod:`gateway.translate.memory_store`); each backend implements
them (:mod:`gateway.store.sqlite`, chosen where the gateway is put together). Only the
backends speak SQL."""

from __future__ import annotations

from gateway.store.interface import Store
from gateway.store.interface.at_rest import (
    AtRestStore,
    SealedColumn,
    SealedValue,
)
from gateway.store.interface.audit_log import (
    CHAIN_PAGE,
    AuditLog,
    AuditReader,
    Purged,
    verify_chain,
)
from gateway.store.interface.audit_search import (
    COUNT_MAX,
    EXPORT_MAX,
    PAGE_MAX,
    AuditSearchStore,
    ChainHead,
    ExchangeCount,
    ExchangePage,
    ExchangeQuery,
    ExchangeSummary,
    LastVerification,
    ReviewSpan,
    RuleCount,
    SearchValues,
    WebhookHealth,
)
from gateway.store.interface.audit_tree import (
    AuditTreeStore,
    StoredCheckpoint,
)
from gateway.store.interface.delivery import (
    CopyReview,
    Delivery,
    DeliveryState,
    DeliveryStore,
    InboxEnvelope,
    NewCopy,
    PendingCopy,
    SealedCopy,
)
from gateway.store.interface.inspection import (
    PartnerCertificate,
    StoreFacts,
)
from gateway.store.interface.keys import (
    KeyStore,
)
from gateway.store.interface.operations import (
    OperationsSnapshot,
    OperationsStore,
)
from gateway.store.interface.partner_rate import (
    PartnerRateStore,
)
from gateway.store.interface.policies import (
    PolicyStore,
    PolicyVersion,
)
from gateway.store.interface.proposals import (
    Decided,
    EnrolmentCode,
    StaffProposalStore,
)
from gateway.store.interface.registry import (
    Admission,
    RegistryStore,
)
from gateway.store.interface.requests import (
    RequestState,
    RequestStore,
    TrackedRequest,
)
from gateway.store.interface.review import (
    ClearReason,
    NewReviewItem,
    ReviewItem,
    ReviewOutcome,
    ReviewState,
    ReviewStore,
)
from gateway.store.interface.sessions import (
    CHANGEABLE,
    StaffSessionStore,
)
from gateway.store.interface.signals import (
    Accepted,
    NewRequest,
    NewSignal,
    RecipientDecision,
    SignalState,
    SignalStore,
    StoredSignal,
)
from gateway.store.interface.staff import (
    CredentialsReset,
    StaffStore,
)
from gateway.store.interface.subjects import (
    SubjectMatch,
    SubjectStore,
)
from gateway.store.interface.throttle import (
    SignInBlock,
    SignInThrottleStore,
)
from gateway.store.interface.tracking import (
    SENT_PAGE_MAX,
    CopyTrack,
    RequestTrack,
    ReviewTrack,
    SentSignal,
    SignalTrack,
    TrackingStore,
    VersionTrack,
    WithdrawnTrack,
)
from gateway.store.interface.verification_jobs import (
    JobState,
    VerificationJob,
    VerificationJobStore,
)
from gateway.store.interface.witnesses import (
    InconsistencyReport,
    RegisteredWitnessKey,
    StoredCosignature,
    WitnessStore,
)
from gateway.translate.memory_store import (
    DESK_SEAL,
    LEGACY_SEAL,
    MemoryRecord,
    MemoryStamp,
    Resealed,
    SealedSegment,
    TranslationMemoryStore,
)

__all__ = [
    "CHAIN_PAGE",
    "CHANGEABLE",
    "COUNT_MAX",
    "DESK_SEAL",
    "EXPORT_MAX",
    "LEGACY_SEAL",
    "PAGE_MAX",
    "SENT_PAGE_MAX",
    "Accepted",
    "Admission",
    "AtRestStore",
    "AuditLog",
    "AuditReader",
    "AuditSearchStore",
    "AuditTreeStore",
    "ChainHead",
    "ClearReason",
    "CopyReview",
    "CopyTrack",
    "CredentialsReset",
    "Decided",
    "Delivery",
    "DeliveryState",
    "DeliveryStore",
    "EnrolmentCode",
    "ExchangeCount",
    "ExchangePage",
    "ExchangeQuery",
    "ExchangeSummary",
    "InboxEnvelope",
    "InconsistencyReport",
    "JobState",
    "KeyStore",
    "LastVerification",
    "MemoryRecord",
    "MemoryStamp",
    "NewCopy",
    "NewRequest",
    "NewReviewItem",
    "NewSignal",
    "OperationsSnapshot",
    "OperationsStore",
    "PartnerCertificate",
    "PartnerRateStore",
    "PendingCopy",
    "PolicyStore",
    "PolicyVersion",
    "Purged",
    "RecipientDecision",
    "RegisteredWitnessKey",
    "RegistryStore",
    "RequestState",
    "RequestStore",
    "RequestTrack",
    "Resealed",
    "ReviewItem",
    "ReviewOutcome",
    "ReviewSpan",
    "ReviewState",
    "ReviewStore",
    "ReviewTrack",
    "RuleCount",
    "SealedColumn",
    "SealedCopy",
    "SealedSegment",
    "SealedValue",
    "SearchValues",
    "SentSignal",
    "SignInBlock",
    "SignInThrottleStore",
    "SignalState",
    "SignalStore",
    "SignalTrack",
    "StaffProposalStore",
    "StaffSessionStore",
    "StaffStore",
    "Store",
    "StoreFacts",
    "StoredCheckpoint",
    "StoredCosignature",
    "StoredSignal",
    "SubjectMatch",
    "SubjectStore",
    "TrackedRequest",
    "TrackingStore",
    "TranslationMemoryStore",
    "VerificationJob",
    "VerificationJobStore",
    "VersionTrack",
    "WebhookHealth",
    "WithdrawnTrack",
    "WitnessStore",
    "verify_chain",
]
