"""The only package that speaks SQL: partners, certificates, signals and the audit chain."""

from __future__ import annotations

from gateway.store.interface.audit_log import AuditLog, AuditReader, verify_chain
from gateway.store.interface.keys import KeyStore
from gateway.store.interface.policies import PolicyStore
from gateway.store.interface.proposals import Decided, EnrolmentCode, StaffProposalStore
from gateway.store.interface.registry import Admission, RegistryStore
from gateway.store.interface.sessions import StaffSessionStore
from gateway.store.interface.staff import StaffStore
from gateway.store.interface.throttle import SignInBlock, SignInThrottleStore
from gateway.store.sqlite import SqliteStore
from gateway.store.sqlite.audit_search import (
    AuditSearchStore,
    Exchange,
    ExchangePage,
    ExchangeQuery,
    LastVerification,
)
from gateway.store.sqlite.database import Database, Transaction, Write
from gateway.store.sqlite.delivery import (
    Delivery,
    DeliveryStore,
    InboxEnvelope,
    NewCopy,
    PendingCopy,
    SealedCopy,
)
from gateway.store.sqlite.memory import MemoryRecord, TranslationMemoryStore
from gateway.store.sqlite.requests import RequestState, RequestStore, TrackedRequest
from gateway.store.sqlite.review import NewReviewItem, ReviewItem, ReviewOutcome, ReviewStore
from gateway.store.sqlite.signals import (
    Accepted,
    NewRequest,
    NewSignal,
    RecipientDecision,
    SignalStore,
    StoredSignal,
)
from gateway.store.sqlite.subjects import SubjectMatch, SubjectStore

__all__ = [
    "Accepted",
    "Admission",
    "AuditLog",
    "AuditReader",
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
    "RegistryStore",
    "RequestState",
    "RequestStore",
    "ReviewItem",
    "ReviewOutcome",
    "ReviewStore",
    "SealedCopy",
    "SignInBlock",
    "SignInThrottleStore",
    "SignalStore",
    "SqliteStore",
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
    "verify_chain",
]


Store = SqliteStore
