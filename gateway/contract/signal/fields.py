"""Field types of Signal v1: code lists, formats, one-line and multi-line text, the schema version.

Each type reports a broken rule with its code from
:data:`~gateway.contract.signal.messages.RULE_MESSAGES` and says in the JSON Schema what it accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, ClassVar, Final

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticKnownError, core_schema

from gateway.contract import codelists
from gateway.contract.signal.messages import RULE_MESSAGES, rule_error

SCHEMA_MAJOR: Final = 1


@dataclass(frozen=True)
class InCodeList:
    """A string from code list ``name``, shared as ``#/$defs/<Name>Code`` in the JSON Schema.

    A wrong value is pydantic's ``enum`` error listing the codes, or ``error`` for a list
    too long to list.
    """

    name: str
    error: str | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        values = codelists.codes(self.name)
        literal = core_schema.literal_schema(list(values))
        if self.error is None:
            schema = core_schema.custom_error_schema(
                literal,
                custom_error_type="enum",
                custom_error_context={"expected": ", ".join(values)},
            )
        else:
            schema = core_schema.custom_error_schema(
                literal,
                custom_error_type=self.error,
                custom_error_message=RULE_MESSAGES[self.error],
            )
        return {**schema, "ref": _def_name(self.name)}

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        target = handler.resolve_ref_schema(json_schema)
        target["title"] = _def_name(self.name)
        target["description"] = self._describe()
        return json_schema

    def definition(self) -> JsonSchemaValue:
        """The list's schema as a ``$defs`` entry has it, for a rule outside any one field (pydantic
        defines only the lists of fields, and refuses a ``$ref`` to anything else)."""
        values = list(codelists.codes(self.name))
        return {
            "title": _def_name(self.name),
            "description": self._describe(),
            "enum": values,
            "type": "string",
        }

    def _describe(self) -> str:
        source = f"Code list `{self.name}` (schemas/codelists/{self.name}.json)."
        if self.error is not None:
            return f"{source} ISO 3166-1 alpha-2 country codes, and XK for Kosovo."
        listing = "; ".join(f"`{c.code}` {c.meaning}" for c in codelists.load(self.name).codes)
        return f"{source} {listing}."


def _def_name(codelist: str) -> str:
    return "".join(part.capitalize() for part in codelist.split("_")) + "Code"


@dataclass(frozen=True)
class _Format:
    """Report any error of the wrapped string schema as one rule error saying what is expected."""

    code: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.custom_error_schema(
            handler(source),
            custom_error_type=self.code,
            custom_error_message=RULE_MESSAGES[self.code],
        )


# Free text needs one character that is neither white space (as ECMA-262 defines it, so the
# JSON Schema pattern means the same in every validator) nor a control character, and has no
# invisible character at all. The patterns cannot backtrack, so checking them costs one pass
# over the text.
_SPACE = r"\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_LINE_CONTROL = r"\u0000-\u001f\u007f-\u009f"
_TEXT_CONTROL = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
INVISIBLE: Final = (
    r"\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    r"\ufeff\ufff9-\ufffb"
)
"""Characters that change the direction of the text around them or show nothing at all: the
Arabic letter mark, the bidirectional embeddings, overrides and isolates, the left-to-right and
right-to-left marks, zero-width space, word joiner, invisible operators, deprecated format
characters, the byte order mark and the interlinear annotation marks. A reader could not see
them, so another reader could see other text than the sender meant."""
_TEXT_SPACE = r"\t\n\r" + _SPACE
LINE_PATTERN: Final = (
    f"^[{_SPACE}]*[^{_SPACE}{_LINE_CONTROL}{INVISIBLE}][^{_LINE_CONTROL}{INVISIBLE}]*$"
)
TEXT_PATTERN: Final = (
    f"^[{_TEXT_SPACE}]*[^{_TEXT_SPACE}{_TEXT_CONTROL}{INVISIBLE}][^{_TEXT_CONTROL}{INVISIBLE}]*$"
)


@dataclass(frozen=True)
class Line:
    """One line of text: 1..max_length characters, not blank, no control or invisible
    characters."""

    max_length: int
    pattern: ClassVar[str] = LINE_PATTERN
    controls: ClassVar[str] = _LINE_CONTROL

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(
            self._check, core_schema.str_schema(min_length=1, max_length=self.max_length)
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        return json_schema

    def _check(self, value: str) -> str:
        if compiled(self.pattern).fullmatch(value):
            return value
        hidden = compiled(f"[{INVISIBLE}]").search(value)
        if hidden is not None:
            raise rule_error(
                "invisible_character",
                character=f"U+{ord(hidden.group()):04X}",
                position=hidden.start() + 1,
            )
        if compiled(f"[{self.controls}]").search(value):
            raise rule_error("control_character")
        raise rule_error("blank")


@dataclass(frozen=True)
class Text(Line):
    """Free text over several lines: like :class:`Line`, but tab, CR and LF are allowed."""

    pattern: ClassVar[str] = TEXT_PATTERN
    controls: ClassVar[str] = _TEXT_CONTROL


@dataclass(frozen=True)
class Items:
    """An array of at most ``max_length`` items, refused by its length alone.

    pydantic checks an array's ``max_length`` only while it validates the items, and goes on
    through every item that fails: 100,000 wrong items cost 100,000 errors. This refuses an
    overlong array before any item is looked at, as ``too_long`` (``maxItems`` in the JSON
    Schema); the items of such an array are not checked.
    """

    max_length: int

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_before_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["maxItems"] = self.max_length
        return json_schema

    def _check(self, value: object) -> object:
        if isinstance(value, list | tuple) and len(value) > self.max_length:
            raise PydanticKnownError(
                "too_long",
                {"field_type": "Array", "max_length": self.max_length, "actual_length": len(value)},
            )
        return value


@cache
def compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})?"
)


def _rfc3339_text(value: object) -> object:
    """Let only RFC 3339 text reach pydantic's parser, which also takes numbers and other forms."""
    if isinstance(value, str) and _RFC3339.fullmatch(value):
        return value
    raise rule_error("datetime_format")


