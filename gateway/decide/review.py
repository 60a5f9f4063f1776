"""Review: which recipients' copies wait for a liaison officer, and why; and the closed list
of why an officer may reject one, which the sender sees (never the officer's words).

A copy waits when its free text reaches the recipient in a language the recipient did not
list (a machine or memory translation a person should check), when the rules hold the free
text, or when the rules' verdict is ``review``. An ``immediate`` signal goes out at once
with the unreviewed text marked as such, and the reviewed text follows as an update,
except where rule 1 (special categories across a border) applies: then it always waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gateway.contract.partners import Partner
from gateway.contract.signal import Signal
from gateway.decide.decision import DataClass, Decision, Outcome, Verdict
from gateway.infra.i18n import N_

SPECIAL_CATEGORY_RULES = frozenset({"1", "1a"})


class ReviewReason(StrEnum):
    LANGUAGE = "language"
    HELD = "held"
    RULE = "rule"


REASON_LABELS = {
    ReviewReason.LANGUAGE: N_("free text in a language the recipient did not list"),
    ReviewReason.HELD: N_("free text held by the sharing rules"),
    ReviewReason.RULE: N_("the sharing rules ask for review"),
}


class RejectionCategory(StrEnum):
    """Why a liaison officer rejected a copy, as its sender is told: one of a closed list,
    chosen by the officer beside the reason in words that only the desk reads."""

    NOT_LAWFUL_TO_SHARE = "not_lawful_to_share"
    PURPOSE_MISMATCH = "purpose_mismatch"
    INSUFFICIENT_RELIABILITY = "insufficient_reliability"
    TRANSLATION_IMPOSSIBLE = "translation_impossible"
    DUPLICATE = "duplicate"
    OTHER = "other"


REJECTION_LABELS = {
    RejectionCategory.NOT_LAWFUL_TO_SHARE: N_("no legal basis to share it with this recipient"),
    RejectionCategory.PURPOSE_MISMATCH: N_("the purpose does not match the recipient's tasks"),
    RejectionCategory.INSUFFICIENT_RELIABILITY: N_("the information is not reliable enough"),
    RejectionCategory.TRANSLATION_IMPOSSIBLE: N_("the text cannot be translated faithfully"),
    RejectionCategory.DUPLICATE: N_("the recipient already has this information"),
    RejectionCategory.OTHER: N_("another reason"),
}


@dataclass(frozen=True)
class ReviewNeed:
    """Why a copy waits, and whether it may go out at once in the meantime."""

    reasons: tuple[ReviewReason, ...]
    release_now: bool


def review_need(signal: Signal, decision: Decision, recipient: Partner) -> ReviewNeed | None:
    """What review ``decision`` calls for before ``recipient``'s copy goes out; None if none."""
    if decision.verdict is Verdict.DENY:
        return None
    reasons: list[ReviewReason] = []
    free_text = decision.outcome(DataClass.FREE_TEXT)
    if free_text is Outcome.SHARE and signal.language not in recipient.languages:
        reasons.append(ReviewReason.LANGUAGE)
    if free_text is Outcome.HOLD:
        reasons.append(ReviewReason.HELD)
    if decision.verdict is Verdict.REVIEW and free_text is not Outcome.HOLD:
        reasons.append(ReviewReason.RULE)
    if not reasons:
        return None
    special = bool(SPECIAL_CATEGORY_RULES & set(decision.rule_ids))
    return ReviewNeed(tuple(reasons), release_now=signal.urgency == "immediate" and not special)
