"""What Python's :mod:`json` parser says is wrong, as message ids of the catalog.

The parser's messages are English sentences (``Expecting value``, ``Unterminated string
starting at``); each kind is named here by the start of its message and said in the
catalog, so a partner reads it in their language. The line and column stay beside it.
"""

from __future__ import annotations

from typing import Final

from gateway.infra.i18n import N_

BYTE_ORDER_MARK: Final = N_("byte order mark before the JSON text")
NOT_A_NUMBER: Final = N_("{literal} is not a JSON number")
NUMBER_TOO_LONG: Final = N_("number longer than {limit} characters")
NUMBER_TOO_LARGE: Final = N_("number too large for a double")
UNPAIRED_SURROGATE: Final = N_("unpaired UTF-16 surrogate escape")
SYNTAX_ERROR: Final = N_("a syntax error")

PARSER_MESSAGES: Final = (
    (
        "Expecting value",
        N_("a value was expected (a string, number, object, array, true, false or null)"),
    ),
    (
        "Expecting property name enclosed in double quotes",
        N_("a member name in double quotes was expected"),
    ),
    ("Expecting ':' delimiter", N_("a colon (:) was expected after the member name")),
    ("Expecting ',' delimiter", N_("a comma (,) was expected between two values")),
    ("Unterminated string starting at", N_("a string is not closed with a double quote")),
    (
        "Invalid control character",
        N_("a control character (such as a line break or a tab) in a string is not escaped"),
    ),
    ("Invalid \\uXXXX escape", N_("an invalid \\uXXXX escape in a string")),
    ("Invalid \\escape", N_("an invalid escape (a backslash) in a string")),
    ("Extra data", N_("more data after the end of the JSON text")),
    ("Illegal trailing comma before end of object", N_("a comma before the end of an object")),
    ("Illegal trailing comma before end of array", N_("a comma before the end of an array")),
)
"""The parser's message prefixes, the most specific first, with what they mean."""


def parser_reason(message: str) -> str:
    """The message id for what :class:`json.JSONDecodeError` said (its ``msg``)."""
    for prefix, reason in PARSER_MESSAGES:
        if message.startswith(prefix):
            return reason
    return SYNTAX_ERROR
