"""The ``none`` backend: no translation at all; every text stays as its sender wrote it."""

from __future__ import annotations

from gateway.translate.base import untranslated
from gateway.translate.types import TranslatedText


class NoTranslation:
    name = "none"

    async def translate(self, text: str, *, source: str, target: str) -> TranslatedText:
        return untranslated(text, source)
