"""What compliance staff search and count: exchanges, the events of one exchange, the chain's
last verification, and the figures behind the charts and the administrators' pages.

An exchange is one signal to one recipient, with the decision for that recipient. Every filter
of a search is optional; an event-kind filter keeps the exchanges with at least one audit entry
of that kind about that signal and that recipient (an entry that names no recipient is about
all of them). Reads only, apart from :meth:`AuditSearchStore.record_verification`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Final, Protocol

from gateway.decide.decision import Verdict
from gateway.infra.audit import AuditEntry, EventKind, Verification, timestamp, told_reason
from gateway.store.interface.delivery import DeliveryState
from gateway.store.interface.review import ReviewState

PAGE_MAX: Final = 200
EXPORT_MAX: Final = 100_000
COUNT_MAX: Final = 10_000
"""A search counts its exchanges up to this many; beyond it, a page says "more than" instead
of counting a million rows for a figure nobody reads to the unit."""


@dataclass(frozen=True)
class ExchangeQuery:
    """A search: each field narrows it, ``None`` leaves it open; ``since`` is inclusive,
    ``until`` exclusive."""

    partner: str | None = None
    from_country: str | None = None
    to_country: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    category: str | None = None
    rule: str | None = None
    outcome: str | None = None
    event_kind: str | None = None

    def as_json(self) -> dict[str, str]:
        """The filters given, times as audit timestamps (an export's manifest names them)."""
        given = {f.name: getattr(self, f.name) for f in fields(self)}
        return {
            name: timestamp(value) if isinstance(value, datetime) else value
            for name, value in given.items()
            if value is not None
        }


@dataclass(frozen=True)
class ExchangeSummary:
    """One signal to one recipient: who, when, what kind, and what the rules decided."""

    signal_id: str
    received_at: datetime
    sender_id: str
    sender_country: str
    recipient_id: str
    recipient_country: str
    category: str
    urgency: str
    verdict: Verdict
    rule_ids: tuple[str, ...]
    policy_sha256: str


@dataclass(frozen=True)
class ExchangePage:
    """One page of a search; ``total`` the exchanges found, or, when ``more``, the
    :data:`COUNT_MAX` counted before the count stopped."""

    exchanges: tuple[ExchangeSummary, ...]
    total: int
    offset: int
    limit: int
    more: bool = False


@dataclass(frozen=True)
class LastVerification:
    """The last walk of the chain: how far it was intact, when, and by whom."""

    at: datetime
    by: str
    checked: int
    last_seq: int
    last_hash: str
    first_bad_seq: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None

    def reason_in(self, language: str) -> str | None:
        return told_reason(
            self.reason, language, last_seq=self.last_seq, first_bad_seq=self.first_bad_seq
        )


@dataclass(frozen=True)
class ChainHead:
    """The last entry of the chain."""

    seq: int
    hash: str
    at: datetime


@dataclass(frozen=True)
class ExchangeCount:
    """How many exchanges between two countries were received in one hour (UTC)."""

    hour: datetime
    sender_country: str
    recipient_country: str
    exchanges: int


@dataclass(frozen=True)
class RuleCount:
    """How many decisions of ``verdict`` a rule took part in (``rule_id`` ``""``: none did)."""

    rule_id: str
    verdict: Verdict
    decisions: int


@dataclass(frozen=True)
class ReviewSpan:
    """A decided review: when it began waiting and when an officer decided it."""

    state: ReviewState
    country: str
    created_at: datetime
    decided_at: datetime


@dataclass(frozen=True)
class WebhookHealth:
    """A partner's push deliveries by state, and the last error seen."""

    partner_id: str
    by_state: dict[DeliveryState, int]
    last_error: str | None
    last_status: int | None


@dataclass(frozen=True)
class SearchValues:
    """What the search form offers: the values in use."""

    partners: tuple[str, ...]
    countries: tuple[str, ...]
    categories: tuple[str, ...]
    rules: tuple[str, ...]


class AuditSearchStore(Protocol):
    async def search_exchanges(
        self, query: ExchangeQuery, *, offset: int = 0, limit: int = 50
    ) -> ExchangePage:
        """One page of the exchanges ``query`` finds, newest first (then by signal and
        recipient), with their total counted up to :data:`COUNT_MAX`; at most
        :data:`PAGE_MAX` a page."""
        ...

    async def export_exchanges(self, query: ExchangeQuery) -> list[ExchangeSummary]:
        """Every exchange ``query`` finds (at most :data:`EXPORT_MAX`), in the order of
        :meth:`search_exchanges`."""
        ...

    async def exchanges_of_signal(self, signal_id: str) -> list[ExchangeSummary]:
        """One signal's exchanges, one per recipient, in the order they were decided."""
        ...

    async def signal_events(self, signal_id: str) -> list[AuditEntry]:
        """Every audit entry about one signal, in chain order: those whose subject it is, and
        the fetches of inboxes that handed it out."""
        ...

    async def entries_of_kind(self, kind: EventKind, *, limit: int = 100) -> list[AuditEntry]:
        """The latest entries of ``kind``, newest first."""
        ...

    async def search_values(self) -> SearchValues:
        """The partners, countries, categories and rules in use, each sorted."""
        ...

    async def chain_head(self) -> ChainHead | None:
        """The last entry of the chain; ``None`` for an empty one."""
        ...

    async def record_verification(self, result: Verification, *, by: str) -> LastVerification:
        """Keep the outcome of a walk of the chain, now, so its state survives a restart."""
        ...

    async def last_verification(self) -> LastVerification | None:
        """The last walk kept."""
        ...

    async def exchanges_by_hour(self, *, since: datetime, until: datetime) -> list[ExchangeCount]:
        """The exchanges delivered or reviewed (not denied) received in the hours (UTC) that
        begin in the period, counted per hour and country pair, oldest hour first: counts kept
        as signals are accepted, so that a month's chart reads a few thousand of them rather
        than every exchange."""
        ...

    async def decisions_by_rule(self, *, since: datetime, until: datetime) -> list[RuleCount]:
        """Decisions on signals received in the hours (UTC) that begin in the period, by rule
        and verdict."""
        ...

    async def review_spans(self, *, since: datetime, until: datetime) -> list[ReviewSpan]:
        """Reviews decided in the period, oldest decision first."""
        ...

    async def webhook_health(self) -> dict[str, WebhookHealth]:
        """Push deliveries per partner, by state, with the latest error."""
        ...
