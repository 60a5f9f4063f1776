"""Languages: gettext catalogs under ``locales/`` and Accept-Language negotiation.

Messages are written in English in the code, marked with :func:`N_` where they are
defined and translated with :func:`translate` where they reach a person. Placeholders
use ``{name}`` (python-brace-format), so a translation can reorder them.
"""

from __future__ import annotations

import gettext
import io
import re
from functools import cache
from pathlib import Path
from typing import Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES: Final = ("nl", "fr", "de", "en")
DEFAULT_LANGUAGE: Final = "en"
LOCALES_DIR: Final = Path(__file__).resolve().parents[2] / "locales"
DOMAIN: Final = "messages"

_ACCEPT_ITEM = re.compile(
    r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$"
)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a message for extraction without translating it yet."""
    return message


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    """The compiled catalog, or one compiled in memory from the ``.po`` when none was built."""
    folder = LOCALES_DIR / language / "LC_MESSAGES"
    mo = folder / f"{DOMAIN}.mo"
    po = folder / f"{DOMAIN}.po"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    if po.exists():
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return gettext.GNUTranslations(buffer)
    return gettext.NullTranslations()


def translate(message: str, language: str, /, **params: object) -> str:
    """``message`` in ``language`` with its placeholders filled in."""
    text = _catalog(language).gettext(message) if language != DEFAULT_LANGUAGE else message
    if not params:
        return text
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return message.format(**params)


def negotiate(accept_language: str | None) -> str:
    """The best of our languages for an ``Accept-Language`` header (RFC 9110 §12.5.4)."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language.split(",")[:32]):
        match = _ACCEPT_ITEM.match(item)
        if not match:
            continue
        tag, q = match.group(1).lower(), match.group(2)
        try:
            weight = float(q) if q is not None else 1.0
        except ValueError:
            continue
        if weight <= 0 or weight > 1:
            continue
        primary = tag.split("-")[0]
        language = DEFAULT_LANGUAGE if primary == "*" else primary
        if language in LANGUAGES:
            ranked.append((-weight, position, language))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE
