"""RFC 8785 (JCS) canonical JSON, with the C json encoder doing the work where it is exact.

What the C encoder does not write exactly goes to :func:`_exact`, a plain RFC 8785 encoder:
numbers as ECMAScript writes them, keys in UTF-16 order. Both the gateway (its audit
entries, receipts, envelopes) and a partner (the bytes an envelope's signature covers) use
this one module.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal

_SAFE_INT = 2**53 - 1
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
)


_SLOW = object()
"""Marks a value only :mod:`rfc8785` writes exactly."""


class CanonicalizationError(ValueError):
    """A value RFC 8785 has no form for: a lone surrogate, a key that is not a string, or
    something that is not JSON at all."""


class IntegerDomainError(CanonicalizationError):
    """An integer beyond 2**53 - 1, which a JSON number (an IEEE double) cannot hold exactly."""


class FloatDomainError(CanonicalizationError):
    """NaN or an infinity, which JSON has no number for."""


def dumps(value: object) -> bytes:
    """The RFC 8785 bytes of ``value`` (``rfc8785.dumps`` writes the same), many times faster
    for signals; :class:`CanonicalizationError` for what has none.

    ``json.dumps`` with sorted keys, no whitespace and ``ensure_ascii=False`` escapes
    strings exactly as RFC 8785 does; it differs only for floats outside [1e-4, 1e16) or
    with an integral value, integers beyond 2**53 - 1, non-ASCII keys (RFC 8785 sorts by
    UTF-16 code units) and lone surrogates. An integral float within 2**53 is written as
    RFC 8785 writes it (``50.0`` as ``50``) by passing it as an integer; anything else like
    that goes to :func:`_exact`, which takes tens of milliseconds for the largest signal.
    """
    fast = _fast_form(value)
    if fast is not _SLOW:
        try:
            return _ENCODER.encode(fast).encode()
        except UnicodeEncodeError:
            pass
    parts: list[str] = []
    _exact(value, parts)
    try:
        return "".join(parts).encode()
    except UnicodeEncodeError as exc:
        raise CanonicalizationError("input contains non-UTF-8 codepoints") from exc


def _plain(value: object) -> bool:
    """Whether the C encoder writes ``value`` exactly as RFC 8785 does."""
    return _fast_form(value) is not _SLOW


def _fast_form(value: object) -> object:
    """``value`` with integral floats as integers, or :data:`_SLOW`; unchanged parts are
    the same objects, so a document without such floats is not copied."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -_SAFE_INT <= value <= _SAFE_INT else _SLOW
    if isinstance(value, float):
        if value.is_integer():
            return int(value) if abs(value) <= _SAFE_INT else _SLOW
        return value if 1e-4 <= abs(value) < 1e16 else _SLOW
    if isinstance(value, dict):
        members: dict[str, object] = {}
        changed = False
        for key, item in value.items():
            fast = _fast_form(item)
            if fast is _SLOW or not (isinstance(key, str) and key.isascii()):
                return _SLOW
            changed = changed or fast is not item
            members[key] = fast
        return members if changed else value
    if isinstance(value, list | tuple):
        items = [_fast_form(item) for item in value]
        if any(item is _SLOW for item in items):
            return _SLOW
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return _SLOW


def _exact(value: object, parts: list[str]) -> None:
    """Append the RFC 8785 text of ``value`` to ``parts``."""
    if value is None or isinstance(value, bool):
        parts.append(_ENCODER.encode(value))
    elif isinstance(value, int):
        if not -_SAFE_INT <= value <= _SAFE_INT:
            raise IntegerDomainError(f"{value} exceeds safe integer domain for JSON floats")
        parts.append(str(value))
    elif isinstance(value, float):
        parts.append(_number(value))
    elif isinstance(value, str):
        parts.append(_ENCODER.encode(value))
    elif isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise CanonicalizationError("object keys must be strings")
        parts.append("{")
        for position, key in enumerate(sorted(value, key=_utf16_order)):
            parts.append("," if position else "")
            parts.append(_ENCODER.encode(key) + ":")
            _exact(value[key], parts)
        parts.append("}")
    elif isinstance(value, list | tuple):
        parts.append("[")
        for position, item in enumerate(value):
            parts.append("," if position else "")
            _exact(item, parts)
        parts.append("]")
    else:
        raise CanonicalizationError(f"{type(value).__name__} is not JSON")


def _utf16_order(key: str) -> bytes:
    """RFC 8785 sorts members by their names' UTF-16 code units."""
    return key.encode("utf-16-be", "surrogatepass")


def _number(value: float) -> str:
    """``value`` as ECMAScript's Number.prototype.toString writes it (RFC 8785 §3.2.2.3):
    the shortest digits that read back as ``value``, which ``repr`` finds too."""
    if not math.isfinite(value):
        raise FloatDomainError(f"{value} is not a JSON number")
    if value == 0:
        return "0"
    if value < 0:
        return "-" + _number(-value)
    _, digit_tuple, exponent = Decimal(repr(value)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    k, n = len(digits), len(digits) + int(exponent)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{mantissa}e{'+' if n > 0 else '-'}{abs(n - 1)}"


def object_of(members: Mapping[str, bytes]) -> bytes:
    """The canonical form of an object whose members' values are given in canonical form, so
    that a value shared by several objects is encoded once. Its keys must be ASCII, whose
    order in RFC 8785 (by UTF-16 code units) is Python's."""
    if not all(key.isascii() for key in members):
        raise ValueError("object_of takes ASCII keys only")
    return b"{" + b",".join(dumps(key) + b":" + members[key] for key in sorted(members)) + b"}"
