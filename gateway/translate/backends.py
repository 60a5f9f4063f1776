"""Choosing a deployment's backend: ``none``, ``memory`` (the default), ``libretranslate`` or
``etranslation``. ``memory`` chains to whichever machine engine the deployment set up."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, Protocol, TypeAlias
from urllib.parse import SplitResult, urlsplit

from gateway.infra.clock import Clock
from gateway.infra.config import Settings
from gateway.infra.errors import SettingInvalid
from gateway.infra.i18n import N_
from gateway.infra.vault import MasterKey
from gateway.translate.base import TranslationBackend
from gateway.translate.breaker import CircuitBreaker
from gateway.translate.etranslation import DEFAULT_DOMAIN, DEFAULT_URL
from gateway.translate.etranslation_backend import EtranslationBackend
from gateway.translate.etranslation_client import EtranslationClient
from gateway.translate.etranslation_jobs import TranslationJobStore
from gateway.translate.libretranslate import LibreTranslateBackend
from gateway.translate.memory import MemoryBackend
from gateway.translate.memory_store import TranslationMemoryStore
from gateway.translate.none import NoTranslation

BackendKind: TypeAlias = Literal["none", "memory", "libretranslate", "etranslation"]

URL_SETTING: Final = "EUREGATE_LIBRETRANSLATE_URL"
PLAIN_HTTP: Final = N_(
    "a plain-http URL would carry police information across the network unencrypted: use "
    "https, or set EUREGATE_LIBRETRANSLATE_ALLOW_HTTP=true for a server on this host only"
)
NOT_HTTP: Final = N_("must be an https URL, such as https://translate.internal:5000")
ETRANSLATION_URL_SETTING: Final = "EUREGATE_ETRANSLATION_URL"
ETRANSLATION_NOT_HTTPS: Final = N_(
    "must be an https URL (plain http only to a relay on this host, such as http://127.0.0.1)"
)
ETRANSLATION_INCOMPLETE: Final = N_(
    "eTranslation needs etranslation_application, etranslation_password_file and "
    "etranslation_callback_url"
)
TWO_ENGINES: Final = N_(
    "set up either LibreTranslate (libretranslate_url) or eTranslation "
    "(etranslation_application), not both"
)


class TranslationStore(TranslationMemoryStore, TranslationJobStore, Protocol):
    """What the backends keep in the store: the memory and eTranslation's jobs."""


@dataclass(frozen=True)
class EtranslationAccess:
    """How the gateway reaches eTranslation, and the service reaches the gateway back."""

    application: str
    password: str
    callback_base: str
    url: str = DEFAULT_URL
    username: str | None = None
    domain: str = DEFAULT_DOMAIN


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


def checked_etranslation_url(url: str) -> str:
    """``url`` if texts may go to it: https, or plain http to a relay on this host only."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "https" or (parts.scheme.lower() == "http" and _loopback(parts)):
        return url
    raise SettingInvalid(setting=ETRANSLATION_URL_SETTING, reason=ETRANSLATION_NOT_HTTPS)


def _loopback(parts: SplitResult) -> bool:
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_backend(
    kind: BackendKind,
    *,
    store: TranslationStore | None = None,
    master_key: MasterKey | None = None,
    libretranslate_url: str | None = None,
    libretranslate_api_key: str | None = None,
    libretranslate_allow_http: bool = False,
    etranslation: EtranslationAccess | None = None,
    clock: Clock | None = None,
) -> TranslationBackend:
    """The backend ``kind`` names. ``memory`` chains to LibreTranslate when given its URL
    (https unless ``libretranslate_allow_http``), or to eTranslation when given its access."""
    libretranslate_url = checked_url(libretranslate_url, allow_http=libretranslate_allow_http)
    if libretranslate_url and etranslation is not None:
        raise SettingInvalid(setting="etranslation_application", reason=TWO_ENGINES)
    machine: TranslationBackend | None = None
    if libretranslate_url:
        machine = LibreTranslateBackend(
            libretranslate_url,
            api_key=libretranslate_api_key,
            breaker=CircuitBreaker(clock=clock),
        )
    elif etranslation is not None:
        if store is None or master_key is None:
            raise ValueError("the etranslation backend needs the store and the master key")
        machine = _etranslation_backend(etranslation, store, master_key, clock)
    if kind == "none":
        return NoTranslation()
    if kind == "libretranslate":
        if not isinstance(machine, LibreTranslateBackend):
            raise ValueError("the libretranslate backend needs libretranslate_url")
        return machine
    if kind == "etranslation":
        if not isinstance(machine, EtranslationBackend):
            raise SettingInvalid(setting="translator", reason=ETRANSLATION_INCOMPLETE)
        return machine
    if kind == "memory":
        if store is None or master_key is None:
            raise ValueError("the memory backend needs the store and the master key")
        return MemoryBackend(store, master_key, machine=machine)
    raise ValueError(f"unknown translation backend {kind!r}")


def _etranslation_backend(
    access: EtranslationAccess,
    store: TranslationJobStore,
    master_key: MasterKey,
    clock: Clock | None,
) -> EtranslationBackend:
    client = EtranslationClient(
        checked_etranslation_url(access.url),
        application=access.application,
        password=access.password,
    )
    return EtranslationBackend(
        client,
        jobs=store,
        master_key=master_key,
        callback_base=access.callback_base,
        application=access.application,
        username=access.username,
        domain=access.domain,
        clock=clock,
    )


def etranslation_of(backend: TranslationBackend) -> EtranslationBackend | None:
    """The eTranslation backend ``backend`` is or chains to, if any: the one whose callbacks
    the staff listener takes."""
    if isinstance(backend, MemoryBackend):
        backend = backend.machine or backend
    return backend if isinstance(backend, EtranslationBackend) else None


def backend_from_settings(
    settings: Settings,
    *,
    store: TranslationStore | None,
    master_key: MasterKey | None,
    clock: Clock | None = None,
) -> TranslationBackend:
    """The backend a deployment's settings choose, with the secrets read from their files."""
    return build_backend(
        settings.translator,
        store=store,
        master_key=master_key,
        libretranslate_url=settings.libretranslate_url,
        libretranslate_api_key=_read_secret(settings.libretranslate_api_key_file, "LibreTranslate"),
        libretranslate_allow_http=settings.libretranslate_allow_http,
        etranslation=etranslation_access(settings),
        clock=clock,
    )


def etranslation_access(settings: Settings) -> EtranslationAccess | None:
    """eTranslation as the settings set it up; None if they do not name an application."""
    if settings.etranslation_application is None:
        return None
    password = _read_secret(settings.etranslation_password_file, "eTranslation")
    if password is None or settings.etranslation_callback_url is None:
        raise SettingInvalid(setting="etranslation_application", reason=ETRANSLATION_INCOMPLETE)
    return EtranslationAccess(
        application=settings.etranslation_application,
        password=password,
        callback_base=settings.etranslation_callback_url,
        url=checked_etranslation_url(settings.etranslation_url or DEFAULT_URL),
        username=settings.etranslation_username,
        domain=settings.etranslation_domain,
    )


def _read_secret(path: Path | None, engine: str) -> str | None:
    if path is None:
        return None
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"the {engine} secret file {path} cannot be read") from exc
    return secret or None