def unique(values: tuple[str, ...]) -> tuple[str, ...]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise rule_error("duplicate_item", item=value)
        seen.add(value)
    return values


REF_PATTERN: Final = "^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
PARTNER_ID_PATTERN: Final = "^[a-z]{2}-[a-z0-9]+(-[a-z0-9]+)*$"
SIGNAL_ID_PATTERN: Final = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
SENDER_REFERENCE_PATTERN: Final = "^[!-~]([ -~]*[!-~])?$"
REGISTRATION_PATTERN: Final = "^[A-Z0-9\u00c4\u00d6\u00dc]+([ -][A-Z0-9\u00c4\u00d6\u00dc]+)*$"
SCHEMA_PATTERN: Final = r"^signal/1\.(0|[1-9][0-9]*)$"
_SCHEMA_VERSION = re.compile(r"signal/(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")

Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text)]
Ref = Annotated[str, StringConstraints(pattern=REF_PATTERN), _Format("ref_format")]
PartnerId = Annotated[
    str, StringConstraints(max_length=64, pattern=PARTNER_ID_PATTERN), _Format("partner_id_format")
]
CountryCode = Annotated[str, InCodeList("iso_country", error="country_unknown")]
SignalCountry = Annotated[str, InCodeList("country")]
AgencyType = Annotated[str, InCodeList("agency_type")]
Registration = Annotated[
    str,
    StringConstraints(max_length=16, pattern=REGISTRATION_PATTERN),
    _Format("registration_format"),
]
SenderReference = Annotated[
    str,
    StringConstraints(max_length=64, pattern=SENDER_REFERENCE_PATTERN),
    _Format("sender_reference_format"),
]
SignalId = Annotated[str, StringConstraints(pattern=SIGNAL_ID_PATTERN), _Format("signal_id_format")]


def schema_major(value: object) -> int | None:
    """The major version of a ``schema`` member, or None when it is not a schema version at all."""
    if isinstance(value, str) and (match := _SCHEMA_VERSION.fullmatch(value)):
        return int(match.group(1))
    return None


def check_schema_version(value: str) -> str:
    major = schema_major(value)
    if major is None:
        raise rule_error("schema_version_format")
    if major != SCHEMA_MAJOR:
        raise rule_error("unsupported_schema_version", found=value)
    return value
