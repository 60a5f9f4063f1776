"""What the liaison pages show, as plain values: pure functions over the desk's results.

Dates in the viewer's time zone and language, the age of a waiting copy, the deadline of a
request for information (:mod:`gateway.flow.deadlines`), glossary terms
marked in a text, provenance in words, and what the sharing rules did, with each rule's
legal basis in the viewer's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_timedelta
from markupsafe import Markup, escape

from gateway.decide.decision import LABELS as DECISION_LABELS
from gateway.decide.decision import Decision, FiredRule
from gateway.decide.review import REASON_LABELS, ReviewReason
from gateway.flow.deadlines import TIME_LIMITS, deadline, overdue
from gateway.flow.desk import ReviewCase
from gateway.infra.i18n import DEFAULT_LANGUAGE, N_, translate
from gateway.minimise import FREE_TEXT_POINTERS
from gateway.render import labels
from gateway.render.renderer import (
    FIELD_LABELS,
    LANGUAGE_LOCALES,
    RenderedField,
    memory_origin_text,
)
from gateway.store import ReviewItem
from gateway.translate.glossary import glossary_terms
from gateway.translate.types import Provenance

URGENCY_RANK: Final[Mapping[str, int]] = MappingProxyType(
    {"immediate": 0, "urgent": 1, "routine": 2}
)


def moment(when: datetime, language: str, zone: ZoneInfo) -> str:
    """``when`` as a person in ``zone`` reads a date and time in ``language``."""
    return format_datetime(
        when.astimezone(zone), "medium", tzinfo=zone, locale=LANGUAGE_LOCALES[language]
    )


def day(when: date | None, language: str) -> str:
    """A day as a person reads it in ``language``; nothing for none."""
    if when is None:
        return ""
    return format_date(when, "long", locale=LANGUAGE_LOCALES[language])


def age(since: datetime, now: datetime, language: str) -> str:
    return format_timedelta(
        max(now - since, timedelta(0)),
        threshold=1.5,
        locale=LANGUAGE_LOCALES[language],
    )


def label(list_name: str, code: str, language: str) -> str:
    """The label of ``code`` in ``language``, or the code itself where the list has none."""
    try:
        return labels.label(list_name, code, language)
    except KeyError:
        return code


# --- the queue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    id: str
    urgency: str
    urgency_label: str
    deadline: str | None
    deadline_at: str | None
    overdue: bool
    sender: str
    recipient: str
    country: str
    waiting: str
    since: str
    reasons: tuple[str, ...]
    category: str = ""
    """The signal's category in the officer's language: what the message is about, without
    its content (the officer opens the message for that)."""


@dataclass(frozen=True)
class Waiting:
    """A waiting copy with what the queue needs beyond the item: its sender, deadline and
    category."""

    item: ReviewItem
    sender: str
    received_at: datetime
    deadline_code: str | None
    category: str | None = None


def due(waiting: Waiting) -> datetime | None:
    code = waiting.deadline_code
    if code is None or code not in TIME_LIMITS:
        return None
    return deadline(code, waiting.received_at)


def pressing_first(waiting: Sequence[Waiting]) -> list[Waiting]:
    """Urgency first, then the nearest deadline (none last), then the longest waiting."""
    far = datetime.max.replace(tzinfo=ZoneInfo("UTC"))
    return sorted(
        waiting,
        key=lambda w: (
            URGENCY_RANK.get(w.item.urgency, len(URGENCY_RANK)),
            due(w) or far,
            w.item.created_at,
        ),
    )


def queue_row(waiting: Waiting, now: datetime, language: str, zone: ZoneInfo) -> QueueRow:
    item = waiting.item
    created = item.created_at
    due_at = due(waiting)
    return QueueRow(
        id=item.id,
        urgency=item.urgency,
        urgency_label=labels.label("urgency", item.urgency, language),
        deadline=None if due_at is None else moment(due_at, language, zone),
        deadline_at=None if due_at is None else due_at.isoformat(),
        overdue=due_at is not None and overdue(due_at, now, answered=False),
        sender=waiting.sender,
        recipient=item.recipient_id,
        country=item.country,
        waiting=age(created, now, language),
        since=moment(created, language, zone),
        reasons=tuple(
            translate(REASON_LABELS[ReviewReason(code)], language) for code in item.reasons
        ),
        category="" if waiting.category is None else label("category", waiting.category, language),
    )


# --- a message ---------------------------------------------------------------------------


def highlight(text: str, terms: Sequence[tuple[str, str]]) -> Markup:
    """``text`` escaped, with each glossary term in a ``<mark>`` whose title is its
    translation; the longest term wins where two overlap, and only whole words match."""
    wanted = {term.casefold(): translation for term, translation in terms if term.strip()}
    if not wanted:
        return escape(text)
    pattern = re.compile(
        r"(?<!\w)("
        + "|".join(re.escape(t) for t in sorted(wanted, key=len, reverse=True))
        + r")(?!\w)",
        re.IGNORECASE,
    )
    parts: list[str] = []
    position = 0
    for found in pattern.finditer(text):
        parts.append(escape(text[position : found.start()]))
        title = wanted[found.group(0).casefold()]
        parts.append(Markup('<mark title="{}">{}</mark>').format(title, found.group(0)))
        position = found.end()
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def provenance_text(provenance: Provenance | None, language: str) -> str:
    if provenance is None:
        return ""
    if provenance.kind == "machine":
        return translate(
            N_("machine translation, unreviewed ({engine})"),
            language,
            engine=provenance.engine or "?",
        )
    if provenance.kind == "memory":
        return memory_origin_text(provenance, language)
    if provenance.kind == "human":
        return translate(N_("corrected by {officer}"), language, officer=provenance.officer or "?")
    return translate(N_("as written"), language)


@dataclass(frozen=True)
class TextField:
    """One free-text field: the sender's words beside what the recipient would read."""

    pointer: str
    label: str
    original: Markup
    shown: str
    """The text in the correction box when the page was drawn."""
    translated: Markup | None
    provenance: str
    provenance_kind: str
    held: bool
    language: str


