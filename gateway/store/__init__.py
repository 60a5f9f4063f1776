"""The only package that speaks SQL: partners, certificates, signals and the audit chain."""

from __future__ import annotations

from gateway.store.audit_search import (
    AuditSearchStore,
    Exchange,
    ExchangePage,
    ExchangeQuery,
    LastVerification,
)
from gateway.store.database import Database, Transaction, Write
from gateway.store.delivery import (
    Delivery,
    DeliveryStore,
    InboxEnvelope,
    NewCopy,
    PendingCopy,
    SealedCopy,
)
from gateway.store.keys import KeyStore
from gateway.store.memory import MemoryRecord, TranslationMemoryStore
from gateway.store.policies import PolicyStore
from gateway.store.proposals import Decided, EnrolmentCode, StaffProposalStore
from gateway.store.registry import Admission, RegistryStore
from gateway.store.requests import RequestState, RequestStore, TrackedRequest
from gateway.store.review import NewReviewItem, ReviewItem, ReviewOutcome, ReviewStore
from gateway.store.sessions import StaffSessionStore
from gateway.store.signals import (
    Accepted,
    NewRequest,
    NewSignal,
    RecipientDecision,
    SignalStore,
    StoredSignal,
)
from gateway.store.staff import StaffStore
from gateway.store.subjects import SubjectMatch, SubjectStore
from gateway.store.throttle import SignInBlock, SignInThrottleStore

__all__ = [
    "Accepted",
    "Admission",
    "AuditSearchStore",
    "Database",
    "Decided",
    "Delivery",
    "DeliveryStore",
    "EnrolmentCode",
    "Exchange",
    "ExchangePage",
    "ExchangeQuery",
    "InboxEnvelope",
    "KeyStore",
    "LastVerification",
    "MemoryRecord",
    "NewCopy",
    "NewRequest",
    "NewReviewItem",
    "NewSignal",
    "PendingCopy",
    "PolicyStore",
    "RecipientDecision",
    "RequestState",
    "RequestStore",
    "ReviewItem",
    "ReviewOutcome",
    "ReviewStore",
    "SealedCopy",
    "SignInBlock",
    "SignInThrottleStore",
    "SignalStore",
    "StaffProposalStore",
    "StaffSessionStore",
    "StaffStore",
    "Store",
    "StoredSignal",
    "SubjectMatch",
    "SubjectStore",
    "TrackedRequest",
    "Transaction",
    "TranslationMemoryStore",
    "Write",
]


class Store(
    RegistryStore,
    SignalStore,
    PolicyStore,
    ReviewStore,
    StaffStore,
    StaffSessionStore,
    StaffProposalStore,
    SignInThrottleStore,
    TranslationMemoryStore,
    KeyStore,
    DeliveryStore,
    SubjectStore,
    RequestStore,
    AuditSearchStore,
):
    """Everything Euregate keeps, behind typed methods. Start it before use, close it after."""
