"""Translation of free text, with provenance for every translated field.

- :mod:`~gateway.translate.types`: :class:`TranslatedText` and its :class:`Provenance`;
- :mod:`~gateway.translate.base`: the backend interface and :class:`TranslationUnavailable`;
- :mod:`~gateway.translate.segments`, :mod:`~gateway.translate.matching`,
  :mod:`~gateway.translate.glossary`: sentences, memory look-up, the Euregio's glossary;
- :mod:`~gateway.translate.scope`: which desk's remembered translations may serve which copy;
- :mod:`~gateway.translate.memory_store`: what the memory needs of the store that keeps it
  (the store implements it; nothing here imports the store);
- :mod:`~gateway.translate.retries`, :mod:`~gateway.translate.breaker`: how the engines'
  HTTP clients retry, and stop calling an engine that keeps failing;
- backends: :mod:`~gateway.translate.none`, :mod:`~gateway.translate.memory`,
  :mod:`~gateway.translate.libretranslate`, :mod:`~gateway.translate.etranslation_backend`
  (the service's API in :mod:`~gateway.translate.etranslation`, its HTTP client in
  :mod:`~gateway.translate.etranslation_client`, its jobs as the store keeps them in
  :mod:`~gateway.translate.etranslation_jobs`), chosen by :mod:`~gateway.translate.backends`;
- :mod:`~gateway.translate.view`: :func:`translate_view`, the free text of a recipient's view.
"""

from gateway.translate.backends import (
    BackendKind,
    EtranslationAccess,
    backend_from_settings,
    build_backend,
    checked_url,
    etranslation_access,
    etranslation_of,
)
from gateway.translate.base import (
    BatchTranslator,
    Learner,
    Scopable,
    TranslationBackend,
    TranslationUnavailable,
    close_backend,
    untranslated,
)
from gateway.translate.breaker import CircuitBreaker
from gateway.translate.etranslation_backend import EtranslationBackend
from gateway.translate.libretranslate import LibreTranslateBackend
from gateway.translate.memory import MemoryBackend, MemoryEntry, ScopedMemory
from gateway.translate.none import NoTranslation
from gateway.translate.types import MemoryScope, Provenance, ProvenanceKind, TranslatedText
from gateway.translate.view import translate_view

__all__ = [
    "BackendKind",
    "BatchTranslator",
    "CircuitBreaker",
    "EtranslationAccess",
    "EtranslationBackend",
    "Learner",
    "LibreTranslateBackend",
    "MemoryBackend",
    "MemoryEntry",
    "MemoryScope",
    "NoTranslation",
    "Provenance",
    "ProvenanceKind",
    "Scopable",
    "ScopedMemory",
    "TranslatedText",
    "TranslationBackend",
    "TranslationUnavailable",
    "backend_from_settings",
    "build_backend",
    "checked_url",
    "close_backend",
    "etranslation_access",
    "etranslation_of",
    "translate_view",
    "untranslated",
]
