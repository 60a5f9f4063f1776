"""The interface every translation backend offers, and the one error it may raise.

A backend turns a text from ``source`` into ``target`` language. When it cannot (the engine
is down, its circuit is open, it timed out), it raises :class:`TranslationUnavailable` and
nothing else; the caller then passes the original on, marked untranslated
(:func:`untranslated`). Translation never holds up intake.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from gateway.translate.types import MemoryScope, Provenance, TranslatedText


class TranslationUnavailable(Exception):
    """The backend cannot translate now. The message names the cause, never the text."""


class TranslationBackend(Protocol):
    name: str

    async def translate(self, text: str, *, source: str, target: str) -> TranslatedText:
        """``text`` in ``target``; raises :class:`TranslationUnavailable`, nothing else."""
        ...


@runtime_checkable
class BatchTranslator(Protocol):
    """A backend that translates several texts in one round trip (LibreTranslate's list ``q``)."""

    async def translate_many(
        self, texts: Sequence[str], *, source: str, target: str
    ) -> list[TranslatedText]: ...


@runtime_checkable
class Learner(Protocol):
    """A backend that learns from liaison officers' corrections (memory, or a chain with one)."""

    async def learn(
        self,
        source_text: str,
        target_text: str,
        *,
        source: str,
        target: str,
        officer_id: str,
        desk: str,
        signal_id: str,
    ) -> int:
        """Remember, for the officer's ``desk``, that ``target_text`` translates
        ``source_text``, learnt from the copy of ``signal_id`` the officer corrected; the
        number of entries kept."""
        ...


@runtime_checkable
class Scopable(Protocol):
    """A backend whose answer depends on whose copy it translates (the memory)."""

    def scoped(self, scope: MemoryScope | None) -> TranslationBackend:
        """The backend as the copy ``scope`` describes may use it."""
        ...


@runtime_checkable
class Attributable(Protocol):
    """A backend that keeps something of the texts it is sent (eTranslation's jobs), or
    passes them to one that does (the memory chained to it): told whose signal a text is of,
    it keeps that beside it, so that erasing the signal reaches what it kept."""

    def for_signal(self, signal_id: str) -> TranslationBackend:
        """The backend translating the texts of ``signal_id``."""
        ...


def for_signal(backend: TranslationBackend, signal_id: str) -> TranslationBackend:
    """``backend`` translating the texts of ``signal_id``: told so if it keeps anything."""
    return backend.for_signal(signal_id) if isinstance(backend, Attributable) else backend


@runtime_checkable
class Closable(Protocol):
    async def close(self) -> None: ...


async def close_backend(backend: TranslationBackend) -> None:
    """Release what ``backend`` holds (an HTTP session), if it holds anything."""
    if isinstance(backend, Closable):
        await backend.close()


def untranslated(text: str, language: str) -> TranslatedText:
    """``text`` as written, in its own ``language``, marked original."""
    return TranslatedText(text, language, Provenance("original"))


def nothing_to_translate(text: str, *, source: str, target: str) -> bool:
    """True when any backend should hand ``text`` back as it is: blank, or already in target."""
    return source == target or not text.strip()
