"""The free text of a recipient's view, translated: only what that recipient may read.

Decide comes before translate. :func:`translate_view` reads the view that minimisation made,
so a text the rules redacted is simply not there, and a held text (its pointer in
``view.held``) is skipped even if a caller put it back: neither ever reaches a backend.
"""

from __future__ import annotations

from gateway.contract import json_pointer
from gateway.decide.decision import DataClass
from gateway.minimise import FREE_TEXT_POINTERS, RecipientView
from gateway.translate.base import TranslationBackend, TranslationUnavailable, untranslated
from gateway.translate.types import TranslatedText


async def translate_view(
    view: RecipientView, target: str, source: str, backend: TranslationBackend
) -> dict[str, TranslatedText]:
    """Each free text the view shows, by pointer, in ``target`` with its provenance.

    A backend that cannot translate now leaves that text as written, marked ``original``.
    """
    if DataClass.FREE_TEXT in view.withheld:
        return {}
    translated: dict[str, TranslatedText] = {}
    for pointer in FREE_TEXT_POINTERS:
        text = json_pointer.get(view.document, pointer)
        if pointer in view.held or not isinstance(text, str) or not text.strip():
            continue
        try:
            translated[pointer] = await backend.translate(text, source=source, target=target)
        except TranslationUnavailable:
            translated[pointer] = untranslated(text, source)
    return translated