@dataclass(frozen=True)
class RuleText:
    id: str
    reason: str
    legal_basis: str


@dataclass(frozen=True)
class Treatment:
    """A data class the rules withheld, generalised or pseudonymised, and under which rules."""

    data_class: str
    what: str
    rules: tuple[RuleText, ...]


def in_language(texts: Mapping[str, str], language: str) -> str:
    return texts.get(language) or texts.get(DEFAULT_LANGUAGE) or next(iter(texts.values()), "")


def rule_text(rule: FiredRule, language: str) -> RuleText:
    return RuleText(
        rule.id, in_language(rule.reason, language), in_language(rule.legal_basis, language)
    )


def text_fields(case: ReviewCase, language: str) -> list[TextField]:
    source, target = case.source_language, case.target_language
    to_target = glossary_terms(source, target)
    to_source = glossary_terms(target, source)
    fields = []
    for pointer, original in case.originals.items():
        translation = case.translations.get(pointer)
        held = pointer in case.held
        fields.append(
            TextField(
                pointer=pointer,
                label=translate(FIELD_LABELS[pointer], language),
                original=highlight(original, to_target),
                shown=translation.text if translation else original,
                translated=None if translation is None else highlight(translation.text, to_source),
                provenance=provenance_text(
                    translation.provenance if translation else Provenance("original"), language
                ),
                provenance_kind=translation.provenance.kind if translation else "original",
                held=held,
                language=translation.language if translation else source,
            )
        )
    return fields


def treatments(case: ReviewCase, language: str) -> list[Treatment]:
    fired = {rule.id: rule for rule in case.decision.rules}
    return [
        Treatment(
            data_class=translate(DECISION_LABELS[notice.data_class], language),
            what=translate(DECISION_LABELS[notice.outcome], language),
            rules=tuple(rule_text(fired[r], language) for r in notice.rules if r in fired),
        )
        for notice in case.rendered.notices
    ]


def fired_rules(decision: Decision, language: str) -> list[RuleText]:
    return [rule_text(rule, language) for rule in decision.rules]


def rendered_value(field: RenderedField, source: str, target: str) -> Markup:
    """A field of the recipient's rendering; free text with its glossary terms marked."""
    value = field.value or ""
    if field.pointer not in FREE_TEXT_POINTERS:
        return escape(value)
    if field.language == source:
        return highlight(value, glossary_terms(source, target))
    return highlight(value, glossary_terms(target, source))
