"""Choosing a deployment's backend: ``none``, ``memory`` (the default) or ``libretranslate``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeAlias

from gateway.clock import Clock
from gateway.config import Settings
from gateway.store.memory import TranslationMemoryStore
from gateway.translate.base import TranslationBackend
from gateway.translate.libretranslate import CircuitBreaker, LibreTranslateBackend
from gateway.translate.memory import MemoryBackend
from gateway.translate.none import NoTranslation
from gateway.vault import MasterKey

BackendKind: TypeAlias = Literal["none", "memory", "libretranslate"]


def build_backend(
    kind: BackendKind,
    *,
    store: TranslationMemoryStore | None = None,
    master_key: MasterKey | None = None,
    libretranslate_url: str | None = None,
    libretranslate_api_key: str | None = None,
    clock: Clock | None = None,
) -> TranslationBackend:
    """The backend ``kind`` names. ``memory`` chains to LibreTranslate when given its URL."""
    machine = None
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
