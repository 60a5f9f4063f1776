"""RFC 8785 (JCS) canonical JSON, with the C json encoder doing the work where it is exact."""

from __future__ import annotations

import json
from typing import Any, cast

import rfc8785

_SAFE_INT = 2**53 - 1
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
)


def dumps(value: object) -> bytes:
    """The same bytes as ``rfc8785.dumps(value)``, several times faster for typical signals.

    ``json.dumps`` with sorted keys, no whitespace and ``ensure_ascii=False`` escapes
    strings exactly as RFC 8785 does; it differs only for floats outside [1e-4, 1e16) or
    with an integral value, integers beyond 2**53 - 1, non-ASCII keys (RFC 8785 sorts by
    UTF-16 code units) and lone surrogates. Anything like that goes to ``rfc8785``.
    """
    if _plain(value):
        try:
            return _ENCODER.encode(value).encode()
        except UnicodeEncodeError:
            pass
    return rfc8785.dumps(cast(Any, value))


def _plain(value: object) -> bool:
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -_SAFE_INT <= value <= _SAFE_INT
    if isinstance(value, float):
        return 1e-4 <= abs(value) < 1e16 and not value.is_integer()
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and key.isascii() and _plain(item) for key, item in value.items()
        )
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    return False
