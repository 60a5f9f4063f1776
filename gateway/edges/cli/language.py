"""The language a command speaks, one rule for every command: ``--lang``, else what the gateway
knows of the person (a staff account's language; for a command run ``--as`` a partner, the
partner's first language), else the environment's (``$LANGUAGE``, ``$LC_ALL``, ``$LANG``), else
English.

Help texts and argparse's own words are translated when they are printed, in the language
read from the command line before the parser is built (:func:`language_of_argv`).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Final

from gateway.infra.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, translate

LANG_OPTION: Final = "--lang"
ENVIRONMENT: Final = ("LANGUAGE", "LC_ALL", "LANG")

HELP: Final = N_("show this help message and exit")
HELP_LANGUAGE: ContextVar[str] = ContextVar("help_language", default=DEFAULT_LANGUAGE)

ARGPARSE_WORDS: Final = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("the following arguments are required: %s"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("unrecognized arguments: %s"),
    N_("expected one argument"),
    N_("expected %s argument"),
    N_("expected %s arguments"),
    N_("expected at least one argument"),
    N_("expected at most one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("one of the arguments %s is required"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
)
"""What argparse says itself (through :mod:`gettext`), so that the catalogs translate it."""


def language_of(code: str | None) -> str | None:
    """One of our languages for a locale name (``fr_BE.UTF-8``, ``de``), or None."""
    if not code:
        return None
    primary = code.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return primary if primary in LANGUAGES else None


def environment_language() -> str | None:
    """The first of ``$LANGUAGE`` (a list), ``$LC_ALL``, ``$LANG`` that names one of ours."""
    for name in ENVIRONMENT:
        for code in os.environ.get(name, "").split(":"):
            found = language_of(code)
            if found is not None:
                return found
    return None


def language_of_argv(argv: Sequence[str]) -> str | None:
    """``--lang X`` or ``--lang=X`` from a command line not yet parsed."""
    for position, arg in enumerate(argv):
        if arg == LANG_OPTION and position + 1 < len(argv):
            return language_of(argv[position + 1])
        if arg.startswith(LANG_OPTION + "="):
            return language_of(arg.partition("=")[2])
    return None


def chosen_language(*preferences: str | None) -> str:
    """The first of ``preferences`` given, else the environment's language, else English."""
    for preference in preferences:
        if preference in LANGUAGES:
            return preference
    return environment_language() or DEFAULT_LANGUAGE


class TranslatedHelpFormatter(argparse.HelpFormatter):
    """Help texts (``help=``, descriptions) looked up in the catalog as they are printed."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help
        return None if text is None else translate(text, HELP_LANGUAGE.get())

    def _format_text(self, text: str) -> str:
        return super()._format_text(translate(text, HELP_LANGUAGE.get()))


class TranslatedParser(argparse.ArgumentParser):
    """A parser, and every sub-parser made from it, that prints its help translated."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """As :class:`argparse.ArgumentParser`; its ``-h`` says :data:`HELP`, looked up when
        printed like every other help text (argparse's own is translated when made)."""
        kwargs.setdefault("formatter_class", TranslatedHelpFormatter)
        add_help = bool(kwargs.pop("add_help", True))
        super().__init__(*args, **{**kwargs, "add_help": False})
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help=HELP)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Within: help texts and argparse's own words in ``language``.

    argparse looks its words up through the module's ``_`` and ``ngettext`` (the
    :mod:`gettext` functions); within, they look them up in our catalog instead."""
    token = HELP_LANGUAGE.set(language)
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]

    def singular_or_plural(singular: str, plural: str, count: int) -> str:
        return translate(singular if count == 1 else plural, language)

    argparse._ = lambda message: translate(message, language)  # type: ignore[attr-defined]
    argparse.ngettext = singular_or_plural  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]
        HELP_LANGUAGE.reset(token)
