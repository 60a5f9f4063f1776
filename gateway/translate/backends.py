"""Choosing a deployment's backend: ``none``, ``memory`` (the default) or ``libretranslate``."""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal, TypeAlias
from urllib.parse import urlsplit

from gateway.infra.clock import Clock
from gateway.infra.config import Settings
from gateway.infra.errors import SettingInvalid
from gateway.infra.i18n import N_
from gateway.infra.vault import MasterKey
from gateway.translate.base import TranslationBackend
from gateway.translate.libretranslate import CircuitBreaker, LibreTranslateBackend
from gateway.translate.memory import MemoryBackend
from gateway.translate.memory_store import TranslationMemoryStore
from gateway.translate.none import NoTranslation

BackendKind: TypeAlias = Literal["none", "memory", "libretranslate"]

URL_SETTING: Final = "EUREGATE_LIBRETRANSLATE_URL"
PLAIN_HTTP: Final = N_(
    "a plain-http URL would carry police information across the network unencrypted: use "
    "https, or set EUREGATE_LIBRETRANSLATE_ALLOW_HTTP=true for a server on this host only"
)
NOT_HTTP: Final = N_("must be an https URL, such as https://translate.internal:5000")


def checked_url(url: str | None, *, allow_http: bool = False) -> str | None:
    """``url`` if it may carry text to a translation server: https, or http when allowed.

    Raises :class:`SettingInvalid` otherwise, so the gateway does not start with it.
    """
    if not url:
        return None
    scheme = urlsplit(url).scheme.lower()
    if scheme == "https" or (scheme == "http" and allow_http):
        return url
    raise SettingInvalid(setting=URL_SETTING, reason=PLAIN_HTTP if scheme == "http" else NOT_HTTP)


def build_backend(
    kind: BackendKind,
    *,
    store: TranslationMemoryStore | None = None,
    master_key: MasterKey | None = None,
    libretranslate_url: str | None = None,
    libretranslate_api_key: str | None = None,
    libretranslate_allow_http: bool = False,
    clock: Clock | None = None,
) -> TranslationBackend:
    """The backend ``kind`` names. ``memory`` chains to LibreTranslate when given its URL,
    which must be https unless ``libretranslate_allow_http``."""
    machine = None
    libretranslate_url = checked_url(libretranslate_url, allow_http=libretranslate_allow_http)
    if libretranslate_url:
        machine = LibreTranslateBackend(
            libretranslate_url,
            api_key=libretranslate_api_key,
            breaker=CircuitBreaker(clock=clock),
        )
    if kind == "none":
        return NoTranslation()
    if kind == "libretranslate":
        if machine is None:
            raise ValueError("the libretranslate backend needs libretranslate_url")
        return machine
    if kind == "memory":
        if store is None or master_key is None:
            raise ValueError("the memory backend needs the store and the master key")
        return MemoryBackend(store, master_key, machine=machine)
    raise ValueError(f"unknown translation backend {kind!r}")


def backend_from_settings(
    settings: Settings,
    *,
    store: TranslationMemoryStore | None,
    master_key: MasterKey | None,
    clock: Clock | None = None,
) -> TranslationBackend:
    """The backend a deployment's settings choose, with the API key read from its file."""
    return build_backend(
        settings.translator,
        store=store,
        master_key=master_key,
        libretranslate_url=settings.libretranslate_url,
        libretranslate_api_key=_read_key(settings.libretranslate_api_key_file),
        libretranslate_allow_http=settings.libretranslate_allow_http,
        clock=clock,
    )


def _read_key(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        key = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"the LibreTranslate API key file {path} cannot be read") from exc
    return key or None
