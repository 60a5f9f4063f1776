"""The policy file's format: TOML tables validated with pydantic, unknown keys refused.

A value that names codes (countries, agency types, purposes, ...) may be one string or a
list of them; a list means "any of". Codes are checked against the same lists the gateway
checks signals and partners with (:mod:`gateway.contract.codelists`,
:mod:`gateway.contract.partners`), so a typo is an error when the file is loaded, never a rule that
silently does not match.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Final, Literal

from annotated_types import MinLen
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from gateway.contract import codelists
from gateway.contract.partners import AGENCY_TYPES, COUNTRIES
from gateway.decide.decision import DataClass, Outcome, Verdict
from gateway.infra.i18n import LANGUAGES

_CONFIG: Final = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)
EVERY_CLASS: Final = "*"


def allowed_outcomes(data_class: DataClass) -> frozenset[Outcome]:
    """What a rule may decide for ``data_class``: what the minimiser can actually do to it."""
    if data_class == DataClass.OPERATIONAL:
        return frozenset({Outcome.SHARE})  # every delivered message carries it; deny withholds it
    allowed = set(Outcome)
    if data_class != DataClass.FREE_TEXT:
        allowed.discard(Outcome.HOLD)  # only free text waits for a liaison officer
    if data_class not in (DataClass.LOCATION_PRECISE, DataClass.PERSON_IDENTITY):
        allowed.discard(Outcome.GENERALISE)  # to the postal-code area, or birth to the year
    if data_class in (
        DataClass.OPERATIONAL,
        DataClass.LOCATION_PRECISE,
        DataClass.INDICATOR,
        DataClass.FREE_TEXT,
        DataClass.SPECIAL_CATEGORY,
    ):
        allowed.discard(Outcome.PSEUDONYMISE)  # nothing there to key a hash on
    return frozenset(allowed)


def _words(values: tuple[str, ...]) -> str:
    return ", ".join(values)


def _as_list(value: object) -> object:
    """``purpose = "x"`` reads as ``purpose = ["x"]``."""
    return [value] if isinstance(value, str) else value


@dataclass(frozen=True)
class _Code:
    """Checks that a value is one of the codes ``allowed`` gives, a ``kind`` of thing."""

    kind: str
    allowed: Callable[[], tuple[str, ...]]

    def __call__(self, value: str) -> str:
        if value not in self.allowed():
            raise PydanticCustomError(
                "unknown_code",
                'unknown {kind} "{value}" (expected one of {expected})',
                {"kind": self.kind, "value": value, "expected": _words(self.allowed())},
            )
        return value


def _category_pattern(pattern: str) -> str:
    if not any(fnmatch.fnmatchcase(code, pattern) for code in codelists.codes("category")):
        raise PydanticCustomError(
            "no_category", 'category pattern "{pattern}" matches no category', {"pattern": pattern}
        )
    return pattern


_LIST = BeforeValidator(_as_list)
_COUNTRY = AfterValidator(_Code("country", lambda: COUNTRIES))
_AGENCY_TYPE = AfterValidator(_Code("agency type", lambda: AGENCY_TYPES))
_PURPOSE = AfterValidator(_Code("purpose", lambda: codelists.codes("purpose")))
_URGENCY = AfterValidator(_Code("urgency", lambda: codelists.codes("urgency")))
_HANDLING_CODE = AfterValidator(_Code("handling code", lambda: codelists.codes("handling_code")))
Countries = Annotated[tuple[Annotated[str, _COUNTRY], ...], _LIST, MinLen(1)]
AgencyTypes = Annotated[tuple[Annotated[str, _AGENCY_TYPE], ...], _LIST, MinLen(1)]
Purposes = Annotated[tuple[Annotated[str, _PURPOSE], ...], _LIST, MinLen(1)]
Urgencies = Annotated[tuple[Annotated[str, _URGENCY], ...], _LIST, MinLen(1)]
HandlingCodes = Annotated[tuple[Annotated[str, _HANDLING_CODE], ...], _LIST, MinLen(1)]
CategoryPatterns = Annotated[
    tuple[Annotated[str, AfterValidator(_category_pattern)], ...], _LIST, MinLen(1)
]

NonBlank = Annotated[str, StringConstraints(pattern=r"\S")]
RuleId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")]


class Match(BaseModel):
    """Conditions on an exchange, for ``match`` and ``unless``: every attribute given must hold."""

    model_config = _CONFIG

    border: Literal["cross", "same"] | None = None
    special_category: StrictBool | None = None
    sender_country: Countries | None = None
    sender_agency_type: AgencyTypes | None = None
    recipient_country: Countries | None = None
    recipient_agency_type: AgencyTypes | None = None
    purpose: Purposes | None = None
    urgency: Urgencies | None = None
    handling_code: HandlingCodes | None = None
    category: CategoryPatterns | None = None
    forwards_handling_code: HandlingCodes | None = None


class Outcomes(BaseModel):
    """Data class → outcome. ``"*"`` stands for every class the rule does not name."""

    model_config = _CONFIG

    every: Outcome | None = Field(default=None, alias=EVERY_CLASS)
    operational: Outcome | None = None
    location_precise: Outcome | None = None
    person_identity: Outcome | None = None
    person_national_id: Outcome | None = None
    person_document: Outcome | None = None
    organisation: Outcome | None = None
    vehicle: Outcome | None = None
    financial: Outcome | None = None
    indicator: Outcome | None = None
    free_text: Outcome | None = None
    special_category: Outcome | None = None

    @field_validator("*", mode="after")
    @classmethod
    def _fits_class(cls, value: Outcome | None, info: ValidationInfo) -> Outcome | None:
        name = info.field_name or ""
        allowed = (
            frozenset({Outcome.SHARE, Outcome.REDACT})
            if name == "every"
            else allowed_outcomes(DataClass(name))
        )
        if value is not None and value not in allowed:
            what = f'"{EVERY_CLASS}" (every class)' if name == "every" else name
            raise PydanticCustomError(
                "outcome_not_allowed",
                "{what} cannot be {outcome}; it can be {allowed}",
                {
                    "what": what,
                    "outcome": str(value),
                    "allowed": _words(tuple(str(o) for o in Outcome if o in allowed)),
                },
            )
        return value

    def per_class(self) -> Mapping[DataClass, Outcome]:
        """The outcome this rule gives each class it covers; a named class beats ``"*"``."""
        outcomes: dict[DataClass, Outcome] = {}
        for data_class in DataClass:
            named: Outcome | None = getattr(self, data_class.value)
            outcome = named if named is not None else self.every
            if outcome is not None:
                outcomes[data_class] = outcome
        return MappingProxyType(outcomes)


class Texts(BaseModel):
    """One text in every language of the gateway."""

    model_config = _CONFIG

    nl: NonBlank
    fr: NonBlank
    de: NonBlank
    en: NonBlank

    def by_language(self) -> Mapping[str, str]:
        return MappingProxyType({language: getattr(self, language) for language in LANGUAGES})


class Rule(BaseModel):
    """One rule: when it fires, and what it then says about the message and each class."""

    model_config = _CONFIG

    id: RuleId
    title: NonBlank
    match: Match
    unless: Match | None = None
    verdict: Verdict | None = None
    outcomes: Outcomes = Outcomes()
    reason: Texts
    legal_basis: Texts

    @field_validator("unless", mode="after")
    @classmethod
    def _unless_names_something(cls, value: Match | None) -> Match | None:
        if value is not None and not value.model_fields_set:
            raise PydanticCustomError(
                "empty_unless", "an empty unless always holds, so the rule would never fire"
            )
        return value


class DefaultRule(BaseModel):
    """What fires when no rule gives a verdict: deny, with these texts."""

    model_config = _CONFIG

    id: RuleId
    title: NonBlank
    reason: Texts
    legal_basis: Texts


class RetentionMatch(BaseModel):
    """Which signals a retention rule is for: every attribute given must hold."""

    model_config = _CONFIG

    category: CategoryPatterns | None = None
    purpose: Purposes | None = None
    handling_code: HandlingCodes | None = None


Days = Annotated[int, Field(strict=True, ge=1, le=36525)]


class RetentionTerms(BaseModel):
    """How long a signal's content is kept, and by whom, in days.

    ``keep_days``: at the gateway after the signal's last delivery; ``review_days``: at the
    gateway after intake while no copy was delivered (copies held for review, or denied
    everywhere), after which it is erased; ``recipient_days``: by a recipient after it
    received its copy (told in the message); ``acknowledged_days``: an envelope its recipient
    acknowledged, kept for re-delivery on request.
    """

    model_config = _CONFIG

    id: RuleId
    title: NonBlank
    keep_days: Days
    review_days: Days
    recipient_days: Days
    acknowledged_days: Days = 7
    legal_basis: Texts

    def periods(self) -> tuple[int, int, int, int]:
        return (self.keep_days, self.review_days, self.recipient_days, self.acknowledged_days)


class RetentionRule(RetentionTerms):
    """Terms for the signals its ``match`` holds for."""

    match: RetentionMatch


class Retention(BaseModel):
    """``[retention]``: the terms by category, purpose and handling code; ``default`` for the
    signals no rule is for (without it, every signal must have a rule)."""

    model_config = _CONFIG

    default: RetentionTerms | None = None
    rule: tuple[RetentionRule, ...] = ()


class PolicyDocument(BaseModel):
    """The whole file."""

    model_config = _CONFIG

    version: Literal[1]
    default: DefaultRule
    rule: tuple[Rule, ...] = ()
    retention: Retention | None = None
