"""Whether the services the gateway talks to answer: the translation backend and partners'
webhooks, each within a bounded time."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Mapping
from typing import Final
from urllib.parse import urlsplit

import aiohttp

from gateway.infra.i18n import N_
from gateway.registry.doctor.findings import Finding, error, ok, warning

TIMEOUT: Final = 5.0
"""Seconds each service has to answer."""

TRANSLATION_NONE: Final = N_("No machine translation backend is configured.")
TRANSLATION_OK: Final = N_("The translation backend {url} answers.")
TRANSLATION_ETRANSLATION: Final = N_(
    "eTranslation is attached (application {application}); it answers by callback, so no text "
    "is sent to try it."
)
TRANSLATION_UNREACHABLE: Final = N_("The translation backend {url} cannot be reached: {reason}.")
TRANSLATION_FIX: Final = N_(
    "Check that it runs and that the setting libretranslate_url names it; meanwhile free text "
    "is not machine-translated."
)
WEBHOOKS_NONE: Final = N_("No partner has a webhook.")
WEBHOOKS_OK: Final = N_("The {count} partner webhook(s) accept connections.")
WEBHOOK_UNREACHABLE: Final = N_("Partner {partner}'s webhook {url} cannot be reached: {reason}.")
WEBHOOK_FIX: Final = N_(
    "Ask the partner to check its webhook server; meanwhile its envelopes wait in its inbox "
    "and are pushed again later."
)


async def translation_backend(
    url: str | None, *, etranslation: str | None = None, seconds: float = TIMEOUT
) -> Finding:
    """LibreTranslate's ``GET /languages`` at ``url`` answers with a success; eTranslation
    (its application named by ``etranslation``) is only named."""
    if not url and etranslation:
        return ok("translation", TRANSLATION_ETRANSLATION, application=etranslation)
    if not url:
        return ok("translation", TRANSLATION_NONE)
    reason = await _answers(url.rstrip("/") + "/languages", seconds)
    if reason is None:
        return ok("translation", TRANSLATION_OK, url=url)
    return error("translation", TRANSLATION_UNREACHABLE, TRANSLATION_FIX, url=url, reason=reason)


async def webhooks(urls: Mapping[str, str], *, seconds: float = TIMEOUT) -> list[Finding]:
    """Each partner's webhook server accepts a TCP connection (the TLS handshake needs the
    gateway's client certificate and the partner's CA: the pusher's to check)."""
    if not urls:
        return [ok("webhooks", WEBHOOKS_NONE)]
    reasons = await asyncio.gather(*(_connects(url, seconds) for url in urls.values()))
    found = [
        warning(
            "webhooks", WEBHOOK_UNREACHABLE, WEBHOOK_FIX, partner=partner, url=url, reason=reason
        )
        for (partner, url), reason in zip(urls.items(), reasons, strict=True)
        if reason is not None
    ]
    return found or [ok("webhooks", WEBHOOKS_OK, count=len(urls))]


async def _answers(url: str, seconds: float) -> str | None:
    """None when ``url`` answers a GET with 2xx; else why not."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds)) as session,
            session.get(url, allow_redirects=False) as response,
        ):
            return None if response.status < 300 else f"HTTP {response.status}"
    except TimeoutError:
        return f"no answer within {seconds:g} s"
    except (aiohttp.ClientError, ssl.SSLError, OSError) as exc:
        return type(exc).__name__


async def _connects(url: str, seconds: float) -> str | None:
    """None when the host and port of ``url`` accept a TCP connection; else why not."""
    parts = urlsplit(url)
    if not parts.hostname:
        return "no host in the URL"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        async with asyncio.timeout(seconds):
            _, writer = await asyncio.open_connection(parts.hostname, port)
    except TimeoutError:
        return f"no answer within {seconds:g} s"
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return None
