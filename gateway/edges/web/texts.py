"""The words of the staff pages, in the viewer's language.

Templates write their texts in English as ``_("...", name=value)``; Babel extracts them from
the templates themselves (``locales/babel.cfg``), and :class:`TemplateGettext` is that ``_``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from gateway.infra.i18n import N_, translate
from gateway.staff import Role

ROLE_LABELS: Final[Mapping[Role, str]] = MappingProxyType(
    {
        Role.LIAISON_OFFICER: N_("liaison officer"),
        Role.COMPLIANCE: N_("compliance staff"),
        Role.ADMINISTRATOR: N_("administrator"),
    }
)


class TemplateGettext:
    """``_`` in the templates: a message in one language, its placeholders filled in."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, message: str, /, **params: object) -> str:
        return translate(message, self.language, **params)
