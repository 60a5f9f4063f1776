"""Rendering: a recipient's view of a signal, as a person at that recipient reads it.

:func:`render` turns a :class:`~gateway.minimise.RecipientView` into a
:class:`RenderedDocument` in the recipient's first language: field names and codes through
the catalogs (:mod:`gateway.render.labels`), country names from the CLDR, dates, times and numbers
in the CLDR formats of the recipient's country (Babel) and times in its time zone. Free text
is shown as translated (``translations``) with its provenance, or as written, and each free
text says in words, in the reader's language, where it came from (:func:`origin_text`): the
original in its language, a liaison desk's translation memory (and whether a second officer
confirmed it), a machine translation, or a named officer.

What the rules took away is said, never hidden: each withheld, generalised or pseudonymised
class with the rules that did it, each held text as held for a liaison officer. A
:class:`~gateway.decide.decision.Decision` names the rules that fired but not which of them decided
which class; given the ``policy`` the decision was made under, :func:`class_rules` finds the
fired rules whose own outcome for the class is the one applied; without it, a class is said to
be treated under all the rules that fired, which is true of the decision as a whole.

Rendering is pure: it reads nothing but its arguments and shows nothing the view does not hold
(a translation of a text the view does not hold is ignored).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any, Final
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_decimal
from euregate_client import canonical

from gateway.contract import json_pointer
from gateway.contract.partners import Partner
from gateway.decide.decision import LABELS as DECISION_LABELS
from gateway.decide.decision import DataClass, Decision, Outcome
from gateway.decide.policy import Policy, RetentionTerms
from gateway.decide.policy.retention import recipient_keeps_until
from gateway.infra.i18n import N_, translate
from gateway.minimise import RecipientView
from gateway.minimise.classes import (
    FIELD_CLASSES,
    FREE_TEXT_POINTERS,
    PERSON_IDENTIFIER_CLASSES,
    pattern_of,
)
from gateway.render import labels
from gateway.translate.types import Provenance, TranslatedText

LOCALES: Final[Mapping[tuple[str, str], str]] = MappingProxyType(
    {
        ("BE", "fr"): "fr_BE",
        ("BE", "nl"): "nl_BE",
        ("BE", "de"): "de_BE",
        ("DE", "de"): "de_DE",
        ("NL", "nl"): "nl_NL",
    }
)
"""The CLDR locale of a recipient, by (country, first language)."""

LANGUAGE_LOCALES: Final[Mapping[str, str]] = MappingProxyType(
    {"nl": "nl_NL", "fr": "fr_BE", "de": "de_DE", "en": "en_IE"}
)
"""A language spoken outside its home country here: the Euregio's own variant of it.

