"""The validate stage: bytes to JSON to a :class:`~gateway.contract.signal.Signal`, or every reason
why not.

The HTTP server and the offline CLI call the same two functions:
:func:`parse_json` refuses what is not strict JSON (``MalformedBody`` errors) and
:func:`validate_signal` refuses what is not a Signal v1 (``SignalInvalid``, with
one :class:`~gateway.infra.errors.FieldIssue` per problem, the first
:data:`~gateway.infra.errors.MAX_LISTED_ISSUES` of them listed and all of them counted). Both
are pure, and cost time in proportion to the body: an array longer than Signal v1 allows
is refused by its length, before its items are looked at.

An issue's message is an English message id with ``{placeholders}`` filled from
its params, written for the sender's developer. Params echo the value that was
found only where it cannot be personal data (codes, types, numbers out of
range); a wrong BSN or IBAN is described, never repeated.
"""

from __future__ import annotations

import codecs
import difflib
import json
import math
import re
import types
import typing
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any, Final

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from gateway.contract import json_pointer, json_reasons
from gateway.contract.document_parts import entries as _entries
from gateway.contract.document_parts import overlong as _overlong
from gateway.contract.document_parts import places
from gateway.contract.signal import (
    ENTITY_KINDS,
    ENTITY_LISTS,
    HOLDER_KINDS,
    LINK_ENDS,
    PLACE,
    REF_PATTERN,
    RULE_MESSAGES,
    SCHEMA_MAJOR,
    Signal,
    schema_major,
)
from gateway.contract.versions import version_issues
from gateway.infra.errors import (
    MAX_LISTED_ISSUES,
    BodyNotUtf8,
    BodyTooDeep,
    DuplicateMember,
    FieldIssue,
    MalformedJson,
    SignalInvalid,
)
from gateway.infra.i18n import N_

MAX_DEPTH: Final = 64
MAX_NUMBER_LENGTH: Final = 64
"""Longest number literal accepted; Signal v1 has no number that needs more."""

_TYPE_MESSAGES: Final = {
    "string_type": N_("Must be a string, not JSON {found}."),
    "bool_type": N_("Must be true or false, not JSON {found}."),
    "float_type": N_("Must be a number, not JSON {found}."),
    "int_type": N_("Must be an integer, not JSON {found}."),
    "tuple_type": N_("Must be an array, not JSON {found}."),
    "model_type": N_("Must be an object, not JSON {found}."),
}

_DATETIME_INVALID: Final = N_(
    "Is not a real date and time: check the month, day, hour, minute, second and offset."
)

PYDANTIC_MESSAGES: Final[Mapping[str, str]] = {
    **_TYPE_MESSAGES,
    "list_type": _TYPE_MESSAGES["tuple_type"],
    "iterable_type": _TYPE_MESSAGES["tuple_type"],
    "dict_type": _TYPE_MESSAGES["model_type"],
    "model_attributes_type": _TYPE_MESSAGES["model_type"],
    "bool_parsing": _TYPE_MESSAGES["bool_type"],
    "float_parsing": _TYPE_MESSAGES["float_type"],
    "int_parsing": _TYPE_MESSAGES["int_type"],
    "finite_number": N_("Must be a finite number."),
    "missing": N_("The required member \u201c{name}\u201d is missing."),
    "extra_forbidden": N_("Unknown member \u201c{name}\u201d: Signal v1 has no such member here."),
    "string_too_short": N_("Must not be empty."),
    "string_too_long": N_("Must be at most {max_length} characters long, not {length}."),
    "too_short": N_("Must have at least {min_length} item(s), not {actual_length}."),
    "too_long": N_("Must have at most {max_length} items, not {actual_length}."),
    "greater_than_equal": N_("Must be at least {ge}, not {found}."),
    "less_than_equal": N_("Must be at most {le}, not {found}."),
    "greater_than": N_("Must be greater than {gt}, not {found}."),
    "less_than": N_("Must be less than {lt}, not {found}."),
    "literal_error": N_("Must be one of: {expected}; found {found}."),
    "enum": N_("Must be one of: {expected}; found {found}."),
    "string_pattern_mismatch": N_("Does not have the required form ({pattern})."),
    "datetime_type": _DATETIME_INVALID,
    "datetime_parsing": _DATETIME_INVALID,
    "datetime_from_date_parsing": _DATETIME_INVALID,
    "datetime_object_invalid": _DATETIME_INVALID,
    "timezone_aware": N_(
        "Must carry a UTC offset, e.g. \u201c2026-05-01T14:30:00+02:00\u201d or "
        "\u201c2026-05-01T12:30:00Z\u201d."
    ),
    "uuid_type": N_("Must be a UUID in lowercase canonical form."),
    "uuid_parsing": N_("Must be a UUID in lowercase canonical form."),
    "value_error": N_("Is not a valid value here."),
    "assertion_error": N_("Is not a valid value here."),
    "recursion_loop": N_("Is nested too deeply."),
}
"""Our message for each pydantic error type a signal can produce."""

