"""The words of the staff pages, in the viewer's language.

Templates write their texts in English as ``_("...", name=value)``; Babel extracts them from
the templates themselves (``locales/babel.cfg``), and :class:`TemplateGettext` is that ``_``.
"""

from __future__ import annotations

from gateway.infra.i18n import translate
from gateway.staff.labels import ROLE_LABELS

__all__ = ["ROLE_LABELS", "TemplateGettext"]


class TemplateGettext:
    """``_`` in the templates: a message in one language, its placeholders filled in."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, message: str, /, **params: object) -> str:
        return translate(message, self.language, **params)
