"""What every staff page answers with, and the check every form post passes.

Headers: a Content Security Policy that allows only the gateway's own files (no inline
script or style, no framing, forms posting only back here), HSTS, no referrer, no sniffing.
Forms: each carries the session's CSRF secret; a post without it, or with another, is
refused before any handler runs. Compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    )
)

SECURITY_HEADERS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
)

CSRF_FIELD: Final = "csrf"


def new_csrf_secret() -> str:
    return secrets.token_urlsafe(32)


def csrf_valid(expected: object, submitted: object) -> bool:
    """Whether a posted form carries the session's secret; nothing matches a missing one."""
    if not isinstance(expected, str) or not isinstance(submitted, str) or not expected:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())


def local_target(target: str | None, default: str = "/") -> str:
    """A path on this site to go to after signing in; anything else (another host, a scheme,
    ``//host``, a backslash trick) becomes ``default``."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(not c.isprintable() for c in target)
    ):
        return default
    return target
