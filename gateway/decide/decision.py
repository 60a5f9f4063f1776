"""What the sharing policy decides: plain values shared by policy, minimise and intake.

A :class:`Decision` says, for one recipient of one signal, whether the message goes
(``deliver``), waits for a liaison officer (``review``) or does not go (``deny``), and
for every data class what the recipient may see of it. The order of the members of
:class:`Verdict` and :class:`Outcome` is their order of restrictiveness: when rules
disagree, the later member wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from gateway.contract.partners import Partner
from gateway.infra.i18n import N_


class DataClass(StrEnum):
    OPERATIONAL = "operational"
    LOCATION_PRECISE = "location_precise"
    PERSON_IDENTITY = "person_identity"
    PERSON_NATIONAL_ID = "person_national_id"
    PERSON_DOCUMENT = "person_document"
    ORGANISATION = "organisation"
    VEHICLE = "vehicle"
    FINANCIAL = "financial"
    INDICATOR = "indicator"
    FREE_TEXT = "free_text"
    SPECIAL_CATEGORY = "special_category"


class Verdict(StrEnum):
    DELIVER = "deliver"
    REVIEW = "review"
    DENY = "deny"

    @property
    def rank(self) -> int:
        return list(Verdict).index(self)


class Outcome(StrEnum):
    SHARE = "share"
    GENERALISE = "generalise"
    PSEUDONYMISE = "pseudonymise"
    HOLD = "hold"
    REDACT = "redact"

    @property
    def rank(self) -> int:
        return list(Outcome).index(self)


def stricter_verdict(a: Verdict, b: Verdict) -> Verdict:
    return a if a.rank >= b.rank else b


def stricter_outcome(a: Outcome, b: Outcome) -> Outcome:
    return a if a.rank >= b.rank else b


LABELS = {
    DataClass.OPERATIONAL: N_("operational data"),
    DataClass.LOCATION_PRECISE: N_("precise location"),
    DataClass.PERSON_IDENTITY: N_("identity of persons"),
    DataClass.PERSON_NATIONAL_ID: N_("national identification numbers"),
    DataClass.PERSON_DOCUMENT: N_("identity document numbers"),
    DataClass.ORGANISATION: N_("organisations"),
    DataClass.VEHICLE: N_("vehicles"),
    DataClass.FINANCIAL: N_("financial data"),
    DataClass.INDICATOR: N_("indicators of undermining"),
    DataClass.FREE_TEXT: N_("free text"),
    DataClass.SPECIAL_CATEGORY: N_("special categories of personal data"),
    Verdict.DELIVER: N_("deliver"),
    Verdict.REVIEW: N_("deliver after review"),
    Verdict.DENY: N_("deny"),
    Outcome.SHARE: N_("share"),
    Outcome.GENERALISE: N_("generalise"),
    Outcome.PSEUDONYMISE: N_("pseudonymise"),
    Outcome.HOLD: N_("hold for review"),
    Outcome.REDACT: N_("redact"),
}


@dataclass(frozen=True)
class Forwarded:
    """The signal a reply or forward answers (``in_reply_to``), as far as the policy cares."""

    signal_id: str
    handling_code: str
    sender_id: str
    recipient_ids: tuple[str, ...]


@dataclass(frozen=True)
class Exchange:
    """Everything a rule may look at: who sends to whom, and the signal's codes. No content."""

    sender: Partner
    recipient: Partner
    purpose: str
    urgency: str
    handling_code: str
    category: str
    special_category: bool
    forwarded: Forwarded | None = None

    @property
    def cross_border(self) -> bool:
        return self.sender.country != self.recipient.country


@dataclass(frozen=True)
class FiredRule:
    """A rule that matched, with the texts compliance staff read: per language code."""

    id: str
    reason: Mapping[str, str] = field(default_factory=dict)
    legal_basis: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    recipient_id: str
    verdict: Verdict
    outcomes: Mapping[DataClass, Outcome]
    rules: tuple[FiredRule, ...]
    policy_digest: str

    def outcome(self, data_class: DataClass) -> Outcome:
        return self.outcomes.get(data_class, Outcome.REDACT)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.rules)

    @classmethod
    def from_json(cls, recorded: Mapping[str, Any]) -> Decision:
        """The decision as :meth:`as_json` recorded it."""
        return cls(
            recipient_id=recorded["recipient"],
            verdict=Verdict(recorded["verdict"]),
            outcomes={DataClass(c): Outcome(o) for c, o in recorded["outcomes"].items()},
            rules=tuple(
                FiredRule(r["id"], dict(r["reason"]), dict(r["legal_basis"]))
                for r in recorded["rules"]
            ),
            policy_digest=recorded["policy_sha256"],
        )

    def as_json(self) -> dict[str, object]:
        """The decision as recorded and explained: codes and ids, never content."""
        return {
            "recipient": self.recipient_id,
            "verdict": str(self.verdict),
            "outcomes": {str(c): str(self.outcome(c)) for c in DataClass},
            "rules": [
                {"id": r.id, "reason": dict(r.reason), "legal_basis": dict(r.legal_basis)}
                for r in self.rules
            ],
            "policy_sha256": self.policy_digest,
        }