MESSAGES: Final[Mapping[str, str]] = {**PYDANTIC_MESSAGES, **RULE_MESSAGES}
"""Every issue code validation reports, with its English message id."""

FALLBACK_MESSAGE: Final = N_("Is not valid here ({code}).")
_SUGGESTION_MESSAGE: Final = N_(
    "Unknown member \u201c{name}\u201d; did you mean \u201c{suggestion}\u201d?"
)

_FOUND_TYPE: Final = frozenset({*_TYPE_MESSAGES, "list_type", "iterable_type", "dict_type"})
_FOUND_VALUE: Final = frozenset(
    {"enum", "country_unknown", "literal_error", "bool_parsing"}
    | {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}
)
_NAMED: Final = frozenset({"missing", "extra_forbidden"})


# --- parse ------------------------------------------------------------------------------


class _Refused(Exception):
    """A literal that is valid JSON syntax but has no place in a signal (NaN, 1e999, 10**100)."""

    def __init__(self, literal: str, reason: str) -> None:
        super().__init__(reason)
        self.literal = literal
        self.reason = reason


# Every character starts exactly one of these tokens, so scanning is one linear pass;
# an unterminated string runs to the end, where the parser reports it.
_STRUCTURE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[^"\[\]{}]+|[\[\]{}]', re.DOTALL)
_OPENING: Final = frozenset("[{")
_CLOSING: Final = frozenset("]}")
_LITERAL = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[^"\s,:\[\]{}]+', re.DOTALL)
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)


def parse_json(raw: bytes) -> object:
    """The JSON value of ``raw``, which must be strict JSON in UTF-8 (RFC 8259).

    Refuses a byte order mark, bytes that are not UTF-8, syntax errors, NaN and
    Infinity, numbers beyond what a float holds or longer than
    :data:`MAX_NUMBER_LENGTH`, a member twice in one object, unpaired surrogate
    escapes, and nesting deeper than :data:`MAX_DEPTH`.
    """
    if raw.startswith(codecs.BOM_UTF8):
        raise MalformedJson(reason=json_reasons.BYTE_ORDER_MARK, line=1, column=1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyNotUtf8(offset=exc.start) from None
    _check_depth(text)
    try:
        document = json.loads(
            text,
            object_pairs_hook=_object,
            parse_constant=_refuse_constant,
            parse_int=_integer,
            parse_float=_float,
        )
    except json.JSONDecodeError as exc:
        raise MalformedJson(
            reason=json_reasons.parser_reason(exc.msg), line=exc.lineno, column=exc.colno
        ) from None
    except _Refused as exc:
        raise _malformed_at(
            text,
            _literal_offset(text, exc.literal),
            exc.reason,
            literal=exc.literal,
            limit=MAX_NUMBER_LENGTH,
        ) from None
    if "\\u" in text:
        _check_surrogates(text)
    return document


def _check_depth(text: str) -> None:
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for match in _STRUCTURE.finditer(text):
        piece = match.group()
        if piece in _OPENING:
            depth += 1
            if depth > MAX_DEPTH:
                raise BodyTooDeep(limit=MAX_DEPTH)
        elif piece in _CLOSING:
            depth -= 1


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise DuplicateMember(name=_short_text(name))
            seen.add(name)
    return members


def _refuse_constant(literal: str) -> object:
    raise _Refused(literal, json_reasons.NOT_A_NUMBER)


def _integer(literal: str) -> int:
    if len(literal) > MAX_NUMBER_LENGTH:
        raise _Refused(literal, json_reasons.NUMBER_TOO_LONG)
    return int(literal)


def _float(literal: str) -> float:
    if len(literal) > MAX_NUMBER_LENGTH:
        raise _Refused(literal, json_reasons.NUMBER_TOO_LONG)
    value = float(literal)
    if not math.isfinite(value):
        raise _Refused(literal, json_reasons.NUMBER_TOO_LARGE)
    return value


def _literal_offset(text: str, literal: str) -> int:
    """Where ``literal`` first stands outside a string (only called for a refused document)."""
    for match in _LITERAL.finditer(text):
        if match.group() == literal:
            return match.start()
    return 0


def _check_surrogates(text: str) -> None:
    """Refuse ``\\ud800``-style escapes without their pair: no UTF-8 text can hold them.

    Runs on text the parser accepted, where every backslash starts an escape.
    """
    high_end = -1
    for match in _ESCAPE.finditer(text):
        code = int(match.group(1), 16) if match.group(1) else -1
        if high_end >= 0:
            if match.start() != high_end or not 0xDC00 <= code <= 0xDFFF:
                raise _malformed_at(text, high_end - 6, json_reasons.UNPAIRED_SURROGATE)
            high_end = -1
        elif 0xD800 <= code <= 0xDBFF:
            high_end = match.end()
        elif 0xDC00 <= code <= 0xDFFF:
            raise _malformed_at(text, match.start(), json_reasons.UNPAIRED_SURROGATE)
    if high_end >= 0:
        raise _malformed_at(text, high_end - 6, json_reasons.UNPAIRED_SURROGATE)


def _malformed_at(text: str, offset: int, reason: str, **params: object) -> MalformedJson:
    line = text.count("\n", 0, offset) + 1
    column = offset - text.rfind("\n", 0, offset)
    return MalformedJson(reason=reason, line=line, column=column, **params)


# --- validate ---------------------------------------------------------------------------


def validate_signal(document: object, *, now: datetime) -> Signal:
    """The signal ``document`` describes, checked against every rule of Signal v1.

    ``now`` is the gateway's clock (timezone-aware). Raises :class:`SignalInvalid`
    counting every problem found and listing the first :data:`MAX_LISTED_ISSUES`; its
    count is a lower bound when an array was too long to look into. A document of another
    major schema version gets that one issue only, since none of the rest would mean
    anything.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    unsupported = _unsupported_version(document)
    if unsupported is not None:
        raise SignalInvalid([unsupported])
    try:
        signal = Signal.model_validate(document, context={"now": now})
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        references = reference_issues(document) + version_issues(document)
        listed = [issue_from_error(error) for error in errors[:MAX_LISTED_ISSUES]]
        listed += references[: MAX_LISTED_ISSUES - len(listed)]
        unchecked = any(error["type"] == "too_long" for error in errors)
        raise SignalInvalid(
            listed, count=len(errors) + len(references), exact=not unchecked
        ) from exc
    issues = reference_issues(document) + version_issues(document)
    if issues:
        raise SignalInvalid(issues)
    return signal


def _unsupported_version(document: object) -> FieldIssue | None:
    if not isinstance(document, Mapping):
        return None
    version = document.get("schema")
    major = schema_major(version)
    if major is None or major == SCHEMA_MAJOR:
        return None
    return _issue("/schema", "unsupported_schema_version", found=version)


def issue_from_error(error: ErrorDetails) -> FieldIssue:
    """One pydantic error as a :class:`FieldIssue` with our message and JSON-safe params."""
    code = error["type"]
    loc = error["loc"]
    params: dict[str, object] = {
        key: value
        for key, value in (error.get("ctx") or {}).items()
        if isinstance(value, str | int | float | bool) and key != "field_type"
    }
    value = error.get("input")
    if code in _FOUND_TYPE:
        params["found"] = json_type(value)
    elif code in _FOUND_VALUE:
        params["found"] = _short_json(value)
    elif code == "string_too_long" and isinstance(value, str):
        params["length"] = len(value)
    if code in _NAMED and loc:
        params["name"] = _short_text(str(loc[-1]))
    message = MESSAGES.get(code, FALLBACK_MESSAGE)
    if code == "extra_forbidden":
        suggestion = _suggest(loc)
        if suggestion is not None:
            params["suggestion"] = suggestion
            message = _SUGGESTION_MESSAGE
    if message == FALLBACK_MESSAGE:
        params["code"] = code
    return FieldIssue(pointer=json_pointer.join(*loc), code=code, message=message, params=params)


def _issue(pointer: str, code: str, **params: object) -> FieldIssue:
    return FieldIssue(pointer=pointer, code=code, message=MESSAGES[code], params=params)


def json_type(value: object) -> str:
    """The JSON type name of a parsed JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    return "object"


def _short_json(value: object, limit: int = 40) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = json_type(value)
    return _short_text(text, limit)


def _short_text(text: str, limit: int = 64) -> str:
    """Input quoted back in a message, cut so that a huge member name cannot flood it."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _suggest(loc: Sequence[str | int]) -> str | None:
    """The member the sender probably meant by the unknown last member of ``loc``."""
    model = _model_at(loc[:-1])
    if model is None:
        return None
    matches = difflib.get_close_matches(str(loc[-1]), list(_members(model)), n=1, cutoff=0.7)
    return matches[0] if matches else None


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Signal
    for part in loc:
        if model is None:
            return None
        if isinstance(part, str):
            model = _members(model).get(part)
    return model


@cache
def _members(model: type[BaseModel]) -> dict[str, type[BaseModel] | None]:
    """Each JSON member name of ``model`` with the model its value holds, if any."""
    return {
        field.alias or name: _nested_model(field.annotation)
        for name, field in model.model_fields.items()
    }


def _nested_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (tuple, list, types.UnionType, typing.Union, typing.Annotated):
        for argument in typing.get_args(annotation):
            model = _nested_model(argument)
            if model is not None:
                return model
    return None


# --- references across the document ----------------------------------------------------

_REF = re.compile(REF_PATTERN)


def reference_issues(document: object) -> list[FieldIssue]:
    """Refs that are used twice, and links, account holders or indicators naming nothing of the
    right kind (an indicator's ``location_ref`` names a place, its ``entity_ref`` an entity).

    Works on the raw document, skipping whatever is malformed (pydantic reports
    that, and arrays longer than Signal v1 allows), so these issues come together with
    every other one.
    """
    if not isinstance(document, Mapping):
        return []
    kinds, issues = _collect_refs(document)
    if any(_overlong(document, member) for member in ENTITY_LISTS):
        return issues  # the refs of the entities that were not looked at are unknown
    for index, account in _entries(document, "accounts"):
        issues.extend(
            _check_ref(
                kinds,
                account,
                "holder_ref",
                pointer=f"/accounts/{index}",
                allowed=HOLDER_KINDS,
                relation="holder",
            )
        )
    for index, link in _entries(document, "links"):
        relation = link.get("relation")
        ends = LINK_ENDS.get(relation) if isinstance(relation, str) else None
        for member, allowed in zip(("from", "to"), ends or (None, None), strict=True):
            issues.extend(
                _check_ref(
                    kinds,
                    link,
                    member,
                    pointer=f"/links/{index}",
                    allowed=allowed,
                    relation=str(relation),
                )
            )
    for index, indicator in _entries(document, "indicators"):
        issues.extend(_indicator_ref_issues(kinds, indicator, f"/indicators/{index}"))
    return issues


_INDICATOR_REFS: Final = (
    ("location_ref", frozenset({PLACE}), "unknown_place_ref"),
    ("entity_ref", ENTITY_KINDS, "unknown_ref"),
)


def _indicator_ref_issues(
    kinds: Mapping[str, str], indicator: Mapping[str, Any], pointer: str
) -> list[FieldIssue]:
    issues = []
    for member, allowed, unknown in _INDICATOR_REFS:
        ref = indicator.get(member)
        if not _is_ref(ref):
            continue
        kind = kinds.get(ref)
        if kind is None:
            issues.append(_issue(f"{pointer}/{member}", unknown, ref=ref))
        elif kind not in allowed:
            expected = ", ".join(sorted(allowed))
            issues.append(
                _issue(
                    f"{pointer}/{member}",
                    "indicator_ref_kind",
                    ref=ref,
                    kind=kind,
                    member=member,
                    expected=expected,
                )
            )
    return issues


def _collect_refs(document: Mapping[str, Any]) -> tuple[dict[str, str], list[FieldIssue]]:
    kinds: dict[str, str] = {}
    first: dict[str, str] = {}
    issues: list[FieldIssue] = []
    named = [(pointer, place, PLACE) for pointer, place in places(document)]
    for member, kind in ENTITY_LISTS.items():
        named += [
            (f"/{member}/{index}", entity, kind) for index, entity in _entries(document, member)
        ]
    for pointer, item, kind in named:
        ref = item.get("ref")
        if not _is_ref(ref):
            continue
        if ref in kinds:
            issues.append(_issue(f"{pointer}/ref", "duplicate_ref", ref=ref, first=first[ref]))
        else:
            kinds[ref] = kind
            first[ref] = pointer
    return kinds, issues


def _check_ref(
    kinds: Mapping[str, str],
    entity: Mapping[str, Any],
    member: str,
    *,
    pointer: str,
    allowed: frozenset[str] | None,
    relation: str,
) -> list[FieldIssue]:
    ref = entity.get(member)
    if not _is_ref(ref):
        return []
    kind = kinds.get(ref)
    if kind is None:
        return [_issue(f"{pointer}/{member}", "unknown_ref", ref=ref)]
    if allowed is not None and kind not in allowed:
        expected = ", ".join(sorted(allowed))
        return [
            _issue(
                f"{pointer}/{member}",
                "wrong_ref_kind",
                ref=ref,
                kind=kind,
                relation=relation,
                expected=expected,
            )
        ]
    return []


def _is_ref(value: object) -> typing.TypeGuard[str]:
    return isinstance(value, str) and _REF.fullmatch(value) is not None
