"""The store's interface, shared by every backend: one protocol per concern, with the records
its methods take and return, and :class:`Store`, all of them together. A backend
(:mod:`gateway.store.sqlite`) implements them all; the contract tests
(``tests/test_store_contract_*.py``) hold each backend to them."""

from __future__ import annotations

from typing import Protocol, Self

from gateway.store.health import StoreHealth
from gateway.store.interface.at_rest import AtRestStore
from gateway.store.interface.audit_log import AuditLog
from gateway.store.interface.audit_search import AuditSearchStore
from gateway.store.interface.audit_tree import AuditTreeStore
from gateway.store.interface.delivery import DeliveryStore
from gateway.store.interface.keys import KeyStore
from gateway.store.interface.operations import OperationsStore
from gateway.store.interface.partner_rate import PartnerRateStore
from gateway.store.interface.policies import PolicyStore
from gateway.store.interface.proposals import StaffProposalStore
from gateway.store.interface.registry import RegistryStore
from gateway.store.interface.requests import RequestStore
from gateway.store.interface.restriction import RestrictionStore
from gateway.store.interface.retention import RetentionStore
from gateway.store.interface.review import ReviewStore
from gateway.store.interface.sessions import StaffSessionStore
from gateway.store.interface.signals import SignalStore
from gateway.store.interface.staff import StaffStore
from gateway.store.interface.subjects import SubjectStore
from gateway.store.interface.throttle import SignInThrottleStore
from gateway.store.interface.tracking import TrackingStore
from gateway.store.interface.verification_jobs import VerificationJobStore
from gateway.store.interface.withdrawal import WithdrawalStore
from gateway.store.interface.witnesses import WitnessStore
from gateway.translate.etranslation_jobs import TranslationJobStore
from gateway.translate.memory_store import TranslationMemoryStore


class Store(
    AuditLog,
    RegistryStore,
    KeyStore,
    PolicyStore,
    SignalStore,
    RequestStore,
    SubjectStore,
    ReviewStore,
    DeliveryStore,
    TrackingStore,
    StaffStore,
    StaffSessionStore,
    StaffProposalStore,
    SignInThrottleStore,
    PartnerRateStore,
    VerificationJobStore,
    TranslationMemoryStore,
    TranslationJobStore,
    AuditSearchStore,
    AuditTreeStore,
    WitnessStore,
    OperationsStore,
    AtRestStore,
    RetentionStore,
    WithdrawalStore,
    RestrictionStore,
    Protocol,
):
    """Everything Euregate keeps, behind awaited methods that take and return records. Start
    it before use and close it after, or ``async with`` it."""

    @property
    def health(self) -> StoreHealth:
        """Whether the store can keep what it is given; if not, since when and why."""
        ...

    async def start(self) -> Self:
        """Ready the store (create or bring up to date what it keeps); itself."""
        ...

    async def close(self) -> None:
        """Finish what was asked of it and let go of everything; nothing more is accepted."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...