English is ``en_IE``, the English of a euro-area member state: day before month, 24-hour
clock, the euro; ``en_GB`` would format like it but is no longer an EU locale.
"""

TIME_ZONES: Final[Mapping[str, str]] = MappingProxyType(
    {"NL": "Europe/Amsterdam", "BE": "Europe/Brussels", "DE": "Europe/Berlin"}
)

ORIGINAL: Final = Provenance("original")

# --- field names -------------------------------------------------------------------------

FIELD_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "/schema": N_("Schema version"),
        "/sender_reference": N_("Sender's reference"),
        "/language": N_("Language of the text"),
        "/category": N_("Category"),
        "/urgency": N_("Urgency"),
        "/handling_code": N_("Handling code"),
        "/handling_conditions": N_("Handling conditions"),
        "/source_reliability": N_("Reliability of the source"),
        "/information_reliability": N_("Reliability of the information"),
        "/observed_at": N_("Observed at"),
        "/observed_until": N_("Observed until"),
        "/summary": N_("Summary"),
        "/description": N_("Description"),
        "/special_category_data": N_("Contains special categories of personal data"),
        "/purpose": N_("Purpose"),
        "/in_reply_to": N_("In reply to"),
        "/request/type": N_("Type of request"),
        "/request/deadline": N_("Deadline for the reply"),
        "country": N_("Country"),
        "municipality_code": N_("Municipality code"),
        "municipality_name": N_("Municipality"),
        "postal_code": N_("Postal code"),
        "street": N_("Street"),
        "house_number": N_("House number"),
        "coordinates/lat": N_("Latitude"),
        "coordinates/lon": N_("Longitude"),
        "/persons/*/role": N_("Role"),
        "/persons/*/family_name": N_("Family name"),
        "/persons/*/given_names": N_("Given names"),
        "/persons/*/date_of_birth": N_("Date of birth"),
        "/persons/*/place_of_birth": N_("Place of birth"),
        "/persons/*/nationalities": N_("Nationalities"),
        "/persons/*/gender": N_("Gender"),
        "issuing_country": N_("Issuing country"),
        "pseudonym": N_("Pseudonym"),
        "/organisations/*/role": N_("Role"),
        "/organisations/*/name": N_("Name"),
        "/organisations/*/legal_form": N_("Legal form"),
        "/organisations/*/sector": N_("Sector"),
        "/vehicles/*/registration": N_("Registration"),
        "/vehicles/*/registration_country": N_("Country of registration"),
        "/vehicles/*/make": N_("Make"),
        "/vehicles/*/model": N_("Model"),
        "/vehicles/*/colour": N_("Colour"),
        "/accounts/*/iban": N_("IBAN"),
        "/accounts/*/holder_ref": N_("Account holder"),
        "ref": N_("Ref of the place"),
    }
)
"""The name of each field in the reader's language, by pointer pattern (or the last members
of a pointer, for the parts of a place and of an identifier)."""

HEADINGS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "signal": N_("Signal"),
        "general": N_("General information"),
        "location": N_("Place of the facts"),
        "text": N_("Text"),
        "persons": N_("Person {ref}"),
        "organisations": N_("Organisation {ref}"),
        "address": N_("Address of organisation {ref}"),
        "vehicles": N_("Vehicle {ref}"),
        "accounts": N_("Account {ref}"),
        "links": N_("Links"),
        "indicators": N_("Indicators of undermining"),
        "notices": N_("What the sharing rules did"),
    }
)

RECEIVED: Final = N_("Received")
TIME_ZONE: Final = N_("Time zone")
KEEP_UNTIL: Final = N_("Keep until")
KEEP_UNTIL_NOTE: Final = N_("retention rule {rule}: {days} days after receipt at the gateway")
YES: Final = N_("yes")
NO: Final = N_("no")
PSEUDONYM_OF: Final = N_("{label} (pseudonym)")
HELD: Final = N_("held for review by a liaison officer")
SEEN_ON: Final = N_("seen on {date}")
AT_PLACE: Final = N_("at place {ref}")
CONCERNS: Final = N_("concerns {ref}")
WITHHELD_TEXT: Final = N_("withheld by a liaison officer, not translated")
AS_WRITTEN: Final = N_("[as written, in {language}]")
"""The mark of a free text sent in a language the recipient does not read."""
WRITTEN_IN: Final = N_("written in {language}")
LANGUAGE_OF_FIELD: Final = N_("{language} ({field})")

ORIGINS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "original": N_("original text in {language}"),
        "glossary": N_("translated from {language} with the Euregio glossary"),
        "memory": N_(
            "translated from {language} from the translation memory of liaison desk {desk} "
            "(written by {officer}, not confirmed by a second officer)"
        ),
        "confirmed": N_(
            "translated from {language} from the translation memory of liaison desk {desk} "
            "(written by {officer}, confirmed by {confirmed_by})"
        ),
        "machine": N_("machine translation from {language} ({engine})"),
        "human": N_("translated from {language} by liaison officer {officer}"),
    }
)
"""Where a free text came from, in words, by kind of provenance."""

MEMORY_ORIGINS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "glossary": N_("from the Euregio glossary"),
        "memory": N_(
            "from the translation memory of liaison desk {desk} (written by {officer}, not "
            "confirmed by a second officer)"
        ),
        "confirmed": N_(
            "from the translation memory of liaison desk {desk} (written by {officer}, "
            "confirmed by {confirmed_by})"
        ),
    }
)
"""Where a text from the memory came from, for an officer who sees the original beside it."""

_NOTES: Final[Mapping[Outcome, tuple[str, str, str]]] = MappingProxyType(
    {
        Outcome.REDACT: (
            N_("withheld under rule {rules}"),
            N_("withheld under rules {rules}"),
            N_("withheld under the sharing policy"),
        ),
        Outcome.GENERALISE: (
            N_("generalised under rule {rules}"),
            N_("generalised under rules {rules}"),
            N_("generalised under the sharing policy"),
        ),
        Outcome.PSEUDONYMISE: (
            N_("pseudonymised under rule {rules}"),
            N_("pseudonymised under rules {rules}"),
            N_("pseudonymised under the sharing policy"),
        ),
    }
)
"""What happened to a class, with one rule, several, or none named."""

CODE_LISTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "/language": "language",
        "/category": "category",
        "/urgency": "urgency",
        "/handling_code": "handling_code",
        "/source_reliability": "source_reliability",
        "/information_reliability": "information_reliability",
        "/purpose": "purpose",
        "/request/type": "request_type",
        "/request/deadline": "request_deadline",
        "/location/country": "country",
        "/organisations/*/address/country": "country",
        "/persons/*/role": "person_role",
        "/persons/*/gender": "gender",
        "/persons/*/identifiers/*/issuing_country": "iso_country",
        "/organisations/*/role": "organisation_role",
        "/organisations/*/sector": "sector",
        "/vehicles/*/registration_country": "iso_country",
        "/vehicles/*/colour": "colour",
    }
)
"""Members whose value is a code, and the list that labels it."""

WRITTEN_BEFORE_CODED: Final = frozenset({"/vehicles/*/colour"})
"""Coded members that a signal/1.0 gives as free text: a value outside the list is shown as
written."""

_GENERALISED_MEMBERS: Final = frozenset({"postal_code", "coordinates", "date_of_birth"})
_ENTITY_CLASSES: Final[Mapping[str, DataClass]] = MappingProxyType(
    {
        "persons": DataClass.PERSON_IDENTITY,
        "organisations": DataClass.ORGANISATION,
        "vehicles": DataClass.VEHICLE,
        "accounts": DataClass.FINANCIAL,
    }
)


# --- the rendered document ---------------------------------------------------------------


@dataclass(frozen=True)
class RenderedField:
    """One field as shown: where it is in the view, its name, its value, and whence the value.

    ``pointer`` is ``None`` for what the gateway adds (time zone, time of receipt);
    ``value`` is ``None`` only for held text. ``code`` is the value as the view holds it when
    the shown value is a label or a formatted date or number; ``note`` says what the rules did
    to it; ``language`` is the language a free text is shown in, and ``origin`` says in words
    where a free text came from. ``untranslated`` is the language of a free text sent in a
    language the recipient does not read, and ``marker`` says so in the reader's language.
    ``definition`` says what a coded value means, for a code list that defines its codes (an
    indicator).
    """

    pointer: str | None
    label: str
    value: str | None
    provenance: Provenance | None = ORIGINAL
    code: str | None = None
    note: str | None = None
    language: str | None = None
    origin: str | None = None
    untranslated: str | None = None
    marker: str | None = None
    definition: str | None = None

    def as_json(self) -> dict[str, object]:
        rendered: dict[str, object] = {
            "pointer": self.pointer,
            "label": self.label,
            "value": self.value,
            "provenance": None if self.provenance is None else self.provenance.as_json(),
        }
        optional: dict[str, object] = {
            "code": self.code,
            "note": self.note,
            "language": self.language,
            "origin": self.origin,
            "definition": self.definition,
        }
        if self.untranslated is not None:
            optional["untranslated"] = {"language": self.untranslated, "marker": self.marker}
        return rendered | {name: value for name, value in optional.items() if value is not None}


@dataclass(frozen=True)
class RenderedSection:
    heading: str
    pointer: str
    fields: tuple[RenderedField, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "heading": self.heading,
            "pointer": self.pointer,
            "fields": [item.as_json() for item in self.fields],
        }


@dataclass(frozen=True)
class Notice:
    """A class the rules withheld, generalised or pseudonymised, and the rules that did it."""

    data_class: DataClass
    outcome: Outcome
    label: str
    rules: tuple[str, ...]
    text: str

    def as_json(self) -> dict[str, object]:
        return {
            "data_class": str(self.data_class),
            "outcome": str(self.outcome),
            "label": self.label,
            "rules": list(self.rules),
            "text": self.text,
        }


@dataclass
class _Encoded:
    """A rendering's canonical JSON but for its recipient's id, shared by every copy that
    :meth:`RenderedDocument.readdressed` hands the same rendering to."""

    members: dict[str, bytes] | None = None
    text: bytes | None = None


@dataclass(frozen=True)
class RenderedDocument:
    recipient_id: str
    language: str
    locale: str
    time_zone: str
    title: str
    header: tuple[RenderedField, ...]
    sections: tuple[RenderedSection, ...]
    notices_heading: str
    notices: tuple[Notice, ...]
    separator: str = field(default=": ", repr=False)
    _encoded: _Encoded = field(default_factory=_Encoded, init=False, repr=False, compare=False)

    def readdressed(self, recipient_id: str) -> RenderedDocument:
        """This rendering for ``recipient_id``, sharing what is encoded of it already."""
        document = replace(self, recipient_id=recipient_id)
        object.__setattr__(document, "_encoded", self._encoded)
        return document

    def canonical_json(self) -> bytes:
        """:meth:`as_json` in canonical form (RFC 8785); all but the recipient's id encoded
        once for every copy this rendering is handed to."""
        encoded = self._encoded
        if encoded.members is None:
            everything = self.as_json()
            del everything["recipient"]
            encoded.members = {key: canonical.dumps(value) for key, value in everything.items()}
        return canonical.object_of(
            encoded.members | {"recipient": canonical.dumps(self.recipient_id)}
        )

    def canonical_text(self) -> bytes:
        """:meth:`as_text` as a canonical JSON string, encoded once for every copy."""
        encoded = self._encoded
        if encoded.text is None:
            encoded.text = canonical.dumps(self.as_text())
        return encoded.text

    def as_json(self) -> dict[str, object]:
        """Every field with its pointer, label, value and provenance; codes and rule ids kept."""
        return {
            "recipient": self.recipient_id,
            "language": self.language,
            "locale": self.locale,
            "time_zone": self.time_zone,
            "title": self.title,
            "header": [item.as_json() for item in self.header],
            "sections": [section.as_json() for section in self.sections],
            "notices": {
                "heading": self.notices_heading,
                "items": [notice.as_json() for notice in self.notices],
            },
        }

    def as_text(self) -> str:
        """Plain text for a person: a title, then headings with ``label: value`` lines."""
        lines = [self.title, "=" * len(self.title)]
        lines += [self._line(item) for item in self.header]
        for section in self.sections:
            lines += ["", section.heading, "-" * len(section.heading)]
            lines += [self._line(item) for item in section.fields]
        if self.notices:
            lines += ["", self.notices_heading, "-" * len(self.notices_heading)]
            lines += [f"{n.label}{self.separator}{n.text}" for n in self.notices]
        return "\n".join(lines) + "\n"

    def _line(self, item: RenderedField) -> str:
        value = item.value if item.value is not None else ""
        if item.marker:
            value = f"{item.marker} {value}"
        if item.note:
            value = f"{value} ({item.note})" if value else f"({item.note})"
        if "\n" in value:
            value = "\n" + "\n".join(f"    {part}" for part in value.split("\n"))
        line = f"{item.label}{self.separator}{value}"
        if item.definition:
            line = f"{line}\n    {item.definition}"
        return f"{line}\n    [{item.origin}]" if item.origin and not item.marker else line


# --- render ------------------------------------------------------------------------------


def origin_text(provenance: Provenance, language: str, source: str | None) -> str:
    """Where a free text came from, in words in ``language``: ``source`` is the language it
    was written in (for an original) or translated from."""
    kind = _origin_kind(provenance)
    return translate(
        ORIGINS[kind],
        language,
        language=labels.label("language", source, language) if source else "?",
        engine=" ".join(p for p in (provenance.engine, provenance.version) if p) or "?",
        **_people(provenance),
    )


def memory_origin_text(provenance: Provenance, language: str) -> str:
    """Whose memory entries a text came from (the glossary, a desk, confirmed or not)."""
    return translate(MEMORY_ORIGINS[_origin_kind(provenance)], language, **_people(provenance))


def _origin_kind(provenance: Provenance) -> str:
    if provenance.kind != "memory":
        return provenance.kind
    if provenance.desk is None:
        return "glossary"
    return "memory" if provenance.confirmed_by is None else "confirmed"


def _people(provenance: Provenance) -> dict[str, str]:
    return {
        "desk": provenance.desk or "?",
        "officer": provenance.officer or "?",
        "confirmed_by": provenance.confirmed_by or "?",
    }


def locale_of(recipient: Partner) -> str:
    """The CLDR locale a recipient reads: its first language as written in its country."""
    language = recipient.languages[0]
    return LOCALES.get((recipient.country, language), LANGUAGE_LOCALES[language])


def render(
    view: RecipientView,
    recipient: Partner,
    decision: Decision,
    *,
    translations: Mapping[str, TranslatedText] | None = None,
    received_at: datetime | None = None,
    policy: Policy | None = None,
    retention: RetentionTerms | None = None,
) -> RenderedDocument:
    """``view`` as ``recipient`` reads it, in its first language; see the module docstring.

    ``translations`` gives the translated text of free-text fields by JSON pointer;
    ``received_at`` (aware) is when the gateway accepted the signal; ``policy`` is the policy
    ``decision`` was made under, to name the rule behind each class (:func:`class_rules`);
    ``retention``, the terms the signal is kept under, tells the recipient until when it may
    keep its copy (with ``received_at``).
    """
    if view.recipient_id != recipient.id or decision.recipient_id != recipient.id:
        raise ValueError("the view, the recipient and the decision must be of one partner")
    renderer = _Renderer(
        language=recipient.languages[0],
        readable=tuple(recipient.languages),
        locale=locale_of(recipient),
        zone=ZoneInfo(TIME_ZONES[recipient.country]),
        translations=translations or {},
        view=view,
        rules=class_rules(view, decision, policy),
    )
    return renderer.document(recipient, received_at, retention)


def class_rules(
    view: RecipientView, decision: Decision, policy: Policy | None
) -> dict[DataClass, tuple[str, ...]]:
    """The ids of the rules behind each class the view withholds, generalises or pseudonymises.

    With the ``policy`` of the decision (same digest): the fired rules whose own outcome for the
    class is the one applied; for a class redacted because the signal's special-category data
    was, the rules that redacted that; for a class no fired rule covers (redacted by default),
    the default rule. Otherwise: every rule that fired.
    """
    changed = {
        **dict.fromkeys(view.withheld, Outcome.REDACT),
        **dict.fromkeys(view.generalised, Outcome.GENERALISE),
        **dict.fromkeys(view.pseudonymised, Outcome.PSEUDONYMISE),
    }
    if policy is None or policy.digest != decision.policy_digest:
        return dict.fromkeys(changed, decision.rule_ids)
    own = {rule.id: rule.outcomes.per_class() for rule in policy.rules}

    def deciding(data_class: DataClass, outcome: Outcome) -> tuple[str, ...]:
        return tuple(
            rid for rid in decision.rule_ids if own.get(rid, {}).get(data_class) is outcome
        )

    found: dict[DataClass, tuple[str, ...]] = {}
    for data_class, outcome in changed.items():
        ids = deciding(data_class, outcome)
        if not ids and decision.outcome(data_class) is not outcome:
            ids = deciding(DataClass.SPECIAL_CATEGORY, Outcome.REDACT)
        found[data_class] = ids or (policy.default.id,)
    return found


@dataclass(frozen=True)
class _Renderer:
    language: str
    readable: tuple[str, ...]
    locale: str
    zone: ZoneInfo
    translations: Mapping[str, TranslatedText]
    view: RecipientView
    rules: Mapping[DataClass, tuple[str, ...]]

    def t(self, message: str, **params: object) -> str:
        return translate(message, self.language, **params)

    def document(
        self, recipient: Partner, received_at: datetime | None, retention: RetentionTerms | None
    ) -> RenderedDocument:
        header = [RenderedField(None, self.t(TIME_ZONE), self.zone.key, provenance=None)]
        if received_at is not None:
            if received_at.utcoffset() is None:
                raise ValueError("received_at must be an aware datetime")
            stamp = received_at.isoformat()
            header.insert(0, RenderedField(None, self.t(RECEIVED), self.moment(stamp), None, stamp))
            if retention is not None:
                header.append(self.keep_until(received_at, retention))
        return RenderedDocument(
            recipient_id=recipient.id,
            language=self.language,
            locale=self.locale,
            time_zone=self.zone.key,
            title=self.t(HEADINGS["signal"]),
            header=tuple(header),
            sections=tuple(section for section in self.sections() if section.fields),
            notices_heading=self.t(HEADINGS["notices"]),
            notices=tuple(self.notices()),
            separator="\u00a0: " if self.language == "fr" else ": ",
        )

    # sections

    def sections(self) -> Iterator[RenderedSection]:
        document = self.view.document
        top = [
            (f"/{key}", value)
            for key, value in document.items()
            if f"/{key}" in FIELD_CLASSES and f"/{key}" not in FREE_TEXT_POINTERS
        ]
        texts = tuple(self.texts())
        fields = [
            f
            for pointer, value in top
            for f in (
                (self.text_language(str(value), texts),)
                if pointer == "/language"
                else self.fields(pointer, value)
            )
        ]
        yield RenderedSection(self.t(HEADINGS["general"]), "", tuple(fields))
        yield RenderedSection(
            self.t(HEADINGS["location"]),
            "/location",
            tuple(self.fields("/location", document.get("location", {}))),
        )
        yield RenderedSection(self.t(HEADINGS["text"]), "", texts)
        for member in _ENTITY_CLASSES:
            for index, entity in enumerate(document.get(member, ())):
                pointer = f"/{member}/{index}"
                entries = {k: v for k, v in entity.items() if k not in ("ref", "address")}
                heading = self.t(HEADINGS[member], ref=entity["ref"])
                yield RenderedSection(heading, pointer, tuple(self.fields(pointer, entries)))
                if "address" in entity:
                    yield RenderedSection(
                        self.t(HEADINGS["address"], ref=entity["ref"]),
                        f"{pointer}/address",
                        tuple(self.fields(f"{pointer}/address", entity["address"])),
                    )
        links = [
            RenderedField(
                f"/links/{index}",
                labels.label("relation", link["relation"], self.language),
                f"{link['from']} → {link['to']}",
                code=link["relation"],
            )
            for index, link in enumerate(document.get("links", ()))
        ]
        yield RenderedSection(self.t(HEADINGS["links"]), "/links", tuple(links))
        indicators = document.get("indicators", ())
        yield RenderedSection(
            self.t(HEADINGS["indicators"]),
            "/indicators",
            tuple(self.indicator(f"/indicators/{i}", item) for i, item in enumerate(indicators)),
        )

    def indicator(self, pointer: str, indicator: Mapping[str, Any]) -> RenderedField:
        """An indicator: its group as the name, its label with when, where and whom as the value,
        and its definition."""
        code = str(indicator["code"])
        group = labels.group("indicator", code, self.language) or ""
        details = []
        if "date" in indicator:
            seen = format_date(date.fromisoformat(indicator["date"]), "long", locale=self.locale)
            details.append(self.t(SEEN_ON, date=seen))
        if "location_ref" in indicator:
            details.append(self.t(AT_PLACE, ref=indicator["location_ref"]))
        if "entity_ref" in indicator:
            details.append(self.t(CONCERNS, ref=indicator["entity_ref"]))
        value = labels.label("indicator", code, self.language)
        return RenderedField(
            pointer,
            group[:1].upper() + group[1:],
            f"{value} ({', '.join(details)})" if details else value,
            code=code,
            definition=labels.definition("indicator", code, self.language),
        )

    def text_language(self, written_in: str, texts: tuple[RenderedField, ...]) -> RenderedField:
        """The language of the text as sent: one, or each field's when they differ; and the
        language it was written in when none of it is sent in that language."""
        sent = {item.label: item.language for item in texts if item.language is not None}
        languages = set(sent.values())
        if len(languages) > 1:
            shown = ", ".join(
                self.t(LANGUAGE_OF_FIELD, language=self.language_name(code), field=label)
                for label, code in sent.items()
            )
        else:
            shown = self.language_name(next(iter(languages), written_in))
        note = None
        if sent and written_in not in languages:
            note = self.t(WRITTEN_IN, language=self.language_name(written_in))
        return RenderedField(
            "/language", self.t(FIELD_LABELS["/language"]), shown, code=written_in, note=note
        )

    def language_name(self, code: str) -> str:
        return labels.label("language", code, self.language)

    def untranslated(
        self, pointer: str, label: str, text: str, language: str | None, **rest: Any
    ) -> RenderedField:
        """A free text as sent, marked when the recipient does not read its language."""
        if language is None or language in self.readable:
            return RenderedField(pointer, label, text, language=language, **rest)
        marker = self.t(AS_WRITTEN, language=self.language_name(language))
        return RenderedField(
            pointer, label, text, language=language, untranslated=language, marker=marker, **rest
        )

    def texts(self) -> Iterator[RenderedField]:
        for pointer in FREE_TEXT_POINTERS:
            label = self.t(FIELD_LABELS[pointer])
            if pointer in self.view.held:
                yield RenderedField(pointer, label, None, provenance=None, note=self.t(HELD))
                continue
            if pointer in self.view.withheld_texts:
                note = self.t(WITHHELD_TEXT)
                yield RenderedField(pointer, label, None, provenance=None, note=note)
                continue
            original = json_pointer.get(self.view.document, pointer)
            if not isinstance(original, str):
                continue
            written_in = self.view.document.get("language")
            source = written_in if isinstance(written_in, str) else None
            translated = self.translations.get(pointer)
            if translated is None:
                yield self.untranslated(
                    pointer,
                    label,
                    original,
                    source,
                    origin=origin_text(ORIGINAL, self.language, source),
                )
            else:
                yield self.untranslated(
                    pointer,
                    label,
                    translated.text,
                    translated.language,
                    provenance=translated.provenance,
                    origin=origin_text(
                        translated.provenance,
                        self.language,
                        translated.language if translated.provenance.kind == "original" else source,
                    ),
                )

    def fields(self, pointer: str, value: Any) -> Iterator[RenderedField]:
        """The fields of the member at ``pointer``: one for a value, several for a structure."""
        pattern = pattern_of(pointer)
        if pattern.endswith("/identifiers/*"):
            yield from self.identifier(pointer, value)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                yield from self.fields(pointer + json_pointer.join(key), item)
        elif isinstance(value, list):
            if pattern.endswith("/nationalities"):
                yield from self.nationalities(pointer, value)
            else:
                for index, item in enumerate(value):
                    yield from self.fields(f"{pointer}/{index}", item)
        else:
            label = self.t(self.field_label(pattern))
            shown, code = self.value(pattern, value)
            yield RenderedField(pointer, label, shown, code=code, note=self.note(pattern))

    def identifier(self, pointer: str, identifier: Mapping[str, Any]) -> Iterator[RenderedField]:
        kind = str(identifier["type"])
        owner = "person" if pointer.startswith("/persons/") else "organisation"
        name = labels.label(f"{owner}_identifier_type", kind, self.language)
        if "pseudonym" in identifier:
            data_class = PERSON_IDENTIFIER_CLASSES.get(kind, DataClass.ORGANISATION)
            yield RenderedField(
                f"{pointer}/pseudonym",
                self.t(PSEUDONYM_OF, label=name),
                str(identifier["pseudonym"]),
                note=self.class_note(data_class, Outcome.PSEUDONYMISE),
            )
        if "value" in identifier:
            yield RenderedField(f"{pointer}/value", name, str(identifier["value"]))
        if "issuing_country" in identifier:
            country = str(identifier["issuing_country"])
            yield RenderedField(
                f"{pointer}/issuing_country",
                self.t(FIELD_LABELS["issuing_country"]),
                labels.label("iso_country", country, self.language),
                code=country,
            )

    def nationalities(self, pointer: str, codes: list[Any]) -> Iterator[RenderedField]:
        if not codes:
            return
        names = [labels.label("iso_country", str(code), self.language) for code in codes]
        yield RenderedField(
            pointer,
            self.t(FIELD_LABELS["/persons/*/nationalities"]),
            ", ".join(names),
            code=", ".join(str(code) for code in codes),
        )

    def field_label(self, pattern: str) -> str:
        if pattern in FIELD_LABELS:
            return FIELD_LABELS[pattern]
        parts = pattern.rsplit("/", 2)
        for key in ("/".join(parts[-2:]), parts[-1]):
            if key in FIELD_LABELS:
                return FIELD_LABELS[key]
        raise ValueError(f"no field name for {pattern}")

    def value(self, pattern: str, value: Any) -> tuple[str, str | None]:
        """The value as shown, and the value as the view holds it when the two differ."""
        if isinstance(value, bool):
            return self.t(YES if value else NO), str(value).lower()
        if pattern in CODE_LISTS and (
            pattern not in WRITTEN_BEFORE_CODED or str(value) in labels.codes(CODE_LISTS[pattern])
        ):
            return labels.label(CODE_LISTS[pattern], str(value), self.language), str(value)
        if pattern in ("/observed_at", "/observed_until"):
            return self.moment(str(value)), str(value)
        if pattern.endswith("/date_of_birth"):
            born = str(value)
            if len(born) == 4:
                return born, None
            return format_date(date.fromisoformat(born), "long", locale=self.locale), born
        if isinstance(value, int | float):
            shown = format_decimal(value, format="#,##0.######", locale=self.locale)
            return shown, repr(value)
        return str(value), None

    def keep_until(self, received_at: datetime, terms: RetentionTerms) -> RenderedField:
        until = recipient_keeps_until(terms, received=received_at.astimezone(UTC).date())
        return RenderedField(
            None,
            self.t(KEEP_UNTIL),
            format_date(until, "long", locale=self.locale),
            provenance=None,
            code=until.isoformat(),
            note=self.t(KEEP_UNTIL_NOTE, rule=terms.id, days=terms.recipient_days),
        )

    def moment(self, stamp: str) -> str:
        local = datetime.fromisoformat(stamp).astimezone(self.zone)
        pattern = get_datetime_format("long", locale=self.locale)
        return str(pattern).format(
            format_time(local, "short", locale=self.locale),
            format_date(local, "long", locale=self.locale),
        )

    # what the rules did

    def note(self, pattern: str) -> str | None:
        """What the rules did to the member at ``pattern``, when they changed it."""
        member = pattern.rsplit("/", 1)[-1]
        if member == "pseudonym":
            return self.class_note(_ENTITY_CLASSES[pattern.split("/")[1]], Outcome.PSEUDONYMISE)
        parts = pattern.split("/")
        for end in range(len(parts), 1, -1):
            owner = FIELD_CLASSES.get("/".join(parts[:end]))
            if owner is not None:
                generalised = set(parts[1:end]) & _GENERALISED_MEMBERS
                if generalised and owner in self.view.generalised:
                    return self.class_note(owner, Outcome.GENERALISE)
                return None
        return None

    def class_note(self, data_class: DataClass, outcome: Outcome) -> str | None:
        one, several, none = _NOTES[outcome]
        rules = self.rules.get(data_class)
        if rules is None:
            return None
        if not rules:
            return self.t(none)
        return self.t(one if len(rules) == 1 else several, rules=", ".join(rules))

    def notices(self) -> Iterator[Notice]:
        for outcome, classes in (
            (Outcome.REDACT, self.view.withheld),
            (Outcome.GENERALISE, self.view.generalised),
            (Outcome.PSEUDONYMISE, self.view.pseudonymised),
        ):
            for data_class in classes:
                yield Notice(
                    data_class=data_class,
                    outcome=outcome,
                    label=self.t(DECISION_LABELS[data_class]),
                    rules=self.rules.get(data_class, ()),
                    text=self.class_note(data_class, outcome) or "",
                )
